//! The alert rules: promtool checks them and runs their unit tests, and
//! every alert has a firing and a quiet case.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::{read, require, run_ok};

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
