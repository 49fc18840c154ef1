//! The plan rules pricing applies before forwarding. Owned here (not in
//! `config`) so pricing never depends on configuration: config builds a
//! [`PlanPolicy`] from its validated `[plan]` section.

/// The HeyGen API plan the org key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    PayAsYouGo,
    Enterprise,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::PayAsYouGo => "pay_as_you_go",
            Tier::Enterprise => "enterprise",
        }
    }
}

/// What HeyGen charges for a `test: true` render on this account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestMode {
    /// Billed like any render (accounts where test mode is gone): priced,
    /// held and settled at the real length.
    Billed,
    /// Free and watermarked: still priced and held (a test render must fit
    /// the budget and the plan's length limit), released once HeyGen
    /// accepts it.
    Free,
}

impl TestMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TestMode::Billed => "billed",
            TestMode::Free => "free",
        }
    }
}

/// The plan rules applied before forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPolicy {
    pub tier: Tier,
    pub max_video_seconds: u32,
    pub test_mode: TestMode,
}

impl PlanPolicy {
    pub(super) fn enterprise(&self) -> bool {
        self.tier == Tier::Enterprise
    }
}
