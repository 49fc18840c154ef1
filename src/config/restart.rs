//! Settings a running process reads once, at start-up: a reload that
//! changes them is applied everywhere else but not to these, so it names
//! them (logged as a warning) instead of reporting a clean success.

use super::Config;

/// The keys `new` changes that take effect only after a restart.
pub fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let (os, ns) = (&old.server, &new.server);
    let (ou, nu) = (&old.upstream, &new.upstream);
    [
        ("server.listen", os.listen != ns.listen),
        ("server.admin_listen", os.admin_listen != ns.admin_listen),
        (
            "server.admin_token_env",
            os.admin_token_env != ns.admin_token_env,
        ),
        ("server.io_threads", os.io_threads != ns.io_threads),
        ("server.log_json", os.log_json != ns.log_json),
        ("server connection limits and timeouts", os.conn != ns.conn),
        ("store (url, pool_size, password)", old.store != new.store),
        (
            "upstream base URLs",
            ou.api != nu.api || ou.upload != nu.upload || ou.liveavatar != nu.liveavatar,
        ),
        (
            "upstream keys",
            ou.api_key != nu.api_key || ou.liveavatar_key != nu.liveavatar_key,
        ),
        (
            "upstream timeouts",
            ou.connect_timeout != nu.connect_timeout
                || ou.request_timeout != nu.request_timeout
                || ou.upload_timeout != nu.upload_timeout
                || ou.pool_idle_timeout != nu.pool_idle_timeout,
        ),
        ("upstream.ca_file", ou.roots != nu.roots),
        // The connector is built once, at start-up, with the proxy in it.
        ("upstream.proxy_url / proxy_url_env", ou.proxy != nu.proxy),
        (
            "webhooks.secret_env / secret_file",
            old.webhooks.secret != new.webhooks.secret,
        ),
        ("cluster", old.cluster != new.cluster),
    ]
    .into_iter()
    .filter_map(|(key, changed)| changed.then_some(key))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_toml(toml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_every_start_up_setting_a_reload_changes() {
        let old = config("");
        assert!(restart_only_changes(&old, &old).is_empty());
        let ca = crate::test_tls::CA_PEM;
        let new = config(&format!(
            "[server]\nadmin_token_env = \"OTHER\"\n\
             [upstream]\nrequest_timeout_ms = 5000\nca_file = {ca:?}\n\
             proxy_url = \"http://proxy.internal:3128\"\n\
             [webhooks]\nsecret_env = \"OTHER_SECRET\"\n\
             [cluster]\nredis_url = \"redis://127.0.0.1:6379\"\n\
             [metrics]\ngauge_interval_seconds = 30\n",
        ));
        assert_eq!(
            restart_only_changes(&old, &new),
            vec![
                "server.admin_token_env",
                "upstream timeouts",
                "upstream.ca_file",
                "upstream.proxy_url / proxy_url_env",
                "webhooks.secret_env / secret_file",
                "cluster",
            ]
        );
        // Budgets, tenants, prices and the background tasks' periods
        // (`clock::Ticker` follows them) are live: nothing to name.
        let live = config(&format!(
            "[org.budgets]\nmonthly = 500\n\
             [egress]\nca_file = {ca:?}\n\
             [settlement]\npoll_interval_seconds = 5\nsession_tick_seconds = 5\n\
             [webhooks]\nfanout_interval_ms = 250\nmax_parked_events = 5\n\
             [metrics]\ngauge_interval_seconds = 30\nquota_poll_seconds = 600\n"
        ));
        assert!(restart_only_changes(&old, &live).is_empty());
    }

    /// The lease of an `Idempotency-Key` claim is made of the upstream
    /// timeouts (restart-only, so replicas of one deployment agree on it).
    #[test]
    fn an_idempotency_claims_lease_follows_the_upstream_timeouts() {
        let secs = |toml: &str| config(toml).upstream.idem_lease().as_secs();
        // 5 s connect + 600 s upload + 60 s body read + 300 s margin.
        assert_eq!(secs(""), 965);
        let short = "[upstream]\nconnect_timeout_ms = 1000\n\
                     request_timeout_ms = 5000\nupload_timeout_ms = 2000\n";
        assert_eq!(secs(short), 1 + 5 + 5 + 300);
    }
}
