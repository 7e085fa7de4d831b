//! The staff CLI for scripts and slow links: `--json` prints one JSON document on standard
//! output, and large downloads and uploads show their progress on standard error.

mod common;

use common::Gateway;
use serde_json::Value;

fn run(gateway: &Gateway, name: &str, args: &[&str]) -> (Value, String) {
    let output = gateway.staff_cli(name, args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{args:?}: {stderr}");
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (value, stderr)
}

#[tokio::test]
async fn json_for_scripts_and_progress_for_large_transfers() {
    let gateway = Gateway::start();
    let file: Vec<u8> = (0..1_500_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                ("description", "a report with a video"),
            ],
            &[("files", "video.mp4", &file)],
        )
        .await;
    assert_eq!(status, 200, "{page}");

    let (cases, _) = run(&gateway, "intake-minusca", &["--json", "cases"]);
    let case = cases[0]["id"].as_str().unwrap().to_string();
    assert_eq!(cases.as_array().unwrap().len(), 1);

    let out = tempfile::tempdir().unwrap();
    let (pulled, stderr) = run(
        &gateway,
        "intake-minusca",
        &[
            "--json",
            "--progress",
            "always",
            "pull",
            &case,
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(pulled["case"], case.as_str());
    let opened = pulled["opened"].as_array().unwrap();
    assert_eq!(opened.len(), 2, "{pulled}");
    assert!(
        opened
            .iter()
            .any(|o| o["file"].as_str().unwrap().ends_with("video.mp4"))
    );
    assert!(
        stderr.contains("downloading: ") && stderr.contains("(100%)"),
        "{stderr}"
    );

    let (assigned, stderr) = run(
        &gateway,
        "intake-minusca",
        &[
            "--json",
            "--progress",
            "always",
            "assign",
            &case,
            "--to",
            "investigator-minusca",
        ],
    );
    assert!(
        stderr.contains("uploading: ") && stderr.contains("(100%)"),
        "{stderr}"
    );
    assert_eq!(
        assigned["assignees"][0], "investigator-minusca",
        "{assigned}"
    );

    let (changed, _) = run(
        &gateway,
        "intake-minusca",
        &["--json", "status", &case, "acknowledged"],
    );
    assert_eq!(changed["status"], "acknowledged", "{changed}");

    // Without --progress always, a pipe gets no progress; without --json, sentences.
    let output = gateway.staff_cli("intake-minusca", &["cases"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains(&case[..8]));
    assert!(serde_json::from_slice::<Value>(&output.stdout).is_err());
    let out = tempfile::tempdir().unwrap();
    let output = gateway.staff_cli(
        "intake-minusca",
        &["pull", &case, "--out", out.path().to_str().unwrap()],
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("downloading"));
}

/// The names of the files in a folder, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn pulling_a_case_again_writes_the_new_message_and_photo_and_keeps_what_was_there() {
    let gateway = Gateway::start();
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "what happened")])
        .await;
    assert_eq!(status, 200);
    let token = common::token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join(&case);
    let out_arg = out.path().to_str().unwrap();

    let (first, _) = run(
        &gateway,
        "intake-minusca",
        &["--json", "pull", &case, "--out", out_arg],
    );
    assert_eq!(first["new"], 1, "{first}");
    let before = names_in(&folder);
    let report_file = before
        .iter()
        .find(|n| n.ends_with(".json"))
        .unwrap()
        .clone();
    let report = std::fs::read(folder.join(&report_file)).unwrap();
    assert!(
        !report.ends_with(b"  \n") && report.ends_with(b"}\n"),
        "the padding is stripped"
    );

    // The survivor adds a message with a photo.
    let photo: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let (status, page) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", "here is a photo")],
            &[("files", "photo.jpg", &photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");

    // Every case with something new, in one command: this one.
    let (again, _) = run(
        &gateway,
        "intake-minusca",
        &["--json", "pull", "--new", "--out", out_arg],
    );
    assert_eq!(again["new"], 2, "the message and the photo: {again}");
    let after = names_in(&folder);
    assert!(after.iter().any(|n| n.ends_with("-photo.jpg")), "{after:?}");
    let photo_file = after.iter().find(|n| n.ends_with("-photo.jpg")).unwrap();
    assert_eq!(std::fs::read(folder.join(photo_file)).unwrap(), photo);
    assert!(
        before.iter().all(|n| after.contains(n)),
        "nothing that was there is gone"
    );
    assert_eq!(
        std::fs::read(folder.join(&report_file)).unwrap(),
        report,
        "nothing that was there is changed"
    );
    assert_eq!(
        after.len(),
        before.len() + 4,
        "two sealed, two opened: {after:?}"
    );

    // Pulling again changes nothing and says so.
    let output = gateway.staff_cli("intake-minusca", &["pull", &case, "--out", out_arg]);
    assert!(output.status.success());
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("0 new envelope(s), 3 already in"), "{said}");
    assert_eq!(names_in(&folder), after);
    let output = gateway.staff_cli("intake-minusca", &["pull", "--new", "--out", out_arg]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing new"));

    // `open` takes the same --out, a folder, and strips the padding too.
    let report_id = report_file
        .trim_start_matches("report-")
        .trim_end_matches(".json")
        .to_string();
    let elsewhere = tempfile::tempdir().unwrap();
    let output = gateway.staff_cli(
        "intake-minusca",
        &[
            "open",
            &report_id,
            "--out",
            elsewhere.path().to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read(elsewhere.path().join(format!("envelope-{report_id}.json"))).unwrap(),
        report
    );
}

#[tokio::test]
async fn a_reader_that_closes_the_pipe_early_ends_the_listing_quietly() {
    let gateway = Gateway::start();
    for n in 0..3 {
        let (status, _) = gateway
            .submit_form(&[
                ("entity", "minusca"),
                ("description", &format!("report {n}")),
            ])
            .await;
        assert_eq!(status, 200);
    }
    // As `confide staff cases | head -0`: the reader is gone before the first line.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .arg("staff")
        .args(["--server", &gateway.staff])
        .arg("--ca")
        .arg(common::keys().join("tls/ca.pem"))
        .arg("--cert")
        .arg(common::staff_dir("intake-minusca").join("cert.pem"))
        .arg("--key")
        .arg(common::staff_dir("intake-minusca").join("key.pem"))
        .arg("cases")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{stderr}");
}
