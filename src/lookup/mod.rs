//! Before pricing: what a request names by id and its price depends on —
//! the avatar looks of v2 and v3 videos whose look could change the price
//! (its kind, photo avatar or not, and the engines it supports; v2 avatar
//! ids are look ids, and the v2 detail read cannot tell a photo avatar
//! from a twin) and the template a render uses (its scenes and scripts)
//! — read from HeyGen with the org key, cached per id with a TTL in a
//! bounded map. Pricing stays pure and gets these as facts; a look-up that
//! fails or takes too long leaves the fact out, and pricing then holds the
//! highest rate (looks) or the plan's longest job (templates).

mod cache;
mod learned;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde_json::Value;

use crate::catalog::Billable;
use crate::http::percent_encode;
use crate::pricing::facts::{look_ids, template_id, Look, Template};
use crate::pricing::{Facts, MediaLengths, PriceBook};
use crate::upstream::Upstream;

use cache::Cache;
use learned::Learned;

/// The longest a request waits for its look-ups, all at once.
const BUDGET: Duration = Duration::from_secs(2);
/// How long an answer is trusted: looks and templates change rarely, and
/// settlement trues up a render from its real length either way.
const TTL: Duration = Duration::from_secs(600);
/// How long an id HeyGen could not answer for is not asked again.
const NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// Most ids remembered per kind.
const CAPACITY: usize = 4096;

/// The caches of both kinds and the learned corrections; one per process,
/// shared by every request.
pub struct Lookups {
    looks: Cache<Look>,
    templates: Cache<Template>,
    learned: Learned,
}

impl Default for Lookups {
    fn default() -> Self {
        Lookups {
            looks: Cache::new(CAPACITY),
            templates: Cache::new(CAPACITY),
            learned: Learned::default(),
        }
    }
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups").finish_non_exhaustive()
    }
}

impl Lookups {
    /// Rebuilds the learned corrections from settled jobs when due (the
    /// background loop calls this while `pricing.projection.learn` is on).
    pub async fn refresh_learned(&self, ledger: &dyn crate::ledger::Ledger, now: DateTime<Utc>) {
        self.learned.refresh(ledger, now).await;
    }

    /// A tenant's learned corrections by feature, ×1000.
    pub fn corrections_of(&self, tenant: &str) -> std::collections::HashMap<String, u64> {
        self.learned.of_tenant(tenant)
    }

    /// Everything pricing may use about this request: `media` as read by
    /// the prober, plus the looks and template read here. `book` decides
    /// which looks could change the price (only those are read).
    pub async fn facts(
        &self,
        upstream: &Upstream,
        book: &PriceBook,
        billable: &Billable,
        body: &[u8],
        media: MediaLengths,
    ) -> Facts {
        let mut facts = Facts::with_media(media);
        let looks = look_ids(book, billable, body);
        let template = template_id(billable);
        if looks.is_empty() && template.is_none() {
            return facts;
        }
        let now = Instant::now();
        let look_reads = looks.into_iter().map(|id| async move {
            let path = format!("/v3/avatars/looks/{}", percent_encode(&id));
            let look = self
                .looks
                .get_or_read(&id, now, || read(upstream, path, Look::from_data))
                .await;
            (id, look)
        });
        let template_read = async {
            match template {
                Some(id) => {
                    let path = format!("/v3/templates/{}", percent_encode(id));
                    let t = self
                        .templates
                        .get_or_read(id, now, || read(upstream, path, Template::from_data))
                        .await;
                    t.map(|t| (id.to_string(), t))
                }
                None => None,
            }
        };
        let both = async { tokio::join!(join_all(look_reads), template_read) };
        match tokio::time::timeout(BUDGET, both).await {
            Ok((looks, template)) => {
                facts
                    .looks
                    .extend(looks.into_iter().filter_map(|(id, l)| Some((id, l?))));
                facts.templates.extend(template);
            }
            Err(_) => tracing::warn!("Look-ups for pricing took too long; priced without them."),
        }
        facts
    }
}

/// One GET with the org key; `None` unless HeyGen answers 200 with data
/// `parse` understands.
async fn read<T>(upstream: &Upstream, path: String, parse: fn(&Value) -> Option<T>) -> Option<T> {
    match upstream.get_json(&path).await {
        Ok((200, body)) => {
            let v: Value = serde_json::from_slice(&body).ok()?;
            let parsed = v.get("data").and_then(parse);
            if parsed.is_none() {
                tracing::info!(path, "Look-up answer not understood; priced without it.");
            }
            parsed
        }
        Ok((status, _)) => {
            tracing::info!(path, status, "Look-up refused; priced without it.");
            None
        }
        Err(e) => {
            tracing::info!(path, error = %e, "Look-up failed; priced without it.");
            None
        }
    }
}
