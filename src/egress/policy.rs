//! Which addresses the gateway may connect to on a tenant's behalf.
//!
//! The rule is a deny list of every range that is not the public internet:
//! a tenant who can make the gateway fetch `http://10.0.0.5/` or the cloud
//! metadata service could read what only the gateway's network can reach.
//!
//! An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible,
//! 6to4, the NAT64 well-known prefix) is judged by the IPv4 address inside,
//! because that IPv4 host is where the packets end up; the reason names the
//! IPv4 range and the form, e.g. "loopback (via NAT64)". On an IPv6-only
//! network behind DNS64 every IPv4-only receiver resolves to
//! `64:ff9b::a.b.c.d`, so refusing that prefix as a whole would cut them all
//! off, and allowing it as a whole would admit `64:ff9b::7f00:1`.
//!
//! `egress.allow_cidrs` entries match the address as resolved. An IPv4 entry
//! also matches the IPv4-mapped form (`::ffff:a.b.c.d`), since the kernel
//! connects a mapped address to that IPv4 host itself. It does not match the
//! NAT64, 6to4 or compatible forms: those reach the IPv4 address through a
//! translator or relay whose IPv4 side need not be the network the entry
//! names (RFC 6052 §3.1 even forbids the well-known prefix for non-global
//! IPv4), so ops who mean it write the entry in that form too
//! (`64:ff9b::a00:0/104` for `10.0.0.0/8`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Cloud metadata endpoint on AWS IPv6 (the IPv4 ones are in [`V4_RANGES`]).
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// How an IPv6 address carries the IPv4 address it is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Mapped,
    Compatible,
    SixToFour,
    Nat64,
}

/// A refused IPv4 range's reason, spelled once per way of reaching it, so a
/// log says both what the host is and how the address was written (the
/// reason stays a `&'static str`: callers and tests match on it).
struct V4Reason {
    direct: &'static str,
    mapped: &'static str,
    compatible: &'static str,
    six_to_four: &'static str,
    nat64: &'static str,
}

macro_rules! v4_range {
    ($net:expr, $prefix:expr, $reason:literal) => {
        (
            $net,
            $prefix,
            V4Reason {
                direct: $reason,
                mapped: concat!($reason, " (via IPv4-mapped)"),
                compatible: concat!($reason, " (via IPv4-compatible)"),
                six_to_four: concat!($reason, " (via 6to4)"),
                nat64: concat!($reason, " (via NAT64)"),
            },
        )
    };
}

/// Ordered so the more specific name wins: metadata before link-local and
/// CGNAT, broadcast before 240/4.
const V4_RANGES: &[([u8; 4], u8, V4Reason)] = &[
    // AWS/GCP/Azure, then Alibaba: named so logs say why.
    v4_range!([169, 254, 169, 254], 32, "cloud metadata address"),
    v4_range!([100, 100, 100, 200], 32, "cloud metadata address"),
    v4_range!([0, 0, 0, 0], 8, "unspecified (0.0.0.0/8)"),
    v4_range!([127, 0, 0, 0], 8, "loopback"),
    v4_range!([10, 0, 0, 0], 8, "private (10/8)"),
    v4_range!([172, 16, 0, 0], 12, "private (172.16/12)"),
    v4_range!([192, 168, 0, 0], 16, "private (192.168/16)"),
    v4_range!([169, 254, 0, 0], 16, "link-local"),
    v4_range!([100, 64, 0, 0], 10, "carrier-grade NAT (100.64/10)"),
    v4_range!([192, 0, 0, 0], 24, "IETF protocol assignments (192.0.0/24)"),
    v4_range!([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
    v4_range!([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
    v4_range!([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
    v4_range!([198, 18, 0, 0], 15, "benchmarking (198.18/15)"),
    v4_range!([192, 88, 99, 0], 24, "6to4 relay anycast"),
    v4_range!([224, 0, 0, 0], 4, "multicast"),
    v4_range!([255, 255, 255, 255], 32, "broadcast"),
    v4_range!([240, 0, 0, 0], 4, "reserved (240/4)"),
];

/// Refused as a whole, after the embedded-IPv4 forms were judged.
const V6_RANGES: &[([u16; 8], u8, &str)] = &[
    // RFC 8215: its IPv4 mapping is whatever the local network chose, so
    // the last 32 bits say nothing reliable about the host reached.
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

/// Why `ip` must not be contacted, or `None` when it is a public address.
/// `allow` (operator-configured CIDRs) overrides every reason; see the
/// module doc for which forms an IPv4 entry covers.
pub fn forbidden_reason(ip: IpAddr, allow: &[IpNet]) -> Option<&'static str> {
    // `to_canonical` unwraps only `::ffff:a.b.c.d`, the one form the kernel
    // itself connects as IPv4.
    let canonical = ip.to_canonical();
    if allow
        .iter()
        .any(|n| n.contains(&ip) || n.contains(&canonical))
    {
        return None;
    }
    match ip {
        IpAddr::V4(v4) => v4_class(v4).map(|r| r.direct),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

// === impl V4Reason ===

impl V4Reason {
    fn via(&self, carrier: Carrier) -> &'static str {
        match carrier {
            Carrier::Mapped => self.mapped,
            Carrier::Compatible => self.compatible,
            Carrier::SixToFour => self.six_to_four,
            Carrier::Nat64 => self.nat64,
        }
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static V4Reason> {
    V4_RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, reason)| reason)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// The IPv4 address `ip` stands for and the form carrying it, if any.
/// `::` and `::1` are judged before this (as compatible forms they would
/// read as 0.0.0.0 and 0.0.0.1).
fn embedded_v4(ip: Ipv6Addr) -> Option<(Ipv4Addr, Carrier)> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some((v4, Carrier::Mapped));
    }
    // ::a.b.c.d (deprecated compatible): a host with a compatibility
    // tunnel would send it to the IPv4 address.
    if bits >> 32 == 0 {
        return Some((low32, Carrier::Compatible));
    }
    // 6to4 (2002:V4ADDR::/48, bits 16..48) reaches the IPv4 router through a
    // relay. Judged by that address, not refused as a whole (it never was):
    // a public one leads out to the internet like any public address.
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return Some((v4, Carrier::SixToFour));
    }
    // NAT64 well-known prefix (RFC 6052): the translator connects to the
    // last 32 bits. Only the /96 exactly; 64:ff9b:1::/48 is local-use.
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return Some((low32, Carrier::Nat64));
    }
    None
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
    if let Some((v4, carrier)) = embedded_v4(ip) {
        return v4_class(v4).map(|r| r.via(carrier));
    }
    V6_RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

#[cfg(test)]
mod tests;
