//! Replays every committed fuzz input (`fuzz/corpus/<target>/`: the seeds
//! and every crash ever found) through the fuzz targets' own checks
//! (`fuzz/harness/`), so a fuzzing finding stays a regression test in the
//! normal suite without libFuzzer. `scripts/fuzz.sh` does the fuzzing.

// A failed unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

#[path = "../fuzz/harness/config_toml.rs"]
mod config_toml;
#[path = "../fuzz/harness/http_head.rs"]
mod http_head;
#[path = "../fuzz/harness/path.rs"]
mod path;
#[path = "../fuzz/harness/quote.rs"]
mod quote;
#[path = "../fuzz/harness/upstream_answer.rs"]
mod upstream_answer;
#[path = "../fuzz/harness/webhook.rs"]
mod webhook;

use std::path::PathBuf;

/// Every file of `fuzz/corpus/<target>/`, sorted; at least one.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no corpus at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus at {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect()
}

/// Runs `check` over the corpus, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    for (path, data) in corpus(target) {
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(
            result.is_ok(),
            "fuzz input {} fails its target",
            path.display()
        );
    }
}

#[test]
fn path_corpus() {
    replay("path", path::run);
}

#[test]
fn quote_corpus() {
    replay("quote", quote::run);
}

#[test]
fn webhook_corpus() {
    replay("webhook", webhook::run);
}

#[test]
fn config_toml_corpus() {
    replay("config_toml", config_toml::run);
}

#[test]
fn http_head_corpus() {
    replay("http_head", http_head::run);
}

/// The quote target reaches every billable route: one seed per route.
#[test]
fn quote_target_lists_every_billable_route() {
    let all = quote::all_billables();
    let unique: std::collections::HashSet<String> = all.iter().map(|b| format!("{b:?}")).collect();
    assert_eq!(unique.len(), all.len());
    assert!(all.len() >= 37, "{} routes", all.len());
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The HTTP target reaches the whole stack, not just the parser: the
/// seeds get a forwarded read, a held-and-submitted billable request, and
/// the admission refusals, each in HeyGen's envelope.
#[test]
fn http_head_target_drives_the_real_stack() {
    let out = String::from_utf8_lossy(&http_head::serve_bytes(&seed("http_head", "get-avatars")))
        .into_owned();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    // The seed's own idempotency key may be in flight from the corpus
    // replay on another test thread (same in-process gateway): use a fresh one.
    let post = String::from_utf8(seed("http_head", "post-generate"))
        .unwrap()
        .replace(
            "Idempotency-Key: k1",
            "Idempotency-Key: drives-the-real-stack",
        );
    let out =
        String::from_utf8_lossy(&http_head::serve_bytes(post.as_bytes())).to_ascii_lowercase();
    assert!(out.starts_with("http/1.1 200"), "{out}");
    assert!(out.contains("x-gateway-hold-id"), "{out}");
    // The connection closed right after the answer; the key is done, not
    // stuck "in progress": the same request again is a replay.
    let again =
        String::from_utf8_lossy(&http_head::serve_bytes(post.as_bytes())).to_ascii_lowercase();
    assert!(again.starts_with("http/1.1 200"), "{again}");
    assert!(
        again.contains("x-gateway-idempotent-replay: true"),
        "{again}"
    );
    let out =
        String::from_utf8_lossy(&http_head::serve_bytes(&seed("http_head", "no-key"))).into_owned();
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    let out = String::from_utf8_lossy(&http_head::serve_bytes(&seed("http_head", "two-requests")))
        .into_owned();
    assert_eq!(out.matches("HTTP/1.1 ").count(), 2, "{out}");
    let out = String::from_utf8_lossy(&http_head::serve_bytes(b"GET /v2/avatars HTTP/1.1\r\nHo"))
        .into_owned();
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 400"), "{out}");
}

#[test]
fn upstream_answer_corpus() {
    replay("upstream_answer", upstream_answer::run);
}
