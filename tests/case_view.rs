//! One case in one place (`confide staff case`), named by the first digits of its id; an
//! authored, ordered conversation whose authors the reporter never learns; internal notes for
//! the case's staff only; and a list of cases that says what is new.

mod common;

use common::{Gateway, staff_ok};
use serde_json::Value;

const NOTE: &str = "Ask her about the date of the second meeting.";
const REPLY: &str = "We have read your report and will keep you informed here.";

fn json_of(gateway: &Gateway, name: &str, args: &[&str]) -> Value {
    let output = gateway.staff_cli(name, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn a_case_is_read_in_one_place_with_who_wrote_what_and_the_reporter_never_sees_staff_names() {
    let gateway = Gateway::start();
    let photo: Vec<u8> = (0..5_000u32).map(|i| (i % 251) as u8).collect();
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[("entity", "minusca"), ("description", "what happened")],
            &[("files", "photo.jpg", &photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let token = common::token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let prefix = &case[..6];

    // A list with a header, its counts, and NEW until the case is pulled into the folder.
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().to_str().unwrap();
    let listed = staff_ok(&gateway, "intake-minusca", &["cases", "--out", out_arg]);
    let mut lines = listed.lines();
    assert!(lines.next().unwrap().starts_with("CASE "), "{listed}");
    let row = lines.next().unwrap();
    assert!(row.starts_with(&case[..8]), "{listed}");
    assert!(row.contains(" NEW "), "nothing is pulled yet: {listed}");
    let counted = json_of(&gateway, "intake-minusca", &["--json", "cases"]);
    assert_eq!(counted[0]["files"], 1, "{counted}");
    assert_eq!(counted[0]["envelopes"], 2, "{counted}");

    // Every command takes the first digits of the id.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["status", prefix, "acknowledged"],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", prefix, "--message", REPLY],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["internal-note", prefix, "--message", NOTE],
    );
    let wrong = gateway.staff_cli("intake-minusca", &["case", "zz"]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("is not a case id"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );

    // The reporter reads the reply, and neither the note nor who wrote to them.
    let status_page = gateway.status_page(&token).await;
    assert!(status_page.contains(REPLY), "{status_page}");
    assert!(!status_page.contains(NOTE));
    assert!(!status_page.contains("intake-minusca"));

    // The view, as one document: the case, what may come next, the timeline in order with
    // authors and times for staff items.
    let view = json_of(&gateway, "intake-minusca", &["--json", "case", prefix]);
    assert_eq!(view["view"]["case"]["id"], case.as_str());
    assert_eq!(view["view"]["case"]["status"], "acknowledged");
    assert_eq!(
        view["view"]["next"],
        serde_json::json!(["preliminary_assessment", "closed"])
    );
    let timeline = view["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["report", "attachment", "reply", "internal_note"],
        "{view}"
    );
    let reply = &timeline[2];
    assert_eq!(reply["author"], "intake-minusca", "{reply}");
    assert_eq!(reply["text"], REPLY);
    assert_eq!(reply["seq"], 3, "two envelopes came before it: {reply}");
    assert_eq!(
        reply["answers"], timeline[0]["envelope"],
        "it answers the report"
    );
    assert!(
        reply["at"].as_str().unwrap().ends_with('Z'),
        "an exact UTC time: {reply}"
    );
    let note = &timeline[3];
    assert_eq!(note["author"], "intake-minusca");
    assert_eq!(note["text"], NOTE);
    assert!(
        timeline[0].get("author").is_none(),
        "the reporter's items have a day only"
    );

    // The same for people.
    let shown = staff_ok(&gateway, "intake-minusca", &["case", prefix]);
    for expected in [
        "status: acknowledged",
        "next: preliminary_assessment, closed",
        "assigned: nobody",
        "classification: not yet",
        "by intake-minusca: \"We have read your report",
        "internal_note",
        "consents: none recorded",
    ] {
        assert!(shown.contains(expected), "{expected:?} in:\n{shown}");
    }

    // The internal note is the case's: sealed to its staff, never to the reporter, and copied to
    // a new assignee.
    let (_, envelopes) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    let sealed_note = envelopes
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "internal_note")
        .unwrap();
    assert!(
        !sealed_note["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "reporter"),
        "{sealed_note}"
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", prefix, "--to", "investigator-minusca"],
    );
    let theirs = json_of(
        &gateway,
        "investigator-minusca",
        &["--json", "case", prefix],
    );
    let copies: Vec<&Value> = theirs["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "assignment")
        .collect();
    assert_eq!(
        copies.len(),
        4,
        "the report, the file, the reply, the note: {theirs}"
    );
    assert!(
        copies.iter().all(|c| c.get("author").is_none()),
        "a copy is never shown as written by someone (a reporter's message could claim anyone): {theirs}"
    );
    let files = common::pull(&gateway, "investigator-minusca", &case);
    assert!(
        files.iter().any(|(n, b)| n.starts_with("assignment-")
            && String::from_utf8_lossy(b).contains(NOTE)),
        "the new assignee reads the note in the pulled copy"
    );

    // Pulled, the case is no longer NEW.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["pull", prefix, "--out", out_arg],
    );
    let listed = staff_ok(&gateway, "intake-minusca", &["cases", "--out", out_arg]);
    let row = listed.lines().nth(1).unwrap();
    assert!(!row.contains(" NEW "), "{listed}");

    // Someone who does not work the case is answered as for a case that does not exist.
    let elsewhere = gateway.staff_cli("intake-monusco", &["case", &case]);
    assert!(!elsewhere.status.success());
    assert!(
        String::from_utf8_lossy(&elsewhere.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&elsewhere.stderr)
    );
}
