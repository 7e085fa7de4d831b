//! docs/openapi.yaml describes both JSON APIs: it names every API route the router has and no
//! other, its staff schemas are those of the contract types (`src/staff_api.rs`), a real
//! OpenAPI validator accepts it, and schemathesis, run from it against the real public API,
//! finds no server error.

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

/// The first line of the generated part of `components.schemas`; it runs to `  responses:`.
const GENERATED: &str = "    # Generated from src/staff_api.rs";

/// The staff schemas as docs/openapi.yaml holds them: one JSON line each (JSON is YAML).
fn generated_schemas() -> String {
    let mut out = format!(
        "{GENERATED}: `CONFIDE_BLESS=1 cargo test --test openapi` rewrites what follows.\n"
    );
    for (name, schema) in confide::staff_api::schemas() {
        out.push_str(&format!(
            "    {name}: {}\n",
            serde_json::to_string(&schema).unwrap()
        ));
    }
    out
}

#[test]
fn the_staff_schemas_in_the_description_are_those_of_the_contract_types() {
    let path = root().join("docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(GENERATED)
        .expect("docs/openapi.yaml has the generated schemas");
    let end = start
        + text[start..]
            .find("\n  responses:")
            .expect("responses follow")
        + 1;
    let wanted = generated_schemas();
    if std::env::var_os("CONFIDE_BLESS").is_some() {
        std::fs::write(&path, format!("{}{wanted}{}", &text[..start], &text[end..])).unwrap();
        return;
    }
    assert!(
        text[start..end] == wanted,
        "docs/openapi.yaml's staff schemas are not those of src/staff_api.rs: run `CONFIDE_BLESS=1 cargo test --test openapi` and commit the change"
    );
    assert!(wanted.contains("    CaseRecord: {"), "{wanted}");
}

/// Every staff operation says what it takes and what it answers, by the contract's types: a
/// JSON body for every POST (an upload's is the age file), and a schema for every success.
#[test]
fn every_staff_operation_names_its_request_and_answer_schemas() {
    let text = std::fs::read_to_string(root().join("docs/openapi.yaml")).unwrap();
    let (mut missing, mut seen) = (Vec::new(), 0);
    let mut path = String::new();
    for line in text.lines() {
        if let Some(p) = line
            .strip_prefix("  /api/v1/staff")
            .and_then(|l| l.strip_suffix(':'))
        {
            path = format!("/api/v1/staff{p}");
            continue;
        }
        if !line.starts_with("  /") && !line.starts_with("    ") {
            path.clear();
        }
        if path.is_empty() {
            continue;
        }
        for method in ["get", "post"] {
            let Some(operation) = line.strip_prefix(&format!("    {method}: ")) else {
                continue;
            };
            let answers = operation.contains("#/components/schemas/")
                || operation.contains("application/octet-stream")
                || operation.contains("text/csv");
            let takes = method == "get"
                || operation.contains("requestBody")
                || path.ends_with("/acknowledgement");
            seen += 1;
            if !answers || !takes {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(seen > 25, "the staff operations were read: {seen}");
    assert!(
        missing.is_empty(),
        "staff operations without a request or answer schema (write each on one line): {missing:?}"
    );
}

/// openapi-spec-validator, the reference validator of the OpenAPI Initiative's schemas.
#[test]
fn a_real_openapi_validator_accepts_the_description() {
    if !tool_available("openapi-spec-validator") {
        return;
    }
    let output = Command::new("openapi-spec-validator")
        .arg(root().join("docs/openapi.yaml"))
        .output()
        .expect("openapi-spec-validator runs");
    assert!(
        output.status.success(),
        "docs/openapi.yaml does not validate:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // A comma in an unquoted flow-mapping value makes a key of what follows it (`padded:
    // null`), which JSON Schema allows and so the validator cannot see: no key but a default
    // may be null. PyYAML comes with openapi-spec-validator.
    let script = r#"
import sys, yaml
def walk(x, at):
    if isinstance(x, dict):
        for k, v in x.items():
            if v is None and k != "default":
                print(at + "/" + str(k))
            walk(v, at + "/" + str(k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            walk(v, at + "/" + str(i))
walk(yaml.safe_load(open(sys.argv[1])), "")
"#;
    let python = Command::new("python3")
        .args(["-c", script])
        .arg(root().join("docs/openapi.yaml"))
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let stray = String::from_utf8_lossy(&python.stdout);
    assert!(
        stray.trim().is_empty(),
        "keys made by an unquoted comma (quote the value):\n{stray}"
    );
}
