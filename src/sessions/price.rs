//! What a session costs. A session is priced with the price book its first
//! minute was admitted under, as settlement prices a job with its hold's
//! book: a reload that changes prices mid-session must not re-price the
//! whole session at the new rate when it stops. The ledger holds each next
//! minute at the current minute's price version, so the current minute's
//! hold always names the first one's book.

use std::sync::Arc;

use crate::ledger::SessionRow;
use crate::pricing::PriceBook;
use crate::state::AppState;

/// The book session `s` is priced with: its current minute's hold's (from
/// memory or the ledger's record of books), or the current book when the
/// hold or its book cannot be read or the version is unknown (logged).
pub(super) async fn book_of(state: &AppState, s: &SessionRow) -> Arc<PriceBook> {
    match crate::settlement::book_of_hold(state, &s.hold_id).await {
        Ok(book) => book,
        // A stop cannot wait for the ledger: its minute is charged now.
        Err(e) => {
            state.note_ledger_error("price_book", &e);
            Arc::new(state.snapshot().config.pricing.clone())
        }
    }
}

/// What the session owes beyond its captured minutes when it ends at
/// `end_us`: the price book's cost of the whole session (its rounding and
/// minimum, e.g. streaming's 30 s minimum then per second) less what the
/// earlier minutes captured. The ledger charges it to the current minute
/// and, past that minute's end, to the one held ahead; past that too (the
/// gateway was down) it keeps counting, recorded as overage rather than
/// lost. Without a price, the minute's rate per second.
pub(super) fn last_minute_cost(book: &PriceBook, s: &SessionRow, end_us: i64) -> i64 {
    let gen = match s.kind.as_str() {
        "realtime" => crate::pricing::Generation::V3,
        _ => crate::pricing::Generation::Legacy,
    };
    let ms = u64::try_from(end_us - s.started_us)
        .unwrap_or(0)
        .div_ceil(1000);
    let total = crate::pricing::settle_cost_in(book, &s.feature, gen, ms).unwrap_or_else(|| {
        let rate = u128::try_from(s.rate).unwrap_or(0);
        i64::try_from((rate * u128::from(ms)).div_ceil(60_000)).unwrap_or(i64::MAX)
    });
    total.saturating_sub(s.captured).max(0)
}
