//! The accept loop shared by both listeners: TLS handshake, connection limits, HTTP/1.1.
//!
//! This loop is written here rather than taken from a server crate so that one property is
//! plain to see: the client's address, which `accept` returns, is dropped on the spot and never
//! reaches a handler, a log or the database. What is passed from the connection to the handlers
//! is the SHA-256 fingerprint of a staff member's client certificate and, on the public
//! listener, a keyed hash of the client's network prefix under a key that changes daily
//! (`throttle`), for rate limits only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::pace::{Pace, PacedBody, PacedIo};
use crate::http::pool::{Places, Pool};
use crate::http::throttle::Prefixes;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long a client may take to finish the TLS handshake (a few round trips; 10 s covers a
/// satellite link over Tor).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers, and how long a connection may wait
/// for its next request.
const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest buffer for a request's head (request line and headers).
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The fingerprint of the client certificate presented on this connection, if any.
#[derive(Clone, Copy, Debug)]
pub struct ClientCertificate(pub Option<[u8; 32]>);

/// How one listener takes its connections.
pub struct Listening {
    /// Places for connections in their handshake and past it (`pool`).
    pub places: Places,
    /// How slowly a connection may move data (`pace`).
    pub pace: Pace,
    /// Whether requests carry their network's keyed hash (the public listener's rate limits).
    /// Either way the hash decides a network's share of the places.
    pub tell_network: bool,
}

/// Serves `router` on `tcp` over TLS until the process ends. Each connection's network is
/// reduced to its keyed hash (see `throttle`) in the instant `accept` returns its address.
///
/// When `stop` turns true, the loop stops accepting, every connection finishes the request it is
/// serving (and takes no other), and this returns once all are closed, or after [`DRAIN`].
pub async fn serve(
    tcp: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    listening: Listening,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let pool = Pool::new(listening.places, listening.pace);
    let prefixes = Prefixes::default();
    loop {
        // The peer address is reduced to its network's keyed hash and discarded here.
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            _ = stopped(&mut stop) => break,
        };
        let (stream, network) = match accepted {
            Ok((stream, peer)) => (stream, prefixes.key_of(peer.ip())),
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(kind = ?e.kind(), "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let ticket = pool.admit(network, Instant::now());
        let prefix = listening.tell_network.then_some(network);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            let tls = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(tls)) => tls,
                    _ => return,
                },
                _ = ticket.closed() => return,
            };
            if !ticket.established(Instant::now()) {
                return; // no room, and nobody may be displaced
            }
            let certificate = ClientCertificate(
                tls.get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(crate::tls::fingerprint),
            );
            let ticket = Arc::new(ticket);
            let meters = ticket.meters().clone();
            let serving = ticket.clone();
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    serving.busy(Instant::now());
                    request.extensions_mut().insert(certificate);
                    if let Some(prefix) = prefix {
                        request.extensions_mut().insert(prefix);
                    }
                    let meters = serving.meters().clone();
                    let request =
                        request.map(|body| axum::body::Body::new(PacedBody::new(body, meters)));
                    let answering = serving.clone();
                    let router = router.clone();
                    let changes = !request.method().is_safe();
                    async move {
                        let response = router.oneshot(request).await;
                        // The answer is handed to the connection; what is left of it to write
                        // is judged by its pace, and the connection waits for a request again.
                        // The answer to a change that was made (a report filed: its number) is
                        // never closed to make room under a flood.
                        let made = response.as_ref().is_ok_and(|r| {
                            (r.status().is_success() || r.status().is_redirection())
                                && r.extensions()
                                    .get::<super::pool::ChangesNothing>()
                                    .is_none()
                        });
                        answering.answered(Instant::now(), changes && made);
                        response
                    }
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(PacedIo::new(tls, meters)), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = ticket.closed() => {} // too slow, or displaced under pressure
                _ = stopped(&mut stop) => {
                    // Finish the request under way, take no other.
                    connection.as_mut().graceful_shutdown();
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        _ = ticket.closed() => {}
                    }
                }
            }
        });
    }
    // Refuse new connections at once rather than leave them waiting in the backlog.
    drop(tcp);
    let drained = async {
        while !pool.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout(DRAIN, drained).await;
}

/// Resolves once the gateway is stopping (the watch's value guard is not held across awaits).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The longest a stopping listener waits for its connections to finish.
pub const DRAIN: Duration = Duration::from_secs(30);
