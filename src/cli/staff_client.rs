//! The HTTPS client of the staff listener: mutual TLS with the staff member's certificate, the
//! organisation's CA as the only trust anchor, and server errors turned into plain sentences.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

/// How to reach the staff listener and who you are there.
#[derive(Args)]
pub struct Connection {
    /// Base URL of the staff listener, e.g. https://127.0.0.1:9443
    #[arg(long, global = true, env = "CONFIDE_STAFF_SERVER")]
    server: Option<String>,
    /// The organisation's CA certificate (PEM), which signed the server's certificate.
    #[arg(long, global = true, env = "CONFIDE_STAFF_CA")]
    ca: Option<PathBuf>,
    /// Your client certificate (PEM).
    #[arg(long, global = true, env = "CONFIDE_STAFF_CERT")]
    cert: Option<PathBuf>,
    /// The private key of your client certificate (PEM).
    #[arg(long, global = true, env = "CONFIDE_STAFF_KEY")]
    key: Option<PathBuf>,
    /// The organisation's public signing key (base64), as published by the organisation: the
    /// keyring the server sends is checked against it before anything is sealed to anyone.
    #[arg(long, global = true, env = "CONFIDE_ORGANISATION_KEY")]
    organisation_key: Option<String>,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    pin: Option<crate::keyring::OrganisationKey>,
}

/// A staff member of the organisation-signed keyring.
#[derive(Clone, serde::Deserialize)]
pub struct TrustedStaff {
    pub name: String,
    pub role: String,
    pub entities: Vec<String>,
    pub recipient: String,
}

impl Client {
    pub fn new(connection: &Connection) -> Result<Client> {
        let read = |p: &Option<PathBuf>, flag: &str| -> Result<Vec<u8>> {
            let p = p.as_ref().with_context(|| {
                format!("{flag} FILE is required (or its CONFIDE_STAFF_… variable)")
            })?;
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let ca = reqwest::Certificate::from_pem(&read(&connection.ca, "--ca")?)
            .context("--ca is not a PEM certificate")?;
        let mut pem = read(&connection.cert, "--cert")?;
        pem.extend_from_slice(b"\n");
        pem.extend_from_slice(&read(&connection.key, "--key")?);
        let identity = reqwest::Identity::from_pem(&pem)
            .context("--cert and --key are not a PEM certificate and key")?;
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .identity(identity)
            .https_only(true)
            .build()?;
        let base = connection
            .server
            .as_deref()
            .context("--server URL is required (or CONFIDE_STAFF_SERVER)")?
            .trim_end_matches('/')
            .to_string();
        let pin = connection
            .organisation_key
            .as_deref()
            .map(|text| text.parse())
            .transpose()
            .context("--organisation-key is not an organisation key (base64 of 32 bytes)")?;
        Ok(Client { http, base, pin })
    }

    /// The staff of the keyring, as the organisation signed it: the server's list is used only
    /// to leave out members revoked since. Refuses to go on without a pinned key or with a
    /// signature that does not verify, since sealing to a key the server made up would hand it
    /// the report.
    pub async fn trusted_staff(&self) -> Result<Vec<TrustedStaff>> {
        #[derive(serde::Deserialize)]
        struct Served {
            staff: Vec<Named>,
            signed: Option<Signed>,
        }
        #[derive(serde::Deserialize)]
        struct Named {
            name: String,
        }
        #[derive(serde::Deserialize)]
        struct Signed {
            document: String,
            signature: String,
        }
        #[derive(serde::Deserialize)]
        struct Document {
            staff: Vec<TrustedStaff>,
        }
        let pin = self.pin.context(
            "the organisation key is not pinned: pass --organisation-key KEY (or set CONFIDE_ORGANISATION_KEY) with the key your organisation published",
        )?;
        let served: Served = self.json("/api/v1/staff/keyring").await?;
        let signed = served
            .signed
            .context("the server sent an unsigned keyring; refusing to seal to it")?;
        pin.verify(&signed.document, &signed.signature)
            .context("the keyring the server sent is not signed by your organisation; refusing to seal to it. Tell your administrator")?;
        let document: Document =
            serde_json::from_str(&signed.document).context("the signed keyring cannot be read")?;
        let current: std::collections::HashSet<String> =
            served.staff.into_iter().map(|s| s.name).collect();
        Ok(document
            .staff
            .into_iter()
            .filter(|s| current.contains(&s.name))
            .collect())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await.with_context(|| {
            format!(
                "cannot reach {}: check --server, and that your certificate was issued by the organisation's CA",
                self.base
            )
        })?;
        if !response.status().is_success() {
            let status = response.status();
            let message = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            bail!("the server answered {status}: {message}");
        }
        Ok(response)
    }

    pub async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        response
            .json()
            .await
            .context("the server's answer is not the JSON expected")
    }

    pub async fn bytes(&self, path: &str) -> Result<Vec<u8>> {
        let response = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        Ok(response.bytes().await?.to_vec())
    }

    /// Streams a sealed file to the server (an upload).
    pub async fn post_bytes<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        let response = self.send(request).await?;
        response
            .json()
            .await
            .context("the server's answer is not the JSON expected")
    }

    pub async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        let response = self
            .send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await?;
        response
            .json()
            .await
            .context("the server's answer is not the JSON expected")
    }
}
