//! The reporter's side in real headless Chromium (Debian's package, driven by
//! tests/browser/drive.mjs through playwright-core): the whole flow with JavaScript on and off,
//! in English and in Arabic; an envelope sealed in the browser opened by the `age` tool; a
//! photo's GPS tag gone after sealing; quick exit; axe-core; page weights against the budgets.
//!
//! Needs `node`, `chromium` and `npm ci` in tests/browser (`.ci/run` does all three); skips
//! loudly without them, and fails under CI.

mod common;
#[path = "common/desk.rs"]
mod desk_run;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, pull, staff_ok, tool_available};
use confide::i18n::Tr;
use serde_json::{Value, json};

const REPORT: &str = "Distinctive-browser-report: the soldier at the water point took my cousin.";
const REPLY: &str = "Distinctive-reply: can you tell us which day it was?";
const MESSAGE: &str = "Distinctive-message: it was the day of the market.";
const FILE: &str = "Distinctive-file: a note written on the phone.";
/// What the camera wrote into the photo: a GPS position, and the device.
const GPS: &[u8] = b"GPSLatitude=04.3612N;GPSLongitude=018.5550E;Make=PhoneCo";
/// The picture itself (the entropy-coded scan), which must survive.
const SCAN: &[u8] = b"scan-data-that-is-the-picture";

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether the tools are here: node, Chromium, and the driver's packages.
fn ready() -> bool {
    if !(tool_available("node") && tool_available("chromium")) {
        return false;
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        if std::env::var_os("CI").is_some() {
            panic!("tests/browser/node_modules is missing under CI: .ci/run runs `npm ci` there");
        }
        eprintln!(
            "\n!!!!! SKIPPED: run `npm ci` in tests/browser to run the browser tests !!!!!\n"
        );
        return false;
    }
    true
}

/// Runs one driver command; returns its answer.
fn drive(command: Value) -> Value {
    let mut command = command;
    if let Ok(dir) = std::env::var("SCREENSHOTS_DIR") {
        command["screenshots"] = dir.into();
    }
    // A driver that hangs (a page that never answers) fails the test after three minutes
    // rather than holding CI to its limit.
    let mut child = Command::new("node")
        .arg(browser_dir().join("drive.mjs"))
        .arg(command.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    };
    let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser driver did not finish in 3 minutes: {command}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let output = std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        output.status.success(),
        "the browser driver failed on {command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "driver answer not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(answer["errors"], json!([]), "script errors on {command}");
    answer
}

/// A JPEG as a phone writes it: JFIF header, an EXIF segment with a GPS position (after a fill
/// byte), the scan, and a motion-photo video after the end of the image.
fn photo() -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    let jfif = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    jpeg.extend([0xFF, 0xE0, 0, (jfif.len() + 2) as u8]);
    jpeg.extend(jfif);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(GPS);
    jpeg.extend([0xFF, 0xFF, 0xE1, 0, (exif.len() + 2) as u8]);
    jpeg.extend(exif);
    jpeg.extend([0xFF, 0xDA, 0, 2]);
    jpeg.extend(SCAN);
    jpeg.extend([0xFF, 0xD9]);
    jpeg.extend(TRAILER);
    jpeg
}

/// A video appended after the picture, as motion photos do, with its own place tag.
const TRAILER: &[u8] = b"ftypmp42-motion-photo-trailer-xyz+04.3612+018.5550";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn text_of(t: Tr, key: &str) -> String {
    t.get(key)
}

#[tokio::test]
async fn a_keyring_the_organisation_did_not_sign_stops_the_report_in_the_browser() {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let en = Tr::of("en").unwrap();
    let foreign = age::x25519::Identity::generate().to_public().to_string();
    let answer = drive(json!({
        "do": "tampered-keyring", "base": gateway.public, "lang": "en",
        "description": REPORT, "foreign": foreign,
        "expect": text_of(en, "error-keyring_unverified"),
    }));
    assert_eq!(answer["progress"], text_of(en, "error-keyring_unverified"));
    let sent = answer["sent"].as_array().unwrap();
    assert!(
        !sent.iter().any(|r| {
            let url = r["url"].as_str().unwrap();
            url.contains("/api/v1/reports")
                || url.contains("/report?")
                || r["body"].as_str().unwrap().contains(REPORT)
        }),
        "nothing of the report left the phone: {sent:?}"
    );
    // The page says who can read a report, per team, and shows the key to compare.
    let readers = answer["readers"].as_str().unwrap();
    assert!(
        readers.contains("MINUSCA (Central African Republic): one intake officer can open it"),
        "{readers}"
    );
    assert!(readers.contains(common::ORGANISATION_KEY), "{readers}");
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
}

#[tokio::test]
async fn a_report_whose_answers_are_lost_is_filed_once_and_the_survivor_keeps_its_number() {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let en = Tr::of("en").unwrap();
    let answer = drive(json!({
        "do": "lost-answers", "base": gateway.public, "lang": "en", "description": REPORT,
    }));
    // A double tap sent it once; the page sent it twice more when the answers were lost, then
    // said so truthfully, with the number it will be found by.
    assert_eq!(answer["tries"], 3, "{answer}");
    let progress = answer["progress"].as_str().unwrap();
    assert!(
        progress.starts_with(&text_of(en, "js-unconfirmed")),
        "{progress}"
    );
    // Pressed again with the connection back: the same report, the same number, and no
    // language switcher left to lose it by.
    assert_eq!(answer["pending"], answer["number"]);
    assert_eq!(answer["switchers"], 0);
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
    let number = answer["number"].as_str().unwrap();
    assert!(
        gateway.finds_case(number).await,
        "the number shown opens the filed case"
    );
}

#[tokio::test]
async fn back_after_quick_exit_or_after_sending_shows_nothing_that_was_typed() {
    if !ready() {
        return;
    }
    let gateway =
        Gateway::start_with_env(&[("CONFIDE_PAGES__QUICK_EXIT_URL", "https://127.0.0.1:9/")]);
    for (js, after) in [(false, "exit"), (true, "exit"), (false, "send")] {
        let answer = drive(json!({
            "do": "back", "base": gateway.public, "lang": "en", "js": js, "after": after,
            "description": REPORT,
        }));
        for field in ["description", "place"] {
            let shown = answer[field].as_str().unwrap_or_default();
            assert!(
                !shown.contains("Distinctive"),
                "JavaScript {js}, Back after {after}: the {field} field shows what was typed ({answer})"
            );
        }
    }
}

#[tokio::test]
async fn quick_exit_hides_the_page_as_soon_as_it_is_pressed_without_javascript() {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let answer =
        drive(json!({ "do": "exit-blanks", "base": gateway.public, "lang": "en", "js": false }));
    assert_eq!(answer["before"], "visible", "{answer}");
    assert_eq!(answer["pressed"], "hidden", "{answer}");
}

#[tokio::test]
async fn when_the_phone_cannot_seal_the_survivor_is_told_before_anything_is_sent() {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let en = Tr::of("en").unwrap();
    let answer = drive(json!({
        "do": "no-keyring", "base": gateway.public, "lang": "en", "js": true,
        "description": REPORT, "photo": STANDARD.encode(photo()),
    }));
    assert_eq!(
        answer["sentBefore"], 0,
        "nothing left the phone before the choice: {answer}"
    );
    let offered = answer["offered"].as_str().unwrap();
    assert!(offered.contains(&text_of(en, "js-downgrade")), "{offered}");
    assert!(
        offered.contains(&text_of(en, "js-send-unlocked")),
        "{offered}"
    );
    assert_eq!(
        answer["keptShown"], false,
        "the no-JavaScript note is hidden where the page seals"
    );
    // Chosen: sent to the server's sealing, and filed.
    assert!(!answer["number"].as_str().unwrap().trim().is_empty());
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
    // Without JavaScript, the page says that photos keep where and when they were taken.
    let page = gateway
        .reporter()
        .get(format!("{}/?lang=en", gateway.public))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&text_of(en, "report-files-kept")));
}

#[tokio::test]
async fn every_control_is_big_enough_for_a_thumb_quick_exit_covers_nothing_and_the_description_is_on_the_first_screen()
 {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let langs: Vec<&str> = confide::i18n::LANGS.iter().map(|l| l.code).collect();
    let answer = drive(json!({ "do": "targets", "base": gateway.public, "langs": langs }));
    let found = answer["found"].as_array().unwrap();
    assert!(found.is_empty(), "{} problems:\n{:#?}", found.len(), found);
}

#[tokio::test]
async fn a_double_tap_without_javascript_files_one_report_and_shows_its_number() {
    if !ready() {
        return;
    }
    let gateway = Gateway::start();
    let answer = drive(json!({
        "do": "double-tap", "base": gateway.public, "lang": "en", "js": false,
        "description": REPORT,
    }));
    let posts = answer["sent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["url"].as_str().unwrap().contains("/report?"))
        .count();
    assert_eq!(posts, 2, "the form was sent twice");
    let number = answer["number"].as_str().unwrap().trim();
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
    assert!(
        gateway.finds_case(number).await,
        "the number shown opens the filed case"
    );
}

#[tokio::test]
async fn an_earlier_signed_keyring_stops_the_report_in_the_browser() {
    if !ready() {
        return;
    }
    // The page comes from a gateway at the organisation's latest signing (serial 2); the
    // keyring answer is the earlier one (serial 1), genuine but out of date.
    let keys = common::keys_signed_at(2);
    let data = tempfile::tempdir().unwrap();
    let gateway = Gateway::spawn_demo(keys.path(), data.path(), &[], &[]);
    let at_serial_1 = Gateway::start();
    let earlier: Value = at_serial_1
        .reporter()
        .get(format!("{}/api/v1/keyring", at_serial_1.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        earlier["signed"]["document"]
            .as_str()
            .unwrap()
            .contains("\"serial\":1")
    );
    let en = Tr::of("en").unwrap();
    let answer = drive(json!({
        "do": "tampered-keyring", "base": gateway.public, "lang": "en",
        "description": REPORT, "ring": earlier,
        "expect": text_of(en, "error-keyring_unverified"),
    }));
    assert_eq!(answer["progress"], text_of(en, "error-keyring_unverified"));
    assert!(
        !answer["sent"].as_array().unwrap().iter().any(|r| {
            r["url"].as_str().unwrap().contains("/api/v1/reports")
                || r["body"].as_str().unwrap().contains(REPORT)
        }),
        "nothing of the report left the phone"
    );
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
}

#[tokio::test]
async fn reporters_report_follow_up_and_answer_in_chromium_with_and_without_javascript() {
    if !ready() {
        return;
    }
    let gateway =
        Gateway::start_with_env(&[("CONFIDE_PAGES__QUICK_EXIT_URL", "https://127.0.0.1:9/")]);
    let base = gateway.public.clone();
    let en = Tr::of("en").unwrap();
    let ar = Tr::of("ar").unwrap();

    // 1. JavaScript on, English: sealed on the phone, token made on the phone.
    let sent = drive(json!({
        "do": "report", "base": base, "lang": "en", "js": true, "axe": true,
        "description": REPORT, "photo": STANDARD.encode(photo()), "quickExitAfter": true,
    }));
    // Quick exit from the page showing the number leaves at once, with no "leave?" question.
    assert_eq!(sent["exit"]["dialogs"], json!([]), "{}", sent["exit"]);
    assert!(
        !sent["exit"]["url"].as_str().unwrap().starts_with(&base),
        "{}",
        sent["exit"]
    );
    let token = sent["token"].as_str().unwrap().to_string();
    assert!(confide::token::Token::parse(&token).is_ok(), "{token}");
    let digits: String = token.chars().filter(char::is_ascii_digit).collect();
    for request in sent["sent"].as_array().unwrap() {
        let body = request["body"].as_str().unwrap();
        assert!(
            !body.contains(REPORT),
            "the report left the phone in clear: {}",
            request["url"]
        );
        assert!(
            !body.contains(&digits),
            "the token left the phone: {}",
            request["url"]
        );
        assert!(!request["url"].as_str().unwrap().contains(&digits));
    }
    assert_eq!(sent["axe"], json!([]), "axe on the received page");

    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert_eq!(cases.len(), 1);
    let case = cases[0]["id"].as_str().unwrap().to_string();
    let files = pull(&gateway, "intake-minusca", &case);
    let report = files
        .iter()
        .find(|(n, _)| n.starts_with("report-") && n.ends_with(".json"))
        .expect("the report was opened");
    let report: Value = serde_json::from_slice(&report.1).unwrap();
    assert_eq!(report["description"], REPORT);
    assert_eq!(report["channel"], "browser (sealed on the phone)");
    assert_eq!(report["reporter"], "witness");
    assert_eq!(report["needs"], json!(["medical"]));
    let picture = files
        .iter()
        .find(|(n, _)| n.ends_with("photo-1.jpg"))
        .expect("the photo was opened, renamed: phone file names tell when it was taken");
    assert!(contains(&picture.1, SCAN), "the picture survives");
    assert!(
        !contains(&picture.1, b"GPSLatitude") && !contains(&picture.1, b"Exif"),
        "the GPS tag is gone"
    );
    assert!(
        !contains(&picture.1, TRAILER),
        "what follows the picture is gone"
    );
    assert!(
        picture.1.ends_with(&[0xFF, 0xD9]),
        "the picture ends where it ended"
    );

    // The standard age tool opens what the browser sealed.
    if tool_available("age") {
        let sealed = files
            .iter()
            .find(|(n, _)| n.starts_with("report-") && n.ends_with(".age"))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.age");
        std::fs::write(&path, &sealed.1).unwrap();
        let opened = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(common::staff_dir("intake-minusca").join("identity.txt"))
            .arg(&path)
            .output()
            .unwrap();
        assert!(opened.status.success());
        assert!(String::from_utf8_lossy(&opened.stdout).contains(REPORT));
    }

    // 2. The team answers; the reporter reads it and answers back with a file, with JavaScript.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", REPLY],
    );
    let seen = drive(json!({
        "do": "status", "base": base, "lang": "en", "js": true, "axe": true, "token": token,
        "caseTitle": text_of(en, "case-title"), "sentTitle": text_of(en, "sent-title"),
        "message": MESSAGE, "file": FILE,
    }));
    let text = seen["text"].as_str().unwrap();
    assert!(
        text.contains(REPLY),
        "the reply was opened on the phone: {text}"
    );
    assert!(text.contains(&text_of(en, "status-received")));
    assert_eq!(seen["axe"], json!([]), "axe on the status pages");
    for request in seen["sent"].as_array().unwrap() {
        let body = request["body"].as_str().unwrap();
        assert!(!body.contains(&digits) && !body.contains(MESSAGE) && !body.contains(FILE));
    }
    let files = pull(&gateway, "intake-minusca", &case);
    let opened: Vec<String> = files
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        opened.iter().any(|t| t.contains(MESSAGE)),
        "the message arrived"
    );
    assert!(opened.iter().any(|t| t.contains(FILE)), "the file arrived");

    // 3. The browser's token works on the page without JavaScript.
    let plain = drive(json!({
        "do": "status", "base": base, "lang": "en", "js": false, "token": token,
        "caseTitle": text_of(en, "case-title"),
    }));
    assert!(plain["text"].as_str().unwrap().contains(REPLY));

    // 4. Arabic without JavaScript: the server seals and makes the token; it works with
    // JavaScript on, and the pages are right to left.
    let sent = drive(json!({
        "do": "report", "base": base, "lang": "ar", "js": false, "axe": true,
        "description": REPORT, "photo": STANDARD.encode(photo()),
    }));
    let server_token = sent["token"].as_str().unwrap().to_string();
    let cases = gateway.cases_seen_by("intake-minusca").await;
    let second = cases
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .find(|id| *id != case)
        .unwrap()
        .to_string();
    let files = pull(&gateway, "intake-minusca", &second);
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("photo.jpg") && contains(b, SCAN)),
        "a file sent without JavaScript arrives (sealed by the server, as sent)"
    );
    assert_eq!(sent["axe"], json!([]), "axe on the Arabic received page");
    assert!(
        sent["text"]
            .as_str()
            .unwrap()
            .contains(&text_of(ar, "submitted-title"))
    );
    let seen = drive(json!({
        "do": "status", "base": base, "lang": "ar", "js": true, "axe": true, "token": server_token,
        "caseTitle": text_of(ar, "case-title"), "sentTitle": text_of(ar, "sent-title"),
        "message": MESSAGE,
    }));
    assert!(
        seen["text"]
            .as_str()
            .unwrap()
            .contains(&text_of(ar, "status-received"))
    );
    assert_eq!(seen["axe"], json!([]), "axe on the Arabic status pages");
    let plain = drive(json!({
        "do": "status", "base": base, "lang": "ar", "js": false, "axe": true, "token": server_token,
        "caseTitle": text_of(ar, "case-title"), "sentTitle": text_of(ar, "sent-title"),
        "message": MESSAGE,
    }));
    assert_eq!(plain["axe"], json!([]));
    assert!(
        plain["afterMessage"]
            .as_str()
            .unwrap()
            .contains(&text_of(ar, "sent-text"))
    );

    // 5. Every reporter page in both languages passes axe-core, with JavaScript off too.
    for lang in ["en", "ar"] {
        for js in [true, false] {
            let found = drive(json!({
                "do": "axe", "base": base, "lang": lang, "js": js,
                "paths": ["/", "/status", "/no-such-page"],
            }));
            assert_eq!(found["axe"], json!([]), "{lang} js={js}");
            assert_eq!(
                found["reflow"],
                json!([]),
                "{lang} js={js}: pages reflow at 200% zoom"
            );
        }
    }

    // 6. Quick exit replaces the page in the history: Back does not return to it.
    let exit = drive(json!({ "do": "quick-exit", "base": base, "lang": "en" }));
    let back = exit["back"].as_str().unwrap();
    assert!(
        !back.contains("/status"),
        "Back returned to the page left: {back}"
    );

    // 7. Under pressure the page does the server's proof of work by itself, at the default cost,
    // on a CPU slowed six times (Chromium's emulation of a low-end phone).
    let busy = Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        ("CONFIDE_RATE_LIMITS__POW_ABOVE_SUBMISSIONS_PER_MINUTE", "1"),
    ]);
    // Two reports accepted in a minute: the second is over the rate, and the puzzle is on.
    for description in ["the first report of the minute", "the second"] {
        let (status, _) = busy
            .submit_form(&[("entity", "minusca"), ("description", description)])
            .await;
        assert_eq!(status, 200);
    }
    let worked = drive(json!({
        "do": "report", "base": busy.public, "lang": "en", "js": true, "cpu": 6,
        "description": REPORT, "busyText": text_of(en, "js-busy"),
    }));
    assert!(confide::token::Token::parse(worked["token"].as_str().unwrap()).is_ok());
    // The nonce the page sent is the number of tries it made, less one.
    let tries = worked["sent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(r["body"].as_str()?).ok())
        .find_map(|body| body["pow"]["nonce"].as_u64())
        .expect("the page answered the challenge")
        + 1;
    let busy_ms = worked["busyMs"].as_u64().unwrap().max(1);
    let rate = tries as f64 * 1000.0 / busy_ms as f64;
    println!(
        "proof of work, CPU slowed 6x: {tries} tries in {busy_ms} ms (with the second request): about {rate:.0} hashes/s, so {:.1} s expected at 14 bits and {:.1} s at 16",
        16384.0 / rate,
        65536.0 / rate
    );
    assert_eq!(busy.cases_seen_by("intake-minusca").await.len(), 3);

    // 8. Weights, against the budgets and the peers measured on this machine.
    let w = drive(json!({ "do": "weights", "base": base, "lang": "en" }));
    let page = w["report_html"].as_u64().unwrap() + w["style_css"].as_u64().unwrap();
    let script = w["script_js"].as_u64().unwrap();
    println!(
        "page weights (gzip -9): report page {} B + style {} B = {page} B (budget 9216 B; SecureDrop 9.7 KB, Hush Line 191 KB, GlobaLeaks 362 KB); script {script} B (budget 61440 B)",
        w["report_html"], w["style_css"]
    );
    assert!(page <= 9 * 1024, "report page {page} B over 9 KB");
    assert!(script <= 60 * 1024, "script {script} B over 60 KB");
    assert_eq!(w["scripts"], json!(["/static/confide.js"]));
    assert_eq!(w["external"], json!([]));
}

/// Runs a role's steps on its desk in one Chromium session; every checked page must have no
/// axe-core violation.
fn desk_steps(desk: &desk_run::Desk, steps: Value) -> Value {
    let answer = drive(json!({ "do": "desk", "base": desk.base, "steps": steps }));
    for page in answer["checked"].as_array().unwrap() {
        assert_eq!(
            page["axe"],
            json!([]),
            "accessibility of the desk's {}: {page}",
            page["page"]
        );
    }
    answer
}

#[tokio::test]
async fn every_role_works_a_case_on_its_desk_in_chromium_and_no_desk_page_has_an_accessibility_violation()
 {
    if !ready() {
        return;
    }
    const NOTIFIED: &str = "Distinctive-notification: a soldier of your contingent";
    const NOTE: &str = "Distinctive-note: ask the clinic for the record";
    let gateway = Gateway::start();
    let photo = common::jpeg_with(48, 32, GPS, TRAILER);
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                ("description", REPORT),
                ("safe_now", "no"),
                ("contact", "yes"),
            ],
            &[("files", "photo.jpg", &photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let token = common::token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    let on_case = |button: &str| format!("form[action$=\"/{button}\"] button");
    let unlock = json!([
        { "check": "unlock" },
        { "fill": ["#passphrase", ""] },
        { "click": "form[action$=\"/unlock\"] button" },
    ]);
    let steps = |launch: &str, more: Value| {
        let mut all = vec![json!({ "goto": launch })];
        all.extend(unlock.as_array().unwrap().iter().cloned());
        all.extend(more.as_array().unwrap().iter().cloned());
        Value::Array(all)
    };

    // Intake: the inbox, the case, the picture, then triage: acknowledge, classify, notify,
    // assign. In French too.
    let folder = tempfile::tempdir().unwrap();
    let intake = desk_run::Desk::start(&gateway, "intake-minusca", folder.path(), &[]);
    let port = intake.base.rsplit(':').next().unwrap().to_string();
    let answer = desk_steps(
        &intake,
        steps(
            &intake.launch,
            json!([
                { "check": "inbox", "text": "inbox" },
                { "click": "table.inbox tbody a" },
                { "check": "case", "text": "case" },
                { "click": "a[href*=\"/files/\"]" },
                { "check": "file", "html": "file" },
                { "goto": format!("/cases/{case}") },
                { "select": ["#next", "acknowledged"] },
                { "click": on_case("status") },
                { "select": ["#allegation", "sexual_exploitation"] },
                { "fill": ["#implicated", "military_contingent:XAA"] },
                { "fill": ["#adults", "1"] },
                { "click": on_case("classify") },
                { "fill": ["#member-state", "XAA"] },
                { "fill": ["#notify-text", NOTIFIED] },
                { "click": on_case("notify") },
                { "tick": "input[name=\"to\"][value=\"investigator-minusca\"]" },
                { "click": on_case("assign") },
                { "check": "case-after-triage", "text": "triaged" },
                { "goto": "/?lang=fr" },
                { "check": "inbox-fr", "text": "french" },
                { "goto": "/?lang=en" },
                // Attacks from the browser: another name for the desk, a form of another origin,
                // and the case after lock.
                { "goto": format!("http://localhost:{port}/") },
                { "crossSite": format!("/cases/{case}/note") },
                { "goto": format!("/cases/{case}") },
                { "click": "form[action$=\"/lock\"] button" },
                { "goto": format!("/cases/{case}") },
                { "text": "locked" },
            ]),
        ),
    );
    let texts = &answer["texts"];
    assert!(
        texts["inbox"].as_str().unwrap().contains("Not safe now"),
        "{texts}"
    );
    assert!(texts["case"].as_str().unwrap().contains(REPORT), "{texts}");
    let file = texts["file"].as_str().unwrap();
    assert!(
        file.contains("/image\""),
        "the picture is shown redrawn: {file}"
    );
    let triaged = texts["triaged"].as_str().unwrap();
    for expected in ["Acknowledged", "XAA notified", "investigator-minusca"] {
        assert!(triaged.contains(expected), "{expected}: {triaged}");
    }
    assert!(
        texts["french"]
            .as_str()
            .unwrap()
            .contains("Boîte de réception"),
        "{texts}"
    );
    let locked = texts["locked"].as_str().unwrap();
    assert!(
        locked.contains("Unlock") && !locked.contains(REPORT),
        "{locked}"
    );
    let statuses = answer["statuses"].as_array().unwrap();
    let status_of = |key: &str| {
        statuses
            .iter()
            .find(|s| s.get(key).is_some())
            .map(|s| s["status"].as_u64().unwrap())
    };
    assert_eq!(
        status_of("crossSite"),
        Some(401),
        "a form of another origin carries no session: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| s["goto"] == format!("http://localhost:{port}/") && s["status"] == 421),
        "another name for the desk is refused: {statuses:?}"
    );
    // The redrawn picture has neither the GPS tag nor the trailer.
    let (png_status, png) = {
        let mut d = desk_run::Desk::start(&gateway, "intake-minusca", folder.path(), &[]);
        d.launch_and_unlock().await;
        let (_, _, page) = d.get(&format!("/cases/{case}")).await;
        let envelope =
            page.split(&format!("/cases/{case}/files/")).nth(1).unwrap()[..32].to_string();
        let (status, _, png) = d
            .get_bytes(&format!("/cases/{case}/files/{envelope}/image"))
            .await;
        (status, png)
    };
    assert_eq!(png_status, 200);
    assert!(!contains(&png, GPS) && !contains(&png, TRAILER));

    // No launch secret: a browser that did not open the link gets nothing.
    let stranger = desk_steps(
        &intake,
        json!([{ "goto": "/" }, { "text": "page", "check": "refused" }]),
    );
    assert_eq!(stranger["statuses"][0]["status"], 401, "{stranger}");
    assert!(!stranger["texts"]["page"].as_str().unwrap().contains(REPORT));

    // The investigator reads the case, replies and writes a note; the reporter reads the reply.
    let folder = tempfile::tempdir().unwrap();
    let investigator = desk_run::Desk::start(&gateway, "investigator-minusca", folder.path(), &[]);
    let answer = desk_steps(
        &investigator,
        steps(
            &investigator.launch,
            json!([
                { "check": "investigator-inbox" },
                { "click": "table.inbox tbody a" },
                { "fill": ["#reply", REPLY] },
                { "click": on_case("reply") },
                { "fill": ["#note", NOTE] },
                { "click": on_case("note") },
                { "check": "investigator-case", "text": "case" },
            ]),
        ),
    );
    let seen = answer["texts"]["case"].as_str().unwrap();
    assert!(
        seen.contains(REPORT) && seen.contains(REPLY) && seen.contains(NOTE),
        "{seen}"
    );
    let status_page = gateway.status_page(&token).await;
    assert!(status_page.contains(REPLY) && !status_page.contains(NOTE));

    // The assistance officer offers a service.
    let folder = tempfile::tempdir().unwrap();
    let assistance = desk_run::Desk::start(&gateway, "assistance-minusca", folder.path(), &[]);
    let answer = desk_steps(
        &assistance,
        steps(
            &assistance.launch,
            json!([
                { "check": "assistance" },
                { "click": "table.inbox tbody a" },
                { "select": ["#service", "medical"] },
                { "fill": ["#provider", "clinic-7"] },
                { "click": on_case("refer") },
                { "check": "assistance-case", "text": "case" },
            ]),
        ),
    );
    assert!(
        answer["texts"]["case"]
            .as_str()
            .unwrap()
            .contains("clinic-7")
    );

    // The focal point reads the notification and acknowledges it.
    let folder = tempfile::tempdir().unwrap();
    let focal = desk_run::Desk::start(&gateway, "member-state-focal-point", folder.path(), &[]);
    let answer = desk_steps(
        &focal,
        steps(
            &focal.launch,
            json!([
                { "check": "notifications", "text": "before" },
                { "click": on_case("acknowledge") },
                { "check": "notifications-acknowledged", "text": "after" },
            ]),
        ),
    );
    assert!(
        answer["texts"]["before"]
            .as_str()
            .unwrap()
            .contains(NOTIFIED)
    );
    assert!(
        answer["texts"]["after"]
            .as_str()
            .unwrap()
            .contains("Acknowledged")
    );

    // The auditor sees the chain verified, the deadlines and the statistics.
    let folder = tempfile::tempdir().unwrap();
    let auditor = desk_run::Desk::start(&gateway, "auditor", folder.path(), &[]);
    let year = time::OffsetDateTime::now_utc().year();
    let answer = desk_steps(
        &auditor,
        steps(
            &auditor.launch,
            json!([
                { "check": "oversight", "text": "oversight" },
                { "goto": format!("/statistics?year={year}") },
                { "shot": "statistics" },
            ]),
        ),
    );
    assert!(
        answer["texts"]["oversight"]
            .as_str()
            .unwrap()
            .contains("The audit chain is intact")
    );
    let statistics = answer["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["goto"]
                .as_str()
                .is_some_and(|g| g.starts_with("/statistics"))
        })
        .unwrap()["status"]
        .clone();
    assert_eq!(
        statistics, 200,
        "the statistics are shown (sandboxed, so not read by script)"
    );
}
