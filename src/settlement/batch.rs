//! Settling a finished v3 batch item by item. The batch's own status has no
//! lengths; it names each item's job once the item exists, a page of items
//! at a time. Every page is read (the one seen, when it was the first, then
//! those after it), each completed item is read on its own (status, then
//! its file) and priced at its real length and its own feature
//! (`batch_cost`); failed items cost nothing; an item whose length cannot
//! be learned costs its own projection, and the batch counts as captured at
//! the estimate. Each learned item id is recorded as the batch owner's, so
//! the tenant can read its items.

use super::{batch_cost, length};
use crate::catalog::{RouteKind, StatusRead};
use crate::ledger::{JobInfo, ResourceRecord};
use crate::money::Micros;
use crate::pricing::batch_status::{page, page_path};
use crate::pricing::{BatchItems, ItemState, PriceBook};
use crate::state::AppState;

/// Pages of a batch's status read at most. HeyGen caps a batch at 100
/// items and a page holds up to 100, so one page is the rule; the bound
/// only keeps a status that never stops paging from holding settlement.
const MAX_PAGES: usize = 20;

/// The batch's cost and the settlement source label for it; `None` when a
/// page of its items could not be read (the next status read or poll
/// tries again).
pub(super) async fn cost(
    state: &AppState,
    job: &JobInfo,
    book: &PriceBook,
    seen: BatchItems,
    caller: &str,
) -> Option<(Micros, &'static str)> {
    let items = all_pages(state, job, seen).await?;
    if items.total == 0 {
        return Some((job.held, "estimate"));
    }
    record_items(state, job, &items).await;
    let mut lengths = Vec::with_capacity(items.listed.len());
    for item in &items.listed {
        lengths.push(match &item.state {
            ItemState::Completed(Some(path)) => {
                length::follow(state, &job.job_id, path, caller).await.ms
            }
            _ => None,
        });
    }
    let priced = batch_cost::price(job, book, &items, &lengths);
    tracing::info!(job_id = %job.job_id, items = items.total, listed = items.listed.len(),
        own_feature = priced.own, unknown = priced.unknown, "Batch settled item by item.");
    let source = if priced.unknown == 0 {
        "status"
    } else {
        "estimate"
    };
    Some((priced.cost, source))
}

/// Every item HeyGen lists, up to [`MAX_PAGES`] pages: the page seen when
/// it began at the first item and ends the list; else pages read from it
/// (a first page) or from the start (a later page a client asked for).
async fn all_pages(state: &AppState, job: &JobInfo, seen: BatchItems) -> Option<BatchItems> {
    if seen.from_start && seen.next_token.is_none() {
        return Some(seen);
    }
    let path = job
        .status_path
        .split_once('?')
        .map_or(&*job.status_path, |(p, _)| p);
    let route = crate::catalog::classify(&http::Method::GET, path);
    let RouteKind::Status(read) = &route.kind else {
        return Some(seen);
    };
    let (mut items, mut token, mut read_pages) = if seen.from_start {
        let token = seen.next_token.clone();
        (Some(seen), token, 1)
    } else {
        (None, None, 0)
    };
    while read_pages < MAX_PAGES {
        let next = read_page(state, job, read, token.as_deref()).await?;
        token = next.next_token.clone();
        match items.as_mut() {
            Some(all) => all.extend(next),
            None => items = Some(next),
        }
        read_pages += 1;
        if token.is_none() {
            return items;
        }
    }
    tracing::warn!(job_id = %job.job_id, pages = MAX_PAGES,
        "Batch status pages beyond the limit; the items not read cost their projection.");
    items.map(|mut all| {
        all.next_token = None;
        all
    })
}

/// One page of the batch's items; `None` (logged) when it cannot be read.
async fn read_page(
    state: &AppState,
    job: &JobInfo,
    read: &StatusRead,
    token: Option<&str>,
) -> Option<BatchItems> {
    let path = page_path(&job.status_path, token);
    let body = match state.upstream.get_json(&path).await {
        Ok((status, body)) if (200..300).contains(&status) => body,
        Ok((status, _)) => {
            tracing::debug!(job_id = %job.job_id, status, "Batch page refused; will retry.");
            return None;
        }
        Err(e) => {
            tracing::debug!(job_id = %job.job_id, error = %e, "Batch page failed; will retry.");
            return None;
        }
    };
    let items = page(read, &body);
    if items.is_none() {
        tracing::warn!(job_id = %job.job_id, path, "Batch page unreadable; will retry.");
    }
    items
}

async fn record_items(state: &AppState, job: &JobInfo, items: &BatchItems) {
    let records: Vec<ResourceRecord> = items
        .listed
        .iter()
        .filter_map(|item| match &item.state {
            ItemState::Completed(Some(path)) => path.rsplit('/').next(),
            _ => None,
        })
        .map(|id| ResourceRecord::new(id, "batch_item"))
        .collect();
    if records.is_empty() {
        return;
    }
    if let Err(e) = state.ledger.record_resources(&job.tenant, &records).await {
        state.note_ledger_error("record_resources", &e);
    }
}
