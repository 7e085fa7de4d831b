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
use rustls::server::WebPkiClientVerifier;
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

/// The reporters' listener: server authentication only.
pub fn public_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The staff listener: a client certificate from the organisation's CA is required.
pub fn staff_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
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
        .with_single_cert(certs, key)?;
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
