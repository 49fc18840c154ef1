//! Reading the Kubernetes manifests as text (no YAML crate): the documents
//! kustomization.yaml lists, and the fields, blocks and ports the checks in
//! `k8s.rs` compare.

use std::collections::BTreeMap;

use crate::{read, repo};

// === Kubernetes ===

pub(crate) const K8S: &str = "deploy/k8s";

/// One YAML document's top-level facts, read as text (no YAML crate): enough
/// to check the manifests refer to each other correctly.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) file: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) text: String,
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

pub(crate) fn documents() -> Vec<Doc> {
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

pub(crate) fn doc<'a>(docs: &'a [Doc], kind: &str, name: &str) -> &'a Doc {
    docs.iter()
        .find(|d| d.kind == kind && d.name == name)
        .unwrap_or_else(|| panic!("no {kind} `{name}` in {K8S}; have {docs:#?}"))
}

/// The gateway config embedded in the ConfigMap under `gateway.toml: |`.
pub(crate) fn embedded_config(configmap: &str) -> toml::Table {
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

pub(crate) fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("`{addr}` has no port"))
}

/// `- name: X` followed by `containerPort: N` (or `port: N`) pairs.
pub(crate) fn named_ports(text: &str, port_key: &str) -> BTreeMap<String, String> {
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
pub(crate) fn block<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| l.trim() != key);
    let Some(head) = lines.next() else {
        panic!("no `{key}` in:\n{text}");
    };
    let indent = head.len() - head.trim_start().len();
    lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .collect()
}

pub(crate) fn value_in(lines: &[&str], key: &str) -> String {
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
