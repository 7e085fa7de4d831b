//! A week of casework, scripted, across every role, on the real binary, the gateway restarted
//! each morning with the clock moved on: a survivor reports with a photo and later adds
//! another; intake acknowledges, replies, classifies, hands a need to assistance, assigns and
//! notifies the Member State; the investigator pulls, asks, notes and concludes; the focal point
//! acknowledges and records national action; the assistance officer refers and tracks the
//! service; the auditor exports. It asserts that nothing is lost (every envelope sealed to a
//! person is in their folder, both photos whole, after pull upon pull), that the survivor reads
//! the replies and nothing of the staff's, and that every mistake a new user makes is refused
//! with its fix named. It prints how many commands the week took and how many were refused.

mod common;

use std::path::{Path, PathBuf};

use common::{Gateway, token_on_page};
use serde_json::Value;

/// The staff commands of the week, and those refused.
struct Week {
    data: tempfile::TempDir,
    folders: tempfile::TempDir,
    gateway: Option<Gateway>,
    commands: usize,
    refused: Vec<String>,
}

impl Week {
    fn new() -> Week {
        Week {
            data: tempfile::tempdir().unwrap(),
            folders: tempfile::tempdir().unwrap(),
            gateway: None,
            commands: 0,
            refused: Vec::new(),
        }
    }

    /// A new morning: the gateway restarted on the same database, the clock on that day.
    fn morning(&mut self, day: &str) -> &Gateway {
        self.gateway = None;
        let now = format!("{day}T08:00:00Z");
        self.gateway = Some(Gateway::start_with(
            self.data.path(),
            &["--pretend-now", &now],
        ));
        self.gateway()
    }

    fn gateway(&self) -> &Gateway {
        self.gateway.as_ref().unwrap()
    }

    /// Each person's pull folder.
    fn folder(&self, name: &str) -> PathBuf {
        self.folders.path().join(name)
    }

    /// A command that must work; returns what it printed.
    fn ok(&mut self, name: &str, args: &[&str]) -> String {
        self.commands += 1;
        let output = self.gateway().staff_cli(name, args);
        assert!(
            output.status.success(),
            "{name}: confide staff {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `--json` of a command that must work.
    fn json(&mut self, name: &str, args: &[&str]) -> Value {
        let mut with = vec!["--json"];
        with.extend_from_slice(args);
        serde_json::from_str(&self.ok(name, &with)).unwrap()
    }

    /// A mistake: refused, changing nothing, with the fix in the answer.
    fn mistake(&mut self, name: &str, args: &[&str], fix: &str) {
        self.commands += 1;
        let output = self.gateway().staff_cli(name, args);
        let said = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{name}: {args:?} was not refused");
        assert!(
            said.contains(fix),
            "{name}: {args:?} was refused without naming its fix ({fix:?}): {said}"
        );
        assert!(!said.contains("panicked"), "{said}");
        self.refused.push(format!("{name} {}", args.join(" ")));
    }

    /// Pulls everything new into the person's folder; returns the case folder's file names.
    fn pull_new(&mut self, name: &str, case: &str) -> Vec<String> {
        let folder = self.folder(name);
        self.ok(name, &["pull", "--new", "--out", folder.to_str().unwrap()]);
        names_in(&folder.join(case))
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every envelope sealed to `name` in the case is kept in their folder.
fn nothing_lost(week: &mut Week, name: &str, case: &str) {
    let view = week.json(name, &["case", &case[..8]]);
    let sealed: Vec<String> = view["view"]["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}-{}.age",
                e["kind"].as_str().unwrap(),
                e["id"].as_str().unwrap()
            )
        })
        .collect();
    let kept = names_in(&week.folder(name).join(case));
    for file in &sealed {
        assert!(kept.contains(file), "{name} lost {file}: {kept:?}");
    }
}

fn photo(seed: u32, len: u32) -> Vec<u8> {
    (0..len).map(|i| ((i * seed) % 251) as u8).collect()
}

#[tokio::test]
async fn a_week_of_casework_in_every_role_loses_nothing_and_every_mistake_names_its_fix() {
    let mut week = Week::new();
    let first_photo = photo(7, 40_000);
    let second_photo = photo(13, 60_000);

    // Monday. The survivor reports from a phone, without JavaScript, with a photo.
    let gateway = week.morning("2026-03-02");
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                (
                    "description",
                    "A soldier at the checkpoint asked for sex for food.",
                ),
            ],
            &[("files", "checkpoint.jpg", &first_photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let token = token_on_page(&page);
    let listed = week.json("intake-minusca", &["cases"]);
    let case = listed[0]["id"].as_str().unwrap().to_string();
    let c = &case[..8];

    week.mistake(
        "intake-minusca",
        &["case", &case[..3]],
        "at least the first 6 digits",
    );
    week.ok("intake-minusca", &["case", c]);
    week.mistake(
        "intake-minusca",
        &["status", c, "acknowleged"],
        "use one of: received, acknowledged",
    );
    week.mistake(
        "intake-minusca",
        &["status", c, "under_investigation"],
        "can become: acknowledged",
    );
    week.ok("intake-minusca", &["status", c, "acknowledged"]);
    week.ok(
        "intake-minusca",
        &[
            "reply",
            c,
            "--message",
            "We have read your report. You are safe to write here.",
        ],
    );
    week.mistake(
        "intake-minusca",
        &["classify", c, "--allegation", "exploitation"],
        "use one of: sexual_exploitation",
    );
    week.ok(
        "intake-minusca",
        &[
            "classify",
            c,
            "--allegation",
            "sexual_exploitation",
            "--implicated",
            "military_contingent:XAA",
            "--adults",
            "1",
        ],
    );
    week.ok(
        "intake-minusca",
        &[
            "consent",
            c,
            "--purpose",
            "receive_assistance",
            "--audience",
            "assistance_staff",
        ],
    );
    week.ok(
        "intake-minusca",
        &["note", c, "--message", "She needs medical care and food."],
    );
    week.ok(
        "intake-minusca",
        &[
            "internal-note",
            c,
            "--message",
            "Checkpoint 4, night shift.",
        ],
    );
    let files = week.pull_new("intake-minusca", &case);
    assert!(
        files.iter().any(|f| f.ends_with("-checkpoint.jpg")),
        "{files:?}"
    );

    // Tuesday. Assessment, assignment, the investigator's first pull; the survivor adds a
    // second photo, and the second pull finds it beside the first.
    week.morning("2026-03-03");
    week.ok("intake-minusca", &["status", c, "preliminary_assessment"]);
    week.mistake(
        "intake-minusca",
        &["assign", c, "--to", "investigator-monusco"],
        "is not an investigator of minusca in the keyring",
    );
    week.ok(
        "intake-minusca",
        &["assign", c, "--to", "investigator-minusca"],
    );
    week.mistake("investigator-minusca", &["pull", c], "give --out DIR");
    let first = week.pull_new("investigator-minusca", &case);
    let (status, page) = week
        .gateway()
        .post_multipart(
            "/status/message",
            &[
                ("token", &token),
                ("message", "Here is the gate where it happened."),
            ],
            &[("files", "gate.jpg", &second_photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let second = week.pull_new("investigator-minusca", &case);
    assert!(
        first.iter().all(|f| second.contains(f)),
        "nothing that was there is gone"
    );
    let folder = week.folder("investigator-minusca").join(&case);
    let kept = |suffix: &str| {
        let name = second
            .iter()
            .find(|f| f.ends_with(suffix))
            .unwrap_or_else(|| panic!("no file ending {suffix} in {second:?}"));
        std::fs::read(folder.join(name)).unwrap()
    };
    assert_eq!(kept("-checkpoint.jpg"), first_photo);
    assert_eq!(kept("-gate.jpg"), second_photo);
    week.ok(
        "investigator-minusca",
        &["reply", c, "--message", "Thank you. Which night was it?"],
    );
    week.ok(
        "investigator-minusca",
        &[
            "note",
            c,
            "--message",
            "She asked about a safe place to stay.",
        ],
    );
    week.mistake(
        "investigator-minusca",
        &[
            "refer",
            c,
            "--service",
            "safety_protection",
            "--provider",
            "shelter-1",
        ],
        "confide staff note",
    );
    week.ok(
        "intake-minusca",
        &[
            "notify",
            c,
            "--member-state",
            "XAA",
            "--message",
            "A case implicates your contingent.",
        ],
    );

    // Wednesday. The focal point and the assistance officer.
    week.morning("2026-03-04");
    let mine = week.json("member-state-focal-point", &["notifications"]);
    let notification = mine[0]["id"].as_str().unwrap().to_string();
    let n = &notification[..8];
    week.ok("member-state-focal-point", &["acknowledge", n]);
    week.mistake(
        "member-state-focal-point",
        &["acknowledge", n],
        "acknowledged already",
    );
    week.mistake(
        "member-state-focal-point",
        &["national-action", n, "investigating"],
        "use one of: national_investigator_appointed",
    );
    week.ok(
        "member-state-focal-point",
        &[
            "national-action",
            n,
            "investigation_opened",
            "--message",
            "A national officer is appointed.",
        ],
    );
    week.mistake(
        "member-state-focal-point",
        &["case", c],
        "`confide staff cases` lists the ones you may see",
    );
    let assistance = week.ok("assistance-minusca", &["assistance"]);
    assert!(assistance.contains(&case), "{assistance}");
    let offered = week.json(
        "assistance-minusca",
        &["refer", c, "--service", "medical", "--provider", "clinic-a"],
    );
    let referral = offered["id"].as_str().unwrap().to_string();
    week.ok("assistance-minusca", &["referral", &referral, "accepted"]);
    week.ok("assistance-minusca", &["referral", &referral, "delivered"]);
    week.mistake(
        "assistance-minusca",
        &["referral", &referral, "offered"],
        "delivered",
    );
    // The assistance officer's view of the case is its assistance: consents, referrals, notes.
    let theirs = week.ok("assistance-minusca", &["case", c]);
    for seen in [
        "receive_assistance",
        "medical",
        "delivered",
        "notes sealed to you: 2",
    ] {
        assert!(theirs.contains(seen), "{seen:?} in {theirs}");
    }
    week.ok(
        "investigator-minusca",
        &["status", c, "under_investigation"],
    );

    // Thursday. The conclusion: not closed before the survivor is told.
    week.morning("2026-03-05");
    week.ok("investigator-minusca", &["status", c, "substantiated"]);
    week.mistake(
        "investigator-minusca",
        &["status", c, "closed"],
        "Send the reporter a final reply before closing",
    );
    week.ok(
        "investigator-minusca",
        &[
            "reply",
            c,
            "--message",
            "What you reported was confirmed. Support stays open to you.",
        ],
    );
    week.ok("investigator-minusca", &["status", c, "closed"]);
    week.mistake(
        "investigator-minusca",
        &["reply", c, "--message", "one more thing"],
        "closed",
    );

    // The survivor reads every reply, in plain words, and nothing of the staff's.
    let status_page = week.gateway().status_page(&token).await;
    for seen in [
        "We have read your report",
        "Which night was it?",
        "What you reported was confirmed",
        "This case is closed",
    ] {
        assert!(status_page.contains(seen), "{seen:?} on the status page");
    }
    for hidden in [
        "Checkpoint 4",
        "medical care and food",
        "safe place to stay",
        "intake-minusca",
        "investigator-minusca",
        "national officer",
    ] {
        assert!(
            !status_page.contains(hidden),
            "{hidden:?} reached the survivor"
        );
    }

    // Friday. The auditor, and everyone's folder after the week.
    week.morning("2026-03-06");
    week.ok("auditor", &["overdue"]);
    let audit = week.folders.path().join("audit.jsonl");
    week.ok("auditor", &["audit", "--out", audit.to_str().unwrap()]);
    week.mistake(
        "auditor",
        &[
            "statistics",
            "--year",
            "2026",
            "--format",
            "pdf",
            "--out",
            "/dev/null",
        ],
        "json, csv or html",
    );
    let stats = week.folders.path().join("2026.csv");
    week.ok(
        "auditor",
        &[
            "statistics",
            "--year",
            "2026",
            "--format",
            "csv",
            "--out",
            stats.to_str().unwrap(),
        ],
    );
    week.mistake(
        "auditor",
        &["audit", "--out", audit.to_str().unwrap()],
        "does it exist already?",
    );
    for name in ["intake-minusca", "investigator-minusca"] {
        week.pull_new(name, &case);
        nothing_lost(&mut week, name, &case);
    }
    let timeline = week.json("investigator-minusca", &["case", c]);
    let replies: Vec<&Value> = timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "reply")
        .collect();
    assert_eq!(
        replies.len(),
        2,
        "the investigator's two replies: {timeline}"
    );
    assert!(
        replies
            .iter()
            .all(|r| r["author"] == "investigator-minusca"),
        "{timeline}"
    );

    println!(
        "a week of casework: {} staff commands, {} refused (each naming its fix), none failed otherwise",
        week.commands,
        week.refused.len()
    );
    for refused in &week.refused {
        println!("  refused: {refused}");
    }
}
