//! The ledger as the admin API shows it: holds, the journal's job ids per
//! hold, and a tenant's window usage, in micro-credits.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::harness::{admin_get, GatewayProc};

/// Credits as the API formats them ("12", "0.5", "-3.25") → micro-credits,
/// exactly (no float on the way).
pub fn micros(credits: &str) -> i64 {
    let (neg, s) = match credits.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, credits),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 6, "more than 6 decimals: {credits}");
    let whole: i64 = whole
        .parse()
        .unwrap_or_else(|_| panic!("bad credits {credits:?}"));
    let frac: i64 = format!("{frac:0<6}").parse().unwrap();
    let v = whole * 1_000_000 + frac;
    if neg {
        -v
    } else {
        v
    }
}

/// Usage of one window of one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowUse {
    pub limit: Option<i64>,
    pub held: i64,
    pub spent: i64,
    pub remaining: Option<i64>,
}

/// `GET /admin/v1/tenants`: window `window` of tenant `tenant`.
pub async fn tenant_window(gw: &GatewayProc, tenant: &str, window: &str) -> WindowUse {
    let body = admin_get(gw, "/admin/v1/tenants").await.json();
    let tenants = body["data"]["tenants"].as_array().unwrap();
    let t = tenants
        .iter()
        .find(|t| t["id"] == tenant)
        .unwrap_or_else(|| panic!("no tenant {tenant} in {body}"));
    let w = t["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["window"] == window)
        .unwrap_or_else(|| panic!("no {window} window for {tenant} in {body}"));
    let opt = |v: &Value| v.as_str().map(micros);
    WindowUse {
        limit: opt(&w["limit"]),
        held: micros(w["held"].as_str().unwrap()),
        spent: micros(w["spent"].as_str().unwrap()),
        remaining: opt(&w["remaining"]),
    }
}

/// Every hold and every job recorded under one, read after the fact.
#[derive(Debug)]
pub struct LedgerView {
    /// hold id → state (`held`, `submitted`, `captured`, ...).
    pub holds: BTreeMap<String, String>,
    /// hold id → job ids of its `submit` journal entries, in order, with
    /// repeats kept (a repeat would be a doubled job).
    pub jobs_of: BTreeMap<String, Vec<String>>,
    /// The raw journal kinds, for failure messages.
    pub kinds: BTreeMap<String, usize>,
}

impl LedgerView {
    /// `GET /admin/v1/holds?limit=100000` and `GET /admin/v1/ledger?format=jsonl`.
    pub async fn read(gw: &GatewayProc) -> LedgerView {
        let holds_body = admin_get(gw, "/admin/v1/holds?limit=100000").await.json();
        let mut holds = BTreeMap::new();
        for h in holds_body["data"].as_array().unwrap() {
            let id = h["hold_id"].as_str().unwrap().to_string();
            let state = h["state"].as_str().unwrap().to_string();
            assert!(
                holds.insert(id.clone(), state).is_none(),
                "hold {id} listed twice"
            );
        }
        let journal = admin_get(gw, "/admin/v1/ledger?format=jsonl").await.text();
        let mut jobs_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for line in journal.lines().filter(|l| !l.trim().is_empty()) {
            let e: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("journal line is not JSON ({err}): {line}"));
            let kind = e["kind"].as_str().unwrap().to_string();
            *kinds.entry(kind.clone()).or_default() += 1;
            if kind != "submit" {
                continue;
            }
            let hold = e["hold_id"].as_str().unwrap().to_string();
            let ids = e["upstream_ids"].as_array().unwrap();
            jobs_of
                .entry(hold)
                .or_default()
                .extend(ids.iter().map(|v| v.as_str().unwrap().to_string()));
        }
        LedgerView {
            holds,
            jobs_of,
            kinds,
        }
    }

    /// Holds in `state`.
    pub fn in_state(&self, state: &str) -> BTreeSet<String> {
        self.holds
            .iter()
            .filter(|(_, s)| *s == state)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// job id → the holds it was submitted under.
    pub fn holds_of_jobs(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (hold, jobs) in &self.jobs_of {
            for j in jobs {
                out.entry(j.clone()).or_default().push(hold.clone());
            }
        }
        out
    }

    /// Asserts the accounting invariants against the jobs HeyGen accepted:
    /// no job on two holds, no hold with a job twice, every recorded job
    /// known upstream and its hold listed, and no more accepted-but-unrecorded
    /// jobs than open holds that never got a job id (a crash between forward
    /// and submit leaves exactly such a hold). Returns the number of
    /// unrecorded jobs.
    pub fn assert_accounts_for(&self, accepted: &BTreeSet<String>) -> usize {
        for (hold, jobs) in &self.jobs_of {
            let distinct: BTreeSet<&String> = jobs.iter().collect();
            assert_eq!(
                distinct.len(),
                jobs.len(),
                "hold {hold} has a job twice: {jobs:?}"
            );
            assert!(
                self.holds.contains_key(hold),
                "journal names unknown hold {hold}"
            );
        }
        let by_job = self.holds_of_jobs();
        for (job, holds) in &by_job {
            assert_eq!(holds.len(), 1, "job {job} is on several holds: {holds:?}");
            assert!(accepted.contains(job), "ledger job {job} unknown to HeyGen");
        }
        let unrecorded: Vec<&String> = accepted
            .iter()
            .filter(|j| !by_job.contains_key(*j))
            .collect();
        let open_unsubmitted = self.in_state("held");
        for h in &open_unsubmitted {
            assert!(!self.jobs_of.contains_key(h), "held hold {h} has jobs");
        }
        assert!(
            unrecorded.len() <= open_unsubmitted.len(),
            "{} accepted job(s) without a recorded hold ({unrecorded:?}) but only {} open \
             unsubmitted hold(s): some accepted job is unaccounted for",
            unrecorded.len(),
            open_unsubmitted.len()
        );
        unrecorded.len()
    }
}
