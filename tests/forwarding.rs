//! Push forwarding: every new sealed report of an entity reaches the entity's own endpoint over
//! mutual TLS, at least once, with its idempotency key, through a receiver that fails, is
//! killed and comes back, and a gateway killed with SIGKILL in the middle.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Gateway, copy_of_keys, keys};
use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
struct Delivery {
    key: String,
    envelope: String,
    case: String,
    kind: String,
    content_type: String,
    body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Inbox {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    /// Requests still to refuse with 503.
    refuse: Arc<AtomicUsize>,
    /// Deliveries still to take; once none are left, every request hangs, unanswered.
    take: Arc<AtomicUsize>,
    /// Requests left hanging.
    held: Arc<AtomicUsize>,
}

/// An entity's receiving endpoint: the example server certificate, and only clients with a
/// certificate from the example CA. Stops (connections and all) when the handle is aborted.
async fn receiver(addr: SocketAddr, inbox: Inbox) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    confide::tls::install_crypto_provider();
    let cert = confide::tls::ServerCert::load(
        &keys().join("tls/server.pem"),
        &keys().join("tls/server-key.pem"),
    )
    .unwrap();
    let ca = confide::tls::load_certificates(&keys().join("tls/ca.pem")).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(confide::tls::staff_config(cert, ca).unwrap());
    let listener = TcpListener::bind(addr).await.unwrap();
    let bound = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, inbox) = (acceptor.clone(), inbox.clone());
            connections.spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let inbox = inbox.clone();
                    async move {
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        let mut delivery = Delivery {
                            key: header("idempotency-key"),
                            envelope: header("confide-envelope"),
                            case: header("confide-case"),
                            kind: header("confide-kind"),
                            content_type: header("content-type"),
                            body: Vec::new(),
                        };
                        delivery.body = request.into_body().collect().await?.to_bytes().to_vec();
                        let refused = inbox
                            .refuse
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        let taken = refused
                            || inbox
                                .take
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                        if !taken {
                            inbox.held.fetch_add(1, Ordering::SeqCst);
                            std::future::pending::<()>().await;
                        }
                        let status = if refused {
                            503
                        } else {
                            inbox.deliveries.lock().unwrap().push(delivery);
                            200
                        };
                        Ok::<_, hyper::Error>(
                            hyper::Response::builder()
                                .status(status)
                                .body(http_body_util::Full::new(bytes::Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (bound, task)
}

/// Sends `n` reports to `entity` at once through the form; returns the texts.
async fn report(gateway: &Gateway, entity: &str, label: &str, n: usize) -> Vec<String> {
    let texts: Vec<String> = (0..n)
        .map(|i| format!("forwarded report {label} {i}"))
        .collect();
    let sends = texts.iter().map(|text| async move {
        let (status, page) = gateway
            .submit_form(&[("entity", entity), ("description", text.as_str())])
            .await;
        assert_eq!(status, 200, "{page}");
    });
    futures_util::future::join_all(sends).await;
    texts
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}

#[tokio::test]
async fn every_report_reaches_the_entitys_endpoint_sealed_through_a_failing_receiver_and_a_killed_gateway()
 {
    let inbox = Inbox::default();
    inbox.refuse.store(3, Ordering::SeqCst);
    inbox.take.store(3, Ordering::SeqCst);
    let (addr, first) = receiver("127.0.0.1:0".parse().unwrap(), inbox.clone()).await;

    // The gateway's client certificate for the receiver, from the organisation CA.
    let dir = copy_of_keys();
    let ca = confide::keys::Authority::load(
        &std::fs::read_to_string(keys().join("tls/ca.pem")).unwrap(),
        &std::fs::read_to_string(keys().join("tls/ca-key.pem")).unwrap(),
    )
    .unwrap();
    let client = ca
        .issue_client("gateway-forwarder", confide::keys::Lifetime::STAFF)
        .unwrap();
    std::fs::write(dir.path().join("forwarder.pem"), client.cert_pem).unwrap();
    std::fs::write(dir.path().join("forwarder-key.pem"), client.key_pem).unwrap();
    let config = dir.path().join("confide.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[forward.minusca]\nurl = \"https://127.0.0.1:{}/inbox\"\nca = \"tls/ca.pem\"\n\
         certificate = \"forwarder.pem\"\nkey = \"forwarder-key.pem\"\nretry_first_secs = 1\nretry_max_secs = 2\n",
        addr.port()
    ));
    std::fs::write(&config, text).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut gateway = Gateway::spawn_demo(dir.path(), data.path(), &[], &[]);

    let mut sent = report(&gateway, "minusca", "before", 8).await;
    report(&gateway, "monusco", "not forwarded", 2).await;
    // The receiver refuses three, takes three, and leaves the next hanging: the gateway is
    // killed in the middle of a delivery, holding the entity's deliveries; then the receiver
    // is killed too.
    let held = inbox.clone();
    wait_for("a delivery left hanging", || {
        held.held.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert_eq!(inbox.deliveries.lock().unwrap().len(), 3);
    gateway.kill();
    first.abort();
    let _ = first.await;
    inbox.take.store(usize::MAX, Ordering::SeqCst);

    let mut gateway = Gateway::spawn_demo(dir.path(), data.path(), &[], &[]);
    sent.extend(report(&gateway, "minusca", "while the receiver is down", 4).await);
    // Retries meet a dead receiver for a while.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, second) = receiver(addr, inbox.clone()).await;

    // Every report of MINUSCA, and nothing else, arrives: the restarted gateway takes over the
    // killed one's hold once it lapses.
    let mut expected: HashMap<String, String> = HashMap::new();
    for case in gateway.cases_seen_by("intake-minusca").await {
        let id = case["id"].as_str().unwrap().to_string();
        let (_, envelopes) = gateway
            .staff_get(
                "intake-minusca",
                &format!("/api/v1/staff/cases/{id}/envelopes"),
            )
            .await;
        for envelope in envelopes.as_array().unwrap() {
            if envelope["kind"] == "report" {
                expected.insert(envelope["id"].as_str().unwrap().to_string(), id.clone());
            }
        }
    }
    assert_eq!(expected.len(), sent.len());
    let counted = inbox.clone();
    let wanted: HashSet<String> = expected.keys().cloned().collect();
    let mut polls = 0;
    wait_for("every report delivered", || {
        polls += 1;
        if polls == 300 {
            eprintln!("LOGS:\n{}", gateway.logs());
            eprintln!(
                "GOT {} of {}",
                counted.deliveries.lock().unwrap().len(),
                wanted.len()
            );
        }
        let got: HashSet<String> = counted
            .deliveries
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.key.clone())
            .collect();
        wanted.is_subset(&got)
    })
    .await;
    second.abort();

    let deliveries = inbox.deliveries.lock().unwrap().clone();
    let identity = common::age_identity("intake-minusca");
    let mut opened = Vec::new();
    for d in &deliveries {
        assert_eq!(d.key, d.envelope, "the idempotency key is the envelope id");
        assert_eq!(
            expected.get(&d.key),
            Some(&d.case),
            "only MINUSCA's reports, with their case"
        );
        assert_eq!(d.kind, "report");
        assert_eq!(d.content_type, "application/age");
        assert_eq!(
            d.body,
            gateway.download("intake-minusca", &d.key).await,
            "the stored envelope, byte for byte"
        );
        assert!(d.body.starts_with(b"age-encryption.org/v1"));
        assert!(
            sent.iter()
                .all(|s| !common::contains(&d.body, s.as_bytes())),
            "nothing forwarded in clear"
        );
        let mut plain = String::new();
        age::Decryptor::new(d.body.as_slice())
            .unwrap()
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .unwrap()
            .read_to_string(&mut plain)
            .unwrap();
        opened.push(plain);
    }
    for text in &sent {
        assert!(
            opened.iter().any(|p| p.contains(text.as_str())),
            "{text} arrived"
        );
    }
    println!(
        "{} reports, {} deliveries (repeats allowed: at least once)",
        sent.len(),
        deliveries.len()
    );
    gateway.kill();
}
