//! Reloads run one at a time: a reload still reading its file keeps a
//! later one waiting, so the file read last is the config left in force.
//!
//! The config file is a FIFO: a reload's read blocks until the test writes
//! the file's text, which lets the test hold the first reload mid-read.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::state::{AppState, StateParts};

/// The config text whose `max_parked_events` is `n`.
fn config_text(dir: &tempfile::TempDir, n: u32) -> String {
    format!(
        "[store]\nurl = \"sqlite://{}/ledger.db\"\n[webhooks]\nmax_parked_events = {n}\n",
        dir.path().display()
    )
}

/// Opens the FIFO for writing (which waits for a reader, i.e. a reload
/// inside its read), writes `text` and closes it; fails the test after 10 s.
async fn feed(fifo: &std::path::Path, text: String) {
    let fifo = fifo.to_path_buf();
    let write = tokio::task::spawn_blocking(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&fifo)?;
        f.write_all(text.as_bytes())
    });
    tokio::time::timeout(Duration::from_secs(10), write)
        .await
        .expect("no reload came to read the config file")
        .expect("join")
        .expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_waits_for_the_one_before_it() {
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("gateway.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success(), "mkfifo failed");
    let config = crate::config::Config::from_toml(&config_text(&dir, 1)).expect("config");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ledger = crate::ledger::open_ledger_with_clock(&config.store, clock.clone())
        .await
        .expect("ledger");
    let mut parts = StateParts::for_tests(config, ledger, clock);
    parts.config_path = Some(fifo.clone());
    let state = Arc::new(AppState::new(parts));

    let first = tokio::spawn({
        let state = state.clone();
        async move { state.reload().await }
    });
    // The writer's open returns once the first reload's read has the FIFO
    // open: that reload is inside its reload. A second one started then
    // must wait for it, not read alongside it (two readers would split one
    // write, and the next write would find no reader at all).
    let (opened_tx, opened) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let writer = tokio::spawn({
        let fifo = fifo.clone();
        let text = config_text(&dir, 2);
        async move {
            let f = tokio::task::spawn_blocking(move || {
                std::fs::OpenOptions::new().write(true).open(&fifo)
            });
            let mut f = f.await.expect("join").expect("open");
            opened_tx.send(()).expect("opened");
            rx.await.expect("go");
            f.write_all(text.as_bytes()).expect("write");
        }
    });
    tokio::time::timeout(Duration::from_secs(10), opened)
        .await
        .expect("the first reload never read the config file")
        .expect("opened");
    let second = tokio::spawn({
        let state = state.clone();
        async move { state.reload().await }
    });
    // Time for the second reload to reach its read, were it not waiting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(()).expect("writer");
    writer.await.expect("writer");
    assert!(first.await.expect("join").is_ok(), "first reload");
    assert_eq!(state.snapshot().config.webhooks.max_parked_events, 2);
    feed(&fifo, config_text(&dir, 3)).await;
    assert!(second.await.expect("join").is_ok(), "second reload");
    assert_eq!(
        state.snapshot().config.webhooks.max_parked_events,
        3,
        "the later reload's file is in force"
    );
}

/// A reload installs restart-only keys at their running values: a change
/// it could not apply is named on every reload until the restart, and one
/// undone in the file is no longer named (it was never in force).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_restart_is_named_until_the_file_matches_what_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("gateway.toml");
    let text = |port: u16| {
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite://{}/ledger.db\"\n",
            dir.path().display()
        )
    };
    let config = crate::config::Config::from_toml(&text(8080)).expect("config");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ledger = crate::ledger::open_ledger_with_clock(&config.store, clock.clone())
        .await
        .expect("ledger");
    let mut parts = StateParts::for_tests(config, ledger, clock);
    parts.config_path = Some(file.clone());
    let state = AppState::new(parts);
    let listen = |s: &AppState| s.snapshot().config.server.listen.port();

    std::fs::write(&file, text(8081)).expect("write");
    for _ in 0..2 {
        assert_eq!(state.reload().await.expect("reload"), ["server.listen"]);
        assert_eq!(listen(&state), 8080, "still what the process listens on");
    }
    std::fs::write(&file, text(8080)).expect("write");
    assert!(state.reload().await.expect("reload").is_empty());
}
