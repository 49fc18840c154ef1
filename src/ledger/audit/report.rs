//! The verification report: counts, violations, and its two renderings
//! (a readable text and JSON). Both are stable: violations are sorted and
//! amounts are printed as exact credit decimals.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Which invariant a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// A counter row differs from the journal's sums for its window period.
    Counter,
    /// A hold row and its journal rows do not match (missing or extra hold
    /// row, different amount, a transition the ledger never writes).
    HoldJournal,
    /// Credits not conserved: the hold's held or captured column differs
    /// from its journal (amount = held + captured − overage + released + expired).
    Conservation,
    /// A hold both captured and released.
    CapturedAndReleased,
    /// A hold's state differs from what its journal implies.
    State,
    /// An open hold past `expires_at` plus the grace.
    Overdue,
    /// A stored idempotent response names a hold that does not exist (or
    /// belongs to another tenant).
    Idempotency,
    /// A job with no owner in `resources`.
    JobOwner,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Counter => "counter",
            Check::HoldJournal => "hold_journal",
            Check::Conservation => "conservation",
            Check::CapturedAndReleased => "captured_and_released",
            Check::State => "state",
            Check::Overdue => "overdue",
            Check::Idempotency => "idempotency",
            Check::JobOwner => "job_owner",
        }
    }
}

/// One broken invariant: what, where, expected vs found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub check: Check,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Scope key (`org`, `tenant:<id>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Idempotency key as `tenant/key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub expected: String,
    pub found: String,
    pub detail: String,
}

impl Violation {
    pub(super) fn new(check: Check, expected: String, found: String, detail: String) -> Self {
        Violation {
            check,
            hold_id: None,
            job_id: None,
            scope: None,
            window: None,
            period: None,
            idempotency_key: None,
            expected,
            found,
            detail,
        }
    }

    pub(super) fn hold(mut self, id: &str) -> Self {
        self.hold_id = Some(id.to_string());
        self
    }

    /// Where it is, for the text report.
    fn location(&self) -> String {
        let parts = [
            ("hold", &self.hold_id),
            ("job", &self.job_id),
            ("scope", &self.scope),
            ("window", &self.window),
            ("period", &self.period),
            ("idempotency key", &self.idempotency_key),
        ];
        parts
            .iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} {v}")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.check,
            &self.scope,
            &self.window,
            &self.period,
            &self.hold_id,
            &self.job_id,
            &self.idempotency_key,
            &self.detail,
        )
    }
}

/// Idempotency keys checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IdempotencyStats {
    pub keys: u64,
    /// Stored responses naming a hold that exists.
    pub linked: u64,
    /// Keys that name no hold (in progress, refusals, unreadable headers):
    /// skipped, counted here.
    pub unlinked: u64,
}

/// What was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub holds: u64,
    pub jobs: u64,
    pub journal_rows: u64,
    pub counter_rows: u64,
    pub adjustments: u64,
    pub resources: u64,
    pub idempotency: IdempotencyStats,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// No violation.
    pub ok: bool,
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: DateTime<Utc>,
    pub timezone: String,
    pub grace_seconds: u64,
    pub stats: Stats,
    pub violations: Vec<Violation>,
    /// Completed jobs captured at their hold because no real length could
    /// be learned (settle source ending in [`AT_ESTIMATE`]): not a broken
    /// invariant, but spend nobody checked against HeyGen's bill.
    pub at_estimate: Vec<AtEstimate>,
}

/// Suffix of a job's settle source when it was captured at its hold.
pub const AT_ESTIMATE: &str = "/estimate";

/// One job captured at the gateway's own estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtEstimate {
    pub job_id: String,
    pub hold_id: String,
    pub feature: String,
    /// Exact credits, as a decimal string.
    pub captured: String,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl Report {
    pub(super) fn new(
        checked_at: DateTime<Utc>,
        timezone: String,
        grace_seconds: u64,
        stats: Stats,
        mut violations: Vec<Violation>,
        at_estimate: Vec<AtEstimate>,
    ) -> Report {
        violations.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Report {
            ok: violations.is_empty(),
            checked_at,
            timezone,
            grace_seconds,
            stats,
            violations,
            at_estimate,
        }
    }

    /// Violations of one kind.
    pub fn of(&self, check: Check) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(move |v| v.check == check)
    }

    /// The machine-readable report (what `--json` prints and the admin
    /// endpoint answers).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The readable report: a summary line, then one line per violation.
    pub fn to_text(&self) -> String {
        let s = &self.stats;
        let mut out = format!(
            "ledger verify: {} ({} holds, {} jobs, {} journal rows, {} counter rows, \
             {} adjustments; idempotency keys {}: {} linked, {} unlinked)\n",
            if self.ok {
                "ok".to_string()
            } else {
                format!("FAILED, {} violation(s)", self.violations.len())
            },
            s.holds,
            s.jobs,
            s.journal_rows,
            s.counter_rows,
            s.adjustments,
            s.idempotency.keys,
            s.idempotency.linked,
            s.idempotency.unlinked,
        );
        for v in &self.violations {
            out.push_str(&format!(
                "  {}: {}: expected {}, found {} ({})\n",
                v.check.as_str(),
                v.location(),
                v.expected,
                v.found,
                v.detail
            ));
        }
        if !self.at_estimate.is_empty() {
            out.push_str(&format!(
                "note: {} job(s) captured at the hold (no real length learned):\n",
                self.at_estimate.len()
            ));
            for e in &self.at_estimate {
                out.push_str(&format!(
                    "  at_estimate: job {}, hold {}: {} captured ({})\n",
                    e.job_id, e.hold_id, e.captured, e.feature
                ));
            }
        }
        out
    }
}
