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

/// The plan rules applied before forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPolicy {
    pub tier: Tier,
    pub max_video_seconds: u32,
}

impl PlanPolicy {
    pub(super) fn enterprise(&self) -> bool {
        self.tier == Tier::Enterprise
    }
}
