//! Price books outlive the process that ran with them: a hold settles at
//! the book it was admitted under after a restart configured with another
//! book, and on a second replica that never ran with that book (both read
//! it from the ledger). A version the ledger holds with other prices is
//! refused at startup and on reload. On SQLite and on PostgreSQL.

use crate::common::*;
use crate::rig::SETTLE_WAIT;
use crate::settlement::create;
use crate::{half_credit, Rig};

/// A shared ledger: a PostgreSQL database, or a SQLite file in a temp dir
/// (kept alive by the returned guard) that every gateway of a test opens.
async fn store(postgres: bool) -> (String, Option<tempfile::TempDir>) {
    if postgres {
        let url = crate::pg::database().await;
        return (url, None);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    (url, Some(dir))
}

/// The test config on `store` with the standard avatar at `per_minute`
/// credits under `version`.
fn book<'a>(
    store: &'a str,
    version: &'a str,
    per_minute: &'a str,
) -> impl FnOnce(TestConfig) -> TestConfig + 'a {
    move |c| {
        c.tenant_budgets("alpha", "daily = 100")
            .set("store", "url", &format!("{store:?}"))
            .set("pricing", "version", &format!("{version:?}"))
            .set(
                "pricing.features.standard_avatar",
                "credits_per_minute",
                per_minute,
            )
    }
}

/// Reads the video's status as alpha through `gw`, which settles it there.
async fn read_status(gw: &TestGateway, video: &str) {
    let token = tenant_token("alpha");
    let url = gw.url(&format!("/v1/video_status.get?video_id={video}"));
    let r = send("GET", &url, &[("x-api-key", token.as_str())], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn a_restart_with_a_new_book_settles_at_the_admitted_one(postgres: bool) {
    let (url, _dir) = store(postgres).await;
    let first = Rig::start(book(&url, "v1", "1.0")).await;
    let (hold, video) = create(&first, &half_credit()).await;
    let Rig { mock, gw } = first;
    gw.shutdown().await;
    // Restarted with prices tripled under a new version.
    let gw = TestGateway::start(book(&url, "v2", "3.0")(TestConfig::for_mock(&mock))).await;
    let rig = Rig { mock, gw };
    assert!(rig.mock.complete(&video, 60.0));
    read_status(&rig.gw, &video).await;
    // 60 s at v1's 1 credit/min, not v2's 3.
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "1", "{h}");
    assert_eq!(rig.credits("alpha", "daily").await.1, "1");
    rig.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_new_book_settles_at_the_admitted_one_on_sqlite() {
    a_restart_with_a_new_book_settles_at_the_admitted_one(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_new_book_settles_at_the_admitted_one_on_postgres() {
    a_restart_with_a_new_book_settles_at_the_admitted_one(true).await;
}

async fn a_reused_version_with_other_prices_is_refused_at_startup(postgres: bool) {
    let (url, _dir) = store(postgres).await;
    let first = Rig::start(book(&url, "v1", "1.0")).await;
    let Rig { mock, gw } = first;
    gw.shutdown().await;
    let clock = std::sync::Arc::new(heygen_gateway::clock::SystemClock);
    let changed = book(&url, "v1", "2.0")(TestConfig::for_mock(&mock));
    let err = match TestGateway::try_start(changed, clock.clone()).await {
        Ok(_) => panic!("a changed book under v1 started"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("pricing.version \"v1\""), "{err}");
    assert!(err.contains("new version"), "{err}");
    // The same book again, and the changed one under a new name, start.
    let same = book(&url, "v1", "1.0")(TestConfig::for_mock(&mock));
    let gw = TestGateway::try_start(same, clock.clone())
        .await
        .expect("same book");
    gw.shutdown().await;
    let renamed = book(&url, "v1b", "2.0")(TestConfig::for_mock(&mock));
    let gw = TestGateway::try_start(renamed, clock)
        .await
        .expect("new version");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_version_with_other_prices_is_refused_at_startup_on_sqlite() {
    a_reused_version_with_other_prices_is_refused_at_startup(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_version_with_other_prices_is_refused_at_startup_on_postgres() {
    a_reused_version_with_other_prices_is_refused_at_startup(true).await;
}

async fn a_reload_to_a_version_recorded_with_other_prices_is_refused(postgres: bool) {
    let (url, _dir) = store(postgres).await;
    // An earlier run (or another replica) ran v2 at 3 credits/min.
    let earlier = Rig::start(book(&url, "v2", "3.0")).await;
    let Rig { mock, gw } = earlier;
    gw.shutdown().await;
    let gw = TestGateway::start(book(&url, "v1", "1.0")(TestConfig::for_mock(&mock))).await;
    let rig = Rig { mock, gw };
    let changed = book(&url, "v2", "2.0")(TestConfig::for_mock(&rig.mock));
    std::fs::write(&rig.gw.config_path, changed.toml()).expect("write config");
    let r = rig.admin("POST", "/admin/v1/reload", "").await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("pricing.version"), "{}", r.text());
    // v2 at its recorded prices is accepted.
    let same = book(&url, "v2", "3.0")(TestConfig::for_mock(&rig.mock));
    std::fs::write(&rig.gw.config_path, same.toml()).expect("write config");
    let r = rig.admin("POST", "/admin/v1/reload", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    rig.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_to_a_version_recorded_with_other_prices_is_refused_on_sqlite() {
    a_reload_to_a_version_recorded_with_other_prices_is_refused(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_to_a_version_recorded_with_other_prices_is_refused_on_postgres() {
    a_reload_to_a_version_recorded_with_other_prices_is_refused(true).await;
}

/// Two replicas on one PostgreSQL ledger: the second never ran with v1,
/// yet settles the first's v1 hold at v1's prices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_replica_settles_at_a_book_only_the_first_ran_with_on_postgres() {
    let (url, _dir) = store(true).await;
    // The first replica's poller waits an hour: only the second, which
    // never ran with v1, can settle the hold in this test.
    let first = Rig::start(|c| {
        book(&url, "v1", "1.0")(c).set("settlement", "poll_interval_seconds", "3600")
    })
    .await;
    let (hold, video) = create(&first, &half_credit()).await;
    let second =
        TestGateway::start(book(&url, "v2", "3.0")(TestConfig::for_mock(&first.mock))).await;
    assert!(first.mock.complete(&video, 60.0));
    // The second replica reads the status, so it settles the hold.
    read_status(&second, &video).await;
    let h = first.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "1", "{h}");
    second.shutdown().await;
    first.gw.shutdown().await;
}

/// The hold's row as SQLite has it at `db`: its state, and its captured
/// micro-credits.
fn hold_row(db: &std::path::Path, hold: &str) -> (String, i64) {
    sqlite(db)
        .query_row(
            "SELECT state, captured FROM holds WHERE hold_id = ?1",
            [hold],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("hold row")
}

fn sqlite(db: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    conn
}

/// A job whose hold or book the ledger cannot read back defers its
/// settlement: it is not priced at the current book (v2, 3 credits/min),
/// which is not the one it was admitted under (v1, 1 credit/min). The
/// failure is counted once, as the settlement's. Once the row reads again
/// (`mend`), the job settles at its own book. `break_sql` and `mend` are
/// SQL batches with `{hold}` standing for the hold id.
async fn an_unreadable_row_defers_settlement(break_sql: &str, mend: &str) {
    let (url, dir) = store(false).await;
    let db = dir.as_ref().expect("sqlite dir").path().join("ledger.db");
    let first = Rig::start(book(&url, "v1", "1.0")).await;
    let (hold, video) = create(&first, &half_credit()).await;
    let Rig { mock, gw } = first;
    gw.shutdown().await;
    let batch = |sql: &str| {
        let sql = sql.replace("{hold}", &hold);
        sqlite(&db).execute_batch(&sql).expect("sql");
    };
    batch(break_sql);
    let gw = TestGateway::start(book(&url, "v2", "3.0")(TestConfig::for_mock(&mock))).await;
    let rig = Rig { mock, gw };
    assert!(rig.mock.complete(&video, 60.0));
    read_status(&rig.gw, &video).await;
    // The read's settlement (in its own task) fails and is counted.
    let addr = rig.gw.admin_addr;
    let failed = || async { crate::control_ids::ledger_failures(&metrics_text(addr).await) };
    eventually_async(|| async { !failed().await.is_empty() }, SETTLE_WAIT).await;
    let failed = failed().await;
    assert!(
        failed.iter().all(|l| l.contains("op=\"settle\"")),
        "{failed:?}"
    );
    assert_eq!(hold_row(&db, &hold), ("submitted".to_string(), 0));
    batch(mend);
    read_status(&rig.gw, &video).await;
    // 60 s at v1's 1 credit/min, not v2's 3.
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "1", "{h}");
    rig.gw.shutdown().await;
}

/// The hold's price version stored as bytes, which no backend decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_that_cannot_be_read_defers_settlement_on_sqlite() {
    an_unreadable_row_defers_settlement(
        "UPDATE holds SET price_version = X'ff' WHERE hold_id = '{hold}'",
        "UPDATE holds SET price_version = 'v1' WHERE hold_id = '{hold}'",
    )
    .await;
}

/// v1's recorded book stored as bytes: settlement (which does not read
/// the books itself) would otherwise price at the current one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_that_cannot_be_read_defers_settlement_on_sqlite() {
    an_unreadable_row_defers_settlement(
        "UPDATE price_books SET version = 'v1-kept' WHERE version = 'v1';
         INSERT INTO price_books (version, book, created_us) VALUES ('v1', X'ff', 0);",
        "DELETE FROM price_books WHERE version = 'v1';
         UPDATE price_books SET version = 'v1' WHERE version = 'v1-kept';",
    )
    .await;
}
