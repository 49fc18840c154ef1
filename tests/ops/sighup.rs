//! SIGHUP reloads the config file of the real binary (`serve`).

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::*;

async fn read_as(gw: &str, tenant: &str) -> u16 {
    let token = tenant_token(tenant);
    send(
        "GET",
        &format!("http://{gw}/v2/avatars"),
        &[("x-api-key", token.as_str())],
        "",
    )
    .await
    .status
    .as_u16()
}

/// A `serve` child process and the addresses its log reported.
struct Served {
    child: tokio::process::Child,
    pid: u32,
    gw: String,
    admin: String,
}

/// Runs `serve --config PATH` (JSON logs on stdout) and waits for the log
/// line that reports the bound addresses; keeps draining the log after.
async fn serve(path: &std::path::Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["serve", "--config"])
        .arg(path)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .env("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("HEYGEN_GATEWAY_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the gateway binary");
    let pid = child.id().expect("pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // The JSON log line that reports the bound addresses.
    let listening = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("read log") {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            // JSON log events are flat: fields sit beside the message.
            if v["message"] == "Gateway listening." {
                return v;
            }
        }
        panic!("the gateway exited before listening");
    })
    .await
    .expect("gateway did not start in time");
    // Keep draining the log so the pipe never blocks the gateway.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served {
        child,
        pid,
        gw: listening["addr"].as_str().expect("addr").to_string(),
        admin: listening["admin_addr"]
            .as_str()
            .expect("admin_addr")
            .to_string(),
    }
}

#[tokio::test]
async fn sighup_reloads_the_config_file() {
    let mock = start_mock().await;
    let make = |cfg: TestConfig| cfg.set("server", "log_format", "\"json\"");
    let cfg = make(TestConfig::for_mock(&mock));
    let path = cfg.dir.path().join("gateway.toml");
    std::fs::write(&path, cfg.toml()).expect("write config");
    let Served {
        mut child,
        pid,
        gw,
        admin,
    } = serve(&path).await;

    assert_eq!(read_as(&gw, "delta").await, 401);
    let store = format!("sqlite://{}", cfg.dir.path().join("ledger.db").display());
    let next = make(TestConfig::for_mock(&mock))
        .set("store", "url", &format!("{store:?}"))
        .add_tenant(TenantSpec::new("delta"))
        .disable_tenant("gamma");
    std::fs::write(&path, next.toml()).expect("rewrite config");
    signal(pid, "HUP");
    eventually_async(|| async { read_as(&gw, "delta").await == 200 }, WAIT).await;
    assert_eq!(read_as(&gw, "gamma").await, 401);
    let addr: std::net::SocketAddr = admin.parse().expect("admin addr");
    let text = metrics_text(addr).await;
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"success\"} 1",
    );

    signal(pid, "TERM");
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("gateway did not stop in time")
        .expect("wait for the gateway");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_of_the_real_binary() {
    let mock = start_mock().await;
    let cfg = TestConfig::for_mock(&mock)
        .set("server", "log_format", "\"json\"")
        .set("server", "shutdown_grace_seconds", "30");
    let path = cfg.dir.path().join("gateway.toml");
    std::fs::write(&path, cfg.toml()).expect("write config");
    let Served {
        mut child,
        pid,
        gw,
        admin,
    } = serve(&path).await;
    let readyz = format!("http://{admin}/readyz");
    assert_eq!(send("GET", &readyz, &[], "").await.status, 200);

    // A request held at HeyGen is in flight when SIGTERM arrives.
    mock.hang(true);
    let in_flight = {
        let gw = gw.clone();
        tokio::spawn(async move { read_as(&gw, "alpha").await })
    };
    let control = mock.control();
    eventually(|| control.count() == 1, WAIT).await;
    signal(pid, "TERM");

    // Draining: not ready, the tenant listener closed, the process still up.
    eventually_async(
        || async {
            try_send("GET", &readyz, &[], full(""), false)
                .await
                .is_ok_and(|r| r.status == 503)
        },
        WAIT,
    )
    .await;
    eventually_async(
        || async { tokio::net::TcpStream::connect(&gw).await.is_err() },
        WAIT,
    )
    .await;
    assert!(
        child.try_wait().expect("poll the child").is_none(),
        "exited with a request in flight"
    );

    // Released, the in-flight request completes and the process exits 0.
    mock.hang(false);
    assert_eq!(in_flight.await.expect("request task"), 200);
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("gateway did not stop after draining")
        .expect("wait for the gateway");
    assert!(status.success(), "{status}");
    assert_eq!(mock.count(), 1, "nothing else was forwarded");
}
