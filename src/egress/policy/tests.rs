use super::*;

fn reason(s: &str) -> Option<&'static str> {
    forbidden_reason(s.parse().unwrap(), &[])
}

#[test]
fn refuses_every_non_public_range() {
    for ip in [
        "127.0.0.1",
        "127.255.0.9",
        "0.0.0.0",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.255",
        "100.100.100.200",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.7",
        "198.51.100.7",
        "203.0.113.7",
        "198.19.0.1",
        "192.0.0.170",
        "::",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "::10.0.0.1",
        "2002:7f00:1::",
        "2002:a9fe:a9fe::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::1",
        "64:ff9b:1::808:808",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "2001:db8::1",
        "2001::1",
    ] {
        assert!(reason(ip).is_some(), "{ip} must be refused");
    }
}

#[test]
fn allows_public_addresses() {
    for ip in [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "100.128.0.1",
        "169.255.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
        "64:ff9b::808:808",
        "64:ff9b::101:101",
    ] {
        assert_eq!(reason(ip), None, "{ip} is public");
    }
}

#[test]
fn metadata_is_named_as_such() {
    assert_eq!(reason("169.254.169.254"), Some("cloud metadata address"));
    assert_eq!(reason("fd00:ec2::254"), Some("cloud metadata address"));
    assert_eq!(reason("100.100.100.200"), Some("cloud metadata address"));
}

#[test]
fn allow_list_overrides_and_covers_mapped_form() {
    // The mapped form reaches the very IPv4 host, so the IPv4 entry covers it.
    let allow: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
    assert_eq!(forbidden_reason("127.0.0.1".parse().unwrap(), &allow), None);
    assert_eq!(
        forbidden_reason("::ffff:127.0.0.1".parse().unwrap(), &allow),
        None
    );
    assert!(forbidden_reason("127.0.0.2".parse().unwrap(), &allow).is_some());
    assert!(forbidden_reason("10.0.0.1".parse().unwrap(), &allow).is_some());
}

#[test]
fn nat64_well_known_prefix_is_judged_by_the_embedded_ipv4() {
    assert_eq!(reason("64:ff9b::808:808"), None, "8.8.8.8 via NAT64");
    assert_eq!(reason("64:ff9b::8.8.4.4"), None);
    for (ip, why) in [
        ("64:ff9b::7f00:1", "loopback (via NAT64)"),
        ("64:ff9b::a00:1", "private (10/8) (via NAT64)"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata address (via NAT64)"),
        (
            "64:ff9b::100.100.100.200",
            "cloud metadata address (via NAT64)",
        ),
        ("64:ff9b::a9fe:101", "link-local (via NAT64)"),
        ("64:ff9b::c0a8:101", "private (192.168/16) (via NAT64)"),
        (
            "64:ff9b::6440:1",
            "carrier-grade NAT (100.64/10) (via NAT64)",
        ),
        ("64:ff9b::", "unspecified (0.0.0.0/8) (via NAT64)"),
        ("64:ff9b::ffff:ffff", "broadcast (via NAT64)"),
    ] {
        assert_eq!(reason(ip), Some(why), "{ip}");
    }
}

#[test]
fn nat64_outside_the_96_is_not_read_as_nat64() {
    // Bits 32..96 set: not in 64:ff9b::/96, so the last 32 bits are not read
    // as IPv4 (as before; a network-specific prefix is a README known limit).
    assert_eq!(reason("64:ff9b:0:1::7f00:1"), None);
    // The local-use prefix is network-specific: refused whatever it embeds.
    for ip in ["64:ff9b:1::1", "64:ff9b:1::808:808", "64:ff9b:1:ffff::1"] {
        assert_eq!(reason(ip), Some("NAT64 local-use prefix"), "{ip}");
    }
}

#[test]
fn every_embedded_form_names_the_ipv4_range() {
    for (ip, why) in [
        ("::ffff:127.0.0.1", "loopback (via IPv4-mapped)"),
        (
            "::ffff:169.254.169.254",
            "cloud metadata address (via IPv4-mapped)",
        ),
        ("::10.0.0.1", "private (10/8) (via IPv4-compatible)"),
        ("::127.0.0.1", "loopback (via IPv4-compatible)"),
        ("2002:7f00:1::", "loopback (via 6to4)"),
        ("2002:a9fe:a9fe::1", "cloud metadata address (via 6to4)"),
    ] {
        assert_eq!(reason(ip), Some(why), "{ip}");
    }
}

fn with_allow(ip: &str, allow: &[&str]) -> Option<&'static str> {
    let allow: Vec<IpNet> = allow.iter().map(|n| n.parse().unwrap()).collect();
    forbidden_reason(ip.parse().unwrap(), &allow)
}

#[test]
fn ipv4_allow_entry_does_not_admit_the_nat64_form() {
    // 10/8 allowed means the gateway's own 10/8; through a translator
    // 10.0.0.1 is the translator's, so the entry must be written as NAT64.
    let allow = ["10.0.0.0/8"];
    assert_eq!(with_allow("10.0.0.1", &allow), None);
    assert_eq!(with_allow("::ffff:10.0.0.1", &allow), None);
    assert_eq!(
        with_allow("64:ff9b::a00:1", &allow),
        Some("private (10/8) (via NAT64)")
    );
    assert!(with_allow("2002:a00:1::1", &allow).is_some());
    assert!(with_allow("::10.0.0.1", &allow).is_some());
}

#[test]
fn nat64_allow_entries_apply_as_written() {
    let allow = ["64:ff9b::a00:0/104"];
    assert_eq!(with_allow("64:ff9b::a00:1", &allow), None);
    assert_eq!(
        with_allow("64:ff9b::7f00:1", &allow),
        Some("loopback (via NAT64)")
    );
    // The IPv6 entry says nothing about plain IPv4.
    assert!(with_allow("10.0.0.1", &allow).is_some());
    // The whole prefix (what an IPv6-only network needed before) still
    // admits everything in it: ops chose that.
    assert_eq!(with_allow("64:ff9b::7f00:1", &["64:ff9b::/96"]), None);
    // It does not reach into the local-use prefix.
    assert!(with_allow("64:ff9b:1::1", &["64:ff9b::/96"]).is_some());
}
