//! Validation of the `tenants` list and the budget and cap values it shares
//! with `org`: ids, key hashes, rate limits, route families. The largest
//! section, and the only one that checks entries against each other.

use std::num::NonZeroU32;

use super::Errors;
use crate::catalog::Family;
use crate::config::defaults::*;
use crate::config::file::*;
use crate::config::*;
use crate::money::credits_to_micros;

pub(super) fn budgets(key: &str, b: &FileBudgets, errs: &mut Errors) -> Budgets {
    let mut one = |window: &str, v: Option<f64>| {
        let v = v?;
        match credits_to_micros(v) {
            Some(m) if m >= 0 => Some(m),
            _ => {
                errs.push(
                    format!("{key}.{window}"),
                    format!("is {v}; must be a non-negative number of credits"),
                );
                None
            }
        }
    };
    Budgets {
        daily: one("daily", b.daily),
        weekly: one("weekly", b.weekly),
        monthly: one("monthly", b.monthly),
        total: one("total", b.total),
    }
}

pub(super) fn nonzero_opt(key: &str, v: Option<u32>, errs: &mut Errors) -> Option<u32> {
    if v == Some(0) {
        errs.push(key, "must be at least 1 (omit the key for no cap)");
    }
    v.filter(|n| *n > 0)
}

/// Parses `sha256:<64 hex>` into the digest.
pub(crate) fn parse_key_hash(s: &str) -> Option<[u8; 32]> {
    let hex_part = s.strip_prefix("sha256:")?;
    let bytes = hex::decode(hex_part).ok()?;
    bytes.try_into().ok()
}

fn families(key: &str, names: &[String], errs: &mut Errors) -> Vec<Family> {
    names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let f = n.parse::<Family>().ok();
            if f.is_none() {
                let all: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
                errs.push(
                    format!("{key}[{i}]"),
                    format!("{n:?} is not a route family; use one of {}", all.join(", ")),
                );
            }
            f
        })
        .collect()
}

/// Why `id` cannot be a tenant id, if it cannot (`keygen` checks it too).
pub fn tenant_id_problem(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Some(format!(
            "{id:?} must be 1-64 characters of a-z, A-Z, 0-9, '-' or '_'"
        ));
    }
    (id == "org").then(|| "\"org\" is reserved for the organisation scope".to_string())
}

pub(super) fn tenants(list: &[FileTenant], errs: &mut Errors) -> Vec<TenantConfig> {
    let mut out: Vec<TenantConfig> = Vec::new();
    let mut seen_hashes: Vec<([u8; 32], String)> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let key = format!("tenants[{i}]");
        if let Some(why) = tenant_id_problem(&t.id) {
            errs.push(format!("{key}.id"), why);
        }
        if out.iter().any(|o| o.id == t.id) {
            errs.push(
                format!("{key}.id"),
                format!("{:?} is used by another tenant; ids must be unique", t.id),
            );
        }
        let mut key_hashes = Vec::new();
        for (k, h) in t.keys.iter().enumerate() {
            match parse_key_hash(h) {
                Some(d) => {
                    if let Some((_, other)) = seen_hashes.iter().find(|(x, _)| *x == d) {
                        errs.push(format!("{key}.keys[{k}]"), format!("the same key hash is already used by tenant {other:?}"));
                    }
                    seen_hashes.push((d, t.id.clone()));
                    key_hashes.push(d);
                }
                None => errs.push(
                    format!("{key}.keys[{k}]"),
                    "must be \"sha256:<64 hex digits>\"; run `heygen-gateway keygen --tenant ID` to make one",
                ),
            }
        }
        if t.enabled && key_hashes.is_empty() && t.keys.is_empty() {
            errs.push(
                format!("{key}.keys"),
                "an enabled tenant needs at least one key hash",
            );
        }
        let rpm = t
            .limits
            .requests_per_minute
            .unwrap_or(DEFAULT_REQUESTS_PER_MINUTE);
        let requests_per_minute = NonZeroU32::new(rpm).unwrap_or_else(|| {
            errs.push(
                format!("{key}.limits.requests_per_minute"),
                "must be at least 1",
            );
            NonZeroU32::MIN
        });
        let burst_default = (rpm / 6).max(1);
        let burst = NonZeroU32::new(t.limits.burst.unwrap_or(burst_default)).unwrap_or_else(|| {
            errs.push(format!("{key}.limits.burst"), "must be at least 1");
            NonZeroU32::MIN
        });
        out.push(TenantConfig {
            id: t.id.clone(),
            name: t.name.clone().unwrap_or_else(|| t.id.clone()),
            enabled: t.enabled,
            key_hashes,
            budgets: budgets(&format!("{key}.budgets"), &t.budgets, errs),
            limits: TenantLimits {
                requests_per_minute,
                burst,
                renders_in_flight: nonzero_opt(
                    &format!("{key}.limits.renders_in_flight"),
                    t.limits.renders_in_flight,
                    errs,
                ),
                sessions_in_flight: nonzero_opt(
                    &format!("{key}.limits.sessions_in_flight"),
                    t.limits.sessions_in_flight,
                    errs,
                ),
            },
            allow: families(&format!("{key}.routes.allow"), &t.routes.allow, errs),
            deny: families(&format!("{key}.routes.deny"), &t.routes.deny, errs),
            shadow: t.shadow,
            isolation: crate::config::isolation::tenant_isolation(
                &format!("{key}.isolation"),
                t.isolation.as_deref(),
                &mut errs.0,
            ),
        });
    }
    out
}
