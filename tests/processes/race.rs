//! The race: N concurrent billable requests against a tenant budget that
//! fits exactly K of them, over one or two gateway processes sharing a ledger.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::common::start_mock;
use crate::harness::{base_config, generate, GatewayProc, Node, GENERATE, HOLD_MICROS};
use crate::ledger_view::{tenant_window, LedgerView};

/// Requests that fit the budget.
const K: usize = 60;
/// Requests sent, all at once.
const N: usize = 240;

/// Runs the race on `processes` gateways sharing `store` (`None`: SQLite,
/// which only one process may use).
async fn race(store: Option<String>, processes: usize) {
    let mock = start_mock().await;
    let budget = format!("total = {}", K as i64 * HOLD_MICROS / 1_000_000);
    assert_eq!(
        K as i64 * HOLD_MICROS % 1_000_000,
        0,
        "K must fill whole credits"
    );
    let mut nodes: Vec<Node> = (0..processes)
        .map(|_| Node::new(base_config(&mock, store.as_deref()).tenant_budgets("alpha", &budget)))
        .collect();
    let mut gws: Vec<GatewayProc> = Vec::new();
    for node in &mut nodes {
        gws.push(node.start().await);
    }
    let bases: Vec<String> = gws.iter().map(|g| g.url("")).collect();

    // Every request waits at the barrier, so all N are in flight together.
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let base = bases[i % bases.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                (i % processes, generate(&base).await)
            })
        })
        .collect();
    let mut hold_ids = BTreeSet::new();
    let mut ok_per_process = vec![0usize; processes];
    let mut refused = 0;
    for t in tasks {
        let (p, r) = t.await.unwrap();
        let r = r.unwrap_or_else(|e| panic!("request failed in transport: {e}"));
        match r.status.as_u16() {
            200 => {
                ok_per_process[p] += 1;
                let id = r
                    .header("x-gateway-hold-id")
                    .expect("200 without a hold id");
                assert!(hold_ids.insert(id.to_string()), "hold id {id} given twice");
            }
            402 => {
                refused += 1;
                assert_eq!(r.header("x-gateway-rejected"), Some("insufficient_credit"));
                assert_eq!(
                    r.json()["error"]["code"],
                    "insufficient_credit",
                    "{}",
                    r.text()
                );
            }
            s => panic!("unexpected {s}: {}", r.text()),
        }
    }
    let ok: usize = ok_per_process.iter().sum();
    assert_eq!(
        ok, K,
        "exactly K may pass (per process: {ok_per_process:?})"
    );
    assert_eq!(refused, N - K);

    // HeyGen saw exactly K creations.
    assert_eq!(mock.requests_to(GENERATE).len(), K);
    let accepted: BTreeSet<String> = mock.jobs().into_iter().map(|j| j.id).collect();
    assert_eq!(accepted.len(), K);

    // Every process reads the same ledger: K holds' worth held, nothing over.
    for gw in &gws {
        let w = tenant_window(gw, "alpha", "total").await;
        assert_eq!(w.limit, Some(K as i64 * HOLD_MICROS));
        assert_eq!(w.held, K as i64 * HOLD_MICROS, "{w:?}");
        assert_eq!(w.spent, 0, "{w:?}");
        assert_eq!(w.remaining, Some(0), "zero overspend: {w:?}");
    }
    let view = LedgerView::read(&gws[0]).await;
    assert_eq!(view.holds.len(), K, "one hold per forwarded request");
    assert_eq!(view.in_state("submitted"), hold_ids, "{view:?}");
    assert_eq!(view.assert_accounts_for(&accepted), 0);
    let recorded: BTreeSet<String> = view.holds_of_jobs().into_keys().collect();
    assert_eq!(recorded, accepted, "every accepted job is on a hold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_two_processes_share_one_postgres_ledger() {
    let url = crate::pg::database().await;
    race(Some(url), 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_one_process_on_sqlite() {
    race(None, 1).await;
}
