//! Yearly statistics (resolution 78/331 para 16) over a generated set of reports: counted the
//! way the UN counts, small counts suppressed with their complements, exported as JSON, CSV and
//! a self-contained HTML report, for auditors only, and the same from `confide stats`.

mod common;

use common::{Gateway, keys, staff_ok};
use serde_json::{Value, json};

/// Files `n` reports to `entity` and classifies them; returns their case ids.
async fn reports(gateway: &Gateway, entity: &str, n: usize, classification: Option<Value>) {
    let intake = format!("intake-{entity}");
    for i in 0..n {
        let description = format!("Report {i} for the statistics test.");
        let (status, page) = gateway
            .submit_form(&[("entity", entity), ("description", &description)])
            .await;
        assert_eq!(status, 200, "{page}");
        let Some(classification) = &classification else {
            continue;
        };
        let cases = gateway.cases_seen_by(&intake).await;
        let case = cases
            .iter()
            .find(|c| {
                !CLASSIFIED
                    .lock()
                    .unwrap()
                    .contains(&c["id"].as_str().unwrap().to_string())
            })
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, body) = gateway
            .staff_post(
                &intake,
                &format!("/api/v1/staff/cases/{case}/classification"),
                classification.clone(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        CLASSIFIED.lock().unwrap().push(case);
    }
}

/// Cases classified so far (reports left unclassified are filed last).
static CLASSIFIED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn table<'a>(stats: &'a Value, id: &str) -> &'a Value {
    stats["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no table {id}"))
}

fn cell(stats: &Value, id: &str, row: &str, column: &str) -> Value {
    let t = table(stats, id);
    let r = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == row)
        .unwrap();
    let c = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == column)
        .unwrap();
    t["cells"][r][c].clone()
}

/// Every published table as a grid with its margins: rows of cells then the row total, and
/// last the column totals then the grand total.
fn extended(t: &Value) -> Vec<Vec<Value>> {
    let mut grid: Vec<Vec<Value>> = t["cells"]
        .as_array()
        .unwrap()
        .iter()
        .zip(t["row_totals"].as_array().unwrap())
        .map(|(row, total)| {
            let mut line = row.as_array().unwrap().clone();
            line.push(total.clone());
            line
        })
        .collect();
    let mut last = t["column_totals"].as_array().unwrap().clone();
    last.push(t["total"].clone());
    grid.push(last);
    grid
}

#[tokio::test]
async fn statistics_count_per_report_hide_small_counts_and_export_for_auditors_only() {
    let gateway = Gateway::start();
    let group = |category: &str, state: Option<&str>| match state {
        Some(state) => json!({ "category": category, "member_state": state }),
        None => json!({ "category": category }),
    };
    let classified = |allegation: &str, groups: Vec<Value>, victims: Value| {
        Some(json!({ "allegation": allegation, "implicated": groups, "victims": victims }))
    };
    let minusca = [
        // 8 reports implicating two categories of XAA's personnel.
        (
            8,
            classified(
                "sexual_abuse",
                vec![
                    group("military_contingent", Some("XAA")),
                    group("formed_police_unit", Some("XAA")),
                ],
                json!({ "adult": 1 }),
            ),
        ),
        (
            6,
            classified(
                "sexual_exploitation",
                vec![group("military_contingent", Some("XBB"))],
                json!({ "child": 1 }),
            ),
        ),
        (
            3,
            classified(
                "sexual_exploitation",
                vec![group("staff_member", None)],
                json!({ "unknown_age": 1 }),
            ),
        ),
        (2, None),
    ];
    let monusco = [
        (
            6,
            classified(
                "sexual_exploitation",
                vec![group("staff_member", None)],
                json!({ "unknown_age": 2 }),
            ),
        ),
        (
            5,
            classified(
                "sexual_abuse",
                vec![group("military_contingent", Some("XBB"))],
                json!({ "adult": 1 }),
            ),
        ),
        (
            2,
            classified(
                "sexual_abuse",
                vec![group("formed_police_unit", Some("XAA"))],
                json!({ "child": 1 }),
            ),
        ),
        (1, None),
    ];
    for (entity, batches) in [("minusca", minusca), ("monusco", monusco)] {
        for (n, classification) in batches {
            reports(&gateway, entity, n, classification).await;
        }
    }

    let year = time::OffsetDateTime::now_utc().year().to_string();
    let path = format!("/api/v1/staff/statistics?year={year}");
    let (status, _) = gateway.staff_get("intake-minusca", &path).await;
    assert_eq!(status, 403, "aggregates are for auditors");
    let (status, stats) = gateway.staff_get("auditor", &path).await;
    assert_eq!(status, 200, "{stats}");

    // Counted as the UN counts: one per report, once under each category and each Member State
    // it implicates. Margins are never hidden (only counts under 5 are), so they are checked.
    let categories = "reports_by_personnel_category";
    assert_eq!(
        table(&stats, categories)["total"],
        (8 * 2 + 6 + 3) + (6 + 5 + 2),
        "the 8 reports implicating two categories count twice"
    );
    assert_eq!(
        table(&stats, categories)["column_totals"][6],
        8 + 6 + 5,
        "military_contingent, across entities"
    );
    assert_eq!(
        table(&stats, categories)["columns"][6],
        "military_contingent"
    );
    assert_eq!(
        table(&stats, "reports_by_member_state")["total"],
        8 + 6 + 5 + 2
    );
    assert_eq!(
        table(&stats, "reports_by_allegation")["row_totals"],
        json!([19, 14])
    );
    assert_eq!(table(&stats, "reports_by_quarter")["total"], 33);
    assert_eq!(
        table(&stats, "victims_by_age_group")["total"],
        (8 + 6 + 3) + (12 + 5 + 2)
    );
    for t in stats["tables"].as_array().unwrap() {
        assert_eq!(t["withheld"], false, "{} was withheld", t["id"]);
    }
    // Small counts show as "<5", never the number.
    assert_eq!(cell(&stats, categories, "minusca", "staff_member"), "<5");
    assert_eq!(
        cell(&stats, "reports_by_member_state", "monusco", "XAA"),
        "<5"
    );
    for t in stats["tables"].as_array().unwrap() {
        if t["withheld"] == true {
            continue;
        }
        let grid = extended(t);
        for value in grid.iter().flatten() {
            if let Some(n) = value.as_u64() {
                assert!(n == 0 || n >= 5, "{} shows {n}", t["id"]);
            }
        }
        // No line holds exactly one hidden count: otherwise its total would give it away.
        let hidden = |v: &Value| v.is_string();
        for row in &grid {
            assert_ne!(
                row.iter().filter(|v| hidden(v)).count(),
                1,
                "{}: {row:?}",
                t["id"]
            );
        }
        for c in 0..grid[0].len() {
            let column = grid.iter().filter(|row| hidden(&row[c])).count();
            assert_ne!(column, 1, "{} column {c}", t["id"]);
        }
    }

    // CSV and HTML from the staff listener.
    let client = gateway.staff_client("auditor");
    let csv = client
        .get(format!("{}{path}&format=csv", gateway.staff))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("table,row,column,value\n"));
    assert!(
        csv.contains("\nreports_by_personnel_category,total,military_contingent,19\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nreports_by_personnel_category,minusca,staff_member,<5\n"),
        "{csv}"
    );
    let response = client
        .get(format!("{}{path}&format=html", gateway.staff))
        .send()
        .await
        .unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("style-src 'sha256-") && policy.starts_with("default-src 'none'"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("military_contingent"));
    for external in ["http://", "https://", "src=", "href=", "<script", "@import"] {
        assert!(!html.contains(external), "{external} in the report");
    }
    let (status, _) = gateway
        .staff_get("auditor", "/api/v1/staff/statistics?year=1")
        .await;
    assert_eq!(status, 422);
    if let Ok(dir) = std::env::var("STATISTICS_REPORT_DIR") {
        std::fs::write(std::path::Path::new(&dir).join("statistics.html"), &html).unwrap();
    }

    // The auditor's CLI writes the same; `confide stats` reads the database directly.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stats.json");
    staff_ok(
        &gateway,
        "auditor",
        &[
            "statistics",
            "--year",
            &year,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let via_cli: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(via_cli["tables"], stats["tables"]);

    let config = dir.path().join("confide.toml");
    let example = std::fs::read_to_string(keys().join("confide.toml")).unwrap();
    let absolute = example
        .replace("\"../demo-data\"", &format!("{:?}", gateway.data_dir))
        .replace(
            "\"keyring.toml\"",
            &format!("{:?}", keys().join("keyring.toml")),
        )
        .replace(
            "\"server-secret\"",
            &format!("{:?}", keys().join("server-secret")),
        )
        .replace("\"tls/", &format!("\"{}/tls/", keys().display()));
    std::fs::write(&config, absolute).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .args(["stats", "--year", &year, "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let local: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(local["tables"], stats["tables"]);
}
