//! A report goes in, a token comes out, and only the entity's intake officer can open it.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, age_identity, token_on_page, tool_available};
use confide::token::{StretchParams, Token};
use serde_json::{Value, json};
use zeroize::Zeroizing;

const REPORT: &str =
    "A peacekeeper at the water point near the camp asked for sex in exchange for food rations.";

#[tokio::test]
async fn a_report_sent_without_javascript_opens_only_with_the_entity_intake_key() {
    let gateway = Gateway::start();
    let (status, page) = gateway
        .submit_form(&[
            ("entity", "minusca"),
            ("reporter", "witness"),
            ("description", REPORT),
            ("when_known", "approximate"),
            ("when", "last March"),
            ("place", ""),
            ("perpetrator_category", "military_contingent"),
            ("child_involved", "yes"),
            ("need_medical", "yes"),
            ("share_assistance", "yes"),
            ("contact", "no"),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    let token = token_on_page(&page);
    assert!(
        Token::parse(&token).is_ok(),
        "the page shows a valid token: {token}"
    );
    assert!(
        page.contains("Write this number down"),
        "the page gives advice on keeping the token"
    );

    // The intake officer of MINUSCA lists the case and pulls it with the staff CLI.
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert_eq!(cases.len(), 1);
    let case_id = cases[0]["id"].as_str().unwrap().to_string();
    assert_eq!(cases[0]["status"], "received");
    let out = tempfile::tempdir().unwrap();
    let pulled = gateway.staff_cli(
        "intake-minusca",
        &["pull", &case_id, "--out", out.path().to_str().unwrap()],
    );
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    let folder = out.path().join(&case_id);
    let mut opened = None;
    let mut sealed = None;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => opened = Some(std::fs::read_to_string(&path).unwrap()),
            Some("age") => sealed = Some(path),
            _ => {}
        }
    }
    let report: Value = serde_json::from_str(&opened.expect("the report was opened")).unwrap();
    assert_eq!(report["description"], REPORT);
    assert_eq!(report["when"]["words"], "last March");
    assert_eq!(report["when"]["known"], "approximate");
    assert_eq!(report["entity"], "minusca");
    assert_eq!(report["reporter"], "witness");
    assert_eq!(report["perpetrator"]["category"], "military_contingent");
    assert_eq!(report["child_involved"], "yes");
    assert_eq!(report["needs"], serde_json::json!(["medical"]));
    assert_eq!(report["share_with"], serde_json::json!(["assistance"]));
    assert_eq!(report["contact"]["allowed"], "no");
    assert!(
        report.get("place").is_none(),
        "blank optional fields are left out"
    );

    // The sealed file is a plain age file: the right identity opens it, others do not.
    let sealed = std::fs::read(sealed.expect("the envelope was saved")).unwrap();
    assert_eq!(
        confide::seal::inspect(&sealed).unwrap().plaintext_len,
        4096,
        "padded to the first bucket"
    );
    assert!(confide::seal::open(&sealed, &age_identity("intake-minusca")).is_ok());
    for other in ["intake-monusco", "investigator-minusca", "auditor"] {
        assert!(
            confide::seal::open(&sealed, &age_identity(other)).is_err(),
            "{other} cannot open it"
        );
    }

    if tool_available("age") {
        let identity = common::staff_dir("intake-minusca").join("identity.txt");
        let file = folder.join("by-age-tool.age");
        std::fs::write(&file, &sealed).unwrap();
        let output = std::process::Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&identity)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(REPORT), "the age tool shows the report");
    }

    // The token checks the status in plain words, on the no-JavaScript page.
    let page = gateway
        .reporter()
        .post(format!("{}/status", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("token", token.as_str())]).unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("arrived safely"), "{page}");
}

async fn keyring(gateway: &Gateway) -> Value {
    gateway.keyring().await
}

/// Seals a report the way a client does, to the recipients the keyring lists.
fn seal_for(keyring: &Value, entity: &str, text: &str) -> String {
    let recipients: Vec<age::x25519::Recipient> = keyring["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == entity)
        .unwrap()["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let document = json!({ "format": "confide-report/1", "description": text }).to_string();
    let sealed = confide::seal::seal(Zeroizing::new(document.into_bytes()), &recipients).unwrap();
    STANDARD.encode(sealed)
}

fn published_params(keyring: &Value) -> StretchParams {
    let t = &keyring["token"];
    StretchParams {
        salt: STANDARD.decode(t["salt"].as_str().unwrap()).unwrap(),
        memory_kib: t["memory_kib"].as_u64().unwrap() as u32,
        iterations: t["iterations"].as_u64().unwrap() as u32,
        parallelism: t["parallelism"].as_u64().unwrap() as u32,
    }
}

#[tokio::test]
async fn a_report_sealed_by_the_client_gets_a_token_and_reaches_the_intake_officer() {
    let gateway = Gateway::start();
    let keyring = keyring(&gateway).await;
    let envelope = seal_for(&keyring, "monusco", REPORT);
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({ "entity": "monusco", "envelope": envelope }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(Token::parse(&token).is_ok());

    assert!(
        gateway.cases_seen_by("intake-minusca").await.is_empty(),
        "MINUSCA sees nothing of MONUSCO"
    );
    let cases = gateway.cases_seen_by("intake-monusco").await;
    assert_eq!(cases.len(), 1);
    let listing: Vec<Value> = gateway
        .staff_client("intake-monusco")
        .get(format!(
            "{}/api/v1/staff/cases/{}/envelopes",
            gateway.staff,
            cases[0]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = gateway
        .download("intake-monusco", listing[0]["id"].as_str().unwrap())
        .await;
    assert_eq!(
        body.to_vec(),
        STANDARD.decode(&envelope).unwrap(),
        "the stored envelope is the one sent"
    );
    let opened = confide::seal::open(&body, &age_identity("intake-monusco")).unwrap();
    assert!(String::from_utf8_lossy(&opened).contains(REPORT));

    let status: Value = gateway.api_status(json!({ "token": token })).await;
    assert_eq!(status["status"], "received");
    assert!(
        status["status_text"]
            .as_str()
            .unwrap()
            .contains("arrived safely")
    );
}

#[tokio::test]
async fn a_token_made_on_the_phone_never_reaches_the_server_and_still_works_everywhere() {
    let gateway = Gateway::start();
    let keyring = keyring(&gateway).await;
    // The client makes and stretches its own token with the published parameters.
    let token = Token::generate();
    let stretched = token.stretch(&published_params(&keyring)).unwrap();
    let lookup = STANDARD.encode(lookup_bytes(&token, &published_params(&keyring)));
    let request = json!({
        "entity": "minusca",
        "envelope": seal_for(&keyring, "minusca", REPORT),
        "lookup": lookup,
        "reply_recipient": stretched.reply_seed.recipient().to_string(),
    });
    let client = gateway.reporter();
    let response = client
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("token").is_none(),
        "no token is sent back when the client made its own"
    );

    // The same report sent again (its answer was lost) is answered as the first time and
    // makes no second case; another report under the same lookup key is refused.
    let again = client
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    let mut other = request.clone();
    other["envelope"] = json!(seal_for(&keyring, "minusca", "another report"));
    let taken = client
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);

    // Status with only the lookup key, and with the token on the no-JavaScript page.
    let by_lookup: Value = client
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "lookup": lookup }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_lookup["status"], "received");
    let page = client
        .post(format!("{}/status", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("token", token.display().as_str())]).unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("arrived safely"), "{page}");
}

/// The lookup key of a token, as a client computes it (the first 32 bytes of Argon2id).
fn lookup_bytes(token: &Token, params: &StretchParams) -> Vec<u8> {
    let digits: String = token
        .display()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(64),
        )
        .unwrap(),
    );
    let mut out = [0u8; 64];
    argon
        .hash_password_into(digits.as_bytes(), &params.salt, &mut out)
        .unwrap();
    out[..32].to_vec()
}

#[tokio::test]
async fn a_wrong_token_and_a_typo_get_different_clear_answers_and_a_wrong_token_looks_like_a_missing_case()
 {
    let gateway = Gateway::start();
    let (_, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let real = token_on_page(&page);
    let client = gateway.reporter();
    let ask = |token: String| {
        let client = client.clone();
        let url = format!("{}/api/v1/status", gateway.public);
        async move {
            let r = client
                .post(url)
                .json(&json!({ "token": token }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // One wrong digit: the check digits catch it.
    let mut typo: Vec<char> = real.chars().collect();
    typo[0] = if typo[0] == '1' { '2' } else { '1' };
    let (status, body) = ask(typo.into_iter().collect()).await;
    assert_eq!(status, 400);
    assert!(body.contains("typo"), "{body}");

    // Two tokens with valid check digits that match no case get one and the same answer.
    let (s1, b1) = ask(Token::generate().display().to_string()).await;
    let (s2, b2) = ask(Token::generate().display().to_string()).await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(b1, b2);
    assert!(b1.contains("No case matches"), "{b1}");
}

#[tokio::test]
async fn a_report_form_sent_twice_is_filed_once_and_both_sends_show_its_number() {
    // Without JavaScript, a double tap or a lost answer sends the same form again: one case is
    // filed, and the send that follows shows the same number (a fresh one would belong to no
    // case, or to a second one nobody asked for).
    let gateway = Gateway::start();
    let mark = gateway.form_mark().await;
    let fields = [
        ("once", mark.as_str()),
        ("entity", "minusca"),
        ("description", REPORT),
    ];
    let (first, first_page) = gateway.submit_form(&fields).await;
    let (second, second_page) = gateway.submit_form(&fields).await;
    assert_eq!((first, second), (200, 200), "{second_page}");
    let number = token_on_page(&first_page);
    assert_eq!(token_on_page(&second_page), number);
    // The number page says when to come back: after the days the team has to acknowledge.
    let when = confide::i18n::Tr::of("en")
        .unwrap()
        .with("submitted-when", "days", 7);
    assert!(first_page.contains(&when), "{first_page}");
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
    assert!(gateway.finds_case(&number).await);
    // The same page with what was written changed is not the same form: it is refused as sent
    // already (what changed was not sent), and shows no number.
    let changed = [
        ("once", mark.as_str()),
        ("entity", "minusca"),
        ("description", "something else entirely"),
    ];
    let (status, page) = gateway.submit_form(&changed).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("sent already"), "{page}");
    assert!(!page.contains("id=\"token\""));
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
}

#[tokio::test]
async fn two_sends_of_one_form_at_once_file_one_report_and_show_one_number() {
    let gateway = Gateway::start();
    let mark = gateway.form_mark().await;
    let fields = [
        ("once", mark.as_str()),
        ("entity", "minusca"),
        ("description", REPORT),
    ];
    let (a, b) = tokio::join!(gateway.submit_form(&fields), gateway.submit_form(&fields));
    assert_eq!((a.0, b.0), (200, 200), "{}", b.1);
    assert_eq!(token_on_page(&a.1), token_on_page(&b.1));
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
}

#[tokio::test]
async fn a_send_the_browser_gave_up_on_is_filed_whole_and_the_next_send_shows_its_number() {
    let gateway = Gateway::start();
    let mark = gateway.form_mark().await;
    let fields = [
        ("once", mark.clone()),
        ("entity", "minusca".to_string()),
        ("description", REPORT.to_string()),
    ];
    // The first send is cut off as soon as the form has left (a second tap aborts it): the
    // gateway files it anyway, apart from the request.
    let body = serde_urlencoded::to_string(&fields).unwrap();
    let cut = gateway
        .reporter()
        .post(format!("{}/report", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .timeout(std::time::Duration::from_millis(5))
        .send()
        .await;
    assert!(cut.is_err(), "the first send was cut off before its answer");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = gateway.submit_form(&fields).await;
    assert_eq!(status, 200, "{page}");
    let number = token_on_page(&page);
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
    assert!(
        gateway.finds_case(&number).await,
        "the number shown is the filed case's"
    );
}

#[tokio::test]
async fn a_form_refused_for_what_it_holds_can_be_corrected_and_sent_with_the_same_page() {
    let gateway = Gateway::start();
    let mark = gateway.form_mark().await;
    let (refused, _) = gateway
        .submit_form(&[
            ("once", &mark),
            ("entity", "nowhere"),
            ("description", REPORT),
        ])
        .await;
    assert_eq!(refused, 422);
    let (status, page) = gateway
        .submit_form(&[
            ("once", &mark),
            ("entity", "minusca"),
            ("description", REPORT),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
}

/// The kinds of the envelopes of a case, as intake sees them.
async fn envelope_kinds(gateway: &Gateway, case: &str) -> Vec<String> {
    let envelopes: Vec<Value> = gateway
        .staff_client("intake-minusca")
        .get(format!(
            "{}/api/v1/staff/cases/{case}/envelopes",
            gateway.staff
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    envelopes
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn information_added_twice_from_one_status_page_or_one_sealed_message_is_added_once() {
    let gateway = Gateway::start();
    let (_, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    let token = token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    // Without JavaScript: a double tap on "add information" sends the form twice.
    let mark = common::mark_on_page(&gateway.status_page(&token).await).unwrap();
    let fields = [
        ("once", mark.as_str()),
        ("token", &token),
        ("message", "one more thing"),
    ];
    for _ in 0..2 {
        let (status, page) = gateway
            .post_multipart("/status/message", &fields, &[])
            .await;
        assert_eq!(status, 200, "{page}");
    }
    // A report page's mark is not a status page's.
    let report_mark = gateway.form_mark().await;
    let (status, _) = gateway
        .post_multipart(
            "/status/message",
            &[
                ("once", &report_mark),
                ("token", &token),
                ("message", "another"),
            ],
            &[],
        )
        .await;
    assert_eq!(status, 403);
    // With JavaScript: the same sealed message sent again after its answer was lost.
    let keyring = keyring(&gateway).await;
    let message = json!({ "token": token, "envelope": seal_for(&keyring, "minusca", "and this") });
    for _ in 0..2 {
        let status = gateway
            .reporter()
            .post(format!("{}/api/v1/messages", gateway.public))
            .json(&message)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
    }
    let kinds = envelope_kinds(&gateway, &case).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "message").count(),
        2,
        "{kinds:?}"
    );
}
