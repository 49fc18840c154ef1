//! Webhook endpoints under concurrency: the per-tenant cap is counted in the
//! insert's transaction, so parallel adds (on one instance or two over one
//! store) stop at it exactly.

use std::sync::Arc;

use heygen_gateway::ledger::*;

use crate::Fixture;

const CAP: u32 = 20;

/// 60 adds at once for one tenant over two instances, 5 for another:
/// exactly 20 of the first are added, every other is refused (`None`),
/// and the other tenant's count is its own.
pub async fn concurrent_adds_stop_at_the_cap(f: Fixture) {
    let ledgers: [Arc<dyn Ledger>; 2] = [f.ledger.clone(), f.open_again().await];
    let mut tasks = Vec::new();
    for i in 0..65 {
        let l = ledgers[i % 2].clone();
        let tenant = if i < 60 { "acme" } else { "beta" };
        tasks.push(tokio::spawn(async move {
            let url = format!("https://{tenant}.example/{i}");
            l.add_endpoint(tenant, &url, &["*".to_string()], "s", CAP)
                .await
        }));
    }
    let mut added = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().is_some() {
            added += 1;
        }
    }
    assert_eq!(added, 25);
    let l = f.ledger.as_ref();
    assert_eq!(l.list_endpoints("acme").await.unwrap().len(), 20);
    assert_eq!(l.list_endpoints("beta").await.unwrap().len(), 5);
    // A freed slot is taken once more, then the cap holds again.
    let first = l.list_endpoints("acme").await.unwrap()[0].id.clone();
    assert!(l.delete_endpoint("acme", &first).await.unwrap());
    let again = |n: usize| async move {
        let url = format!("https://acme.example/again{n}");
        l.add_endpoint("acme", &url, &["*".to_string()], "s", CAP)
            .await
            .unwrap()
    };
    assert!(again(1).await.is_some());
    assert!(again(2).await.is_none());
}
