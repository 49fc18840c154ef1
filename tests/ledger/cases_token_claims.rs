//! Binding a session seen in HeyGen's streaming list to a waiting token:
//! never a session the ledger knows, and never when tokens (or starts not
//! answered yet) of more than one tenant could have started it.

use heygen_gateway::ledger::*;

use crate::cases_sessions::session_row;
use crate::support::*;
use crate::Fixture;

/// A `streaming.new` start's first minute, of `tenant`.
fn start(tenant: &str) -> HoldRequest {
    HoldRequest {
        feature: "streaming".into(),
        route: "POST /v1/streaming.new".into(),
        ..req(tenant, credits(1), t0())
    }
}

fn row(id: &str, hold: &str, state: &str, tenant: &str) -> SessionRow {
    SessionRow {
        tenant: tenant.into(),
        ..session_row(id, hold, state)
    }
}

/// Mints a token of `tenant`: its first minute held, its row waiting.
async fn token(l: &dyn Ledger, tenant: &str) -> String {
    let minted = HoldRequest {
        route: "POST /v1/streaming.create_token".into(),
        ..start(tenant)
    };
    let h = held(l.hold(minted).await.unwrap());
    l.open_session(&row(&format!("token:{h}"), &h, "token", tenant))
        .await
        .unwrap();
    h
}

fn bound_to(claim: TokenClaim, tenant: &str, hold: &str) {
    match claim {
        TokenClaim::Bound(s) => {
            assert_eq!((s.tenant.as_str(), s.hold_id.as_str()), (tenant, hold));
            assert_eq!(s.state, "live");
        }
        other => panic!("expected Bound to {tenant}, got {other:?}"),
    }
}

fn unattributed(tenants: &[&str]) -> TokenClaim {
    TokenClaim::Unattributed {
        candidates: tenants.iter().map(|t| t.to_string()).collect(),
    }
}

pub async fn a_listed_session_is_bound_only_when_one_tenant_could_have_started_it(f: Fixture) {
    let l = f.ledger.as_ref();
    // Alpha's session the gateway stopped (its stop not at HeyGen yet, so
    // HeyGen still lists it), and one only recorded as alpha's (its start
    // answered, the session row not written).
    let a = held(l.hold(start("alpha")).await.unwrap());
    l.open_session(&row("x_stopped", &a, "live", "alpha"))
        .await
        .unwrap();
    l.end_session("x_stopped", &a, "idle", 2_000, 0)
        .await
        .unwrap()
        .expect("stopped");
    let owned = [ResourceRecord::new("x_owned", "streaming_session")];
    l.record_resources("alpha", &owned).await.unwrap();
    let beta = token(l, "beta").await;
    for id in ["x_stopped", "x_owned"] {
        let claim = l.claim_token_session(id, 5_000, 0).await.unwrap();
        assert_eq!(claim, TokenClaim::Known, "{id}");
    }
    assert_eq!(l.sessions(SessionFilter::Tokens).await.unwrap().len(), 1);
    assert_eq!(l.owner_of("x_stopped").await.unwrap(), None);

    // Alpha's start is held, not answered (or its answer lost): HeyGen may
    // have made the next session for it as well as for beta's token.
    let lost = held(l.hold(start("alpha")).await.unwrap());
    let claim = l.claim_token_session("z1", 5_000, 0).await.unwrap();
    assert_eq!(claim, unattributed(&["alpha", "beta"]));
    assert_eq!(l.owner_of("z1").await.unwrap(), None);
    // Kept: no later look binds it, whoever is left.
    let claim = l.claim_token_session("z1", 5_000, 0).await.unwrap();
    assert_eq!(claim, TokenClaim::Known);
    assert!(l.sessions(SessionFilter::Live).await.unwrap().is_empty());
    // Alpha's answer comes late and names it: alpha's after all.
    l.open_session(&row("z1", &lost, "live", "alpha"))
        .await
        .unwrap();
    let z1 = l.sessions(SessionFilter::One("z1")).await.unwrap();
    assert_eq!(
        (z1[0].state.as_str(), z1[0].tenant.as_str()),
        ("live", "alpha")
    );

    // No start unanswered: beta's token alone explains the next one.
    bound_to(
        l.claim_token_session("z2", 5_000, 0).await.unwrap(),
        "beta",
        &beta,
    );
    assert_eq!(l.owner_of("z2").await.unwrap().unwrap().tenant, "beta");

    // A start taken before the caller's bound no longer counts.
    let beta2 = token(l, "beta").await;
    held(l.hold(start("alpha")).await.unwrap());
    let since = t0().timestamp_micros() + 1;
    bound_to(
        l.claim_token_session("z3", 5_000, since).await.unwrap(),
        "beta",
        &beta2,
    );
    assert_eq!(
        l.claim_token_session("z4", 5_000, since).await.unwrap(),
        TokenClaim::NoToken
    );
}
