//! Bad input gets a clear 4xx answer, changes nothing, and the server keeps serving.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::Gateway;
use serde_json::{Value, json};

async fn post(gateway: &Gateway, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = gateway
        .reporter()
        .post(format!("{}{path}", gateway.public))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts a report form as from the report page: a fresh one-time mark first, then `body`.
async fn form(gateway: &Gateway, body: &[u8]) -> (u16, String) {
    let mut marked = format!("once={}&", gateway.form_mark().await).into_bytes();
    marked.extend_from_slice(body);
    post(
        gateway,
        "/report",
        "application/x-www-form-urlencoded",
        marked,
    )
    .await
}

async fn api(gateway: &Gateway, body: Value) -> (u16, String) {
    post(
        gateway,
        "/api/v1/reports",
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

fn sealed_to(n: usize, padded: bool) -> String {
    let recipients: Vec<_> = (0..n)
        .map(|_| age::x25519::Identity::generate().to_public())
        .collect();
    let sealed = if padded {
        confide::seal::seal(zeroize::Zeroizing::new(b"{}".to_vec()), &recipients).unwrap()
    } else {
        age::encrypt(&recipients[0], b"short").unwrap()
    };
    STANDARD.encode(sealed)
}

#[tokio::test]
async fn every_kind_of_bad_report_is_refused_clearly_and_stores_nothing() {
    let gateway = Gateway::start();
    let big = "x".repeat(2 * 1024 * 1024);
    // A body over the limit is refused from its declared length, before it is read.
    // (The report form takes files: its limit is limits.max_upload_bytes, 256 MiB by default.)
    for (path, declared) in [
        ("/report", 300 << 20),
        // A form without files keeps the 1 MiB limit, though it shares the route that takes files.
        ("/report", 2 << 20),
        ("/status/message", 300 << 20),
        ("/api/v1/reports", 2 << 20),
        ("/status", 2 << 20),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {declared}\r\n\r\nentity=minusca&description="
        );
        let answer = common::raw_exchange(&gateway.public, head.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }

    let cases: Vec<(&str, (u16, String), u16, &str)> = vec![
        ("an envelope over the envelope limit", api(&gateway, json!({ "entity": "minusca", "envelope": big[..800 * 1024].to_string() })).await, 413, "larger than"),
        ("form without description", form(&gateway, b"entity=minusca").await, 400, "`description` is missing"),
        ("form with an unknown field", form(&gateway, b"entity=minusca&description=x&name=me").await, 400, "not expected here"),
        ("form with a broken escape", form(&gateway, b"entity=minusca&description=%G0").await, 400, "not UTF-8"),
        ("form that is not UTF-8", form(&gateway, b"entity=minusca&description=caf%E9").await, 400, "not UTF-8"),
        ("form with an empty description", form(&gateway, b"entity=minusca&description=+++").await, 422, "describe what happened"),
        ("form for an unknown entity", form(&gateway, b"entity=unmiss&description=x").await, 422, "no such entity"),
                ("form with an overlong place", form(&gateway, format!("entity=minusca&description=x&place={}", "p".repeat(3000)).as_bytes()).await, 422, "longer than"),
        ("form with an answer it does not offer", form(&gateway, b"entity=minusca&description=x&reporter=secret+words").await, 422, "does not offer"),
                ("form with an answer to another question", form(&gateway, b"entity=minusca&description=x&child_involved=my+secret").await, 422, "child_involved"),
        ("form sent as JSON", post(&gateway, "/report", "application/json", b"{}".to_vec()).await, 415, "x-www-form-urlencoded"),
        ("JSON that is not JSON", post(&gateway, "/api/v1/reports", "application/json", b"{entity:".to_vec()).await, 400, "not valid"),
        ("JSON that is not UTF-8", post(&gateway, "/api/v1/reports", "application/json", b"{\"entity\":\"\xff\"}".to_vec()).await, 400, "not valid"),
        ("JSON with a wrong type", api(&gateway, json!({ "entity": 7, "envelope": "secret words" })).await, 400, "wrong type"),
        ("JSON for an unknown entity", api(&gateway, json!({ "entity": "unmiss", "envelope": sealed_to(1, true) })).await, 422, "no such entity"),
        ("an envelope that is not base64", api(&gateway, json!({ "entity": "minusca", "envelope": "@@@" })).await, 400, "base64"),
        ("an envelope that is not age", api(&gateway, json!({ "entity": "minusca", "envelope": STANDARD.encode(b"hello") })).await, 422, "not an age"),
        ("an envelope for too many recipients", api(&gateway, json!({ "entity": "minusca", "envelope": sealed_to(2, true) })).await, 422, "sealed to 2 recipients"),
        ("an unpadded envelope", api(&gateway, json!({ "entity": "minusca", "envelope": sealed_to(1, false) })).await, 422, "padded"),
        ("a lookup without a reply key", api(&gateway, json!({ "entity": "minusca", "envelope": sealed_to(1, true), "lookup": STANDARD.encode([1u8; 32]) })).await, 422, "reply_recipient"),
        ("a short lookup key", api(&gateway, json!({ "entity": "minusca", "envelope": sealed_to(1, true), "lookup": STANDARD.encode([1u8; 16]), "reply_recipient": age::x25519::Identity::generate().to_public().to_string() })).await, 422, "32 bytes"),
        ("a status check with letters", post(&gateway, "/api/v1/status", "application/json", json!({ "token": "my secret" }).to_string().into_bytes()).await, 400, "only digits"),
        ("a status check with both keys", post(&gateway, "/api/v1/status", "application/json", json!({ "token": "1", "lookup": "2" }).to_string().into_bytes()).await, 400, "exactly one"),
        ("a status form that is too short", post(&gateway, "/status", "application/x-www-form-urlencoded", b"token=1234".to_vec()).await, 400, "24 digits"),
    ];
    for (what, (status, body), expected, says) in &cases {
        assert_eq!(status, expected, "{what}: {body}");
        assert!(body.contains(says), "{what}: expected {says:?} in {body}");
        assert!(
            !body.contains("secret words") && !body.contains("my secret"),
            "{what} echoes input: {body}"
        );
    }

    // Nothing was stored, and the server still takes a good report.
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
    assert!(gateway.cases_seen_by("intake-monusco").await.is_empty());
    let (status, _) = form(&gateway, b"entity=minusca&description=still+working").await;
    assert_eq!(status, 200);
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
}

#[tokio::test]
async fn reporters_see_friendly_pages_and_every_answer_carries_the_security_headers() {
    let gateway = Gateway::start();
    let response = gateway
        .reporter()
        .post(format!("{}/report", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "once={}&entity=unmiss&description=x",
            gateway.form_mark().await
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let headers = response.headers().clone();
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<h1>Please check and try again</h1>") && page.contains("Go back"),
        "{page}"
    );
    for (name, value) in [
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(headers.get("set-cookie").is_none() && headers.get("server").is_none());

    let missing = gateway
        .reporter()
        .get(format!("{}/no/such/page", gateway.public))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("content-security-policy").is_some());

    // The report page itself loads nothing from elsewhere.
    let page = gateway
        .reporter()
        .get(format!("{}/", gateway.public))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The one outside address is the quick-exit link: a link the reporter may follow, loaded
    // only then, never a resource of the page.
    let exit = r#"<a class="quick-exit" id="quick-exit" href="https://"#;
    assert!(page.contains(exit), "every page has the quick exit");
    let page = page.replacen(exit, "", 1);
    for outside in ["http://", "https://", "//"] {
        let links: Vec<&str> = page
            .match_indices(outside)
            .map(|(i, _)| &page[i.saturating_sub(10)..i + 10])
            .collect();
        assert!(links.is_empty(), "external reference {outside}: {links:?}");
    }
}

#[tokio::test]
async fn tor_browser_is_offered_the_onion_service_when_there_is_one() {
    let onion = format!("http://{}.onion", "a2".repeat(28));
    let gateway = Gateway::start_with_env(&[("CONFIDE_PAGES__ONION_LOCATION", &onion)]);
    let answer = gateway
        .reporter()
        .get(format!("{}/status?lang=fr", gateway.public))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["onion-location"].to_str().unwrap(),
        format!("{onion}/status?lang=fr")
    );
    let plain = Gateway::start();
    let answer = plain
        .reporter()
        .get(format!("{}/", plain.public))
        .send()
        .await
        .unwrap();
    assert!(answer.headers().get("onion-location").is_none());
}

#[tokio::test]
async fn load_balancers_see_the_gateway_alive_and_ready() {
    let gateway = Gateway::start();
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let answer = gateway
            .reporter()
            .get(format!("{}{path}", gateway.public))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        assert!(answer.headers().get("content-security-policy").is_some());
        assert_eq!(answer.text().await.unwrap(), body);
    }
}
