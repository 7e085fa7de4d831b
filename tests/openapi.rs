//! docs/openapi.yaml describes both JSON APIs: it names every API route the router has and no
//! other, and schemathesis, run from it against the real public API, finds no server error.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Gateway, tool_available};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (method, path) of every operation in the description.
fn described() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/openapi.yaml")).unwrap();
    let mut out = BTreeSet::new();
    let mut path: Option<String> = None;
    let mut in_paths = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_paths = line.starts_with("paths:");
            path = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let Some(p) = &path {
            for method in ["get", "post", "put", "delete", "patch"] {
                if line.starts_with(&format!("    {method}:")) {
                    out.insert((method.to_string(), p.clone()));
                }
            }
        }
    }
    out
}

/// (method, path) of every `.route(…)` under src/http whose path is an API path.
fn routed() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for file in files(&root().join("src/http")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices(".route(") {
            // The call's text, up to its closing parenthesis.
            let mut depth = 0;
            let mut end = at;
            for (i, c) in text[at..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = at + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let call = &text[at..end];
            let Some(path) = call.split('"').nth(1) else {
                continue;
            };
            if !path.starts_with("/api/") {
                continue;
            }
            for method in ["get", "post"] {
                if call.contains(&format!("{method}(")) {
                    out.insert((method.to_string(), path.to_string()));
                }
            }
        }
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_description_names_every_api_route_and_nothing_else() {
    let (described, routed) = (described(), routed());
    assert!(routed.len() > 30, "the router was read: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&described).collect();
    let stale: Vec<_> = described.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/openapi.yaml names routes the router lacks: {stale:?}"
    );
}

#[test]
fn schemathesis_finds_no_server_error_in_the_public_api() {
    if !tool_available("schemathesis") {
        return;
    }
    let mut gateway = Gateway::start();
    let work = tempfile::tempdir().unwrap();
    let output = Command::new("schemathesis")
        .current_dir(work.path())
        .args(["run", root().join("docs/openapi.yaml").to_str().unwrap()])
        .args(["--url", &gateway.public])
        .args(["--checks", "not_a_server_error"])
        .args(["--tls-verify", "false"])
        .args(["--include-tag", "public"])
        .args(["--max-examples", "40"])
        .args(["--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .expect("schemathesis runs");
    let said = String::from_utf8_lossy(&output.stdout);
    println!("{said}");
    assert!(
        output.status.success(),
        "schemathesis found a problem:\n{said}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(gateway.is_running(), "the gateway survived");
}
