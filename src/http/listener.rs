//! The accept loop shared by both listeners: TLS handshake, connection limits, HTTP/1.1.
//!
//! This loop is written here rather than taken from a server crate so that one property is
//! plain to see: the client's address, which `accept` returns, is dropped on the spot and never
//! reaches a handler, a log or the database. What is passed from the connection to the handlers
//! is the SHA-256 fingerprint of a staff member's client certificate and, on the public
//! listener, a keyed hash of the client's network prefix under a key that changes daily
//! (`throttle`), for rate limits only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::http::throttle::PrefixKey;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest buffer for a request's head (request line and headers).
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// One of a network's connections, given back when the connection ends.
struct NetworkSlot {
    held: Arc<std::sync::Mutex<HashMap<PrefixKey, usize>>>,
    key: PrefixKey,
}

impl NetworkSlot {
    fn take(
        held: &Arc<std::sync::Mutex<HashMap<PrefixKey, usize>>>,
        key: PrefixKey,
        most: usize,
    ) -> Option<NetworkSlot> {
        let mut counts = held.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key).or_insert(0);
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(NetworkSlot {
            held: held.clone(),
            key,
        })
    }
}

impl Drop for NetworkSlot {
    fn drop(&mut self) {
        let mut counts = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The fingerprint of the client certificate presented on this connection, if any.
#[derive(Clone, Copy, Debug)]
pub struct ClientCertificate(pub Option<[u8; 32]>);

/// Serves `router` on `tcp` over TLS until the process ends. With `prefixes`, each request
/// carries the keyed hash of its client's network (see `throttle`), made from the address in
/// the instant before it is dropped.
///
/// When `stop` turns true, the loop stops accepting, every connection finishes the request it is
/// serving (and takes no other), and this returns once all are closed, or after [`DRAIN`].
pub async fn serve(
    tcp: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    max_connections: usize,
    prefixes: Option<Arc<crate::http::throttle::Prefixes>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let slots = Arc::new(Semaphore::new(max_connections));
    // No network may hold more than a sixteenth of the connections (at least 8), so that one
    // network holding connections open cannot shut out the others.
    let per_network = (max_connections / 16).max(8);
    let held: Arc<std::sync::Mutex<HashMap<PrefixKey, usize>>> = Arc::default();
    loop {
        // The peer address is reduced to its network's keyed hash and discarded here.
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            _ = stopped(&mut stop) => break,
        };
        let (stream, prefix) = match accepted {
            Ok((stream, peer)) => (stream, prefixes.as_ref().map(|p| p.key_of(peer.ip()))),
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(kind = ?e.kind(), "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let network = match prefix {
            Some(key) => match NetworkSlot::take(&held, key, per_network) {
                Some(slot) => Some(slot),
                None => {
                    drop(stream);
                    continue;
                }
            },
            None => None,
        };
        // Over the limit, a connection is closed at once rather than queued.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _network = network;
            let _ = stream.set_nodelay(true);
            let Ok(Ok(tls)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            else {
                return;
            };
            let certificate = ClientCertificate(
                tls.get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(crate::tls::fingerprint),
            );
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(certificate);
                    if let Some(prefix) = prefix {
                        request.extensions_mut().insert(prefix);
                    }
                    router.clone().oneshot(request.map(axum::body::Body::new))
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(tls), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped(&mut stop) => {
                    // Finish the request under way, take no other.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    // Refuse new connections at once rather than leave them waiting in the backlog.
    drop(tcp);
    // Every connection holds a slot: all slots back means all connections closed.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(all)).await;
}

/// Resolves once the gateway is stopping (the watch's value guard is not held across awaits).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The longest a stopping listener waits for its connections to finish.
pub const DRAIN: Duration = Duration::from_secs(30);
