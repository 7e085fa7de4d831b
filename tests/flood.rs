//! Floods on loopback, bounded in count and time: one network floods reports and guesses
//! follow-up numbers; another network's reporter still gets through, and the staff listener
//! keeps serving. Networks are told apart by source address (127.0.0.1 and 127.0.1.1 are in
//! different /24 prefixes), as the gateway sees them.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

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

#[path = "common/flood.rs"]
mod held;

/// A reporter from a network of its own loads the report page, with `within` to do it.
async fn reporter_gets_the_page(gateway: &Gateway, network: usize, within: Duration) -> bool {
    let client = client_builder()
        .local_address(IpAddr::V4(held::network(network)))
        .timeout(within)
        .build()
        .unwrap();
    matches!(
        client.get(format!("{}/", gateway.public)).send().await,
        Ok(r) if r.status() == 200
    )
}

#[tokio::test]
async fn idle_connections_from_many_networks_leave_a_reporter_served() {
    let gateway = Gateway::start();
    let addr = held::addr_of(&gateway.public);
    // 18 networks × 61: each under its share (a sixteenth of 1,024), together past every place.
    let mut idle = Vec::new();
    for n in 0..18 * 61 {
        if let Ok(stream) = held::tcp_from(addr, held::network(n % 18)).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        idle.len() > 1024,
        "the flood holds {} connections",
        idle.len()
    );
    assert!(
        reporter_gets_the_page(&gateway, 200, Duration::from_secs(5)).await,
        "a reporter from another network is served while {} idle connections are held",
        idle.len()
    );
}

#[tokio::test]
async fn idle_connections_without_a_certificate_do_not_lock_the_staff_listener() {
    let gateway = Gateway::start();
    let addr = held::addr_of(&gateway.staff);
    let mut idle = Vec::new();
    for _ in 0..1030 {
        if let Ok(stream) = held::tcp_from(addr, "127.0.0.1".parse().unwrap()).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/cases")
        .await;
    assert_eq!(status, 200, "with {} idle connections held", idle.len());
}

/// A gateway that lets a connection move nothing for 3 s at most.
fn impatient_gateway() -> Gateway {
    Gateway::start_with_env(&[("CONFIDE_LIMITS__STALL_SECS", "3")])
}

#[tokio::test]
async fn a_body_that_stops_arriving_closes_its_connection() {
    let gateway = impatient_gateway();
    let connector = held::connector();
    let mut stream = held::tls_from(&connector, held::addr_of(&gateway.public), held::network(1))
        .await
        .unwrap();
    let started = Instant::now();
    held::send(
        &mut stream,
        b"POST /report HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500000\r\n\r\ndescription=the+first+words",
    )
    .await;
    // Before, it stayed open until the request's minute was up.
    let (closed, _) = held::closed_within(&mut stream, Duration::from_secs(30)).await;
    let closed = closed.expect("the connection is closed");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "closed for its silence, not refused at once"
    );
    println!("a body that stopped arriving: closed after {closed:?}");
}

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_closed() {
    let gateway = impatient_gateway();
    let connector = held::connector();
    let mut stream = held::tls_from(&connector, held::addr_of(&gateway.public), held::network(2))
        .await
        .unwrap();
    // 300 requests for the page's script at once, and nothing read: the answers fill the
    // socket's buffers and the gateway's writes wait.
    let requests = b"GET /static/confide.js HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(300);
    held::send(&mut stream, &requests).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    // Read now: what was buffered arrives, then the end, well short of 300 answers. Before,
    // every answer came (the gateway waited for the reader as long as it took) and the
    // connection stayed open.
    let (closed, read) = held::closed_within(&mut stream, Duration::from_secs(30)).await;
    assert!(
        closed.is_some(),
        "the connection is closed; {read} bytes read"
    );
    let script = reqwest_script_len(&gateway).await;
    assert!(
        read < 300 * script,
        "read {read} bytes, not 300 answers of {script}"
    );
}

async fn reqwest_script_len(gateway: &Gateway) -> u64 {
    gateway
        .reporter()
        .get(format!("{}/static/confide.js", gateway.public))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len() as u64
}

#[tokio::test]
async fn a_lookup_key_already_taken_counts_as_a_failed_check_and_waits_like_one() {
    let gateway = Gateway::start_with_env(&[
        ("CONFIDE_RATE_LIMITS__ENABLED", "true"),
        (
            "CONFIDE_RATE_LIMITS__FAILED_CHECKS_PER_PREFIX_PER_HOUR",
            "3",
        ),
    ]);
    let guesser = from("127.0.0.1");
    let keyring = gateway.keyring().await;
    let filed = report(&keyring);
    let url = format!("{}/api/v1/reports", gateway.public);
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(guesser.post(&url).json(&filed).send().await.unwrap()),
        201
    );
    // Other reports under the same lookup key (the same report again would be its lost answer
    // asked for, and answered 201): each answer says a case holds it, and each is counted like
    // a status check that found nothing…
    let mut answers = Vec::new();
    for _ in 0..4 {
        let mut guess = report(&keyring);
        guess["lookup"] = filed["lookup"].clone();
        answers.push(status(
            guesser.post(&url).json(&guess).send().await.unwrap(),
        ));
    }
    // … so the fourth waits, and so do the network's status checks. Before, every one was
    // answered 409, and status checks stayed open.
    assert_eq!(answers, [409, 409, 409, 429]);
    let check = guesser
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "lookup": STANDARD.encode([3u8; 32]) }))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 429);
    assert!(check.headers().contains_key("retry-after"));
    // A report without a lookup key of its own still goes through.
    let mut plain = report(&keyring);
    let object = plain.as_object_mut().unwrap();
    object.remove("lookup");
    object.remove("reply_recipient");
    assert_eq!(
        status(guesser.post(&url).json(&plain).send().await.unwrap()),
        201
    );
}
