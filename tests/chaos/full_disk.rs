//! SQLite on a full disk (issue 12, chaos): the ledger lives on a 4 MiB
//! tmpfs the test mounts; a filler file takes the rest of the space while
//! billable requests keep coming, then is deleted.
//!
//! Promised, and checked here: with no space, costed requests are refused
//! with 503 in HeyGen's envelope (`ledger_unavailable`) — never a 200 whose
//! hold is not on disk, never another status —, the ledger stays intact
//! (`PRAGMA integrity_check`), the same process admits again once space
//! returns, and `heygen-gateway ledger verify` exits 0.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tokio::time::Instant;

use crate::common::{self, TestResponse};
use crate::harness::{admin_get, base_config, generate, Node, GENERATE};
use crate::ledger_view::LedgerView;

/// Size of the filesystem holding the ledger.
const FS_SIZE: &str = "4m";
/// Billable requests sent while the disk is full; the first ones may still
/// fit in pages SQLite already has, the rest must be refused.
const WHILE_FULL: usize = 60;
/// Refusals in a row that show the full disk is seen (and stays seen).
const REFUSED_IN_A_ROW: usize = 20;
/// Space back → a billable request succeeds within this.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);

/// A size-limited tmpfs mounted on a fresh temp dir; unmounted on drop
/// (panics included), lazily if something still holds it.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    /// Mounts it, or panics with the reason: this test never skips.
    fn mount(size: &str) -> SmallFs {
        let dir = tempfile::Builder::new()
            .prefix("hg-fullfs-")
            .tempdir()
            .unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("the full-disk test needs `mount`: {e}"));
        assert!(
            out.status.success(),
            "the full-disk test must mount a {size} tmpfs on {} (root or CAP_SYS_ADMIN \
             needed; it does not skip): {}",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr)
        );
        SmallFs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem is full (ENOSPC); returns its size.
    fn fill(&self, name: &str) -> u64 {
        let mut f = std::fs::File::create(self.path().join(name)).unwrap();
        let chunk = [0xa5u8; 4096];
        let mut written = 0u64;
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the small filesystem: {e}"),
            }
        }
        let _ = f.sync_all();
        written
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            let mut c = Command::new("umount");
            if lazy {
                c.arg("-l");
            }
            c.arg(self.dir.path()).status().is_ok_and(|s| s.success())
        };
        if !umount(false) && !umount(true) {
            eprintln!("could not unmount {}", self.dir.path().display());
        }
    }
}

fn is_ledger_refusal(r: &TestResponse) -> bool {
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    r.status == 503
        && r.header("x-gateway-rejected") == Some("ledger_unavailable")
        && body["error"]["code"] == "service_unavailable"
}

/// `PRAGMA integrity_check` on a read-only connection (safe on a live
/// WAL database).
fn integrity(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_refuses_without_corruption_and_recovers_when_space_returns() {
    let fs = SmallFs::mount(FS_SIZE);
    let db: PathBuf = fs.path().join("ledger.db");
    let mock = common::start_mock().await;
    let cfg = base_config(&mock, None).set(
        "store",
        "url",
        &format!("{:?}", format!("sqlite://{}", db.display())),
    );
    let verify_config = crate::write_verify_config(&cfg);
    let mut node = Node::new(cfg);
    let gw = crate::start(&mut node, None).await;
    let base = gw.url("");
    let mut answers: Vec<TestResponse> = Vec::new();
    for _ in 0..10 {
        let r = generate(&base).await.unwrap();
        assert_eq!(r.status, 200, "before the disk fills: {}", r.text());
        answers.push(r);
    }

    let filler = fs.fill("filler");
    let mut while_full = Vec::new();
    for _ in 0..WHILE_FULL {
        let r = generate(&base).await.unwrap();
        assert!(
            r.status == 200 || is_ledger_refusal(&r),
            "disk full: {} {} ({:?})",
            r.status,
            r.text(),
            r.headers
        );
        while_full.push(r.status.as_u16());
        answers.push(r);
    }
    let tail = &while_full[WHILE_FULL - REFUSED_IN_A_ROW..];
    assert!(
        tail.iter().all(|s| *s == 503),
        "billable requests still pass on a full disk: {while_full:?}; log:\n{}",
        gw.log_text()
    );
    assert_eq!(integrity(&db), "ok", "the ledger is damaged while full");

    std::fs::remove_file(fs.path().join("filler")).unwrap();
    let freed = Instant::now();
    let recovered = loop {
        let r = generate(&base).await.unwrap();
        assert!(r.status == 200 || is_ledger_refusal(&r), "{}", r.text());
        let ok = r.status == 200;
        answers.push(r);
        if ok {
            break freed.elapsed();
        }
        assert!(
            freed.elapsed() < RECOVERY_BOUND,
            "no billable request passed within {RECOVERY_BOUND:?} of space returning; log:\n{}",
            gw.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for _ in 0..5 {
        let r = generate(&base).await.unwrap();
        assert_eq!(r.status, 200, "after space returned: {}", r.text());
        answers.push(r);
    }

    // Every hold a client was told about is on disk; every job HeyGen made
    // has its hold; nothing reached HeyGen without one.
    let view = LedgerView::read(&gw).await;
    for r in answers.iter().filter(|r| r.status == 200) {
        let h = r.header("x-gateway-hold-id").unwrap();
        assert!(
            view.holds.contains_key(h),
            "hold {h} answered but not on disk"
        );
    }
    let jobs = mock
        .jobs()
        .into_iter()
        .filter(|j| j.created_by == GENERATE)
        .map(|j| j.id)
        .collect();
    view.assert_accounts_for(&jobs);
    let forwarded = mock.requests_to(GENERATE).len();
    assert!(forwarded <= view.holds.len(), "{forwarded} forwarded");
    let audit = admin_get(&gw, "/admin/v1/ledger/verify").await.json();
    assert_eq!(audit["ok"], true, "the ledger audit fails: {audit}");
    let (code, report) = crate::ledger_verify(&verify_config);
    assert_eq!(code, Some(0), "ledger verify:\n{report}");
    assert_eq!(integrity(&db), "ok");
    let refused = while_full.iter().filter(|s| **s == 503).count();
    eprintln!(
        "full disk: filler {filler} bytes; {refused}/{WHILE_FULL} refused while full; \
         recovered {recovered:?} after space returned; {} holds",
        view.holds.len()
    );
    drop(gw);
}
