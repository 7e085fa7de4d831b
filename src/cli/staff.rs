//! The staff client: talks to the staff listener with the staff member's client certificate and
//! opens envelopes locally with their age identity. Plaintext exists only on this machine.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde::Deserialize;

#[derive(Args)]
pub struct StaffArgs {
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
    /// Your age identity file, to open envelopes.
    #[arg(long, global = true, env = "CONFIDE_STAFF_IDENTITY")]
    identity: Option<PathBuf>,
    #[command(subcommand)]
    command: StaffCommand,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// List the cases you may see.
    Cases,
    /// Download a case's envelopes and open the report into a folder.
    Pull {
        /// The case id, as `cases` lists it.
        case: String,
        /// Folder to write into; a sub-folder named after the case is made.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Deserialize)]
struct CaseRow {
    id: String,
    entity: String,
    status: String,
    received_on: String,
}

#[derive(Deserialize)]
struct EnvelopeRow {
    id: String,
    kind: String,
}

pub async fn run(args: StaffArgs) -> Result<()> {
    crate::tls::install_crypto_provider();
    let client = Client::new(&args)?;
    match &args.command {
        StaffCommand::Cases => {
            let cases: Vec<CaseRow> = client.json("/api/v1/staff/cases").await?;
            if cases.is_empty() {
                println!("no cases for you");
            }
            for c in cases {
                println!(
                    "{}  {}  {:<10}  {}",
                    c.id, c.received_on, c.entity, c.status
                );
            }
            Ok(())
        }
        StaffCommand::Pull { case, out } => {
            let identity_path = args
                .identity
                .as_ref()
                .context("pull needs --identity FILE, your age identity, to open the report")?;
            let identities = age::IdentityFile::from_file(identity_path.display().to_string())
                .with_context(|| {
                    format!("cannot read the age identity {}", identity_path.display())
                })?
                .into_identities()
                .context("the identity file holds no usable age identity")?;
            pull(&client, case, out, &identities).await
        }
    }
}

async fn pull(
    client: &Client,
    case: &str,
    out: &Path,
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<()> {
    let envelopes: Vec<EnvelopeRow> = client
        .json(&format!("/api/v1/staff/cases/{case}/envelopes"))
        .await?;
    let folder = out.join(case);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let mut opened = 0;
    for envelope in &envelopes {
        let body = client
            .bytes(&format!("/api/v1/staff/envelopes/{}", envelope.id))
            .await?;
        std::fs::write(
            folder.join(format!("{}-{}.age", envelope.kind, envelope.id)),
            &body,
        )?;
        let decryptor = age::Decryptor::new(&body[..])
            .context("the server sent an envelope that is not an age file")?;
        let Ok(mut reader) =
            decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        else {
            eprintln!(
                "envelope {} ({}) is not sealed to your key; kept sealed",
                envelope.id, envelope.kind
            );
            continue;
        };
        let mut plain = zeroize::Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut reader, &mut plain).context("the envelope is damaged")?;
        let text = std::str::from_utf8(&plain).unwrap_or("").trim_end();
        write_private(
            &folder.join(format!("{}-{}.json", envelope.kind, envelope.id)),
            format!("{text}\n").as_bytes(),
        )?;
        opened += 1;
    }
    println!(
        "{} envelope(s) written to {}, {} opened",
        envelopes.len(),
        folder.display(),
        opened
    );
    Ok(())
}

/// Writes an opened envelope readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, contents)?;
    Ok(())
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(args: &StaffArgs) -> Result<Client> {
        let read = |p: &Option<PathBuf>, flag: &str| -> Result<Vec<u8>> {
            let p = p.as_ref().with_context(|| {
                format!("{flag} FILE is required (or the CONFIDE_STAFF_… variable)")
            })?;
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let ca = reqwest::Certificate::from_pem(&read(&args.ca, "--ca")?)
            .context("--ca is not a PEM certificate")?;
        let mut pem = read(&args.cert, "--cert")?;
        pem.extend_from_slice(b"\n");
        pem.extend_from_slice(&read(&args.key, "--key")?);
        let identity = reqwest::Identity::from_pem(&pem)
            .context("--cert and --key are not a PEM certificate and key")?;
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .identity(identity)
            .https_only(true)
            .build()?;
        Ok(Client {
            http,
            base: args
                .server
                .as_deref()
                .context("--server URL is required (or CONFIDE_STAFF_SERVER)")?
                .trim_end_matches('/')
                .to_string(),
        })
    }

    async fn get(&self, path: &str) -> Result<reqwest::Response> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.with_context(|| {
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

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        Ok(self.get(path).await?.json().await?)
    }

    async fn bytes(&self, path: &str) -> Result<Vec<u8>> {
        Ok(self.get(path).await?.bytes().await?.to_vec())
    }
}
