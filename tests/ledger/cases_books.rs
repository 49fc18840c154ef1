//! Recorded price books: a version's first book is kept for good, a
//! different book under it is reported (the row unchanged), and the record
//! survives a reopen and is seen by another replica.

use heygen_gateway::ledger::*;

use crate::Fixture;

pub async fn price_books_are_recorded_once_per_version(f: Fixture) {
    let l = &f.ledger;
    assert_eq!(l.price_book("v1").await.unwrap(), None);
    assert_eq!(
        l.record_price_book("v1", "book one").await.unwrap(),
        BookRecord::Recorded
    );
    assert_eq!(
        l.record_price_book("v1", "book one").await.unwrap(),
        BookRecord::Same
    );
    assert_eq!(
        l.record_price_book("v1", "book two").await.unwrap(),
        BookRecord::Differs("book one".into())
    );
    assert_eq!(
        l.record_price_book("v2", "book two").await.unwrap(),
        BookRecord::Recorded
    );
    assert_eq!(
        l.price_book("v1").await.unwrap().as_deref(),
        Some("book one")
    );
    assert!(l.record_price_book("", "no version").await.is_err());

    // Another replica sees both; a reopen keeps them.
    let replica = f.open_again().await;
    assert_eq!(
        replica.price_book("v2").await.unwrap().as_deref(),
        Some("book two")
    );
    assert_eq!(
        replica.record_price_book("v2", "book three").await.unwrap(),
        BookRecord::Differs("book two".into())
    );
    drop(replica);
    let f = f.reopen().await;
    assert_eq!(
        f.ledger.price_book("v1").await.unwrap().as_deref(),
        Some("book one")
    );
}

pub async fn concurrent_records_of_one_version_keep_one_book(f: Fixture) {
    let replica = f.open_again().await;
    let (a, b) = tokio::join!(
        f.ledger.record_price_book("race", "book a"),
        replica.record_price_book("race", "book b"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let stored = f.ledger.price_book("race").await.unwrap().unwrap();
    // Exactly one won; the other was told the winner's book.
    let (won, lost) = match (&a, &b) {
        (BookRecord::Recorded, lost) => ("book a", lost.clone()),
        (_, BookRecord::Recorded) => ("book b", a.clone()),
        other => panic!("nobody recorded: {other:?}"),
    };
    assert_eq!(stored, won);
    assert_eq!(lost, BookRecord::Differs(won.into()));
}
