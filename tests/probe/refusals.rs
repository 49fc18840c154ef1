//! What a probe refuses or fails on: truncated, implausible, oversized,
//! redirected and non-media files and stalled servers, each with its own
//! error; and the prober's bounded cache by URL.

use bytes::Bytes;
use heygen_gateway::egress::{EgressConfig, EgressError, EgressGuard, FileEgress};
use heygen_gateway::probe::{probe_duration, FileProbe, ProbeConfig, ProbeError, Prober};

use crate::{cfg, guard, media, probe_one, Serve, Server, DEFAULT_MAX};

#[tokio::test]
async fn truncated_files_are_refused() {
    // A WAV header promising 7.3 s, cut after 10 kB of samples.
    let wav = media::wav(7_300).slice(..10_000);
    assert_eq!(
        probe_one(Serve::Ranged(wav), DEFAULT_MAX)
            .await
            .unwrap_err(),
        ProbeError::Truncated
    );
    // An MP4 cut inside its moov box.
    let mp4 = media::mp4(12_500, 1_000, true, false);
    let cut = mp4.slice(..60);
    assert_eq!(
        probe_one(Serve::Ranged(cut), DEFAULT_MAX)
            .await
            .unwrap_err(),
        ProbeError::Truncated
    );
    // A WebM cut inside the segment info.
    let webm = media::webm(9_500.0);
    let cut = webm.slice(..webm.len() - 40);
    let err = probe_one(Serve::Ranged(cut), DEFAULT_MAX)
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::Truncated);
}

#[tokio::test]
async fn lying_durations_are_refused() {
    // 10^12 seconds, in WebM's float and in a version-1 mvhd.
    let err = probe_one(Serve::Ranged(media::webm(1e15)), DEFAULT_MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Implausible { .. }), "{err:?}");
    let mp4 = media::mp4(1_000_000_000_000_000, 1_000, true, true);
    let err = probe_one(Serve::Ranged(mp4), DEFAULT_MAX)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProbeError::Implausible {
            duration_ms: 1_000_000_000_000_000
        }
    );
}

#[tokio::test]
async fn oversized_inputs_are_refused() {
    // The moov sits behind 3 MB of mdat. A server that ignores Range sends
    // the mdat first, so a 256 kB budget ends before the moov.
    let mp4 = media::mp4(12_500, 3_000_000, false, false);
    let err = probe_one(Serve::IgnoreRange(mp4.clone()), 256 * 1024)
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::TooLarge);
    // With Range the tail is one small read away, unless the first read
    // already spent the whole budget.
    let p = probe_one(Serve::Ranged(mp4.clone()), 256 * 1024)
        .await
        .unwrap();
    assert_eq!(p.duration_ms, 12_500);
    assert!(p.bytes_read <= 256 * 1024);
    let err = probe_one(Serve::Ranged(mp4), 64 * 1024).await.unwrap_err();
    assert_eq!(err, ProbeError::TooLarge);
}

#[tokio::test]
async fn redirects_are_not_followed_and_errors_are_distinct() {
    let server = Server::start(vec![(
        "/r",
        Serve::Redirect("http://127.0.0.1:1/secret".into()),
    )])
    .await;
    let err = probe_duration(&guard(), &server.url("/r"), &cfg(DEFAULT_MAX))
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::Http(302));
    let err = probe_duration(&guard(), &server.url("/missing"), &cfg(DEFAULT_MAX))
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::Http(404));
    // Without the allow list the loopback server is never contacted.
    let strict = EgressGuard::new(&EgressConfig::default()).unwrap();
    let before = server.hits();
    let err = probe_duration(&strict, &server.url("/r"), &cfg(DEFAULT_MAX))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Egress(EgressError::Forbidden { .. })),
        "{err:?}"
    );
    assert_eq!(server.hits(), before);
}

#[tokio::test]
async fn non_media_is_unsupported() {
    let page = Bytes::from_static(b"<!doctype html><html><body>hello</body></html>");
    let err = probe_one(Serve::Ranged(page), DEFAULT_MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Unsupported(_)), "{err:?}");
}

#[tokio::test]
async fn prober_caches_by_url_within_its_bound() {
    let server = Server::start(vec![
        ("/a", Serve::Ranged(media::wav(1_000))),
        ("/b", Serve::Ranged(media::wav(2_000))),
    ])
    .await;
    let raw = FileProbe {
        cache_entries: 1,
        ..FileProbe::default()
    };
    let mut errors = Vec::new();
    let prober = Prober::new(guard(), ProbeConfig::from_file(&raw, &mut errors));
    assert_eq!(
        prober.probe(&server.url("/a")).await.unwrap().duration_ms,
        1_000
    );
    let hits = server.hits();
    assert_eq!(
        prober.probe(&server.url("/a")).await.unwrap().duration_ms,
        1_000
    );
    assert_eq!(server.hits(), hits, "second probe must come from the cache");
    assert_eq!(
        prober.probe(&server.url("/b")).await.unwrap().duration_ms,
        2_000
    );
    assert_eq!(prober.cached_entries(), 1);
    // /a was evicted by /b, so it is fetched again.
    let hits = server.hits();
    prober.probe(&server.url("/a")).await.unwrap();
    assert!(server.hits() > hits);
}

#[tokio::test]
async fn stalled_media_server_times_out_as_egress_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let raw = FileEgress {
        allow_cidrs: vec!["127.0.0.1/32".into()],
        timeout_ms: 300,
        ..FileEgress::default()
    };
    let mut errors = Vec::new();
    let g = EgressGuard::new(&EgressConfig::from_file(&raw, &mut errors)).unwrap();
    let url = format!("http://127.0.0.1:{port}/f");
    let err = probe_duration(&g, &url, &cfg(DEFAULT_MAX))
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::Egress(EgressError::Timeout));
}
