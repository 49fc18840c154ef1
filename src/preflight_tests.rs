use super::*;
use crate::config::MapEnv;

fn cfg(extra: &str) -> Config {
    Config::from_toml(&format!(
        "[upstream]\napi_key_env = \"ORG\"\n{extra}\n[[tenants]]\nid = \"t\"\nkeys = [\"{}\"]\n",
        crate::auth::hash_line(DEMO_TOKEN)
    ))
    .unwrap()
}

#[test]
fn unresolved_org_key_is_an_error_unless_offline() {
    let c = cfg("[server]\nlisten = \"127.0.0.1:8080\"");
    let env = MapEnv::default();
    let f = check(&c, &env, false);
    assert!(
        f.errors.iter().any(|e| e.key == "upstream.api_key_env"),
        "{f:?}"
    );
    assert!(check(&c, &env, true).errors.is_empty());
}

#[test]
fn an_unresolved_proxy_url_env_is_an_error() {
    let c = cfg("proxy_url_env = \"EGRESS_PROXY\"\n[server]\nlisten = \"127.0.0.1:8080\"");
    let env = MapEnv::default().with("ORG", "k");
    let f = check(&c, &env, false);
    let e = f.errors.iter().find(|e| e.key == "upstream.proxy_url_env");
    assert!(
        e.is_some_and(|e| e.message.contains("EGRESS_PROXY")),
        "{f:?}"
    );
    let ok = env.with("EGRESS_PROXY", "http://proxy.internal:3128");
    assert!(check(&c, &ok, false).errors.is_empty());
}

#[test]
fn an_alert_webhook_url_must_resolve_unless_offline() {
    let c = cfg("[server]\nlisten = \"127.0.0.1:8080\"\n[[alerts.webhooks]]\nname = \"ops\"\nurl_env = \"OPS_URL\"\nformat = \"slack\"");
    let env = MapEnv::default().with("ORG", "k");
    let f = check(&c, &env, false);
    let e = f
        .errors
        .iter()
        .find(|e| e.key == "alerts.webhooks[0].url_env")
        .expect("unset url_env is an error");
    assert!(e.message.contains("OPS_URL is not set"), "{}", e.message);
    assert!(check(&c, &env, true).errors.is_empty());
    let ok = env.with("OPS_URL", "https://hooks.example.com/x");
    assert!(
        check(&c, &ok, false).errors.is_empty(),
        "{:?}",
        check(&c, &ok, false)
    );
    let bad = MapEnv::default()
        .with("ORG", "k")
        .with("OPS_URL", "not a url");
    assert!(!check(&c, &bad, false).errors.is_empty());
}

#[test]
fn liveavatar_without_a_key_is_a_warning_not_an_error() {
    let env = MapEnv::default().with("ORG", "k");
    let key = "upstream.liveavatar_key_env";
    let f = check(&cfg("[server]\nlisten = \"127.0.0.1:8080\""), &env, false);
    assert!(f.errors.is_empty(), "{f:?}");
    assert!(f.warnings.iter().any(|w| w.key == key), "{f:?}");
    let c = cfg("liveavatar_key_env = \"LA\"\n[server]\nlisten = \"127.0.0.1:8080\"");
    let f = check(&c, &env, false);
    assert!(
        f.errors.is_empty() && f.warnings.iter().any(|w| w.key == key),
        "{f:?}"
    );
    let f = check(&c, &env.with("LA", "la_key"), false);
    assert!(!f.warnings.iter().any(|w| w.key == key), "{f:?}");
}

#[test]
fn demo_token_is_refused_off_loopback_and_budgets_are_checked() {
    let c = cfg("[server]\nlisten = \"0.0.0.0:8080\"\n[org.budgets]\ndaily = 100\nmonthly = 10");
    let f = check(&c, &MapEnv::default(), true);
    assert!(f.errors.iter().any(|e| e.key == "tenants[0].keys"), "{f:?}");
    assert!(
        f.warnings.iter().any(|w| w.key == "org.budgets.daily"),
        "{f:?}"
    );
}

#[test]
fn replicas_without_redis_are_a_warning() {
    let key = "cluster.replicas";
    let warned = |extra: &str| {
        let f = check(&cfg(extra), &MapEnv::default(), true);
        f.warnings.iter().any(|w| w.key == key)
    };
    assert!(warned("[cluster]\nreplicas = 3"));
    assert!(!warned("[cluster]\nreplicas = 1"));
    assert!(!warned(
        "[cluster]\nreplicas = 3\nredis_url = \"redis://127.0.0.1:6379\""
    ));
}

#[test]
fn an_unresolved_store_password_is_an_error_unless_offline() {
    let c = cfg(
        "[server]\nlisten = \"127.0.0.1:8080\"\n[store]\nurl = \"postgres://gw@db/ledger\"\npassword_env = \"PGPASS\"",
    );
    let env = MapEnv::default().with("ORG", "k");
    let f = check(&c, &env, false);
    let e = f.errors.iter().find(|e| e.key == "store.password_env");
    assert!(e.is_some_and(|e| e.message.contains("PGPASS")), "{f:?}");
    let ok = check(&c, &env.clone().with("PGPASS", "pw"), false);
    assert!(ok.errors.is_empty(), "{ok:?}");
    assert!(check(&c, &env, true).errors.is_empty());
}

#[test]
fn an_egress_entry_covering_a_metadata_address_is_warned() {
    let listen = "[server]\nlisten = \"127.0.0.1:8080\"\n[egress]\nallow_cidrs = ";
    let env = MapEnv::default().with("ORG", "k");
    let warned = |cidrs: &str| {
        check(&cfg(&format!("{listen}{cidrs}")), &env, true)
            .warnings
            .into_iter()
            .filter(|w| w.key.starts_with("egress.allow_cidrs"))
            .map(|w| (w.key, w.message))
            .collect::<Vec<_>>()
    };
    let w = warned("[\"10.0.0.0/8\", \"64:ff9b::/96\", \"169.254.0.0/16\"]");
    let keys: Vec<&str> = w.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["egress.allow_cidrs[1]", "egress.allow_cidrs[2]"],
        "{w:?}"
    );
    assert!(w[1].1.contains("169.254.169.254"), "{w:?}");
    assert!(warned("[\"10.0.0.0/8\", \"64:ff9b::a00:0/104\"]").is_empty());
}

#[test]
fn a_config_without_tenants_is_warned() {
    let c = Config::from_toml("[upstream]\napi_key_env = \"ORG\"\n").unwrap();
    let f = check(&c, &MapEnv::default().with("ORG", "k"), false);
    assert!(f.warnings.iter().any(|w| w.key == "tenants"), "{f:?}");
    let with = cfg("[server]\nlisten = \"127.0.0.1:8080\"");
    let f = check(&with, &MapEnv::default().with("ORG", "k"), false);
    assert!(!f.warnings.iter().any(|w| w.key == "tenants"), "{f:?}");
}
