//! The commands beside `check-config`'s lists: the store password it
//! resolves, the reading commands' refusal of a ledger that is not there,
//! and output into a closed pipe.

use crate::bin;

/// `store.password_env` is one of the secrets `check-config` resolves:
/// unset, the command exits 64 naming the key; set, the config passes.
#[test]
fn check_config_resolves_the_store_password() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("g.toml");
    std::fs::write(
        &f,
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstream]\napi_key_env = \"HGW_TEST_ORG_KEY\"\n\
         [store]\nurl = \"postgres://gw@db.internal/ledger?sslmode=require\"\n\
         password_env = \"HGW_TEST_PG_PASSWORD\"\n",
    )
    .unwrap();
    let path = f.display().to_string();
    let run = |password: Option<&str>| {
        let mut cmd = bin();
        cmd.args(["check-config", "--config", &path])
            .env("HGW_TEST_ORG_KEY", "sk_org")
            .env_remove("HGW_TEST_PG_PASSWORD");
        if let Some(p) = password {
            cmd.env("HGW_TEST_PG_PASSWORD", p);
        }
        cmd.output().unwrap()
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("store.password_env") && err.contains("HGW_TEST_PG_PASSWORD"),
        "{err}"
    );
    let out = run(Some("s3cret"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}

/// A command that reads the ledger does not create an empty one where the
/// config's (relative) SQLite path points from another directory: it says
/// where it looked, and nothing is written there.
#[test]
fn reading_commands_refuse_a_ledger_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("g.toml");
    std::fs::write(&f, "[store]\nurl = \"sqlite://data/ledger.db\"\n").unwrap();
    let path = f.display().to_string();
    for args in [
        vec!["usage"],
        vec!["report", "--period", "2026-11"],
        vec!["calibrate"],
    ] {
        let out = bin()
            .args(&args)
            .args(["--config", &path])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let want = dir.path().join("data/ledger.db");
        assert!(
            err.contains(&format!("no ledger at {}", want.display())),
            "{args:?}: {err}"
        );
        assert!(
            !want.exists() && !dir.path().join("data").exists(),
            "{args:?}"
        );
    }
}

/// Output into a pipe whose reader has gone (`| head -1`) ends the command
/// as it ends `cat` (status 141, nothing on stderr), not with a panic.
#[test]
fn a_closed_output_pipe_ends_a_command_quietly() {
    // The reader is closed before the child starts: with a reader closed
    // after the spawn, a quick child could write into the pipe's buffer first.
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    drop(reader);
    let out = bin()
        .args(["keygen", "--tenant", "alpha"])
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
