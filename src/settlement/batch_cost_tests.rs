//! `batch_cost::price`: each item at its own feature and projection, and
//! the fall-backs to the job's feature and an equal share.

use super::*;
use crate::pricing::ListedItem;

const C: Micros = 1_000_000;

fn job(feature: &str, held: Micros, items: &[(&str, Micros)]) -> JobInfo {
    JobInfo {
        job_id: "b1".into(),
        hold_id: "h1".into(),
        tenant: "alpha".into(),
        feature: feature.into(),
        status_path: "/v3/videos/batches/b1".into(),
        held,
        pending: true,
        items: items
            .iter()
            .map(|(f, c)| JobItem {
                feature: (*f).into(),
                credits: *c,
            })
            .collect(),
    }
}

fn done(index: Option<u64>) -> ListedItem {
    ListedItem {
        index,
        state: ItemState::Completed(Some(format!("/v3/videos/v{index:?}"))),
    }
}

fn failed(index: Option<u64>) -> ListedItem {
    ListedItem {
        index,
        state: ItemState::Failed,
    }
}

fn batch(total: u64, listed: Vec<ListedItem>) -> BatchItems {
    BatchItems {
        total,
        listed,
        next_token: None,
        from_start: true,
    }
}

fn price_of(job: &JobInfo, b: &BatchItems, lengths: &[Option<u64>]) -> Priced {
    price(job, &PriceBook::builtin(), b, lengths)
}

#[test]
fn a_mixed_video_batch_prices_each_item_at_its_own_feature() {
    // Avatar III (standard, 1/min) then Avatar IV (6/min): the job carries
    // the first item's feature, the second still costs Avatar IV.
    let j = job(
        "standard_avatar",
        7 * C,
        &[("standard_avatar", C), ("avatar_iv", 6 * C)],
    );
    let b = batch(2, vec![done(Some(0)), done(Some(1))]);
    let p = price_of(&j, &b, &[Some(60_000), Some(120_000)]);
    assert_eq!(
        p,
        Priced {
            cost: C + 12 * C,
            unknown: 0,
            own: 2
        }
    );
    // Listed out of order, each index still finds its own item.
    let b = batch(2, vec![done(Some(1)), done(Some(0))]);
    let p = price_of(&j, &b, &[Some(120_000), Some(60_000)]);
    assert_eq!(p.cost, 13 * C);
}

#[test]
fn a_speed_and_precision_lipsync_batch_prices_each_mode() {
    let j = job(
        "lipsync_speed",
        9 * C,
        &[("lipsync_speed", 3 * C), ("lipsync_precision", 6 * C)],
    );
    let b = batch(2, vec![done(Some(0)), done(Some(1))]);
    // Two minutes each: 3/min and 6/min.
    let p = price_of(&j, &b, &[Some(120_000), Some(120_000)]);
    assert_eq!((p.cost, p.unknown), (6 * C + 12 * C, 0));
}

#[test]
fn an_item_whose_length_is_unknown_costs_its_own_projection() {
    let j = job(
        "standard_avatar",
        10 * C,
        &[("standard_avatar", C), ("avatar_iv", 9 * C)],
    );
    let b = batch(2, vec![done(Some(0)), done(Some(1))]);
    let p = price_of(&j, &b, &[Some(60_000), None]);
    // Not half the hold (5): the Avatar IV item's own 9.
    assert_eq!((p.cost, p.unknown), (C + 9 * C, 1));
    // A completed item without a usable id, or still running, alike.
    let mut b = batch(2, vec![done(Some(0)), done(Some(1))]);
    b.listed[1].state = ItemState::Completed(None);
    assert_eq!(price_of(&j, &b, &[Some(60_000), None]).cost, 10 * C);
    b.listed[1].state = ItemState::Running;
    assert_eq!(price_of(&j, &b, &[Some(60_000), None]).cost, 10 * C);
}

#[test]
fn unlisted_items_cost_their_own_projection_and_failed_ones_nothing() {
    let j = job(
        "standard_avatar",
        7 * C,
        &[
            ("standard_avatar", C),
            ("avatar_iv", 2 * C),
            ("avatar_iv", 4 * C),
        ],
    );
    // Only item 2 listed (failed): items 0 and 1 cost 1 + 2.
    let b = batch(3, vec![failed(Some(2))]);
    let p = price_of(&j, &b, &[None]);
    assert_eq!((p.cost, p.unknown), (3 * C, 2));
    // An index listed twice counts once.
    let b = batch(3, vec![done(Some(1)), done(Some(1)), failed(Some(0))]);
    let p = price_of(&j, &b, &[Some(60_000), Some(60_000), None]);
    assert_eq!((p.cost, p.unknown), (6 * C + 4 * C, 1));
}

#[test]
fn without_an_index_in_range_an_item_falls_back_to_the_job_feature_and_a_share() {
    let j = job(
        "standard_avatar",
        9 * C,
        &[
            ("avatar_iv", 3 * C),
            ("avatar_iv", 3 * C),
            ("avatar_iv", 3 * C),
        ],
    );
    // No index: the job's feature (1/min), not Avatar IV.
    let b = batch(3, vec![done(None), done(Some(7)), done(Some(2))]);
    let p = price_of(&j, &b, &[Some(60_000), Some(60_000), Some(60_000)]);
    assert_eq!((p.cost, p.own), (C + C + 6 * C, 1));
    // Unknown, unindexed: a third of the hold; unlisted too once an item
    // had no index (which of them is missing cannot be told).
    let b = batch(3, vec![done(None)]);
    let p = price_of(&j, &b, &[None]);
    assert_eq!((p.cost, p.unknown), (9 * C, 3));
}

#[test]
fn a_batch_without_items_or_of_another_count_settles_as_before() {
    // Recorded before migration 14: every item at the job's feature.
    let old = job("standard_avatar", 8 * C, &[]);
    let b = batch(2, vec![done(Some(0)), done(Some(1))]);
    let p = price_of(&old, &b, &[Some(60_000), None]);
    assert_eq!((p.cost, p.unknown, p.own), (C + 4 * C, 1, 0));
    // HeyGen counts 3 items where the quote had 2: positions are not trusted.
    let j = job(
        "standard_avatar",
        9 * C,
        &[("avatar_iv", 6 * C), ("x", 3 * C)],
    );
    let b = batch(3, vec![done(Some(0))]);
    let p = price_of(&j, &b, &[Some(60_000)]);
    assert_eq!((p.cost, p.unknown, p.own), (C + 6 * C, 2, 0));
}
