//! The ops alert outbox: queued once per (alert key, webhook) across
//! reopens and replicas, claimed under a lease, delivered rows never
//! resent, failures retried then given up (`failed`).

use std::collections::HashSet;

use chrono::Duration;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

fn alert(key: &str, webhook: &str) -> NewAlert {
    NewAlert {
        key: key.to_string(),
        webhook: webhook.to_string(),
        event: "threshold".to_string(),
        payload: format!("{{\"key\":\"{key}\"}}"),
    }
}

pub async fn alerts_are_queued_once_and_delivered_once(f: Fixture) {
    let key = "threshold:alpha:daily:2026-12-04:80";
    let both = [alert(key, "slack"), alert(key, "json")];
    assert_eq!(f.ledger.enqueue_alerts(&both).await.unwrap(), 2);
    // The gauge tick offers it again; a restart or another replica too.
    assert_eq!(f.ledger.enqueue_alerts(&both).await.unwrap(), 0);
    let f = f.reopen().await;
    let other = f.open_again().await;
    assert_eq!(other.enqueue_alerts(&both[..1]).await.unwrap(), 0);
    assert_eq!(f.ledger.alert_depth().await.unwrap(), 2);

    let now = t0();
    let due = f.ledger.due_alerts(now, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    // Leased: the other replica gets nothing now.
    assert!(other.due_alerts(now, 10).await.unwrap().is_empty());
    let slack = due.iter().find(|a| a.webhook == "slack").unwrap();
    assert_eq!((slack.key.as_str(), slack.attempts), (key, 0));
    assert!(slack.payload.contains(key));
    let s = f
        .ledger
        .alert_result(slack.id, true, Some(200), None, now)
        .await
        .unwrap();
    assert_eq!(s, AlertState::Delivered);
    // A late failure report cannot resurrect a delivered alert.
    let s = f
        .ledger
        .alert_result(slack.id, false, Some(500), Some("late"), now)
        .await
        .unwrap();
    assert_eq!(s, AlertState::Delivered);
    // After the lease the unanswered one comes back; the delivered never.
    let after = now + DELIVERY_LEASE + Duration::seconds(1);
    let again = other.due_alerts(after, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].webhook, "json");
    let log = f.ledger.alert_log(10).await.unwrap();
    let states: HashSet<(&str, AlertState)> =
        log.iter().map(|a| (a.webhook.as_str(), a.state)).collect();
    assert!(
        states.contains(&("slack", AlertState::Delivered)),
        "{log:?}"
    );
    assert!(states.contains(&("json", AlertState::Pending)), "{log:?}");
}

pub async fn failing_alerts_retry_then_fail(f: Fixture) {
    let l = f.ledger.as_ref();
    l.enqueue_alerts(&[alert("exhausted:org:monthly:2026-12", "ops")])
        .await
        .unwrap();
    let mut now = t0();
    for attempt in 1..=MAX_ALERT_ATTEMPTS {
        let due = l.due_alerts(now, 10).await.unwrap();
        assert_eq!(due.len(), 1, "attempt {attempt}");
        assert_eq!(due[0].attempts, attempt - 1);
        let retry = now + Duration::seconds(5);
        let s = l
            .alert_result(due[0].id, false, Some(503), Some("busy"), retry)
            .await
            .unwrap();
        let want = if attempt == MAX_ALERT_ATTEMPTS {
            AlertState::Failed
        } else {
            AlertState::Pending
        };
        assert_eq!(s, want, "attempt {attempt}");
        // Not due before its retry time.
        assert!(l.due_alerts(now, 10).await.unwrap().is_empty());
        now = retry;
    }
    assert!(l.due_alerts(now, 10).await.unwrap().is_empty());
    assert_eq!(l.alert_depth().await.unwrap(), 0);
    let log = l.alert_log(10).await.unwrap();
    assert_eq!(log[0].attempts, MAX_ALERT_ATTEMPTS);
    assert_eq!(log[0].last_status, Some(503));
    assert_eq!(log[0].last_error.as_deref(), Some("busy"));

    // An alert older than the age limit fails at its next failure.
    l.enqueue_alerts(&[alert("drift:2026-12-04", "ops")])
        .await
        .unwrap();
    let due = l.due_alerts(now, 10).await.unwrap();
    f.clock.advance(MAX_ALERT_AGE + Duration::seconds(1));
    let s = l
        .alert_result(due[0].id, false, None, Some("timed out"), now)
        .await
        .unwrap();
    assert_eq!(s, AlertState::Failed);
}

pub async fn replicas_claim_disjoint_alerts(f: Fixture) {
    let list: Vec<NewAlert> = (0..40)
        .map(|i| alert(&format!("session_stopped:s{i}"), "ops"))
        .collect();
    f.ledger.enqueue_alerts(&list).await.unwrap();
    let other = f.open_again().await;
    let now = t0();
    let (a, b) = tokio::join!(f.ledger.due_alerts(now, 25), other.due_alerts(now, 25));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 40);
    let ids: HashSet<i64> = a.iter().chain(&b).map(|d| d.id).collect();
    assert_eq!(ids.len(), 40, "no alert claimed twice");
}
