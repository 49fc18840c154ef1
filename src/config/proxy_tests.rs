use super::*;

use crate::config::{Config, MapEnv};

fn upstream_errors(toml: &str) -> Vec<ConfigError> {
    match Config::from_toml(&format!("[upstream]\n{toml}\n")) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

fn proxy_of(toml: &str) -> Option<ProxySource> {
    let cfg = Config::from_toml(&format!("[upstream]\n{toml}\n")).unwrap_or_else(|e| panic!("{e}"));
    cfg.upstream.proxy
}

#[test]
fn unset_connects_directly() {
    assert_eq!(proxy_of(""), None);
}

#[test]
fn a_url_gives_the_host_and_port_and_no_credentials() {
    let Some(ProxySource::Url(p)) = proxy_of("proxy_url = \"http://proxy.internal:3128\"") else {
        panic!("a proxy URL");
    };
    assert_eq!(p.authority.as_str(), "proxy.internal:3128");
    assert_eq!(p.authorization(), None);
    // A trailing slash and an upper-case scheme are still the address.
    let p = UpstreamProxy::parse("HTTP://10.0.0.1:8080/").expect("proxy");
    assert_eq!(p.authority.as_str(), "10.0.0.1:8080");
    let p = UpstreamProxy::parse("http://[::1]:3128").expect("proxy");
    assert_eq!(p.authority.as_str(), "[::1]:3128");
}

#[test]
fn credentials_become_basic_auth_and_are_never_printed() {
    // `p%40ss:1` is `p@ss:1` percent-encoded, as curl takes it.
    let p = UpstreamProxy::parse("http://alice:p%40ss%3A1@proxy.internal:3128").expect("proxy");
    assert_eq!(p.authority.as_str(), "proxy.internal:3128");
    let auth = p.authorization().expect("auth");
    assert!(auth.is_sensitive());
    let token = base64::engine::general_purpose::STANDARD.encode("alice:p@ss:1");
    assert_eq!(auth, format!("Basic {token}").as_str());
    // Neither the config's Debug nor the proxy's shows the password or
    // its encoding.
    let cfg = Config::from_toml(
        "[upstream]\nproxy_url = \"http://alice:s3cret-pw@proxy.internal:3128\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dump = format!("{cfg:?}");
    let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw");
    assert!(dump.contains("proxy.internal:3128"), "{dump}");
    for secret in ["s3cret-pw", encoded.as_str(), "alice"] {
        assert!(!dump.contains(secret), "{secret} printed");
    }
    // A user without a password is `user:`, as curl sends it.
    let p = UpstreamProxy::parse("http://bob@proxy:3128").expect("proxy");
    let token = base64::engine::general_purpose::STANDARD.encode("bob:");
    assert_eq!(
        p.authorization().expect("auth"),
        format!("Basic {token}").as_str()
    );
}

#[test]
fn each_mistake_names_the_key_and_the_fix_without_the_password() {
    for (toml, key, why) in [
        (
            "proxy_url = \"https://u:pw-1@proxy:3128\"",
            KEY_URL,
            "https:// proxies are not supported",
        ),
        (
            "proxy_url = \"socks5://u:pw-1@proxy:1080\"",
            KEY_URL,
            "scheme socks5:// is not supported",
        ),
        (
            "proxy_url = \"http://u:pw-1@proxy\"",
            KEY_URL,
            "needs an explicit port",
        ),
        (
            "proxy_url = \"proxy:3128\"",
            KEY_URL,
            "needs the http:// scheme",
        ),
        ("proxy_url = \"http://pw-1 proxy\"", KEY_URL, "is not a URL"),
        (
            "proxy_url = \"http://proxy:3128/x\"",
            KEY_URL,
            "without path",
        ),
        (
            "proxy_url = \"http://:pw-1@proxy:3128\"",
            KEY_URL,
            "without a user",
        ),
        (
            "proxy_url = \"http://proxy:3128\"\nproxy_url_env = \"P\"",
            KEY_URL,
            "not both",
        ),
        ("proxy_url_env = \" \"", KEY_ENV, "must name an environment"),
    ] {
        let errors = upstream_errors(toml);
        assert_eq!(errors.len(), 1, "{toml}: {errors:?}");
        assert_eq!(errors[0].key, key, "{toml}");
        let msg = &errors[0].message;
        assert!(msg.contains(why), "{toml}: {msg}");
        assert!(!msg.contains("pw-1"), "{toml}: {msg}");
    }
}

#[test]
fn an_env_var_is_read_at_start_up_and_its_errors_name_the_key() {
    let Some(src) = proxy_of("proxy_url_env = \"EGRESS_PROXY\"") else {
        panic!("a proxy source");
    };
    assert_eq!(src, ProxySource::Env("EGRESS_PROXY".into()));
    let env = MapEnv::default().with("EGRESS_PROXY", "http://u:pw-1@proxy.internal:3128\n");
    let p = src.resolve(&env).expect("resolves");
    assert_eq!(p.authority.as_str(), "proxy.internal:3128");
    assert!(p.authorization().is_some());

    let unset = src.resolve(&MapEnv::default()).expect_err("unset");
    assert_eq!(unset.key, KEY_ENV);
    assert!(unset.message.contains("EGRESS_PROXY is not set"), "{unset}");
    let bad = MapEnv::default().with("EGRESS_PROXY", "socks5://u:pw-1@proxy:1080");
    let bad = src.resolve(&bad).expect_err("socks");
    assert_eq!(bad.key, KEY_ENV);
    assert!(bad.message.contains("socks5://"), "{bad}");
    assert!(bad.message.contains("EGRESS_PROXY"), "{bad}");
    assert!(!bad.message.contains("pw-1"), "{bad}");
}
