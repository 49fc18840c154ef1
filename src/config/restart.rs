//! Settings a running process reads once, at start-up: a reload that
//! changes them is applied everywhere else but not to these, so it names
//! them (logged as a warning) instead of reporting a clean success, and
//! keeps their running values in the config it installs, so the config in
//! force says what the process runs with: the next reload compares its file
//! against those (a change still pending is named again, one undone is
//! not), and the settings page shows them.

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
        ("server.log_format", os.log_json != ns.log_json),
        (
            "server.max_connections / max_connections_per_ip / *_timeout_ms / \
             body_min_rate_bytes_per_second / http2_max_concurrent_streams / max_header_bytes",
            os.conn != ns.conn,
        ),
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

/// `new` with the running values of every setting [`restart_only_changes`]
/// compares: what a reload installs.
pub fn keep_restart_only(running: &Config, new: &mut Config) {
    let (rs, ns) = (&running.server, &mut new.server);
    ns.listen = rs.listen;
    ns.admin_listen = rs.admin_listen;
    ns.admin_token_env.clone_from(&rs.admin_token_env);
    ns.io_threads = rs.io_threads;
    ns.log_json = rs.log_json;
    ns.conn = rs.conn.clone();
    new.store = running.store.clone();
    new.upstream = running.upstream.clone();
    new.webhooks.secret.clone_from(&running.webhooks.secret);
    new.cluster = running.cluster.clone();
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

    /// A reload installs the running values of restart-only keys: a change
    /// still pending is named on every reload, one undone is not.
    #[test]
    fn the_running_values_stay_in_force_until_a_restart() {
        let running = config("[server]\nlisten = \"127.0.0.1:8080\"\nlog_format = \"json\"\n");
        let mut file = config("[server]\nlisten = \"127.0.0.1:8081\"\nlog_format = \"text\"\n");
        let named = vec!["server.listen", "server.log_format"];
        assert_eq!(restart_only_changes(&running, &file), named);
        keep_restart_only(&running, &mut file);
        assert!(restart_only_changes(&running, &file).is_empty());
        assert_eq!(file.server.listen.port(), 8080);
        // Every key the comparison names is kept (a new one must be both).
        let ca = crate::test_tls::CA_PEM;
        let mut all = config(&format!(
            "[server]\nadmin_listen = \"127.0.0.1:9999\"\nadmin_token_env = \"OTHER\"\nio_threads = 3\nmax_header_bytes = 16384\n\
             [store]\nurl = \"postgres://gw@db/l\"\n\
             [upstream]\napi_url = \"https://other.example\"\napi_key_env = \"K2\"\n\
             request_timeout_ms = 5000\nca_file = {ca:?}\nproxy_url = \"http://p.internal:3128\"\n\
             [webhooks]\nsecret_env = \"S2\"\n[cluster]\nreplicas = 2\n"
        ));
        assert_eq!(restart_only_changes(&running, &all).len(), 14, "every key");
        keep_restart_only(&running, &mut all);
        assert!(restart_only_changes(&running, &all).is_empty());
    }

    /// The lease of an `Idempotency-Key` claim is made of the upstream
    /// timeouts (restart-only, so replicas of one deployment agree on it).
    #[test]
    fn an_idempotency_claims_lease_follows_the_upstream_timeouts() {
        let secs = |toml: &str| config(toml).upstream.request_lease().as_secs();
        // 5 s connect + 600 s upload + 60 s body read + 300 s margin.
        assert_eq!(secs(""), 965);
        let short = "[upstream]\nconnect_timeout_ms = 1000\n\
                     request_timeout_ms = 5000\nupload_timeout_ms = 2000\n";
        assert_eq!(secs(short), 1 + 5 + 5 + 300);
    }
}
