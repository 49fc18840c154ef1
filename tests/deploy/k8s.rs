//! The Kubernetes manifests agree with each other and with the gateway, and
//! `kubectl kustomize` renders them where kubectl is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::k8s_manifests::{
    block, doc, documents, embedded_config, named_ports, port_of, value_in, K8S,
};
use crate::{read, repo, run_ok, which};

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
