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
    assert!(String::from_utf8_lossy(&output.stdout).contains(&case));
    assert!(serde_json::from_slice::<Value>(&output.stdout).is_err());
    let out = tempfile::tempdir().unwrap();
    let output = gateway.staff_cli(
        "intake-minusca",
        &["pull", &case, "--out", out.path().to_str().unwrap()],
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("downloading"));
}
