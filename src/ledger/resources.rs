//! Types of the ownership registry, per-tenant webhook endpoints and the
//! durable webhook outbox (see [`super::Registry`]).

use chrono::{DateTime, Utc};

/// Attempts after which a failing delivery is given up (`dead`).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 10;

/// How long a claimed delivery stays invisible to other replicas; a sender
/// that dies mid-send leaves the row to be claimed again after this.
pub const DELIVERY_LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// Kind recorded for a job id when the caller does not name one.
pub const JOB_KIND: &str = "job";

/// A HeyGen resource to record as owned (`kind`: `video`, `translation`,
/// `photo_avatar_group`, `webhook_endpoint`, ... as the caller names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    pub resource_id: String,
    pub kind: String,
}

impl ResourceRecord {
    pub fn new(resource_id: impl Into<String>, kind: impl Into<String>) -> Self {
        ResourceRecord {
            resource_id: resource_id.into(),
            kind: kind.into(),
        }
    }
}

/// Who owns a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub tenant: String,
    pub kind: String,
}

/// A resource another tenant already owns: reported, never overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConflict {
    pub resource_id: String,
    pub owner: String,
}

/// One registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub resource_id: String,
    pub kind: String,
    pub tenant: String,
    pub created_at: DateTime<Utc>,
    /// The hold whose request created it, if it was billed.
    pub hold_id: Option<String>,
    /// `created` (recorded by the gateway) or `assigned` (ops adoption).
    pub source: String,
}

/// A tenant's webhook endpoint as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    pub id: String,
    pub tenant: String,
    pub url: String,
    /// Event names it subscribes to; `*` means all.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// An endpoint with the secret its deliveries are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub info: EndpointInfo,
    pub secret: String,
}

/// State of one outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not acknowledged yet; sent when due.
    Pending,
    /// Acknowledged by the endpoint: never sent again.
    Delivered,
    /// Given up after [`MAX_DELIVERY_ATTEMPTS`], or its endpoint was deleted;
    /// sent again only if redelivered (see [`crate::ledger::Redeliveries`]).
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Dead,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// A claimed delivery, with what the sender needs to send and sign it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub tenant: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// One outbox row as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLogEntry {
    pub id: i64,
    pub event_id: String,
    pub endpoint_id: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One group of the spend report: journal sums over a period for one
/// tenant (or `org` for org-wide adjustments) and feature. Amounts in
/// micro-credits; `held` is what requests held when admitted, the rest is
/// how holds ended in the period (a hold admitted in one period may end
/// in the next).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpendRow {
    pub tenant: String,
    pub feature: String,
    /// Holds taken (admitted requests and metered session minutes).
    pub requests: i64,
    pub held: i64,
    pub captured: i64,
    pub released: i64,
    /// Captured at the hold when its TTL ran out.
    pub expired: i64,
    /// Grants (+) and debits (-) by ops.
    pub adjusted: i64,
    /// Captured beyond what was held (holds settled in the period).
    pub overage: i64,
}

impl SpendRow {
    /// The row of (`tenant`, `feature`) in `rows`, added if missing.
    pub fn entry<'a>(rows: &'a mut Vec<SpendRow>, tenant: &str, feature: &str) -> &'a mut SpendRow {
        let i = match rows
            .iter()
            .position(|r| r.tenant == tenant && r.feature == feature)
        {
            Some(i) => i,
            None => {
                rows.push(SpendRow {
                    tenant: tenant.to_string(),
                    feature: feature.to_string(),
                    ..SpendRow::default()
                });
                rows.len() - 1
            }
        };
        &mut rows[i]
    }

    /// Adds `other`'s sums to this row's.
    pub fn add(&mut self, other: &SpendRow) {
        self.requests += other.requests;
        self.held += other.held;
        self.captured += other.captured;
        self.released += other.released;
        self.expired += other.expired;
        self.adjusted += other.adjusted;
        self.overage += other.overage;
    }
}

/// One settled job's projected and real length, with its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationSample {
    pub feature: String,
    pub tenant: String,
    pub projected_ms: i64,
    pub actual_ms: i64,
}
