//! Every price book the gateway has run with, by version. A hold records
//! the version it was priced under; settlement prices the real duration
//! with that same book, so a reload that changes prices never re-prices
//! work already admitted. A reload whose book changed under an unchanged
//! version is refused as ambiguous.
//!
//! The history is kept in the ledger (`price_books`, migration 16), not
//! only in memory: each book is recorded there at startup and on every
//! accepted reload before anything is priced with it, and a version the
//! ledger already holds with a different book refuses the start or the
//! reload. Settlement looks a hold's version up here first, then in the
//! ledger (a book of an earlier run, or of another replica sharing a
//! PostgreSQL ledger), caching what it read. Only a version found in
//! neither (a hold admitted by a build older than the table, or a row
//! that no longer validates) settles at the current book, logged.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::ledger::{BookRecord, Ledger, LedgerError};
use crate::pricing::PriceBook;

#[derive(Debug, Default)]
pub struct PriceBooks {
    books: RwLock<HashMap<String, Arc<PriceBook>>>,
}

/// A reload would change prices but keep the version name.
#[derive(Debug, thiserror::Error)]
#[error(
    "pricing.version {0:?} already names a different price book (with no version set, the \
     built-in book's name is used); give the changed book a new version in pricing.version, \
     e.g. \"2026-12-prices\", so holds taken under the old prices still settle at them"
)]
pub struct VersionReused(pub String);

/// Why a book could not be recorded in the ledger.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The ledger (an earlier run, another replica) or this process holds
    /// the version with other prices.
    #[error(transparent)]
    Reused(VersionReused),
    #[error("cannot record price book {version:?} in the ledger: {source}")]
    Ledger {
        version: String,
        source: LedgerError,
    },
}

// === impl PriceBooks ===

impl PriceBooks {
    pub fn new(current: &PriceBook) -> Self {
        let books = PriceBooks::default();
        // A fresh map cannot hold a conflicting book.
        let _ = books.add(current);
        books
    }

    /// Remembers `book` under its version.
    pub fn add(&self, book: &PriceBook) -> Result<(), VersionReused> {
        let mut map = self.books.write().unwrap_or_else(PoisonError::into_inner);
        match map.get(book.version()) {
            Some(known) if known.as_ref() != book => Err(VersionReused(book.version().to_string())),
            Some(_) => Ok(()),
            None => {
                map.insert(book.version().to_string(), Arc::new(book.clone()));
                Ok(())
            }
        }
    }

    /// [`PriceBooks::record`] for a book to switch to (a reload): a
    /// version this process knows needs no ledger write (it was recorded
    /// when first added, or read from there), only the same prices.
    pub async fn record_new(
        &self,
        ledger: &dyn Ledger,
        book: &PriceBook,
    ) -> Result<(), RecordError> {
        if self.get(book.version()).is_some() {
            return self.add(book).map_err(RecordError::Reused);
        }
        self.record(ledger, book).await
    }

    /// Records `book` in the ledger (unless it holds the version already),
    /// then here. Refused when the ledger or this process holds the
    /// version with other prices.
    pub async fn record(&self, ledger: &dyn Ledger, book: &PriceBook) -> Result<(), RecordError> {
        let version = book.version();
        let found = ledger
            .record_price_book(version, &book.to_canonical())
            .await
            .map_err(|source| RecordError::Ledger {
                version: version.to_owned(),
                source,
            })?;
        if let BookRecord::Differs(stored) = found {
            // Other text may still be the same book (written by a build
            // that serialized it differently): compare what it means.
            match PriceBook::from_canonical(&stored) {
                Ok(known) if known == *book => {}
                _ => return Err(RecordError::Reused(VersionReused(version.to_owned()))),
            }
        }
        self.add(book).map_err(RecordError::Reused)
    }

    /// The book of `version`: this process's, else the ledger's (then kept
    /// here). `Ok(None)`: the ledger holds no valid book of that version.
    pub async fn load(
        &self,
        ledger: &dyn Ledger,
        version: &str,
    ) -> Result<Option<Arc<PriceBook>>, LedgerError> {
        if let Some(book) = self.get(version) {
            return Ok(Some(book));
        }
        let Some(text) = ledger.price_book(version).await? else {
            return Ok(None);
        };
        let book = match PriceBook::from_canonical(&text) {
            // A row naming another version would price under the wrong name.
            Ok(book) if book.version() == version => book,
            Ok(_) => return Ok(None),
            Err(e) => {
                tracing::warn!(version, error = %e, "Price book in the ledger does not validate; not using it.");
                return Ok(None);
            }
        };
        // Two settlements may read it at once; both read the same row.
        let _ = self.add(&book);
        Ok(self.get(version))
    }

    /// The book of `version`, if this process has run with it or read it.
    pub fn get(&self, version: &str) -> Option<Arc<PriceBook>> {
        self.books
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(version)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_versions_and_refuses_a_changed_book_under_an_old_name() {
        let base = PriceBook::builtin();
        let books = PriceBooks::new(&base);
        assert!(books.get(base.version()).is_some());
        assert!(books.add(&base).is_ok(), "the same book again is fine");
        let changed = crate::config::Config::from_toml(
            "[pricing]\nversion = \"v2\"\n[pricing.features.avatar_iv]\ncredits_per_minute = 9.0\nincrement_seconds = 30\n",
        )
        .unwrap()
        .pricing;
        assert!(books.add(&changed).is_ok());
        assert_ne!(
            books.get("v2").unwrap().as_ref(),
            books.get(base.version()).unwrap().as_ref()
        );
        let same_name = crate::config::Config::from_toml(
            "[pricing]\nversion = \"v2\"\n[pricing.features.avatar_iv]\ncredits_per_minute = 1.0\nincrement_seconds = 30\n",
        )
        .unwrap()
        .pricing;
        assert!(
            books.add(&same_name).is_err(),
            "changed prices under an old version"
        );
    }

    #[tokio::test]
    async fn books_are_recorded_in_and_read_back_from_the_ledger() {
        use crate::ledger::PriceBookHistory;
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::ledger::SqliteLedger::open(&dir.path().join("l.db"))
            .await
            .unwrap();
        let v1 = PriceBook::builtin();
        let first = PriceBooks::new(&v1);
        first.record(&ledger, &v1).await.unwrap();
        // A process that never ran with it reads it from the ledger.
        let other = crate::config::Config::from_toml("[pricing]\nversion = \"other\"\n")
            .unwrap()
            .pricing;
        let later = PriceBooks::new(&other);
        let read = later.load(&ledger, v1.version()).await.unwrap().unwrap();
        assert_eq!(read.as_ref(), &v1);
        assert!(later.load(&ledger, "never").await.unwrap().is_none());
        // The same version with other prices is refused, in a fresh process too.
        let changed = crate::config::Config::from_toml(&format!(
            "[pricing]\nversion = {:?}\n[pricing.features.avatar_iv]\ncredits_per_minute = 1.0\n",
            v1.version()
        ))
        .unwrap()
        .pricing;
        let fresh = PriceBooks::default();
        let err = fresh.record(&ledger, &changed).await.unwrap_err();
        assert!(matches!(err, RecordError::Reused(_)), "{err}");
        assert!(err.to_string().contains("pricing.version"), "{err}");
        // Text written differently for the same book is the same book.
        ledger
            .record_price_book(
                "spaced",
                &format!(
                    " {}",
                    other.to_canonical().replace("\"other\"", "\"spaced\"")
                ),
            )
            .await
            .unwrap();
        let spaced = crate::config::Config::from_toml("[pricing]\nversion = \"spaced\"\n")
            .unwrap()
            .pricing;
        fresh.record(&ledger, &spaced).await.unwrap();
        // A row that is no book, or a book under another name, is not used
        // (settlement then takes the current book, logged).
        ledger.record_price_book("garbled", "{").await.unwrap();
        let misnamed = other.to_canonical();
        ledger
            .record_price_book("misnamed", &misnamed)
            .await
            .unwrap();
        for version in ["garbled", "misnamed"] {
            assert!(
                later.load(&ledger, version).await.unwrap().is_none(),
                "{version}"
            );
        }
    }
}
