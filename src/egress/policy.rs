//! Which addresses the gateway may connect to on a tenant's behalf.
//!
//! The rule is a deny list of every range that is not the public internet:
//! a tenant who can make the gateway fetch `http://10.0.0.5/` or the cloud
//! metadata service could read what only the gateway's network can reach.
//! Embedded IPv4 forms (mapped, compatible, 6to4) are judged by the IPv4
//! address inside, because the kernel connects to that address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Cloud metadata endpoints (AWS/GCP/Azure, AWS IPv6, Alibaba). Named
/// separately so logs say why the address is refused.
const METADATA_V4: [Ipv4Addr; 2] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(100, 100, 100, 200),
];
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// Why `ip` must not be contacted, or `None` when it is a public address.
/// `allow` (operator-configured CIDRs) overrides every reason.
pub fn forbidden_reason(ip: IpAddr, allow: &[IpNet]) -> Option<&'static str> {
    let canonical = ip.to_canonical();
    if allow
        .iter()
        .any(|n| n.contains(&ip) || n.contains(&canonical))
    {
        return None;
    }
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    if METADATA_V4.contains(&ip) {
        return Some("cloud metadata address");
    }
    // Ordered so the more specific name wins (broadcast is inside 240/4).
    const RANGES: &[([u8; 4], u8, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified (0.0.0.0/8)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([10, 0, 0, 0], 8, "private (10/8)"),
        ([172, 16, 0, 0], 12, "private (172.16/12)"),
        ([192, 168, 0, 0], 16, "private (192.168/16)"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (100.64/10)"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments (192.0.0/24)"),
        ([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
        ([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
        ([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
        ([198, 18, 0, 0], 15, "benchmarking (198.18/15)"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([255, 255, 255, 255], 32, "broadcast"),
        ([240, 0, 0, 0], 4, "reserved (240/4)"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if ip == METADATA_V6 {
        return Some("cloud metadata address");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    let bits = u128::from(ip);
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible): the
    // kernel may route both to the IPv4 address, so judge that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4).map(|_| "IPv4-mapped address of a forbidden range");
    }
    if bits >> 32 == 0 {
        let v4 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
        return v4_reason(v4).map(|_| "IPv4-compatible address of a forbidden range");
    }
    // 6to4 (2002::/16) carries an IPv4 address in bits 16..48.
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return v4_reason(v4).map(|_| "6to4 address of a forbidden range");
    }
    const RANGES: &[([u16; 8], u8, &str)] = &[
        (
            [0x64, 0xff9b, 0, 0, 0, 0, 0, 0],
            96,
            "NAT64 well-known prefix",
        ),
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            "NAT64 local-use prefix",
        ),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (100::/64)"),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo tunnel"),
        (
            [0x2001, 0x2, 0, 0, 0, 0, 0, 0],
            48,
            "benchmarking (2001:2::/48)",
        ),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "documentation (2001:db8::/32)",
        ),
        (
            [0x3fff, 0, 0, 0, 0, 0, 0, 0],
            20,
            "documentation (3fff::/20)",
        ),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (fc00::/7)"),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local (fe80::/10)"),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (fec0::/10)"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

#[cfg(test)]
mod tests {
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
            "64:ff9b::808:808",
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
        let allow: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert_eq!(forbidden_reason("127.0.0.1".parse().unwrap(), &allow), None);
        assert_eq!(
            forbidden_reason("::ffff:127.0.0.1".parse().unwrap(), &allow),
            None
        );
        assert!(forbidden_reason("127.0.0.2".parse().unwrap(), &allow).is_some());
        assert!(forbidden_reason("10.0.0.1".parse().unwrap(), &allow).is_some());
    }
}
