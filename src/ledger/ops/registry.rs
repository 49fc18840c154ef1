//! Ownership registry and webhook endpoints, written once over [`Tx`].

use std::collections::HashMap;

use super::{Param, Tx};
use crate::ledger::resources::*;
use crate::ledger::rows::{from_us, JournalDraft, RowAccess};
use crate::ledger::types::{JournalKind, LedgerError, Scope};

/// Ids per owners query; shorter batches are padded to one of the sizes
/// below so only a few statement shapes reach the statement caches.
const ID_BATCH_SIZES: [usize; 4] = [1, 8, 64, 512];

const RESOURCE_COLS: &str = "resource_id, kind, tenant, created_us, hold_id, source";
const ENDPOINT_COLS: &str = "id, tenant, url, events, created_us, secret";

fn resource_from(r: &dyn RowAccess) -> Result<ResourceInfo, LedgerError> {
    Ok(ResourceInfo {
        resource_id: r.text(0)?,
        kind: r.text(1)?,
        tenant: r.text(2)?,
        created_at: from_us(r.int(3)?),
        hold_id: r.opt_text(4)?,
        source: r.text(5)?,
    })
}

fn endpoint_from(r: &dyn RowAccess) -> Result<Endpoint, LedgerError> {
    Ok(Endpoint {
        info: EndpointInfo {
            id: r.text(0)?,
            tenant: r.text(1)?,
            url: r.text(2)?,
            events: r.text(3)?.split(',').map(str::to_string).collect(),
            created_at: from_us(r.int(4)?),
        },
        secret: r.text(5)?,
    })
}

fn invalid(msg: impl Into<String>) -> LedgerError {
    LedgerError::InvalidState(msg.into())
}

/// Records `resources` for `tenant` (first owner wins) and returns those
/// another tenant owns.
pub(crate) async fn record<T: Tx>(
    tx: &T,
    tenant: &str,
    hold_id: Option<&str>,
    resources: &[ResourceRecord],
    now_us: i64,
) -> Result<Vec<ResourceConflict>, T::Error> {
    if tenant.is_empty() || resources.iter().any(|r| r.resource_id.is_empty()) {
        return Err(invalid("resources need a tenant and non-empty ids").into());
    }
    for r in resources {
        tx.exec(
            "INSERT INTO resources (resource_id, kind, tenant, created_us, hold_id, source) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'created') ON CONFLICT (resource_id) DO NOTHING",
            &[
                r.resource_id.as_str().into(),
                r.kind.as_str().into(),
                tenant.into(),
                now_us.into(),
                hold_id.into(),
            ],
        )
        .await?;
    }
    let ids: Vec<String> = resources.iter().map(|r| r.resource_id.clone()).collect();
    let owners = owners_of(tx, &ids).await?;
    let mut conflicts: Vec<ResourceConflict> = owners
        .into_iter()
        .filter(|(_, owner)| owner != tenant)
        .map(|(resource_id, owner)| ResourceConflict { resource_id, owner })
        .collect();
    conflicts.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
    Ok(conflicts)
}

pub(crate) async fn owner_of<T: Tx>(tx: &T, resource_id: &str) -> Result<Option<Owner>, T::Error> {
    let rows = tx
        .query(
            "SELECT tenant, kind FROM resources WHERE resource_id = ?1",
            &[resource_id.into()],
            |r| {
                Ok(Owner {
                    tenant: r.text(0)?,
                    kind: r.text(1)?,
                })
            },
        )
        .await?;
    Ok(rows.into_iter().next())
}

pub(crate) async fn owners_of<T: Tx>(
    tx: &T,
    ids: &[String],
) -> Result<HashMap<String, String>, T::Error> {
    let mut out = HashMap::new();
    let max = ID_BATCH_SIZES[ID_BATCH_SIZES.len() - 1];
    for chunk in ids.chunks(max) {
        let size = ID_BATCH_SIZES
            .into_iter()
            .find(|s| *s >= chunk.len())
            .unwrap_or(max);
        let marks: Vec<String> = (1..=size).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT resource_id, tenant FROM resources WHERE resource_id IN ({})",
            marks.join(", ")
        );
        // Padding repeats the last id: harmless in an IN list.
        let params: Vec<Param> = (0..size)
            .map(|i| Param::from(chunk[i.min(chunk.len() - 1)].as_str()))
            .collect();
        let rows = tx
            .query(&sql, &params, |r| Ok((r.text(0)?, r.text(1)?)))
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

pub(crate) async fn assign<T: Tx>(
    tx: &T,
    ids: &[String],
    tenant: &str,
    kind: &str,
    actor: &str,
    now_us: i64,
) -> Result<(), T::Error> {
    if ids.is_empty() || tenant.is_empty() || kind.is_empty() || ids.iter().any(String::is_empty) {
        return Err(invalid("assign needs resource ids, a tenant and a kind").into());
    }
    for id in ids {
        tx.exec(
            "INSERT INTO resources (resource_id, kind, tenant, created_us, hold_id, source) \
             VALUES (?1, ?2, ?3, ?4, NULL, 'assigned') ON CONFLICT (resource_id) DO UPDATE \
             SET kind = excluded.kind, tenant = excluded.tenant, source = 'assigned'",
            &[
                id.as_str().into(),
                kind.into(),
                tenant.into(),
                now_us.into(),
            ],
        )
        .await?;
    }
    tx.insert_journal(&JournalDraft {
        at_us: now_us,
        kind: JournalKind::Assign,
        hold_id: None,
        scope: Scope::Tenant(tenant.to_string()).key(),
        tenant: Some(tenant.to_string()),
        feature: None,
        amount: 0,
        price_version: None,
        request_id: None,
        upstream_ids: Some(ids.join(",")),
        actor: Some(actor.to_string()),
        reason: Some(format!("assign {kind}")),
    })
    .await
}

pub(crate) async fn list<T: Tx>(
    tx: &T,
    tenant: &str,
    kind: Option<&str>,
    limit: u32,
) -> Result<Vec<ResourceInfo>, T::Error> {
    let (filter, params) = match kind {
        Some(k) => (
            "AND kind = ?3",
            vec![tenant.into(), i64::from(limit).into(), k.into()],
        ),
        None => ("", vec![tenant.into(), i64::from(limit).into()]),
    };
    let sql = format!(
        "SELECT {RESOURCE_COLS} FROM resources WHERE tenant = ?1 {filter} \
         ORDER BY created_us DESC, resource_id LIMIT ?2"
    );
    tx.query(&sql, &params, resource_from).await
}

/// Adds an endpoint unless the tenant has `max` already (`None`). Counted
/// and inserted under one lock of the tenant's name, so concurrent adds
/// cannot all see room for one more.
pub(crate) async fn add_endpoint<T: Tx>(
    tx: &T,
    tenant: &str,
    url: &str,
    events: &[String],
    secret: &str,
    max: u32,
    now_us: i64,
) -> Result<Option<EndpointInfo>, T::Error> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(invalid(format!("endpoint url must be http(s): {url:?}")).into());
    }
    if events.is_empty() || events.iter().any(|e| e.is_empty() || e.contains(',')) {
        return Err(invalid("endpoint events must be non-empty names without commas").into());
    }
    if secret.is_empty() {
        return Err(invalid("endpoint secret must not be empty").into());
    }
    tx.lock_name(&format!("webhook_endpoints:{tenant}")).await?;
    let n = tx
        .query(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE tenant = ?1",
            &[tenant.into()],
            |r| r.int(0),
        )
        .await?;
    if n.into_iter().next().unwrap_or(0) >= i64::from(max) {
        return Ok(None);
    }
    let id = format!("whe_{}", uuid::Uuid::new_v4().simple());
    tx.exec(
        &format!("INSERT INTO webhook_endpoints ({ENDPOINT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        &[
            id.as_str().into(),
            tenant.into(),
            url.into(),
            events.join(",").into(),
            now_us.into(),
            secret.into(),
        ],
    )
    .await?;
    record(
        tx,
        tenant,
        None,
        &[ResourceRecord::new(&id, "webhook_endpoint")],
        now_us,
    )
    .await?;
    Ok(Some(EndpointInfo {
        id,
        tenant: tenant.to_string(),
        url: url.to_string(),
        events: events.to_vec(),
        created_at: from_us(now_us),
    }))
}

/// All of a tenant's endpoints with secrets, oldest first.
pub(crate) async fn endpoints<T: Tx>(tx: &T, tenant: &str) -> Result<Vec<Endpoint>, T::Error> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant = ?1 ORDER BY created_us, id"
    );
    tx.query(&sql, &[tenant.into()], endpoint_from).await
}

pub(crate) async fn delete_endpoint<T: Tx>(
    tx: &T,
    tenant: &str,
    id: &str,
) -> Result<bool, T::Error> {
    let n = tx
        .exec(
            "DELETE FROM webhook_endpoints WHERE id = ?1 AND tenant = ?2",
            &[id.into(), tenant.into()],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    tx.exec(
        "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', \
         locked_until_us = 0 WHERE endpoint_id = ?1 AND state = 'pending'",
        &[id.into()],
    )
    .await?;
    Ok(true)
}

/// The endpoints among `all` subscribed to `event` (or to `*`).
pub(crate) fn subscribed(all: Vec<Endpoint>, event: &str) -> Vec<Endpoint> {
    all.into_iter()
        .filter(|e| e.info.events.iter().any(|s| s == event || s == "*"))
        .collect()
}
