//! The HTTPS client of the staff listener: mutual TLS with the staff member's certificate, the
//! organisation's CA as the only trust anchor, and server errors turned into plain sentences.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::staff_api::{ErrorAnswer, Keyring, Member, SignedDocument, SignedMember};

/// An answer of the staff API: read as its `staff_api` type, and kept (as the server sent it)
/// for `--json`.
pub trait Answer: serde::de::DeserializeOwned + serde::Serialize {}
impl<T: serde::de::DeserializeOwned + serde::Serialize> Answer for T {}

/// How to reach the staff listener and who you are there.
#[derive(Args, Default)]
pub struct Connection {
    /// Base URL of the staff listener, e.g. https://127.0.0.1:9443
    #[arg(long, global = true, env = "CONFIDE_STAFF_SERVER")]
    server: Option<String>,
    /// The certificate (PEM) of the CA that signed the gateway's certificate: the organisation's
    /// CA for a private deployment, or the public CA's root when the gateway has a public
    /// certificate. The only one trusted.
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

impl Connection {
    /// Takes from the profile what no flag or environment variable gave.
    pub fn fill_from(&mut self, profile: &super::profile::Profile) {
        fn or<T: Clone>(given: &mut Option<T>, profile: &Option<T>) {
            if given.is_none() {
                given.clone_from(profile);
            }
        }
        or(&mut self.server, &profile.server);
        or(&mut self.ca, &profile.ca);
        or(&mut self.cert, &profile.cert);
        or(&mut self.key, &profile.key);
        or(&mut self.organisation_key, &profile.organisation_key);
    }

    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
    }

    pub fn ca(&self) -> Option<&std::path::Path> {
        self.ca.as_deref()
    }

    pub fn organisation_key(&self) -> Option<&str> {
        self.organisation_key.as_deref()
    }
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    pin: Option<crate::keyring::OrganisationKey>,
    /// SHA-256 of the caller's certificate (DER), as the keyring names it.
    fingerprint: [u8; 32],
    /// Show progress of large transfers on standard error.
    progress: bool,
    /// The server's last JSON answer (what `--json` prints for commands with no result of
    /// their own).
    last: std::sync::Mutex<Option<serde_json::Value>>,
}

/// Transfers larger than this show progress.
const PROGRESS_FROM: u64 = 1 << 20;

/// Prints "label: done/total (n%)" over itself on standard error.
fn show_progress(label: &str, done: u64, total: u64) {
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    eprint!("\r{label}: {done}/{total} bytes ({percent}%)");
    if done >= total {
        eprintln!();
    }
}

impl Client {
    /// A client that presents the staff member's certificate; a protected TLS key is opened
    /// with `passphrase` (asked once per command, shared with the identity).
    pub fn new(
        connection: &Connection,
        passphrase: impl FnOnce() -> Result<secrecy::SecretString>,
    ) -> Result<Client> {
        let read = |p: &Option<PathBuf>, flag: &str| -> Result<Vec<u8>> {
            let p = p.as_ref().with_context(|| {
                format!(
                    "{flag} FILE is required: write your profile once with `confide staff init`, or give {flag}"
                )
            })?;
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let ca = reqwest::Certificate::from_pem(&read(&connection.ca, "--ca")?)
            .context("--ca is not a PEM certificate")?;
        let key_path = connection
            .key
            .as_ref()
            .context("--key FILE is required: write your profile once with `confide staff init`, or give --key")?;
        let key = crate::keys::read_tls_key(key_path, passphrase)?;
        let cert_pem = read(&connection.cert, "--cert")?;
        let fingerprint = {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::CertificateDer::from_pem_slice(&cert_pem)
                .context("--cert is not a PEM certificate")?;
            crate::tls::fingerprint(&der)
        };
        let mut pem = zeroize::Zeroizing::new(cert_pem);
        pem.extend_from_slice(b"\n");
        pem.extend_from_slice(&key);
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
            .context("--server URL is required: write your profile once with `confide staff init`, or give --server")?
            .trim_end_matches('/')
            .to_string();
        let pin = connection
            .organisation_key
            .as_deref()
            .map(|text| text.parse())
            .transpose()
            .context("--organisation-key is not an organisation key (base64 of 32 bytes)")?;
        Ok(Client {
            http,
            base,
            pin,
            fingerprint,
            progress: false,
            last: std::sync::Mutex::new(None),
        })
    }

    pub fn with_progress(mut self, on: bool) -> Client {
        self.progress = on;
        self
    }

    pub fn last_answer(&self) -> Option<serde_json::Value> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn remember<T: serde::Serialize>(&self, answer: &T) {
        if let Ok(value) = serde_json::to_value(answer) {
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
        }
    }

    /// The staff of the keyring, as the organisation signed it: the server's list is used only
    /// to leave out members revoked since. Refuses to go on without a pinned key or with a
    /// signature that does not verify, since sealing to a key the server made up would hand it
    /// the report.
    pub async fn trusted_staff(&self) -> Result<Vec<Member>> {
        Ok(self
            .signed_staff()
            .await?
            .into_iter()
            .map(|s| s.member)
            .collect())
    }

    /// The caller as the signed keyring has them, found by their certificate's fingerprint: the
    /// author named in what they seal.
    pub async fn me(&self) -> Result<Member> {
        let mine = hex::encode(self.fingerprint);
        self.signed_staff()
            .await?
            .into_iter()
            .find(|s| s.certificate_sha256 == mine)
            .map(|s| s.member)
            .context("your certificate is not in the keyring your organisation signed; ask your administrator")
    }

    async fn signed_staff(&self) -> Result<Vec<SignedMember>> {
        let pin = self.pin.context(
            "the organisation key is not pinned: pass --organisation-key KEY (or set CONFIDE_ORGANISATION_KEY) with the key your organisation published",
        )?;
        let served: Keyring = self.json("/api/v1/staff/keyring").await?;
        let signed = served
            .signed
            .context("the server sent an unsigned keyring; refusing to seal to it")?;
        pin.verify(&signed.document, &signed.signature)
            .context("the keyring the server sent is not signed by your organisation; refusing to seal to it. Tell your administrator")?;
        let document: SignedDocument =
            serde_json::from_str(&signed.document).context("the signed keyring cannot be read")?;
        serial_memory::check_and_remember(&pin, document.serial)?;
        let current: std::collections::HashSet<String> =
            served.staff.into_iter().map(|s| s.name).collect();
        Ok(document
            .staff
            .into_iter()
            .filter(|s| current.contains(&s.member.name))
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
                .json::<ErrorAnswer>()
                .await
                .map(|answer| answer.error.message)
                .unwrap_or_default();
            bail!("the server answered {status}: {message}");
        }
        Ok(response)
    }

    /// A typed answer (`staff_api`), remembered for `--json`.
    pub async fn json<T: Answer>(&self, path: &str) -> Result<T> {
        let response = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        self.answer(response).await
    }

    async fn answer<T: Answer>(&self, response: reqwest::Response) -> Result<T> {
        let body = response
            .bytes()
            .await
            .context("the server's answer was cut off; try again")?;
        let answer: T = serde_json::from_slice(&body).context(
            "the server's answer is not what this client expects: is the gateway the same version as this client?",
        )?;
        self.remember(&answer);
        Ok(answer)
    }

    pub async fn bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut response = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        let total = response.content_length().unwrap_or(0);
        let show = self.progress && total >= PROGRESS_FROM;
        let mut body = Vec::with_capacity(usize::try_from(total.min(64 << 20)).unwrap_or(0));
        while let Some(piece) = response.chunk().await? {
            body.extend_from_slice(&piece);
            if show {
                show_progress("downloading", body.len() as u64, total);
            }
        }
        Ok(body)
    }

    /// Streams a sealed file to the server (an upload).
    pub async fn post_bytes<T: Answer>(&self, path: &str, body: Vec<u8>) -> Result<T> {
        let total = body.len() as u64;
        let show = self.progress && total >= PROGRESS_FROM;
        let body = bytes::Bytes::from(body);
        // Sent in pieces so that progress can be shown as the server takes them.
        let pieces = (0..body.len()).step_by(256 * 1024).map(move |start| {
            let piece = body.slice(start..(start + 256 * 1024).min(body.len()));
            if show {
                show_progress("uploading", start as u64 + piece.len() as u64, total);
            }
            Ok::<_, std::io::Error>(piece)
        });
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, total)
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                pieces,
            )));
        let response = self.send(request).await?;
        self.answer(response).await
    }

    /// Sends a typed request (`staff_api`) and reads the typed answer.
    pub async fn post<T: Answer>(&self, path: &str, body: &impl serde::Serialize) -> Result<T> {
        let response = self
            .send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await?;
        self.answer(response).await
    }
}

/// The highest keyring serial this machine has seen from the organisation, kept between
/// commands. A signature proves who signed a keyring, not that it is the latest: a compromised
/// server could send an earlier signed keyring that still lists a member since removed (or a
/// key since rotated), and the client would seal to them. The gateway refuses an older serial
/// than its database saw; this is the same rule on the staff member's side.
///
/// Kept in `$XDG_STATE_HOME/confide/` (else `~/.local/state/confide/`, on Windows
/// `%LOCALAPPDATA%\confide\`), one small file per organisation key.
pub mod serial_memory {
    use std::path::{Path, PathBuf};

    use anyhow::{Result, bail};

    use crate::keyring::OrganisationKey;

    /// The folder of the memory, if this machine has one.
    fn folder() -> Option<PathBuf> {
        let given = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        given("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| given("LOCALAPPDATA").map(PathBuf::from))
            .or_else(|| given("HOME").map(|home| PathBuf::from(home).join(".local/state")))
            .map(|base| base.join("confide"))
    }

    /// The file for one organisation key (the key is public; its first bytes name the file).
    pub fn path(pin: &OrganisationKey) -> Option<PathBuf> {
        folder().map(|f| f.join(format!("keyring-serial-{}", hex::encode(&pin.0[..8]))))
    }

    fn read(path: &Path) -> Result<u64> {
        match std::fs::read_to_string(path) {
            Ok(text) => text.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "{} does not hold a keyring serial; it is written only by confide: ask your administrator before removing it",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
        }
    }

    /// Refuses a keyring older than one seen before; remembers a newer one.
    pub fn check_and_remember(pin: &OrganisationKey, served: u64) -> Result<()> {
        let Some(path) = path(pin) else {
            eprintln!(
                "warning: this machine has no state folder (set XDG_STATE_HOME or HOME), so an earlier keyring sent again would not be noticed"
            );
            return Ok(());
        };
        let seen = read(&path)?;
        if served < seen {
            bail!(
                "the gateway sent keyring serial {served}, older than serial {seen} this machine has already seen: a server sending an earlier keyring could have reports sealed to a member since removed. Nothing was sealed; tell your administrator"
            );
        }
        if served > seen
            && let Err(e) = write(&path, served)
        {
            eprintln!(
                "warning: cannot remember keyring serial {served} in {}: {e:#}; an earlier keyring sent again would not be noticed",
                path.display()
            );
        }
        Ok(())
    }

    /// Writes the serial beside the file and renames it over, so a crash leaves the old value
    /// or the new, never half of one. Two commands at once may both write; the file is read
    /// again just before, so the window in which a lower value could win is a few instructions.
    fn write(path: &Path, serial: u64) -> Result<()> {
        let folder = path.parent().expect("the memory is in a folder");
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(folder)?;
        let temp = path.with_extension(format!("{}.new", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = (|| -> Result<()> {
            let mut file = options.open(&temp)?;
            std::io::Write::write_all(&mut file, format!("{serial}\n").as_bytes())?;
            file.sync_all()?;
            if read(path)? < serial {
                std::fs::rename(&temp, path)?;
            }
            Ok(())
        })();
        let _ = std::fs::remove_file(&temp);
        written
    }
}
