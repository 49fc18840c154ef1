//! A PostgreSQL server that hangs (stopped, not down): holds still waiting
//! in the batching queue are withdrawn and reported unavailable within the
//! pool's wait, so billable requests get 503 instead of waiting as long as
//! the database; the hold already in a batch is left to its commit, and a
//! withdrawn hold is never written.

use std::time::Duration;

use heygen_gateway::ledger::{HoldDecision, Ledger, LedgerError, PostgresLedger};

use crate::support::{credits, req, t0};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_holds_are_withdrawn_while_the_database_hangs() {
    let (server, url) = crate::pg::own_database().await;
    let ledger = PostgresLedger::connect(&url, 2).await.unwrap();
    let hold = |tenant: &str| ledger.hold(req(tenant, credits(1), t0()));
    assert!(matches!(
        hold("warm").await.unwrap(),
        HoldDecision::Held { .. }
    ));

    let frozen = server.freeze();
    let first = hold("first");
    tokio::pin!(first);
    // The first hold is taken into a batch, whose queries then hang.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut first)
            .await
            .is_err(),
        "the frozen server answered"
    );
    let queued = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(hold("second"), hold("third"))
    })
    .await
    .expect("queued holds were not withdrawn within the pool's wait");
    for answer in [queued.0, queued.1] {
        match answer {
            Err(LedgerError::Unavailable(why)) => {
                assert!(why.contains("nothing was held"), "{why}")
            }
            other => panic!("not withdrawn: {other:?}"),
        }
    }
    drop(frozen);
    let first = tokio::time::timeout(Duration::from_secs(60), first)
        .await
        .expect("the batch did not finish after the thaw");
    let first_held = matches!(first, Ok(HoldDecision::Held { .. }));
    // The warm hold, the first if its batch committed, and nothing else.
    let (open, _) = ledger.open_holds().await.unwrap();
    assert_eq!(open, 1 + u64::from(first_held), "{first:?}");
}
