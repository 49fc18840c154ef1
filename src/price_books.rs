//! Every price book this process has run with, by version. A hold records
//! the version it was priced under; settlement prices the real duration
//! with that same book, so a reload that changes prices never re-prices
//! work already admitted. A reload whose book changed under an unchanged
//! version is refused as ambiguous.
//!
//! Limit: the history lives in memory. After a restart only the configured
//! book is known; a hold priced under an older version then settles with
//! the current book (logged).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::pricing::PriceBook;

#[derive(Debug, Default)]
pub struct PriceBooks {
    books: RwLock<HashMap<String, Arc<PriceBook>>>,
}

/// A reload would change prices but keep the version name.
#[derive(Debug, thiserror::Error)]
#[error("pricing.version {0:?} already names a different price book; give the changed book a new version")]
pub struct VersionReused(pub String);

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

    /// The book of `version`, if this process has run with it.
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
}
