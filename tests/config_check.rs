//! Configuration: shipped configs validate, errors name the key path and the
//! fix, and `check-config` exits 64 listing every problem at once.

#[path = "config_check/cli.rs"]
mod cli;
#[path = "config_check/commands.rs"]
mod commands;

use std::process::Command;

use heygen_gateway::config::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
}

fn errors(toml: &str) -> Vec<String> {
    match Config::from_toml(toml) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// Durations past what the gateway can use are refused by name, not
/// accepted to fail every costed request or stop the background task.
#[test]
fn durations_out_of_range_are_named() {
    let errs = errors(
        "[settlement]\nhold_ttl_seconds = 10000000000000\npoll_interval_seconds = 0\n\
         [metrics]\ngauge_interval_seconds = 86400\nquota_poll_seconds = 1000000\n\
         [webhooks]\ntolerance_seconds = 0\nowner_wait_seconds = 86401\n",
    );
    for key in [
        "`settlement.hold_ttl_seconds`",
        "`settlement.poll_interval_seconds`",
        "`metrics.gauge_interval_seconds`",
        "`metrics.quota_poll_seconds`",
        "`webhooks.tolerance_seconds`",
        "`webhooks.owner_wait_seconds`",
    ] {
        assert!(errs.iter().any(|e| e.contains(key)), "{key} in {errs:?}");
    }
    let errs = errors("[settlement]\nhold_ttl_seconds = 3600\npoll_min_age_seconds = 7200\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("`settlement.poll_min_age_seconds`"),
        "{errs:?}"
    );
    assert!(errors("[webhooks]\ntolerance_seconds = 30\n").is_empty());
    let errs = errors("[server]\nshutdown_delay_seconds = 600\n");
    assert!(
        errs.len() == 1 && errs[0].contains("`server.shutdown_delay_seconds`"),
        "{errs:?}"
    );
    assert!(errors("[server]\nshutdown_delay_seconds = 5\n").is_empty());
    // 0 is "do not wait": events of jobs with no known owner are dropped.
    assert!(errors("[webhooks]\nowner_wait_seconds = 0\n").is_empty());
}

/// The cap on parked webhook events: a million at most (each park counts
/// up to it), 0 parks none, and a typo is named with the range to use.
#[test]
fn max_parked_events_is_bounded_and_named() {
    let errs = errors("[webhooks]\nmax_parked_events = 1000001\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("`webhooks.max_parked_events`"),
        "{errs:?}"
    );
    assert!(errs[0].contains("use 0 to 1000000"), "the fix: {errs:?}");
    for ok in ["0", "1", "1000000"] {
        let toml = format!("[webhooks]\nmax_parked_events = {ok}\n");
        let config = Config::from_toml(&toml).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(config.webhooks.max_parked_events.to_string(), ok);
    }
    let default = Config::from_toml("").unwrap();
    assert_eq!(default.webhooks.max_parked_events, 10_000);
}

#[test]
fn unknown_key_is_named_with_its_path() {
    let errs = errors("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 1\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("`server.lisen`"), "{errs:?}");
    let errs = errors("[[tenants]]\nid = \"a\"\nkeys = []\nbudget = {}\n");
    assert!(errs[0].contains("tenants[0].budget"), "{errs:?}");
}

#[test]
fn every_validation_problem_is_reported_with_key_and_fix() {
    let toml = r#"
[server]
listen = "nowhere"
[store]
url = "mysql://x"
[plan]
tier = "gold"
timezone = "Mars/Olympus"
[org.budgets]
monthly = -5
[[tenants]]
id = "bad id"
keys = ["md5:abc"]
routes = { deny = ["videos"] }
[[tenants]]
id = "twin"
keys = ["sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
[[tenants]]
id = "twin"
keys = ["sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
"#;
    let errs = errors(toml);
    for key in [
        "`server.listen`",
        "`store.url`",
        "`plan.tier`",
        "`plan.timezone`",
        "`org.budgets.monthly`",
        "`tenants[0].id`",
        "`tenants[0].keys[0]`",
        "`tenants[0].routes.deny[0]`",
        "`tenants[2].id`",
        "`tenants[2].keys[0]`",
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(key)),
            "missing {key} in {errs:#?}"
        );
    }
    assert!(
        errs.iter().any(|e| e.contains("keygen")),
        "the key error says how to fix it: {errs:#?}"
    );
}

#[test]
fn unknown_keys_and_type_errors_do_not_hide_other_problems() {
    let errs = errors("[server]\nlisen = 1\nlisten = 5\n[plan]\ntier = \"gold\"\n[[tenants]]\nid = \"a\"\nkeys = []\ncolour = \"red\"\n");
    for key in [
        "`server.lisen`",
        "`server.listen`",
        "`plan.tier`",
        "`tenants[0].colour`",
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(key)),
            "missing {key} in {errs:#?}"
        );
    }
}

/// The store as messages and logs print it (`{}` and `{:?}`): never the
/// PostgreSQL URL's user, password or parameters.
#[test]
fn the_store_is_printed_without_credentials() {
    use heygen_gateway::config::StoreConfig;
    let pg = StoreConfig::Postgres {
        url: "postgres://gw:s3cret@db.internal:5432/ledger?sslmode=require&password=x".into(),
        pool_size: 8,
        password: None,
    };
    for shown in [pg.to_string(), format!("{pg:?}")] {
        assert_eq!(
            shown,
            "postgres://db.internal:5432/ledger (credentials redacted), pool 8"
        );
    }
    // Passwords holding `/`, `?` or `@` unencoded (the driver splits at the
    // first `@`).
    for url in [
        "postgres://app:s3cr/et@db/ledger",
        "postgres://app:s3c?ret@db/ledger",
        "postgresql://app:p@ss@db/ledger?sslmode=require",
    ] {
        let shown = StoreConfig::Postgres {
            url: url.into(),
            pool_size: 1,
            password: None,
        }
        .to_string();
        assert!(
            !shown.contains("app") && !shown.contains("s3c") && !shown.contains("ss@"),
            "{shown}"
        );
        assert!(
            shown.ends_with("://db/ledger (credentials redacted), pool 1"),
            "{shown}"
        );
    }
    let kv = StoreConfig::Postgres {
        url: "host=db user=gw password=s3cret".into(),
        pool_size: 2,
        password: None,
    };
    assert_eq!(kv.to_string(), "postgres (url redacted), pool 2");
    let sqlite = StoreConfig::Sqlite {
        path: "data/ledger.db".into(),
    };
    assert_eq!(format!("{sqlite:?}"), "sqlite data/ledger.db");
}

/// The PostgreSQL URL's TLS parameters are read as libpq reads them, and a
/// mistake in them stops the start naming `store.url`, without the password.
#[test]
fn postgres_tls_parameters_are_checked_at_load() {
    let store = |params: &str| {
        errors(&format!(
            "[store]\nurl = \"postgres://gw:s3cret@db.internal/ledger?{params}\"\n"
        ))
    };
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls/ca.pem");
    for fine in [
        String::new(),
        "sslmode=disable".into(),
        "sslmode=require".into(),
        "sslrootcert=system".into(),
        format!("sslmode=verify-full&sslrootcert={ca}"),
    ] {
        assert!(store(&fine).is_empty(), "{fine}: {:?}", store(&fine));
    }
    for (bad, says) in [
        ("sslmode=verify_full", "verify-full"),
        ("sslmode=verify-full", "sslrootcert=PATH"),
        (
            "sslmode=verify-ca&sslrootcert=/nonexistent.pem",
            "cannot be read",
        ),
        ("sslcert=client.pem", "sslcert needs sslkey"),
    ] {
        let errs = store(bad);
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
        assert!(errs[0].starts_with("`store.url`"), "{bad}: {errs:?}");
        assert!(
            errs[0].contains(says) && !errs[0].contains("s3cret"),
            "{bad}: {errs:?}"
        );
    }
}

/// The PostgreSQL password may come from the environment or a file instead
/// of the URL; conflicting or misplaced sources are named.
#[test]
fn the_store_password_has_one_source_and_only_for_postgres() {
    let cfg = |store: &str| errors(&format!("[store]\n{store}\n"));
    assert!(cfg("url = \"postgres://gw@db/l\"\npassword_env = \"PGPASS\"").is_empty());
    assert!(cfg("url = \"postgres://gw@db/l\"\npassword_file = \"/run/secrets/pg\"").is_empty());
    for (bad, says) in [
        (
            "url = \"postgres://gw@db/l\"\npassword_env = \"A\"\npassword_file = \"/f\"",
            "only one",
        ),
        (
            "url = \"sqlite://data/l.db\"\npassword_env = \"PGPASS\"",
            "postgres://",
        ),
        (
            "url = \"postgres://gw:s3cret@db/l\"\npassword_env = \"PGPASS\"",
            "keep one",
        ),
    ] {
        let errs = cfg(bad);
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
        assert!(
            errs[0].starts_with("`store.password_env`"),
            "{bad}: {errs:?}"
        );
        assert!(
            errs[0].contains(says) && !errs[0].contains("s3cret"),
            "{bad}: {errs:?}"
        );
    }
}

/// A type error reads in the config's words: no Rust type names, and the
/// key said once.
#[test]
fn type_errors_name_the_key_once_in_plain_words() {
    let errs = errors("[plan]\nmax_video_seconds = \"x\"\n[settlement]\nhold_ttl_seconds = -1\n");
    assert_eq!(errs.len(), 2, "{errs:?}");
    for e in &errs {
        assert!(e.contains("expected a whole number"), "{e}");
        assert!(
            !e.contains("u32") && !e.contains("u64") && !e.contains('\n'),
            "{e}"
        );
    }
}
