//! What a finished v3 batch costs, item by item, once each completed
//! item's length was read (or not). Pure, so every rule is tested without
//! HeyGen: `batch` does the reading.
//!
//! A batch recorded with its items (`JobInfo::items`, one per HeyGen
//! `item_index`) prices each item at its own feature, and an item whose
//! length cannot be learned at its own projection. Without them (a batch
//! recorded before migration 14, an item listed without an index or with
//! one out of range, a batch HeyGen expanded to another count than the
//! quote did) an item falls back to the job's feature and an equal share
//! of the hold.

use crate::ledger::{JobInfo, JobItem};
use crate::money::Micros;
use crate::pricing::{self, BatchItems, Generation, ItemState, PriceBook};

/// A batch's cost and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Priced {
    pub cost: Micros,
    /// Items charged at a projection rather than a length (listed without a
    /// learnable length, or never listed).
    pub unknown: u64,
    /// Items priced at their own recorded feature.
    pub own: u64,
}

/// The batch's cost: `lengths[i]` is the length learned for
/// `batch.listed[i]` (`None` when it could not be, or the item is not
/// completed).
pub(super) fn price(
    job: &JobInfo,
    book: &PriceBook,
    batch: &BatchItems,
    lengths: &[Option<u64>],
) -> Priced {
    // Positions map items to HeyGen's indexes only if both count alike.
    let specs: &[JobItem] = if job.items.len() as u64 == batch.total {
        &job.items
    } else {
        &[]
    };
    let share = job.held / i64::try_from(batch.total).unwrap_or(i64::MAX).max(1);
    let mut seen = vec![false; specs.len()];
    let mut all_indexed = true;
    let mut listed: u64 = 0;
    let mut out = Priced {
        cost: 0,
        unknown: 0,
        own: 0,
    };
    for (item, len) in batch.listed.iter().zip(lengths) {
        let spec = item
            .index
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < specs.len());
        if let Some(i) = spec {
            if seen[i] {
                continue;
            }
            seen[i] = true;
        } else {
            all_indexed = false;
        }
        listed += 1;
        let (feature, projection) = match spec {
            Some(i) => {
                out.own += 1;
                (specs[i].feature.as_str(), specs[i].credits)
            }
            None => (job.feature.as_str(), share),
        };
        if item.state == ItemState::Failed {
            continue;
        }
        let ms = len.map(|ms| ms.min(super::MAX_JOB_DURATION_MS));
        match ms.and_then(|ms| pricing::settle_cost_in(book, feature, Generation::V3, ms)) {
            Some(c) => out.cost = out.cost.saturating_add(c),
            None => {
                out.cost = out.cost.saturating_add(projection);
                out.unknown += 1;
            }
        }
    }
    // Items no page listed: each at its own projection when every listed
    // item named its index (so the unlisted ones are known), else a share.
    let unlisted = batch.total.saturating_sub(listed);
    if unlisted > 0 {
        let unseen = if all_indexed && !specs.is_empty() {
            specs
                .iter()
                .zip(&seen)
                .filter(|(_, seen)| !**seen)
                .fold(0 as Micros, |a, (s, _)| a.saturating_add(s.credits))
        } else {
            share.saturating_mul(i64::try_from(unlisted).unwrap_or(i64::MAX))
        };
        out.cost = out.cost.saturating_add(unseen);
        out.unknown += unlisted;
    }
    out
}

#[cfg(test)]
#[path = "batch_cost_tests.rs"]
mod tests;
