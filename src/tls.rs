//! TLS for both listeners (rustls with the aws-lc-rs provider).
//!
//! The provider offers the hybrid post-quantum key exchange X25519MLKEM768 first: reports
//! recorded in transit today must stay secret for decades. TLS 1.3 is preferred; TLS 1.2 is kept
//! for old phones, with rustls's default suites, which are all forward-secret AEAD.
//! The staff listener requires a client certificate signed by the organisation's CA; which staff
//! member it is, is decided afterwards from its SHA-256 fingerprint in the keyring. The staff
//! listener speaks TLS 1.3 only, so that the client certificate is never sent in clear.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} from {path}: {detail}")]
    Read {
        what: &'static str,
        path: String,
        detail: String,
    },
    #[error("the TLS configuration is invalid: {0}")]
    Config(#[from] rustls::Error),
    #[error("the staff CA is invalid: {0}")]
    Ca(String),
}

/// Installs aws-lc-rs as the process's rustls provider. Call once at start, before any TLS.
pub fn install_crypto_provider() {
    // Err means a provider is already installed (tests start several servers): that is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read_err = |detail: String| TlsError::Read {
        what: "certificates",
        path: path.display().to_string(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| read_err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(read_err("no PEM certificate found".into()));
    }
    Ok(certs)
}

pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Read {
        what: "a private key",
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

/// The server's certificate and key, replaced while the gateway runs (`confide` reloads them
/// on SIGHUP): a renewed certificate needs no restart, and a bad file leaves the old one served.
#[derive(Debug)]
pub struct ServerCert {
    current: std::sync::RwLock<Arc<CertifiedKey>>,
}

impl ServerCert {
    pub fn load(certificate: &Path, key: &Path) -> Result<Arc<ServerCert>, TlsError> {
        Ok(Arc::new(ServerCert {
            current: std::sync::RwLock::new(certified(certificate, key)?),
        }))
    }

    /// Reads the files again; on any error the certificate served stays the same.
    pub fn reload(&self, certificate: &Path, key: &Path) -> Result<(), TlsError> {
        let fresh = certified(certificate, key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

impl ResolvesServerCert for ServerCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

fn certified(certificate: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let certs = load_certificates(certificate)?;
    let key = load_private_key(key)?;
    let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)?;
    let certified = CertifiedKey::new(certs, signing);
    // The key must be the certificate's: checked now, not at a client's handshake.
    certified.keys_match()?;
    Ok(Arc::new(certified))
}

/// The reporters' listener: server authentication only.
pub fn public_config(cert: Arc<ServerCert>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No session resumption for reporters: a TLS 1.3 ticket or a TLS 1.2 session id shown again
    // would link two visits, from any network (and a 1.2 session id crosses the wire in clear).
    // Every visit is a full handshake; rustls makes no stateless tickets unless given a
    // ticketer, so this leaves no way to resume.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// The staff listener: a client certificate from the organisation's CA is required.
pub fn staff_config(
    cert: Arc<ServerCert>,
    ca: Vec<CertificateDer<'static>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in ca {
        roots.add(cert).map_err(|e| TlsError::Ca(e.to_string()))?;
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| TlsError::Ca(e.to_string()))?;
    // TLS 1.3 only: under TLS 1.2 the client certificate, which names the staff member, would
    // cross the network in clear. Staff run our own client, so no old software must be served.
    let mut config = ServerConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// SHA-256 of a certificate's DER: how the keyring names a staff member's certificate.
pub fn fingerprint(cert: &CertificateDer<'_>) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
