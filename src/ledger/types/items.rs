//! A v3 batch job's items. HeyGen answers a batch with one `batch_id`, so
//! the batch is one ledger job, but each item was priced on its own (its
//! own feature: Avatar III beside Avatar IV, speed beside precision) and
//! HeyGen's batch status names each item by `item_index`, its position in
//! the request. The items are kept with the job so that settlement prices
//! each completed item at its own feature, and an item whose length cannot
//! be learned at its own projection.
//!
//! Stored in `jobs.items` (migration 14) as `feature:micros` pairs joined
//! by commas: feature names are price-book keys (lowercase, digits and
//! `_`), so neither separator can occur in one.

use crate::money::Micros;

/// One item of a batch job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobItem {
    /// Price-book key the item was projected at.
    pub feature: String,
    /// Its own projected credits (the item's part of the hold).
    pub credits: Micros,
}

impl JobItem {
    /// The stored form of `items`; `None` for none (the column stays NULL).
    pub(crate) fn encode(items: &[JobItem]) -> Option<String> {
        if items.is_empty() {
            return None;
        }
        let parts: Vec<String> = items
            .iter()
            .map(|i| format!("{}:{}", i.feature, i.credits))
            .collect();
        Some(parts.join(","))
    }

    /// Reads the stored form back. A malformed list reads as none, never
    /// as some items: positions are what map items to HeyGen's indexes, so
    /// a partial list would price items at another item's feature.
    pub(crate) fn decode(stored: Option<&str>) -> Vec<JobItem> {
        let Some(s) = stored.filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        let parsed: Option<Vec<JobItem>> = s
            .split(',')
            .map(|part| {
                let (feature, credits) = part.rsplit_once(':')?;
                let credits: Micros = credits.parse().ok()?;
                (!feature.is_empty() && credits >= 0).then(|| JobItem {
                    feature: feature.to_owned(),
                    credits,
                })
            })
            .collect();
        parsed.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(feature: &str, credits: Micros) -> JobItem {
        JobItem {
            feature: feature.into(),
            credits,
        }
    }

    #[test]
    fn items_round_trip_in_order() {
        let items = vec![
            item("standard_avatar", 1_000_000),
            item("avatar_iv", 6_000_000),
            item("standard_avatar", 0),
        ];
        let stored = JobItem::encode(&items);
        assert_eq!(
            stored.as_deref(),
            Some("standard_avatar:1000000,avatar_iv:6000000,standard_avatar:0")
        );
        assert_eq!(JobItem::decode(stored.as_deref()), items);
    }

    #[test]
    fn no_items_is_null_and_a_damaged_list_reads_as_none() {
        assert_eq!(JobItem::encode(&[]), None);
        assert!(JobItem::decode(None).is_empty());
        assert!(JobItem::decode(Some("")).is_empty());
        for bad in ["a:1,b", "a:x", ":5", "a:-1", "a:1,,b:2"] {
            assert!(JobItem::decode(Some(bad)).is_empty(), "{bad}");
        }
    }
}
