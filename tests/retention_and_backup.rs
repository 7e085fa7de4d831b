//! Closed cases go after the retention time, leaving counts only; backups restore a gateway
//! that opens old cases, on both backends.

mod common;
#[path = "common/postgres.rs"]
mod postgres;

use common::{Gateway, contains, files_under, pull, staff_ok, token_on_page, tool_available};
use confide::token::Token;

const REPORT: &str = "Retention test report: the contingent's cook threatened a girl.";

#[tokio::test]
async fn a_case_closed_past_retention_is_deleted_and_its_token_answers_like_a_wrong_one() {
    let data = tempfile::tempdir().unwrap();
    let (token, sealed) = {
        let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2026-01-05T09:00:00Z"]);
        let (_, page) = gateway
            .submit_form(&[("entity", "minusca"), ("description", REPORT)])
            .await;
        let case = gateway.first_case_seen_by("intake-minusca").await;
        staff_ok(
            &gateway,
            "intake-minusca",
            &["status", &case, "acknowledged"],
        );
        staff_ok(
            &gateway,
            "intake-minusca",
            &["reply", &case, "--message", "Nothing more can be done."],
        );
        staff_ok(&gateway, "intake-minusca", &["status", &case, "closed"]);
        let files = pull(&gateway, "intake-minusca", &case);
        let sealed = files
            .iter()
            .find(|(n, _)| n.ends_with(".age"))
            .unwrap()
            .1
            .clone();
        // Before the retention time, the case is still there after a restart.
        drop(gateway);
        let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2026-06-01T09:00:00Z"]);
        assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
        (token_on_page(&page), sealed)
    };
    // Positive control: the same search finds the sealed report while the case exists.
    let sample = &sealed[sealed.len() / 2..sealed.len() / 2 + 64];
    assert!(
        files_under(data.path())
            .iter()
            .any(|(_, bytes)| contains(bytes, sample))
    );

    // 365 days after closure (the default), the case goes at start.
    let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2027-01-10T09:00:00Z"]);
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
    let purged = gateway.status_page(&token).await;
    let wrong = gateway.status_page(&Token::generate().display()).await;
    assert!(purged.contains("No case matches"), "{purged}");
    assert_eq!(
        purged, wrong,
        "a purged case's token gets the same answer as a wrong one"
    );
    assert!(
        gateway
            .logs()
            .contains("closed cases past retention were deleted")
    );

    // Not a byte of the sealed report is left in any file of the data directory.
    for (path, bytes) in files_under(data.path()) {
        assert!(
            !contains(&bytes, sample),
            "the sealed report is still in {}",
            path.display()
        );
    }
    let url = format!("sqlite://{}", data.path().join("confide.db").display());
    let counts = confide::store::Store::open_read_only(&url)
        .await
        .unwrap()
        .purged_counts()
        .await
        .unwrap();
    assert_eq!(
        counts,
        vec![("minusca".into(), "2026-01".into(), "closed".into(), 1)]
    );
}

#[tokio::test]
async fn a_sqlite_backup_restores_a_gateway_that_opens_its_old_cases() {
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::start_in(data.path());
    let (_, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let token = token_on_page(&page);
    let backup = data.path().join("backup.db");
    // A backup of the live database, taken while the gateway runs.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .arg("backup")
        .arg("--config")
        .arg(common::keys().join("confide.toml"))
        .arg("--out")
        .arg(&backup)
        .env("CONFIDE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    drop(gateway);

    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&backup, restored.path().join("confide.db")).unwrap();
    let gateway = Gateway::start_in(restored.path());
    opens_its_old_case(&gateway, &token).await;
}

#[tokio::test]
async fn a_postgresql_dump_restores_a_gateway_that_opens_its_old_cases() {
    if !tool_available("pg_dump") || !tool_available("pg_restore") {
        return;
    }
    let Some(original) = postgres::TestDatabase::create().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::start_with(data.path(), &["--database-url", &original.url]);
    let (_, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let token = token_on_page(&page);
    let dump = data.path().join("confide.dump");
    let output = std::process::Command::new("pg_dump")
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(&original.url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    drop(gateway);

    let Some(copy) = postgres::TestDatabase::create().await else {
        return;
    };
    let output = std::process::Command::new("pg_restore")
        .args(["--no-owner", "-d"])
        .arg(&copy.url)
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let gateway = Gateway::start_with(data.path(), &["--database-url", &copy.url]);
    opens_its_old_case(&gateway, &token).await;
}

/// The restored gateway finds the case by its token, and intake opens the report.
async fn opens_its_old_case(gateway: &Gateway, token: &str) {
    assert!(gateway.status_page(token).await.contains("arrived safely"));
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let files = pull(gateway, "intake-minusca", &case);
    assert!(
        files
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains(REPORT))
    );
}
