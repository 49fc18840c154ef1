//! The limiter's own rules: Retry-After rounding and the fallback's
//! reason while Redis is skipped.

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The fallback decisions made while Redis is skipped after a timeout
/// count as `timeout`, not `unreachable`: on-call chases latency.
#[test]
fn decisions_while_redis_is_skipped_keep_the_failures_reason() {
    let config = Config::from_toml("").expect("config");
    let registry = prometheus::Registry::new();
    let metrics = Metrics::register(&registry).expect("metrics");
    let cluster = Cluster {
        redis: Arc::new(redis::RedisLimiter::new("redis://127.0.0.1:1", secs(1)).expect("client")),
        fallback: LocalLimiter::new(&config.tenants, None, NonZeroU32::MIN),
        quotas: ArcSwap::from_pointee(Quotas::from_config(&config)),
        metrics,
        on_redis: AtomicBool::new(true),
        skip_until_ms: AtomicU64::new(0),
        skip_reason: AtomicU8::new(0),
        started: Instant::now(),
    };
    let _ = cluster.fall_back("t", Some(redis::Failure::Timeout));
    assert!(cluster.skipping_redis());
    let _ = cluster.fall_back("t", None);
    let _ = cluster.fall_back("t", None);
    let _ = cluster.fall_back("t", Some(redis::Failure::Error));
    let _ = cluster.fall_back("t", None);
    let count = |reason: &str| {
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .expect("encode");
        let line = format!("heygen_gateway_rate_limit_fallback_total{{reason=\"{reason}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .map_or(0, |v| v.parse::<u64>().expect("count"))
    };
    assert_eq!(
        (count("timeout"), count("error"), count("unreachable")),
        (3, 2, 0)
    );
}

#[test]
fn failures_are_indexed_by_their_discriminant() {
    for (i, f) in redis::Failure::ALL.iter().enumerate() {
        assert_eq!(usize::from(*f as u8), i, "{f:?}");
    }
}

#[test]
fn rounding() {
    assert_eq!(round_up_secs(Duration::ZERO), secs(1));
    assert_eq!(round_up_secs(Duration::from_nanos(1)), secs(1));
    assert_eq!(round_up_secs(secs(2)), secs(2));
    assert_eq!(round_up_secs(Duration::from_millis(2_001)), secs(3));
}

/// Without Redis, replicas cannot share one count: each admits its share,
/// so `cluster.replicas = 2` does not let the pair admit twice the limit.
#[test]
fn without_redis_each_replica_admits_its_share() {
    let admitted = |replicas: u32| {
        let config = Config::from_toml(&format!(
            "[cluster]\nreplicas = {replicas}\n\
             [[tenants]]\nid = \"t\"\nkeys = [\"{}\"]\n\
             [tenants.limits]\nrequests_per_minute = 60\nburst = 10\n",
            crate::auth::hash_line("hgw_test_key_0123456789")
        ))
        .expect("config");
        let limiter = RateLimiter::new(&config);
        (0..20)
            .filter(|_| matches!(limiter.check("t"), Check::Ready(Ok(()))))
            .count()
    };
    assert_eq!(admitted(1), 10);
    assert_eq!(admitted(2), 5);
}

/// With Redis configured, every fallback reason is exported at 0 from the
/// start, so an alert's `increase()` sees the first fallback as a rise.
#[tokio::test]
async fn fallback_series_exist_at_zero_once_redis_is_configured() {
    let config = Config::from_toml("").expect("config");
    let registry = prometheus::Registry::new();
    let metrics = Metrics::register(&registry).expect("metrics");
    let limiter = RateLimiter::new(&config);
    limiter
        .use_redis("redis://127.0.0.1:1", &config, metrics)
        .await
        .expect("redis url");
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    for reason in ["unreachable", "timeout", "error"] {
        let line = format!("heygen_gateway_rate_limit_fallback_total{{reason=\"{reason}\"}} 0");
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
}
