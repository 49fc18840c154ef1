//! The binary's commands: `check-config` on the shipped and the Kubernetes
//! configs, its exit code 64 with every problem, unknown and unpriced
//! features, secrets unless `--offline`, JSON output; `keygen`; usage errors.

use crate::bin;

#[test]
fn shipped_configs_pass_check_config() {
    let mut files = vec!["config/gateway.toml".to_string()];
    for dir in ["config", "deploy/k8s"] {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p.display().to_string());
                }
            }
        }
    }
    for f in files {
        // --offline: the shipped configs name secrets this machine lacks.
        let out = bin()
            .args(["check-config", "--offline", "--config", &f])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_config_exits_64_and_lists_problems() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[plan]\ntier = \"gold\"\nmax_video_seconds = 0\n").unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plan.tier") && stderr.contains("plan.max_video_seconds"),
        "{stderr}"
    );
}

#[test]
fn keygen_prints_a_token_and_its_hash_line() {
    let out = bin()
        .args(["keygen", "--tenant", "marketing"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let token = text
        .lines()
        .find(|l| l.starts_with("hgw_"))
        .expect("token line");
    assert!(token.len() >= 4 + 32, "at least 128 bits");
    let want = heygen_gateway::auth::hash_line(token);
    assert!(text.contains(&want), "{text}");
    // A tenant id the config would refuse gets no token.
    for bad in ["Bad Tenant!", "org", ""] {
        let out = bin().args(["keygen", "--tenant", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--tenant"),
            "{bad:?}"
        );
    }
}

/// The Kubernetes ConfigMap embeds a config file under `gateway.toml: |`.
#[test]
fn kubernetes_configmap_config_passes_check_config() {
    let yaml = std::fs::read_to_string("deploy/k8s/configmap.yaml").unwrap();
    let mut lines = yaml
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("gateway.toml: |"))
        .skip(1)
        .peekable();
    let first = *lines.peek().expect("configmap embeds gateway.toml");
    let indent = first.len() - first.trim_start().len();
    let toml: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, toml.join("\n")).unwrap();
    let out = bin()
        .args(["check-config", "--offline", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `check-config` refuses a price book that names a feature the catalog does
/// not have, or leaves a catalog feature without a price, naming each key.
#[test]
fn check_config_reports_unknown_and_unpriced_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pricing.toml");
    std::fs::write(
        &path,
        "[pricing]\nversion = \"acme-1\"\ninherit_defaults = false\n\
         [pricing.features.teleport]\ncredits_per_call = 1\n\
         [pricing.features.avatar_iv]\ncredits_per_minute = 6.0\nincrement_seconds = 30\n",
    )
    .unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    for key in [
        "`pricing.features.teleport`",
        "`pricing.features.standard_avatar.credits_per_minute`",
    ] {
        assert!(stderr.contains(key), "missing {key} in {stderr}");
    }
    // The feature that is priced is not reported.
    assert!(!stderr.contains("`pricing.features.avatar_iv"), "{stderr}");

    // With the defaults inherited, overriding one feature is fine.
    std::fs::write(
        &path,
        "[pricing]\nversion = \"acme-2\"\n\
         [pricing.features.avatar_iv]\ncredits_per_minute = 5.0\nincrement_seconds = 30\n",
    )
    .unwrap();
    let out = bin()
        .args(["check-config", "--offline", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("acme-2"),
        "the version is reported: {stdout}"
    );
}

#[test]
fn usage_errors_exit_64_and_help_exits_0() {
    for args in [
        &["bogus"][..],
        &["keygen"][..],
        &["serve", "--no-such-flag"][..],
    ] {
        let out = bin().args(args).output().expect("run the binary");
        assert_eq!(out.status.code(), Some(64), "{args:?}: {out:?}");
        assert!(
            !out.stderr.is_empty(),
            "{args:?}: the usage error is explained"
        );
    }
    let out = bin().arg("--help").output().expect("run the binary");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn check_config_checks_secrets_unless_offline_and_speaks_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("g.toml");
    std::fs::write(
        &f,
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstream]\napi_key_env = \"HGW_TEST_ORG_KEY_UNSET\"\n\
         [org.budgets]\ndaily = 100\nmonthly = 10\n",
    )
    .unwrap();
    let path = f.display().to_string();
    let out = bin()
        .args(["check-config", "--config", &path])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("upstream.api_key_env"), "{err}");
    assert!(
        err.contains("org.budgets.daily"),
        "inconsistent budgets warned: {err}"
    );
    let out = bin()
        .args([
            "check-config",
            "--offline",
            "--format",
            "json",
            "--config",
            &path,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["warnings"][0]["key"], "org.budgets.daily", "{v}");
    assert_eq!(v["store"], "sqlite data/ledger.db", "no Debug output: {v}");
}
