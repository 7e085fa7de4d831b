//! Requests a page of another site makes a visitor's browser send, with the headers a browser
//! gives them (`Sec-Fetch-Site`, `Origin`), and report forms that no page of the gateway issued.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::Gateway;
use serde_json::json;

/// A gateway whose networks are locked out of follow-ups after 3 wrong numbers.
fn strict_gateway() -> Gateway {
    Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        (
            "CONFIDE_RATE_LIMITS__FAILED_CHECKS_PER_PREFIX_PER_HOUR",
            "3",
        ),
    ])
}

/// How a browser marks a post made by a page of `origin`: current browsers send both headers,
/// older ones only `Origin`.
fn as_sent_from(
    request: reqwest::RequestBuilder,
    origin: &str,
    sec_fetch_site: bool,
) -> reqwest::RequestBuilder {
    let request = request.header("origin", origin);
    if sec_fetch_site {
        request.header("sec-fetch-site", "cross-site")
    } else {
        request
    }
}

#[tokio::test]
async fn thirty_one_wrong_status_checks_from_another_site_are_refused_and_lock_nobody_out() {
    let gateway = strict_gateway();
    let client = gateway.reporter();
    for n in 0..31 {
        let form = as_sent_from(
            client
                .post(format!("{}/status", gateway.public))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={:024}", 100_000 + n)),
            "https://elsewhere.example",
            n % 2 == 0,
        );
        let answer = form.send().await.unwrap();
        assert_eq!(answer.status(), 403, "check {n} from another site");
        let page = answer.text().await.unwrap();
        assert!(page.contains("another site"), "{page}");
    }
    let api = as_sent_from(
        client
            .post(format!("{}/api/v1/status", gateway.public))
            .json(&json!({ "lookup": STANDARD.encode([5u8; 32]) })),
        "null",
        false,
    );
    let refused: serde_json::Value = api.send().await.unwrap().json().await.unwrap();
    assert_eq!(refused["error"]["code"], "cross_site");

    // The visitor's own checks are still answered: 404 for a wrong number, not 429.
    for _ in 0..3 {
        let own = client
            .post(format!("{}/api/v1/status", gateway.public))
            .header("origin", gateway.public.as_str())
            .header("sec-fetch-site", "same-origin")
            .json(&json!({ "lookup": STANDARD.encode([6u8; 32]) }))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), 404, "the network's budget was not spent");
    }
}

#[tokio::test]
async fn a_report_form_posted_from_another_site_files_nothing_even_with_a_real_mark() {
    let gateway = Gateway::start();
    let client = gateway.reporter();
    // Another site's server can fetch a real mark and put it in its copy of the form.
    for (n, origin) in ["https://elsewhere.example", "null", "https://127.0.0.1:1"]
        .into_iter()
        .enumerate()
    {
        let fields = gateway
            .with_mark(&[("entity", "minusca"), ("description", "planted")])
            .await;
        let answer = as_sent_from(
            client
                .post(format!("{}/report", gateway.public))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&fields).unwrap()),
            origin,
            n == 0,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(answer.status(), 403, "a form from {origin}");
    }
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());

    // The same form from the gateway's own page is filed.
    let fields = gateway
        .with_mark(&[("entity", "minusca"), ("description", "real")])
        .await;
    let answer = client
        .post(format!("{}/report", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", gateway.public.as_str())
        .header("sec-fetch-site", "same-origin")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 1);
}

#[tokio::test]
async fn a_report_form_without_a_mark_this_gateway_issued_files_nothing() {
    let gateway = Gateway::start();
    // A real mark with one digit of its tag changed, and one made up whole.
    let mut changed = gateway.form_mark().await.into_bytes();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
    let changed = String::from_utf8(changed).unwrap();
    let forged = "ab".repeat(40);
    for (what, mark) in [
        ("no mark", ""),
        ("a mark with its tag changed", changed.as_str()),
        ("a made-up mark", forged.as_str()),
    ] {
        let (status, page) = gateway
            .submit_form(&[("once", mark), ("entity", "minusca"), ("description", "x")])
            .await;
        assert_eq!(status, 403, "{what}: {page}");
        assert!(
            page.contains("did not come from this site"),
            "{what}: {page}"
        );
    }
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "x")])
        .await;
    assert_eq!(status, 200, "with the mark of its own page");
}

#[tokio::test]
async fn a_report_page_opened_before_a_restart_can_still_be_sent() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let mut gateway = Gateway::start_in(&data);
    let mark = gateway.form_mark().await;
    gateway.kill();
    let gateway = Gateway::start_in(&data);
    let (status, page) = gateway
        .submit_form(&[
            ("once", mark.as_str()),
            ("entity", "minusca"),
            ("description", "typed while the gateway restarted"),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
}

#[tokio::test]
async fn another_sites_page_cannot_load_the_gateways_files_and_its_links_still_open_the_form() {
    let gateway = Gateway::start();
    let client = gateway.reporter();
    let get = |path: &str, mode: &str| {
        client
            .get(format!("{}{path}", gateway.public))
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", mode)
            .send()
    };
    let embedded = get("/static/style.css", "no-cors").await.unwrap();
    assert_eq!(
        embedded.status(),
        403,
        "an image or stylesheet of another site's page"
    );
    let followed = get("/", "navigate").await.unwrap();
    assert_eq!(followed.status(), 200, "a link followed from another site");
}
