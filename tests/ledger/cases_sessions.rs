//! Metered sessions: moving on minute by minute once per minute against
//! replicas, refused minutes, ending, a token's row bound to its session;
//! builders the other session cases share.

use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// A session's minute as a meter read it.
pub(crate) fn on<'a>(id: &'a str, hold: &'a str, next: Option<&'a str>) -> SessionMinute<'a> {
    SessionMinute {
        session_id: id,
        hold_id: hold,
        next_hold_id: next,
    }
}

/// A minute of acme's streaming session: 1 credit.
pub(crate) fn minute_req() -> HoldRequest {
    let mut r = req("acme", credits(1), t0());
    r.feature = "streaming".into();
    r
}

pub(crate) fn session_row(id: &str, hold: &str, state: &str) -> SessionRow {
    SessionRow {
        session_id: id.into(),
        tenant: "acme".into(),
        feature: "streaming".into(),
        kind: "streaming".into(),
        rate: credits(1),
        idle_s: 120,
        started_us: 1_000,
        last_activity_us: 1_000,
        hold_id: hold.into(),
        slot_us: 1_000,
        minutes: 1,
        captured: 0,
        state: state.into(),
        stop_reason: None,
        stopped_us: None,
        next_hold_id: None,
    }
}

/// Metered sessions: past the current minute's end, the next minute is
/// held, the ended one captured and the session moved on in one
/// transaction, so of two replicas only one does it; a refused minute changes nothing; ending compares the minute
/// too; a token's row becomes the session HeyGen's list shows.
pub async fn sessions_move_on_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let h1 = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    l.open_session(&session_row("s1", &h1, "live"))
        .await
        .unwrap();
    let other = f.open_again().await;
    let (a, b) = tokio::join!(
        l.next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 61_000),
        other.next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 61_000),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let won = [&a, &b]
        .iter()
        .filter(|r| matches!(r, NextMinute::Held { .. }))
        .count();
    assert_eq!(won, 1, "exactly one replica moves it on: {a:?} {b:?}");
    assert!([&a, &b].iter().any(|r| **r == NextMinute::Moved));
    let s = session(l, "s1").await;
    assert_eq!((s.minutes, s.captured, s.slot_us), (2, credits(1), 61_000));
    assert_eq!(l.get_hold(&h1).await.unwrap().unwrap().captured, credits(1));
    // Only one minute is held now: 1 captured + 1 held.
    let (held_now, spent) = counts(l, Scope::Tenant("acme".into()), t0(), Window::Daily).await;
    assert_eq!((held_now, spent), (credits(1), credits(1)));

    // A next minute over budget changes nothing.
    let mut tight = minute_req();
    tight.tenant_budgets.daily = Some(credits(2));
    let refused = l
        .next_session_minute(s.minute(), tight, 121_000, 121_000)
        .await
        .unwrap();
    assert!(matches!(refused, NextMinute::Refused(_)), "{refused:?}");
    assert_eq!(session(l, "s1").await.hold_id, s.hold_id);

    assert_eq!(
        l.end_session("s1", &h1, "client", 70_000, 1).await.unwrap(),
        None,
        "stale minute"
    );
    let end = l
        .end_session("s1", &s.hold_id, "client", 70_000, credits(1) / 2)
        .await
        .unwrap();
    assert_eq!(end.expect("ended").captured, credits(1) / 2);
    assert_eq!(
        l.end_session("s1", &s.hold_id, "client", 70_000, 1)
            .await
            .unwrap(),
        None
    );
    let s = session(l, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref()),
        ("stopped", Some("client"))
    );
    assert_eq!(s.captured, credits(1) + credits(1) / 2);
    assert!(l.sessions(SessionFilter::Live).await.unwrap().is_empty());

    // Tokens: one is bound to the session HeyGen lists, the other unused.
    let t1 = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    let t2 = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    l.open_session(&session_row(&format!("token:{t1}"), &t1, "token"))
        .await
        .unwrap();
    let mut beta_token = session_row(&format!("token:{t2}"), &t2, "token");
    (beta_token.tenant, beta_token.started_us) = ("beta".into(), 2_000);
    l.open_session(&beta_token).await.unwrap();
    assert_eq!(l.sessions(SessionFilter::Tokens).await.unwrap().len(), 2);
    // Either tenant's token could have started it: bound to neither.
    assert_eq!(
        l.claim_token_session("real0", 5_000, 0).await.unwrap(),
        TokenClaim::Unattributed {
            candidates: vec!["acme".into(), "beta".into()]
        }
    );
    let unused = l
        .end_session(&beta_token.session_id, &t2, "unused", 9_000, 0)
        .await
        .unwrap()
        .expect("ended");
    assert_eq!((unused.captured, unused.released), (0, credits(1)));
    assert_eq!(
        l.get_hold(&t2).await.unwrap().unwrap().state,
        HoldState::Released
    );
    // Acme's alone now: bound.
    let bound = match l.claim_token_session("real1", 5_000, 0).await.unwrap() {
        TokenClaim::Bound(s) => s,
        other => panic!("expected Bound, got {other:?}"),
    };
    assert_eq!(
        (bound.session_id.as_str(), bound.state.as_str()),
        ("real1", "live")
    );
    assert_eq!(
        (bound.started_us, bound.hold_id.as_str()),
        (5_000, t1.as_str())
    );
    assert_eq!(l.owner_of("real1").await.unwrap().unwrap().tenant, "acme");
    assert_eq!(
        l.claim_token_session("real2", 5_000, 0).await.unwrap(),
        TokenClaim::NoToken
    );
    l.touch_session("real1").await.unwrap();
    assert_eq!(l.sessions(SessionFilter::Live).await.unwrap().len(), 1);
}
