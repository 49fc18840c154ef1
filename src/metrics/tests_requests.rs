//! The request families are a collector of their own (`requests`,
//! `shards`): what they export must be what prometheus's own vectors
//! exported for the same requests, and what every thread slot recorded.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use super::tests::setup;
use super::*;

/// One scrape's request lines, sums parsed so they can be compared with
/// a tolerance (the shards' sums are added up in another order).
fn request_lines(registry: &Registry) -> (Vec<String>, Vec<f64>) {
    let text = encode(registry);
    let ours = text.lines().filter(|l| {
        ["requests_total", "request_duration", "upstream_duration"]
            .iter()
            .any(|n| l.contains(&format!("heygen_gateway_{n}")))
    });
    let (sums, lines): (Vec<&str>, Vec<&str>) = ours.partition(|l| l.contains("_sum{"));
    let sums = sums
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap());
    (
        lines.into_iter().map(str::to_string).collect(),
        sums.collect(),
    )
}

#[test]
fn exports_what_prometheus_vectors_export() {
    let requests: &[(&str, u16, &str, Duration)] = &[
        ("video", 200, "forwarded", Duration::from_millis(3)),
        ("video", 200, "forwarded", Duration::from_micros(2500)),
        ("video", 101, "forwarded", Duration::from_nanos(1_000_001)),
        ("video", 304, "replayed", Duration::from_millis(1)),
        ("video", 402, "rejected", Duration::from_micros(10)),
        ("video", 503, "error", Duration::from_secs(61)),
        ("video", 999, "error", Duration::from_millis(250)),
        ("video", 499, "abandoned", Duration::from_millis(40)),
        (
            "video",
            201,
            "an_outcome_of_a_test",
            Duration::from_millis(7),
        ),
        ("undeclared", 200, "forwarded", Duration::from_secs(5)),
        ("undeclared", 500, "forwarded", Duration::from_secs(30)),
    ];
    let upstream: &[(&str, Duration)] = &[
        ("video", Duration::from_millis(3)),
        ("video", Duration::from_secs(2)),
        ("undeclared", Duration::from_millis(60_000)),
    ];
    let (ours, m) = setup();
    m.declare_request_families(&["video", "avatar"]);
    for (family, status, outcome, took) in requests {
        m.request(family, *status, outcome, *took);
    }
    for (family, took) in upstream {
        m.upstream(family, *took);
    }

    // The same requests recorded as the gateway recorded them before.
    let reference = Registry::new();
    let counter = IntCounterVec::new(
        Opts::new(
            "heygen_gateway_requests_total",
            "Requests by route family, status class and outcome.",
        ),
        &["family", "status_class", "outcome"],
    )
    .unwrap();
    let histogram = |name: &str, help: &str| {
        let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
        let h = HistogramVec::new(opts, &["family"]).unwrap();
        reference.register(Box::new(h.clone())).unwrap();
        h
    };
    reference.register(Box::new(counter.clone())).unwrap();
    let request_duration = histogram(
        "heygen_gateway_request_duration_seconds",
        "Time from request received to response headers sent.",
    );
    let upstream_duration = histogram(
        "heygen_gateway_upstream_duration_seconds",
        "Time waiting for HeyGen's response headers.",
    );
    for family in ["video", "avatar"] {
        for outcome in ["forwarded", "error"] {
            counter.with_label_values(&[family, "5xx", outcome]);
        }
    }
    for (family, status, outcome, took) in requests {
        let class = ["1xx", "2xx", "3xx", "4xx", "5xx"]
            .get(usize::from(status / 100).wrapping_sub(1))
            .unwrap_or(&"other");
        counter.with_label_values(&[family, class, outcome]).inc();
        request_duration
            .with_label_values(&[family])
            .observe(took.as_secs_f64());
    }
    for (family, took) in upstream {
        upstream_duration
            .with_label_values(&[family])
            .observe(took.as_secs_f64());
    }

    let (lines, sums) = request_lines(&ours);
    let (want_lines, want_sums) = request_lines(&reference);
    assert!(lines.len() > 80, "{lines:#?}");
    assert_eq!(lines, want_lines);
    assert_eq!(sums.len(), want_sums.len());
    for (got, want) in sums.iter().zip(&want_sums) {
        assert!((got - want).abs() < 1e-9, "sum {got} against {want}");
    }
}

/// Each I/O thread writes its own cells; a scrape sums them all, including
/// slots past the cells a family has (more I/O threads than cores).
#[test]
fn every_thread_slot_is_summed_at_scrape() {
    let (reg, m) = setup();
    m.declare_request_families(&["avatar"]);
    let threads: Vec<_> = (0..6)
        .map(|slot| {
            let m = m.clone();
            std::thread::spawn(move || {
                crate::io_slot::pin(slot * 7);
                // Powers of two of a second, so the sums are exact.
                for _ in 0..1000 {
                    m.request("avatar", 200, "forwarded", Duration::from_nanos(1_953_125));
                    m.upstream("avatar", Duration::from_nanos(3_906_250));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let text = encode(&reg);
    for line in [
        r#"heygen_gateway_requests_total{family="avatar",outcome="forwarded",status_class="2xx"} 6000"#,
        r#"heygen_gateway_request_duration_seconds_bucket{family="avatar",le="0.0025"} 6000"#,
        r#"heygen_gateway_request_duration_seconds_bucket{family="avatar",le="0.001"} 0"#,
        r#"heygen_gateway_request_duration_seconds_sum{family="avatar"} 11.71875"#,
        r#"heygen_gateway_upstream_duration_seconds_count{family="avatar"} 6000"#,
        r#"heygen_gateway_upstream_duration_seconds_sum{family="avatar"} 23.4375"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
}

/// A family recorded before it is declared (the gateway declares before it
/// serves; a test or a future caller may not) stays one series.
#[test]
fn a_family_recorded_before_its_declaration_is_one_series() {
    let (reg, m) = setup();
    m.request("video", 200, "forwarded", Duration::from_millis(3));
    m.upstream("video", Duration::from_millis(1));
    m.declare_request_families(&["video"]);
    m.request("video", 200, "forwarded", Duration::from_millis(3));
    m.upstream("video", Duration::from_millis(1));
    let text = encode(&reg);
    let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    let ok =
        r#"heygen_gateway_requests_total{family="video",outcome="forwarded",status_class="2xx"}"#;
    assert_eq!(count(ok), 1, "{text}");
    assert!(text.contains(&format!("{ok} 2")), "{text}");
    let upstream = r#"heygen_gateway_upstream_duration_seconds_count{family="video"}"#;
    assert!(text.contains(&format!("{upstream} 2")), "{text}");
    assert_eq!(count(upstream), 1, "{text}");
    // Declared now, so its 5xx series are there at 0.
    assert!(text.contains(
        r#"heygen_gateway_requests_total{family="video",outcome="error",status_class="5xx"} 0"#
    ));
}
