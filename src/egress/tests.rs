use super::*;

#[test]
fn parses_http_and_https_with_default_ports() {
    let (uri, host, port, https) = parse_url("https://example.com/a?b=1").unwrap();
    assert_eq!((host.as_str(), port, https), ("example.com", 443, true));
    assert_eq!(uri.path_and_query().unwrap().as_str(), "/a?b=1");
    let (_, host, port, https) = parse_url("HTTP://Example.com:8080/").unwrap();
    assert_eq!((host.as_str(), port, https), ("Example.com", 8080, false));
    let (_, host, _, _) = parse_url("http://[2606:4700::1111]/").unwrap();
    assert_eq!(host, "2606:4700::1111");
}

#[test]
fn refuses_other_schemes_relative_urls_and_credentials() {
    for url in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "/relative/path",
        "example.com/no-scheme",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://@example.com/",
        "http://[::1/",
        "http://[not-v6]/",
        "http://example.com:0/",
        "http:///nohost",
        "",
    ] {
        assert!(
            matches!(parse_url(url), Err(EgressError::InvalidUrl(_))),
            "{url:?} must be invalid, got {:?}",
            parse_url(url)
        );
    }
}

#[tokio::test]
async fn check_refuses_literal_private_addresses_without_dns() {
    let guard = EgressGuard::new(&EgressConfig::default()).unwrap();
    for url in [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://100.64.0.1/",
        "http://100.100.100.200/",
        "https://0.0.0.0:8443/",
    ] {
        let err = guard.check(url).await.unwrap_err();
        assert!(
            matches!(err, EgressError::Forbidden { .. }),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn check_accepts_public_literal() {
    let guard = EgressGuard::new(&EgressConfig::default()).unwrap();
    let t = guard.check("https://8.8.8.8/x").await.unwrap();
    assert_eq!(t.addrs, vec!["8.8.8.8:443".parse().unwrap()]);
}

#[tokio::test]
async fn nat64_target_is_pinned_to_the_ipv6_address() {
    // The connection must go to the translator's address, not to the IPv4
    // one inside it (which an IPv6-only host cannot reach directly).
    let guard = EgressGuard::new(&EgressConfig::default()).unwrap();
    let t = guard
        .check("https://[64:ff9b::808:808]:8443/x")
        .await
        .unwrap();
    assert_eq!(t.addrs, vec!["[64:ff9b::808:808]:8443".parse().unwrap()]);
    assert_eq!(t.host, "64:ff9b::808:808");
    let err = guard.check("http://[64:ff9b::7f00:1]/").await.unwrap_err();
    assert_eq!(
        err,
        EgressError::Forbidden {
            addr: "64:ff9b::7f00:1".parse().unwrap(),
            reason: "loopback (via NAT64)",
        }
    );
}
