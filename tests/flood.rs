//! Floods on loopback, bounded in count and time: one network floods reports and guesses
//! follow-up numbers; another network's reporter still gets through, and the staff listener
//! keeps serving. Networks are told apart by source address (127.0.0.1 and 127.0.1.1 are in
//! different /24 prefixes), as the gateway sees them.

mod common;

use std::net::IpAddr;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, client_builder};
use serde_json::{Value, json};

/// A client that connects from `source` (any 127/8 address works on loopback).
fn from(source: &str) -> reqwest::Client {
    client_builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A report sealed and stretched "on the client" (random lookup key), as the API takes it.
fn report(keyring: &Value) -> Value {
    let recipient = common::first_recipient(keyring);
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(b"{\"description\":\"flood\"}".to_vec()),
        &[recipient],
    )
    .unwrap();
    let mut lookup = [0u8; 32];
    for b in lookup.iter_mut() {
        *b = rand_byte();
    }
    json!({
        "entity": keyring["entities"][0]["id"],
        "envelope": STANDARD.encode(sealed),
        "lookup": STANDARD.encode(lookup),
        "reply_recipient": age::x25519::Identity::generate().to_public().to_string(),
    })
}

fn rand_byte() -> u8 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    (x >> 56) as u8
}

#[tokio::test]
async fn a_flooding_network_is_slowed_while_other_reporters_and_staff_get_through() {
    let gateway = Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        (
            "CONFIDE_RATE_LIMITS__SUBMISSIONS_PER_PREFIX_PER_MINUTE",
            "5",
        ),
        (
            "CONFIDE_RATE_LIMITS__FAILED_CHECKS_PER_PREFIX_PER_HOUR",
            "3",
        ),
    ]);
    let flooder = from("127.0.0.1");
    let reporter = from("127.0.1.1");
    let keyring: Value = flooder
        .get(format!("{}/api/v1/keyring", gateway.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // 1. 200 reports at once from one network.
    let started = Instant::now();
    let mut flood = Vec::new();
    for _ in 0..200 {
        let (client, body, url) = (
            flooder.clone(),
            report(&keyring),
            format!("{}/api/v1/reports", gateway.public),
        );
        flood.push(tokio::spawn(async move {
            // Past the connections one network may hold, the gateway closes new ones at once.
            match client.post(url).json(&body).send().await {
                Ok(r) => (
                    r.status().as_u16(),
                    r.headers().get("retry-after").is_some(),
                ),
                Err(_) => (0, false),
            }
        }));
    }
    // Meanwhile the staff listener answers, and a reporter on another network gets through.
    let (staff_status, _) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/cases")
        .await;
    let other = reporter
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&report(&keyring))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let (mut accepted, mut refused, mut closed) = (0, 0, 0);
    for task in flood {
        match task.await.unwrap() {
            (201, _) => accepted += 1,
            (429, true) => refused += 1,
            (0, _) => closed += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "flood: 200 reports from one network in {seconds:.2} s: {accepted} accepted, {refused} refused with 429 and Retry-After, {closed} connections closed over the network's share; another network's report: {other}; staff listener: {staff_status}"
    );
    assert_eq!(accepted, 5, "the network's budget, no more");
    assert_eq!(refused + closed, 195);
    assert_eq!(
        other, 201,
        "a reporter elsewhere is not slowed by the flood"
    );
    assert_eq!(staff_status, 200, "the staff listener keeps serving");
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 6);

    // 2. Guessing follow-up numbers: after 3 misses the network waits; others are unaffected.
    let mut answers = Vec::new();
    for _ in 0..6 {
        let mut lookup = [0u8; 32];
        lookup.iter_mut().for_each(|b| *b = rand_byte());
        let r = flooder
            .post(format!("{}/api/v1/status", gateway.public))
            .json(&json!({ "lookup": STANDARD.encode(lookup) }))
            .send()
            .await
            .unwrap();
        answers.push(r.status().as_u16());
    }
    println!("guessing from one network: {answers:?}");
    assert_eq!(answers, [404, 404, 404, 429, 429, 429]);
    let elsewhere = reporter
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "lookup": STANDARD.encode([9u8; 32]) }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(elsewhere, 404, "another network still gets a plain answer");
    // Only a number that matches no case counts as a failed check: 40 posts to a path that does
    // not exist cost the other network nothing.
    for _ in 0..40 {
        reporter
            .post(format!("{}/api/v1/nothing-here", gateway.public))
            .send()
            .await
            .unwrap();
    }
    let still = reporter
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "lookup": STANDARD.encode([8u8; 32]) }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(still, 404, "not 429: unknown paths are not guesses");
    // Reporting stays open to the guessing network's people: only follow-ups wait.
    let page = flooder
        .get(format!("{}/", gateway.public))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

/// The answer to a challenge, found the slow way (as a phone would).
fn solve(challenge: &str, bits: u32) -> u64 {
    let raw = STANDARD.decode(challenge).unwrap();
    (0u64..)
        .find(|n| {
            let mut input = raw.clone();
            input.extend(n.to_le_bytes());
            let digest = ring::digest::digest(&ring::digest::SHA256, &input);
            let mut zeros = 0;
            for byte in digest.as_ref() {
                if *byte == 0 {
                    zeros += 8;
                } else {
                    zeros += byte.leading_zeros();
                    break;
                }
            }
            zeros >= bits
        })
        .unwrap()
}

#[tokio::test]
async fn under_pressure_the_api_asks_for_work_and_the_form_still_gets_through() {
    let gateway = Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        ("CONFIDE_RATE_LIMITS__POW_ABOVE_SUBMISSIONS_PER_MINUTE", "2"),
        ("CONFIDE_RATE_LIMITS__POW_BITS", "12"),
    ]);
    let client = from("127.0.0.1");
    let url = |path: &str| format!("{}{path}", gateway.public);
    let keyring: Value = client
        .get(url("/api/v1/keyring"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Two reports accepted in a minute are within the rate; the third accepted turns the puzzle
    // on, and the fourth must carry work.
    let mut answers = Vec::new();
    for _ in 0..4 {
        let r = client
            .post(url("/api/v1/reports"))
            .json(&report(&keyring))
            .send()
            .await
            .unwrap();
        answers.push(r.status().as_u16());
    }
    assert_eq!(answers, [201, 201, 201, 428]);
    let challenge: Value = client
        .get(url("/api/v1/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(challenge["required"], true);
    assert_eq!(challenge["bits"], 12);
    let text = challenge["challenge"].as_str().unwrap().to_string();
    let nonce = solve(&text, 12);
    let mut body = report(&keyring);
    body["pow"] = json!({ "challenge": text, "nonce": nonce });
    let first = client
        .post(url("/api/v1/reports"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201, "answered work is accepted");
    let mut again = report(&keyring);
    again["pow"] = json!({ "challenge": text, "nonce": nonce });
    let replay = client
        .post(url("/api/v1/reports"))
        .json(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 422, "an answer is used once");
    let mut lazy = report(&keyring);
    lazy["pow"] =
        json!({ "challenge": challenge_of(&client, &url("/api/v1/challenge")).await, "nonce": 0 });
    let lazy = client
        .post(url("/api/v1/reports"))
        .json(&lazy)
        .send()
        .await
        .unwrap();
    // Nonce 0 fails 12 bits of work but for one challenge in 4096.
    assert_eq!(lazy.status(), 422);

    // The form without JavaScript is never asked for work.
    let (status, page) = gateway
        .submit_form(&[
            ("entity", "minusca"),
            ("description", "still open under pressure"),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(gateway.cases_seen_by("intake-minusca").await.len(), 5);
}

async fn challenge_of(client: &reqwest::Client, url: &str) -> String {
    let answer: Value = client.get(url).send().await.unwrap().json().await.unwrap();
    answer["challenge"].as_str().unwrap().to_string()
}
