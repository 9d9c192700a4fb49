//! The layers are the crates' dependency edges (`cargo metadata`), so a forbidden import does
//! not compile; this test keeps the edges themselves from drifting. The rules:
//!
//! - `entitle-wire` depends on no other crate of the workspace;
//! - `entitle-sandbox` depends on the wire types only: never on the core or the engine, so the
//!   simulator cannot share (and hide) a bug of the client;
//! - `entitle-core` has no tokio, no HTTP, no database: planning is a pure function;
//! - `entitle-engine` never depends on the sandbox;
//! - and nothing links aws-lc (TLS is rustls on ring).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// `cmd` on the real clock: CI runs the suite under libfaketime (a clock years ahead), under
/// which cargo's own waits never end; the dependency graph does not depend on the date.
fn untimed(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
}

/// Every package's normal (not dev, not build) dependencies, resolved, by package name.
struct Graph {
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    fn load() -> Graph {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // This machine's platform only: the packages of others are not downloaded here.
        let rustc = untimed(&mut Command::new("rustc"))
            .arg("-vV")
            .output()
            .expect("rustc -vV runs");
        let host = String::from_utf8(rustc.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .expect("rustc -vV names the host");
        let out = untimed(&mut Command::new(cargo))
            .args(["metadata", "--format-version", "1", "--locked", "--offline"])
            .args(["--filter-platform", &host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(
            out.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
        let name_of: BTreeMap<&str, &str> = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
            .collect();
        let mut deps = BTreeMap::new();
        for node in meta["resolve"]["nodes"].as_array().unwrap() {
            let name = name_of[node["id"].as_str().unwrap()].to_owned();
            let normal: BTreeSet<String> = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| name_of[d["pkg"].as_str().unwrap()].to_owned())
                .collect();
            deps.entry(name)
                .or_insert_with(BTreeSet::new)
                .extend(normal);
        }
        Graph { deps }
    }

    /// Everything `package` links, transitively (normal dependencies only).
    fn closure(&self, package: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![package.to_owned()];
        while let Some(p) = stack.pop() {
            for d in self.deps.get(&p).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    }

    /// The crates of `forbidden` that `package` links, with the path to the first of them.
    fn violations(&self, package: &str, forbidden: &[&str]) -> Vec<String> {
        let linked = self.closure(package);
        forbidden
            .iter()
            .filter(|f| linked.contains(**f))
            .map(|f| format!("{package} links {f}"))
            .collect()
    }
}

#[test]
fn the_workspace_is_the_five_crates() {
    let graph = Graph::load();
    for member in [
        "entitle",
        "entitle-wire",
        "entitle-sandbox",
        "entitle-core",
        "entitle-engine",
    ] {
        assert!(
            graph.deps.contains_key(member),
            "no workspace member {member}"
        );
    }
}

#[test]
fn each_layer_depends_only_on_the_layers_below_it() {
    let graph = Graph::load();
    let mut bad = Vec::new();
    bad.extend(graph.violations(
        "entitle-wire",
        &[
            "entitle-sandbox",
            "entitle-core",
            "entitle-engine",
            "entitle",
            "tokio",
        ],
    ));
    bad.extend(graph.violations(
        "entitle-sandbox",
        &["entitle-core", "entitle-engine", "entitle", "reqwest"],
    ));
    bad.extend(graph.violations(
        "entitle-core",
        &[
            "entitle-sandbox",
            "entitle-engine",
            "entitle",
            "tokio",
            "reqwest",
            "hyper",
            "axum",
            "tokio-postgres",
        ],
    ));
    bad.extend(graph.violations("entitle-engine", &["entitle-sandbox", "entitle", "axum"]));
    assert!(bad.is_empty(), "layer rules broken:\n{}", bad.join("\n"));
}

#[test]
fn tls_is_rustls_on_ring_without_aws_lc() {
    let graph = Graph::load();
    let linked = graph.closure("entitle");
    assert!(linked.contains("ring"), "the binary does not link ring");
    for c in ["aws-lc-sys", "aws-lc-rs", "openssl-sys", "native-tls"] {
        assert!(!linked.contains(c), "the binary links {c}");
    }
}

/// The rule is real: a graph where the core reached tokio would be caught.
#[test]
fn a_forbidden_edge_is_caught() {
    let mut graph = Graph::load();
    graph
        .deps
        .get_mut("entitle-core")
        .unwrap()
        .insert("entitle-engine".into());
    assert!(
        graph
            .violations("entitle-core", &["tokio"])
            .contains(&"entitle-core links tokio".to_owned())
    );
}
