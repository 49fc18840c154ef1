//! Quotes without sending: `POST /gateway/v1/quote` and the `quote` CLI.

use serde_json::{json, Value};

use crate::common::*;
use crate::{text_scene, v3_video, Rig};

fn two_scenes() -> Value {
    // 66 s of speech + 3 s of silence = 69 s → 90 s at 1 credit/min.
    json!({"video_inputs": [text_scene(&"word ".repeat(150)),
                             {"voice": {"type": "silence", "duration": 3}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_endpoint_prices_without_sending() {
    let rig = Rig::start(|c| c).await;
    let q = rig.quote("POST", "/v2/video/generate", &two_scenes()).await;
    assert_eq!(q["billable"], true, "{q}");
    assert_eq!(q["credits"], "1.5", "{q}");
    assert_eq!(q["verdict"]["allowed"], true, "{q}");
    let quote = &q["quote"];
    assert_eq!(quote["feature"], "standard_avatar");
    let scenes: Vec<u64> = quote["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .map(|s| s["projected_ms"].as_u64().expect("ms"))
        .collect();
    assert_eq!(scenes, vec![66_000, 3_000], "per-scene seconds: {q}");
    assert_eq!(quote["projected_ms"], 69_000);
    assert_eq!(quote["billed_seconds"], 90);
    assert_eq!(quote["credits"], "1.5");
    assert_eq!(quote["credits_micros"], 1_500_000);
    assert_eq!(quote["version"], "builtin-2026-02");
    assert_eq!(rig.mock.count(), 0, "a quote sends nothing");
    assert!(rig.holds(None).await.is_empty(), "a quote holds nothing");

    // A configured price-book version is reported.
    let versioned = Rig::start(|c| c.set("pricing", "version", "\"acme-2026-07\"")).await;
    let q = versioned
        .quote("POST", "/v2/video/generate", &two_scenes())
        .await;
    assert_eq!(q["quote"]["version"], "acme-2026-07");

    // Refused by policy: the verdict carries the status and code.
    let q = rig
        .quote("POST", "/v3/videos", &v3_video(json!({"resolution": "4k"})))
        .await;
    let v = &q["verdict"];
    assert_eq!(v["allowed"], false, "{q}");
    assert_eq!(v["status"], 400, "{q}");
    assert_eq!(v["code"], "resolution_not_allowed", "{q}");

    // Spellings are normalised like real requests; free routes cost 0.
    let q = rig
        .quote("POST", "//v2/%76ideo/generate/", &two_scenes())
        .await;
    assert_eq!(q["credits"], "1.5", "{q}");
    let q = rig.quote("GET", "/v1/video_status.get", &json!(null)).await;
    assert_eq!(
        (q["billable"].clone(), q["credits"].clone()),
        (json!(false), json!("0"))
    );
    let q = rig
        .quote("POST", "/v2/brand_new_paid_thing", &json!({}))
        .await;
    assert_eq!(q["verdict"]["allowed"], false, "{q}");
    assert_eq!(q["verdict"]["status"], 403, "{q}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_endpoint_needs_a_tenant_key() {
    let rig = Rig::start(|c| c.disable_tenant("gamma")).await;
    let req = json!({"method": "POST", "path": "/v2/video/generate", "body": two_scenes()});
    let gamma = tenant_token("gamma");
    for (headers, reason) in [
        (vec![], "unauthenticated"),
        (
            vec![("x-api-key", "hgw_not_a_tenant_key")],
            "unauthenticated",
        ),
        (vec![("x-api-key", ORG_KEY)], "unauthenticated"),
        (vec![("x-api-key", gamma.as_str())], "tenant_disabled"),
    ] {
        for path in ["/gateway/v1/quote", "/gateway/v1/usage"] {
            let method = if path.ends_with("quote") {
                "POST"
            } else {
                "GET"
            };
            // A GET carrying a body is refused before authentication.
            let body = if method == "POST" {
                req.to_string()
            } else {
                String::new()
            };
            let resp = send(method, &rig.gw.url(path), &headers, body).await;
            assert_eq!(resp.status, 401, "{path} {headers:?}: {}", resp.text());
            assert_eq!(resp.header("x-gateway-rejected"), Some(reason), "{path}");
            assert!(resp.json().get("data").is_none(), "{path}: {}", resp.text());
        }
    }
    let bad = rig
        .call("alpha", "POST", "/gateway/v1/quote", &[], "{\"nope\": 1}")
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    // Declaring more than the priced body's limit (plus its envelope): 413
    // from the head, as the request itself would get, not a 400 after it.
    let head = format!(
        "POST /gateway/v1/quote HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 50000000\r\n\
         Connection: close\r\n\r\n",
        tenant_token("alpha")
    );
    let got = raw_http(rig.gw.addr, &head).await;
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    assert!(got.contains("payload_too_large"), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quote_matches_the_endpoint() {
    let rig = Rig::start(|c| c).await;
    let endpoint = rig.quote("POST", "/v2/video/generate", &two_scenes()).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.json");
    std::fs::write(&file, two_scenes().to_string()).expect("write body");
    let cli = quote_json(&quote_cli(&rig, &file));
    assert_eq!(cli["credits"], endpoint["credits"], "{cli}");
    assert_eq!(cli["quote"], endpoint["quote"], "{cli}");
    assert_eq!(cli["verdict"], endpoint["verdict"], "{cli}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quote_exits_3_when_the_request_would_be_refused() {
    let rig = Rig::start(|c| c).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.json");
    // 4K output is refused on a pay-as-you-go plan.
    let body = serde_json::json!({"dimension": {"width": 3840, "height": 2160},
        "video_inputs": [{"voice": {"type": "silence", "duration": 5}}]});
    std::fs::write(&file, body.to_string()).expect("write body");
    let out = quote_cli(&rig, &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("still prints the verdict");
    assert_eq!(v["verdict"]["allowed"], false, "{v}");
}

/// `heygen-gateway quote --path /v2/video/generate --file FILE` on the rig's config.
fn quote_cli(rig: &Rig, file: &std::path::Path) -> std::process::Output {
    quote_cli_with(rig, "/v2/video/generate", file, &[])
}

fn quote_cli_with(
    rig: &Rig,
    path: &str,
    file: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .arg("quote")
        .arg("--config")
        .arg(&rig.gw.config_path)
        .args(["--path", path, "--file"])
        .arg(file)
        .args(extra)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .output()
        .expect("run heygen-gateway quote")
}

fn quote_json(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "quote failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("quote output is not JSON ({e}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quote_online_reads_what_a_request_would() {
    // The mock serves its media on loopback, which ops must allow.
    let rig = Rig::start(|c| c.set("egress", "allow_cidrs", "[\"127.0.0.0/8\"]")).await;
    let body = serde_json::json!({"type": "avatar", "avatar_id": "a", "voice_id": "v",
        "audio_url": format!("{}/media/clip-7300.mp4", rig.mock.url())});
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.json");
    std::fs::write(&file, body.to_string()).expect("write body");

    // Offline: nothing is read, the default is shown and named as such.
    let offline = quote_json(&quote_cli_with(&rig, "/v3/videos", &file, &[]));
    assert_eq!(
        offline["quote"]["scenes"][0]["basis"], "audio_default",
        "{offline}"
    );

    // Online: the file is probed through the egress guard, as the gateway
    // would before holding, and the answer equals the endpoint's.
    let online = quote_json(&quote_cli_with(
        &rig,
        "/v3/videos",
        &file,
        &["--online", "--tenant", "alpha"],
    ));
    assert_eq!(online["quote"]["scenes"][0]["basis"], "probed", "{online}");
    assert_eq!(
        online["quote"]["scenes"][0]["projected_ms"], 7_300,
        "{online}"
    );
    let endpoint = rig.quote("POST", "/v3/videos", &body).await;
    assert_eq!(online["quote"], endpoint["quote"], "{online}");
    assert!(rig.holds(None).await.is_empty(), "a quote holds nothing");

    // An unknown tenant is a usage error, not a quote.
    let out = quote_cli_with(&rig, "/v3/videos", &file, &["--tenant", "nobody"]);
    assert_eq!(out.status.code(), Some(64), "{out:?}");
}
