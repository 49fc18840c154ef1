//! Built-in defaults, each with the reason for its value.

/// Tenant API: all interfaces, HeyGen-compatible.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";
/// Admin API: loopback only unless ops choose otherwise.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9091";
pub const DEFAULT_ADMIN_TOKEN_ENV: &str = "HEYGEN_GATEWAY_ADMIN_TOKEN";
pub const DEFAULT_API_KEY_ENV: &str = "HEYGEN_API_KEY";
pub const DEFAULT_API_URL: &str = "https://api.heygen.com";
pub const DEFAULT_UPLOAD_URL: &str = "https://upload.heygen.com";
/// LiveAvatar, HeyGen's interactive-avatar product on its own host and key.
pub const DEFAULT_LIVEAVATAR_URL: &str = "https://api.liveavatar.com";
/// Streamed bodies (asset uploads): HeyGen's own upload limits are far below.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;
/// JSON bodies the gateway must read to price: 50 scenes × 5,000 chars fit easily.
pub const DEFAULT_MAX_JSON_BODY_BYTES: u64 = 2 * 1024 * 1024;
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 30;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Time to upstream response headers for API calls.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 60_000;
/// Uploads of hundreds of MB need longer than API calls.
pub const DEFAULT_UPLOAD_TIMEOUT_MS: u64 = 600_000;
/// Added to the upstream timeouts for an `Idempotency-Key` claim's lease
/// (see `UpstreamConfig::request_lease`): the ledger writes around the
/// forward, their retries on PostgreSQL, and clock skew between replicas.
pub const REQUEST_LEASE_MARGIN: std::time::Duration = std::time::Duration::from_secs(300);
pub const DEFAULT_POOL_IDLE_TIMEOUT_SECONDS: u64 = 90;
pub const DEFAULT_STORE_URL: &str = "sqlite://data/ledger.db";
pub const DEFAULT_STORE_POOL_SIZE: u32 = 8;
/// HeyGen's Scale plan caps videos at 30 minutes.
pub const DEFAULT_MAX_VIDEO_SECONDS: u32 = 1800;
/// HeyGen retries webhooks for 24 h; renders rarely take more than hours.
/// Unsettled holds are captured in full after two days so spend is never undercounted.
pub const DEFAULT_HOLD_TTL_SECONDS: u64 = 48 * 3600;
pub const DEFAULT_POLL_INTERVAL_SECONDS: u64 = 60;
/// Give webhooks and clients' own status calls a chance before polling.
pub const DEFAULT_POLL_MIN_AGE_SECONDS: u64 = 120;
pub const DEFAULT_POLL_CONCURRENCY: u32 = 4;
/// A session runs past its budget by at most one tick: 5 s keeps that
/// small at one cheap ledger read per tick.
pub const DEFAULT_SESSION_TICK_SECONDS: u64 = 5;
/// HeyGen's own default `activity_idle_timeout` for streaming sessions.
pub const DEFAULT_SESSION_IDLE_SECONDS: u64 = 120;
pub const DEFAULT_QUOTA_POLL_SECONDS: u64 = 300;
pub const DEFAULT_ALERT_THRESHOLDS: &[u8] = &[80, 95];
/// Budget, hold and render gauges (and threshold alerts) are recomputed from
/// the ledger this often; one usage query per tick.
pub const DEFAULT_GAUGE_INTERVAL_SECONDS: u64 = 15;
/// v3 deliveries older than this are refused (replay protection).
pub const DEFAULT_WEBHOOK_TOLERANCE_SECONDS: u64 = 300;
/// Fan-out worker poll period: a delivery waits at most this long after it
/// is queued or due (one cheap outbox query per tick).
pub const DEFAULT_FANOUT_INTERVAL_MS: u64 = 1_000;
/// Deliveries in flight at once: tenant endpoints answer within seconds.
pub const DEFAULT_FANOUT_CONCURRENCY: u32 = 4;
/// First retry after up to 5 s, doubling to the 1 h cap (full jitter).
pub const DEFAULT_FANOUT_RETRY_BASE_MS: u64 = 5_000;
/// Finished deliveries are kept a week: well past HeyGen's 24 h of
/// redeliveries (the row is what makes one a no-op) and long enough for a
/// tenant to look back at its delivery log.
pub const DEFAULT_DELIVERY_RETENTION_DAYS: u64 = 7;
/// An event for a job with no known owner waits an hour for one: a batch's
/// status names its items' ids within minutes of the batch's creation, and
/// the events of jobs the gateway never made are not kept for long.
pub const DEFAULT_OWNER_WAIT_SECONDS: u64 = 3_600;
/// At most this many such events wait at once: far above a batch's items
/// in flight (a status page names 100), and a bound on what a burst of
/// events of jobs the gateway never made (the org's own use of its key)
/// can grow the ledger by within `owner_wait_seconds`.
pub const DEFAULT_MAX_PARKED_EVENTS: u32 = 10_000;
/// `drift` alerts fire when HeyGen and the ledger disagree by more than
/// this many credits: above rounding of in-flight jobs, below a real leak.
pub const DEFAULT_ALERT_DRIFT_CREDITS: f64 = 50.0;
/// Alert worker poll period: an alert waits at most this long once queued.
pub const DEFAULT_ALERT_INTERVAL_MS: u64 = 1_000;
/// First alert retry after up to 5 s, doubling (full jitter).
pub const DEFAULT_ALERT_RETRY_BASE_MS: u64 = 5_000;
/// Default per-tenant request rate when a tenant sets none.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 600;
/// A connection with no request in progress is closed after 10 s: long enough
/// for a client's keep-alive reuse, short enough that idle sockets cannot
/// pile up (issue 12).
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 10_000;
/// A request head is a few hundred bytes; 10 s is generous on any link.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;
/// A body that sends nothing for 10 s is abandoned with 408.
pub const DEFAULT_BODY_READ_TIMEOUT_MS: u64 = 10_000;
/// A response the client reads nothing of for 30 s has its connection
/// closed: longer than any pause a reading client takes, short enough that
/// clients which never read cannot pile up answers and connections.
pub const DEFAULT_WRITE_TIMEOUT_MS: u64 = 30_000;
/// 1 KiB/s: a 512 MB upload may take up to ~6 days on average, a trickle of
/// a few bytes per timeout cannot hold a handler.
pub const DEFAULT_BODY_MIN_RATE_BYTES_PER_SECOND: u64 = 1024;
/// Per listener; with the headroom this fits a 16k descriptor limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// One address (or NAT) may not take more than this share of the total.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;
/// HTTP/2 streams per connection (hyper's default is 200).
pub const DEFAULT_H2_MAX_CONCURRENT_STREAMS: u32 = 100;
/// Request heads over 64 KiB get 431; HeyGen requests carry a few headers.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
/// Egress guard: tenant endpoints that cannot accept a TCP connection in 3 s
/// are down; waiting longer only ties up webhook workers.
pub const DEFAULT_EGRESS_CONNECT_TIMEOUT_MS: u64 = 3_000;
/// Whole guarded exchange (resolve, connect, send, read).
pub const DEFAULT_EGRESS_TIMEOUT_MS: u64 = 10_000;
/// Responses from tenant URLs are held in memory; 1 MiB covers any webhook
/// acknowledgement and any media header chunk.
pub const DEFAULT_EGRESS_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// Media probing: the first ranged read. 64 KiB holds the header of WAV,
/// MP3, FLAC, OGG, WebM and MP4 files whose `moov` comes first.
pub const DEFAULT_PROBE_FIRST_CHUNK_BYTES: u64 = 64 * 1024;
/// Total bytes one probe may read (MP4 `moov` at the end of a long video
/// runs to a few MiB); past it the probe gives up and the caller's
/// conservative default applies.
pub const DEFAULT_PROBE_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// A declared duration beyond a day is a lie or a broken file, not media
/// HeyGen will be asked to use.
pub const DEFAULT_PROBE_MAX_DURATION_SECONDS: u64 = 24 * 3600;
pub const DEFAULT_PROBE_CACHE_ENTRIES: u64 = 1024;
/// Media at a URL rarely changes; an hour bounds staleness if it does.
pub const DEFAULT_PROBE_CACHE_TTL_SECONDS: u64 = 3600;
