//! Connections a flood holds open, from many networks (any 127/8 address works on loopback;
//! the gateway tells networks apart by their /24), shared by tests/flood.rs and benches/flood.rs.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;

/// The `n`th network of a flood: 127.10.0.1, 127.10.1.1, … (each its own /24).
pub fn network(n: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 10 + (n / 256) as u8, (n % 256) as u8, 1)
}

/// The socket address of a listener's `https://host:port` URL.
pub fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("https://").parse().unwrap()
}

/// A TCP connection from `source` that sends nothing.
pub async fn tcp_from(addr: SocketAddr, source: Ipv4Addr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(addr).await
}

/// A client that trusts the demo certificate and shows none of its own.
pub fn connector() -> tokio_rustls::TlsConnector {
    confide::tls::install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    for cert in confide::tls::load_certificates(&crate::common::keys().join("tls/ca.pem")).unwrap()
    {
        roots.add(cert).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A TLS connection from `source`, handshake done.
pub async fn tls_from(
    connector: &tokio_rustls::TlsConnector,
    addr: SocketAddr,
    source: Ipv4Addr,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = tcp_from(addr, source).await?;
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await
}

/// Reads and drops whatever arrives until the gateway closes the connection; the time that
/// took, or `None` if it was still open after `within`. Also the bytes read.
pub async fn closed_within(
    stream: &mut (impl AsyncReadExt + Unpin),
    within: Duration,
) -> (Option<Duration>, u64) {
    let started = Instant::now();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return (None, total),
            Ok(Ok(0)) | Ok(Err(_)) => return (Some(started.elapsed()), total),
            Ok(Ok(n)) => total += n as u64,
        }
    }
}

/// Sends `bytes` and keeps the connection, ignoring a gateway that has closed it already.
pub async fn send(stream: &mut (impl AsyncWriteExt + Unpin), bytes: &[u8]) {
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
}
