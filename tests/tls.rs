//! TLS as a client meets it: the hybrid post-quantum key exchange first, TLS 1.2 for old phones on
//! the public listener only, and a renewed certificate served after SIGHUP without a restart.

mod common;

use std::sync::Arc;

use common::{Gateway, keys};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(keys().join("tls/ca.pem")).unwrap();
    for cert in rustls_pemfile_certs(&ca) {
        roots.add(cert).unwrap();
    }
    roots
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// Connects to `url` (https://127.0.0.1:PORT) with `config`; returns the negotiated key exchange
/// group, protocol version and the server certificate's SHA-256, or the handshake's error.
async fn handshake(
    url: &str,
    config: rustls::ClientConfig,
) -> Result<(String, String, [u8; 32]), String> {
    let address = url.trim_start_matches("https://");
    let tcp = TcpStream::connect(address).await.unwrap();
    let connector = TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (_, connection) = tls.get_ref();
    Ok((
        format!(
            "{:?}",
            connection.negotiated_key_exchange_group().unwrap().name()
        ),
        format!("{:?}", connection.protocol_version().unwrap()),
        confide::tls::fingerprint(&connection.peer_certificates().unwrap()[0]),
    ))
}

fn client(
    groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(groups) = groups {
        provider.kx_groups = groups;
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots())
        .with_no_client_auth()
}

#[tokio::test]
async fn the_hybrid_post_quantum_exchange_is_chosen_and_old_clients_still_connect() {
    let gateway = Gateway::start();
    let all = rustls::ALL_VERSIONS;
    // A current client offers X25519MLKEM768 and X25519: the server picks the hybrid.
    let (group, version, _) = handshake(&gateway.public, client(None, all)).await.unwrap();
    assert_eq!(group, "X25519MLKEM768");
    assert_eq!(version, "TLSv1_3");
    // A client that knows only the hybrid gets it; one without it still gets X25519.
    use rustls::crypto::aws_lc_rs::kx_group;
    let only_hybrid = client(Some(vec![kx_group::X25519MLKEM768]), all);
    assert_eq!(
        handshake(&gateway.public, only_hybrid).await.unwrap().0,
        "X25519MLKEM768"
    );
    let classical = client(Some(vec![kx_group::X25519]), all);
    assert_eq!(
        handshake(&gateway.public, classical).await.unwrap().0,
        "X25519"
    );
    // An old phone speaking TLS 1.2 only is served on the public listener (forward-secret
    // ECDHE with AEAD: rustls has no other suites); the staff listener refuses it, since under
    // TLS 1.2 the client certificate would cross the network in clear.
    let old = client(None, &[&rustls::version::TLS12]);
    let (_, version, _) = handshake(&gateway.public, old.clone()).await.unwrap();
    assert_eq!(version, "TLSv1_2");
    assert!(handshake(&gateway.staff, old).await.is_err());
}

#[tokio::test]
async fn a_renewed_certificate_is_served_after_sighup_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (
        dir.path().join("server.pem"),
        dir.path().join("server-key.pem"),
    );
    std::fs::copy(keys().join("tls/server.pem"), &cert).unwrap();
    std::fs::copy(keys().join("tls/server-key.pem"), &key).unwrap();
    let gateway = Gateway::start_with_env(&[
        ("CONFIDE_TLS__CERTIFICATE", cert.to_str().unwrap()),
        ("CONFIDE_TLS__KEY", key.to_str().unwrap()),
    ]);
    let before = handshake(&gateway.public, client(None, rustls::ALL_VERSIONS))
        .await
        .unwrap()
        .2;

    let ca = confide::keys::Authority::load(
        &std::fs::read_to_string(keys().join("tls/ca.pem")).unwrap(),
        &std::fs::read_to_string(keys().join("tls/ca-key.pem")).unwrap(),
    )
    .unwrap();
    let renewed = ca
        .issue_server(&["localhost", "127.0.0.1"], confide::keys::Lifetime::STAFF)
        .unwrap();
    // A broken file first: the old certificate stays in service.
    std::fs::write(&cert, "not a certificate").unwrap();
    hang_up(&gateway);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let still = handshake(&gateway.public, client(None, rustls::ALL_VERSIONS))
        .await
        .unwrap()
        .2;
    assert_eq!(
        still, before,
        "a bad file leaves the old certificate served"
    );

    std::fs::write(&cert, &renewed.cert_pem).unwrap();
    std::fs::write(&key, &renewed.key_pem).unwrap();
    hang_up(&gateway);
    let mut after = before;
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = handshake(&gateway.public, client(None, rustls::ALL_VERSIONS))
            .await
            .unwrap()
            .2;
        if after != before {
            break;
        }
    }
    assert_eq!(
        after, renewed.fingerprint,
        "the renewed certificate is served"
    );
    assert!(gateway.logs().contains("TLS certificate and key reloaded"));
}

fn hang_up(gateway: &Gateway) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &gateway.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_fifteen_seconds() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gateway = Gateway::start();
    let address = gateway.public.trim_start_matches("https://").to_string();
    let tcp = TcpStream::connect(&address).await.unwrap();
    let connector = TlsConnector::from(Arc::new(client(None, rustls::ALL_VERSIONS)));
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    // One request on a kept-alive connection, answered; then nothing.
    tls.write_all(b"GET /static/exit.js HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = tls.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = std::time::Instant::now();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(40), async {
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    let idle = started.elapsed().as_secs_f64();
    println!("an idle kept-alive connection was closed after {idle:.1} s");
    assert!(closed.is_ok(), "the server keeps idle connections open");
    assert!(idle < 20.0, "closed after {idle:.1} s, not 15");
}

/// Connects twice with one client configuration (which keeps and offers what the server gave
/// it to resume); returns how the second handshake went.
async fn second_handshake(url: &str, config: rustls::ClientConfig) -> rustls::HandshakeKind {
    let address = url.trim_start_matches("https://");
    let connector = TlsConnector::from(Arc::new(config));
    let mut kind = None;
    for _ in 0..2 {
        let tcp = TcpStream::connect(address).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        // TLS 1.3 tickets arrive after the handshake: read the answer to a request so that
        // any ticket has been received before the next connection.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        kind = tls.get_ref().1.handshake_kind();
    }
    kind.unwrap()
}

#[tokio::test]
async fn a_reporters_two_visits_cannot_be_linked_by_a_resumed_tls_session() {
    let gateway = Gateway::start();
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let kind = second_handshake(&gateway.public, client(None, versions)).await;
        assert_eq!(kind, rustls::HandshakeKind::Full, "{versions:?}");
    }
    // The staff listener may resume: it is how the check above would fail if resumption were
    // on (its staff are known by their certificate anyway).
    let staff = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots())
    .with_client_auth_cert(
        rustls_pemfile_certs(
            &std::fs::read(common::staff_dir("intake-minusca").join("cert.pem")).unwrap(),
        ),
        {
            use rustls::pki_types::pem::PemObject;
            rustls::pki_types::PrivateKeyDer::from_pem_file(
                common::staff_dir("intake-minusca").join("key.pem"),
            )
            .unwrap()
        },
    )
    .unwrap();
    assert_eq!(
        second_handshake(&gateway.staff, staff).await,
        rustls::HandshakeKind::Resumed,
        "the same check sees a resumption where the server allows one"
    );
}
