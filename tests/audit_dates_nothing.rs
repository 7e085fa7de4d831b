//! The audit chain dates staff actions, never a reporter's: the same reads made before and after
//! reports arrive leave records that differ in nothing but their time and place in the chain.

mod common;

use common::{Gateway, staff_ok};
use serde_json::Value;

/// (actor, action, case, detail) of each record after the first `skip`.
fn reads(chain: &Value, skip: usize) -> Vec<(String, String, String, String)> {
    chain.as_array().unwrap()[skip..]
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (
                field("actor"),
                field("action"),
                field("case_id"),
                field("detail"),
            )
        })
        .filter(|(_, action, _, _)| action != "export-audit")
        .collect()
}

#[tokio::test]
async fn the_same_staff_reads_before_and_after_a_report_arrives_leave_the_same_records() {
    let gateway = Gateway::start();
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "the first report")])
        .await;
    assert_eq!(status, 200);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let round = || {
        let gateway = &gateway;
        staff_ok(gateway, "intake-minusca", &["cases"]);
        staff_ok(gateway, "intake-minusca", &["overdue"]);
        staff_ok(gateway, "assistance-minusca", &["assistance"]);
        staff_ok(gateway, "auditor", &["overdue"]);
        let out = tempfile::tempdir().unwrap();
        staff_ok(
            gateway,
            "intake-minusca",
            &["pull", "--new", "--out", out.path().to_str().unwrap()],
        );
    };
    let gateway = &gateway;
    let export = |at: usize| async move {
        let (status, chain) = gateway.staff_get("auditor", "/api/v1/staff/audit").await;
        assert_eq!(status, 200);
        reads(&chain, at)
    };

    let start = export(0).await.len() + 1;
    round();
    let before = export(start).await;
    let next = start + before.len() + 1;
    for n in 0..3 {
        let (status, _) = gateway
            .submit_form(&[
                ("entity", "minusca"),
                ("description", &format!("report {n}")),
            ])
            .await;
        assert_eq!(status, 200);
    }
    round();
    let mut after = export(next).await;
    // `pull --new` also reads the new cases' envelopes: records of cases the first round could
    // not know. Everything the first round read is read again the same way.
    after.retain(|(_, _, c, _)| c.is_empty() || c == &case);
    assert!(!before.is_empty());
    assert_eq!(after, before, "a read's record moved when reports arrived");
}
