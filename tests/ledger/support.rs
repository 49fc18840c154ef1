//! Builders and assertions shared by the ledger cases.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use heygen_gateway::config::Budgets;
use heygen_gateway::ledger::*;
use heygen_gateway::money::{Micros, MICROS_PER_CREDIT};

/// An `Idempotency-Key` claim's lease, as the default upstream timeouts
/// make it (`UpstreamConfig::request_lease`): 16 min 5 s.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(965);

/// A Tuesday noon, far from any boundary.
pub fn t0() -> DateTime<Utc> {
    at("2026-11-24T12:00:00Z")
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn credits(n: i64) -> Micros {
    n * MICROS_PER_CREDIT
}

/// A hold request with no budgets, UTC windows, a 48 h TTL.
pub fn req(tenant: &str, amount: Micros, now: DateTime<Utc>) -> HoldRequest {
    HoldRequest {
        tenant: tenant.to_string(),
        feature: "avatar_video".into(),
        route: "POST /v2/video/generate".into(),
        amount,
        price_version: "2026-02".into(),
        request_id: format!("req-{}", uuid::Uuid::new_v4().simple()),
        tz: chrono_tz::UTC,
        now,
        expires_at: now + Duration::hours(48),
        tenant_budgets: Budgets::default(),
        org_budgets: Budgets::default(),
        tenant_shadow: false,
        org_shadow: false,
        render: false,
        render_lease: LEASE,
        tenant_render_cap: None,
        org_render_cap: None,
        session_cap: None,
        idem: None,
        contact_project: None,
    }
}

pub fn daily(c: i64) -> Budgets {
    Budgets {
        daily: Some(credits(c)),
        ..Budgets::default()
    }
}

pub fn monthly(c: i64) -> Budgets {
    Budgets {
        monthly: Some(credits(c)),
        ..Budgets::default()
    }
}

pub fn total(c: i64) -> Budgets {
    Budgets {
        total: Some(credits(c)),
        ..Budgets::default()
    }
}

pub fn tenant(t: &str) -> Scope {
    Scope::Tenant(t.to_string())
}

/// The hold id of a `Held` decision; panics with the decision otherwise.
pub fn held(d: HoldDecision) -> String {
    match d {
        HoldDecision::Held { hold_id, .. } => hold_id,
        other => panic!("expected Held, got {other:?}"),
    }
}

pub fn shortfall(d: HoldDecision) -> Shortfall {
    match d {
        HoldDecision::Insufficient(s) => s,
        other => panic!("expected Insufficient, got {other:?}"),
    }
}

pub fn settled(r: SettleResult) -> Settlement {
    match r {
        SettleResult::Settled(s) => s,
        other => panic!("expected Settled, got {other:?}"),
    }
}

pub fn job(id: &str, held: Micros) -> JobRecord {
    JobRecord {
        job_id: id.to_string(),
        feature: "video_translation".into(),
        status_path: format!("/v2/video_translate/{id}"),
        held,
        items: Vec::new(),
    }
}

/// Usage of one window of one scope (budgets only affect `limit`/`remaining`).
pub async fn window(
    l: &dyn Ledger,
    scope: Scope,
    budgets: Budgets,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    w: Window,
) -> WindowUsage {
    let u = l.usage(&[(scope, budgets)], tz, now).await.unwrap();
    u[0].windows.iter().find(|x| x.window == w).unwrap().clone()
}

/// (held, spent) of a window in UTC at `now`.
pub async fn counts(
    l: &dyn Ledger,
    scope: Scope,
    now: DateTime<Utc>,
    w: Window,
) -> (Micros, Micros) {
    let u = window(l, scope, Budgets::default(), chrono_tz::UTC, now, w).await;
    (u.held, u.spent)
}

/// Every journal entry ever written.
pub async fn all_journal(l: &dyn Ledger) -> Vec<JournalEntry> {
    l.journal(
        at("2000-01-01T00:00:00Z"),
        at("2100-01-01T00:00:00Z"),
        0,
        100_000,
    )
    .await
    .unwrap()
}

/// `spent` of a scope's total window as rebuilt from the journal:
/// captures + expiries (adjustments move `granted`, not spend). Must equal
/// the counter.
pub fn journal_spent(entries: &[JournalEntry], scope: &Scope) -> Micros {
    entries
        .iter()
        .filter(|e| match scope {
            Scope::Org => true,
            Scope::Tenant(t) => e.tenant.as_deref() == Some(t.as_str()),
        })
        .map(|e| match e.kind {
            JournalKind::Capture | JournalKind::Expire => e.amount,
            _ => 0,
        })
        .sum()
}

/// The ledger's row of session `id` (which must exist).
pub async fn session(l: &dyn Ledger, id: &str) -> SessionRow {
    l.sessions(SessionFilter::One(id))
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no session {id}"))
}

/// Runs `claimers` tasks, alternating between the instances `a` and `b` of
/// one store, each calling `claim` until it comes back empty; returns every
/// id claimed and fails on one claimed twice (leased claims must be
/// disjoint across replicas).
pub async fn claim_disjointly<T, F, Fut>(
    a: std::sync::Arc<dyn Ledger>,
    b: std::sync::Arc<dyn Ledger>,
    claimers: usize,
    claim: F,
) -> std::collections::HashSet<T>
where
    T: std::hash::Hash + Eq + std::fmt::Debug + Send + 'static,
    F: Fn(std::sync::Arc<dyn Ledger>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Vec<T>> + Send,
{
    let tasks: Vec<_> = (0..claimers)
        .map(|i| {
            let l = if i % 2 == 0 { a.clone() } else { b.clone() };
            let claim = claim.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = claim(l.clone()).await;
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch);
                }
            })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(!seen.contains(&id), "{id:?} claimed twice");
            seen.insert(id);
        }
    }
    seen
}
