//! The command line: `serve`, `demo`, `staff`, `keys`.

pub(crate) mod case_view;
pub(crate) mod casework;
pub mod check;
pub(crate) mod conversation;
mod folder;
mod keys;
pub mod output;
pub(crate) mod profile;
mod resolve;
pub(crate) mod staff;
pub(crate) mod staff_client;

pub(crate) use folder::{safe_file_name, trim_padding};
pub(crate) use staff::open as open_envelope;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::server::{self, Mode};

#[derive(Parser)]
#[command(name = "confide", version, about = "Confidential reporting gateway")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a real deployment from a configuration file.
    Serve {
        /// The configuration file (see keys-example/confide.toml).
        #[arg(long, env = "CONFIDE_CONFIG")]
        config: PathBuf,
    },
    /// Run the gateway with the example keys (SQLite unless --database-url), on this machine
    /// only. TEST ONLY.
    Demo {
        /// Folder of the example keys and configuration.
        #[arg(long, default_value = "keys-example")]
        keys: PathBuf,
        /// Folder for the demo's database.
        #[arg(long, default_value = "demo-data")]
        data_dir: PathBuf,
        /// Address of the reporters' listener (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8443")]
        public_addr: SocketAddr,
        /// Address of the staff listener (mutual TLS).
        #[arg(long, default_value = "127.0.0.1:9443")]
        staff_addr: SocketAddr,
        /// Use this database instead of SQLite in the data directory (e.g. postgres://…).
        #[arg(long)]
        database_url: Option<String>,
        /// For tests of deadlines: run the clock as if it were this time now (RFC 3339).
        #[arg(long, hide = true)]
        pretend_now: Option<String>,
    },
    /// The staff client: cases, replies, notes and everything resolution 78/331 tracks; what is
    /// sealed is opened and sealed on this machine only. Start with `confide staff init`.
    Staff(staff::StaffArgs),
    /// The staff desk in your own browser: inbox, case timelines, replies, notes and files,
    /// served on this computer only (loopback) from your profile. Prints the link to open.
    Desk(crate::desk::DeskArgs),
    /// Check the audit chain: in a gateway's database, or in a file exported by an auditor.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy a live SQLite database to a file, consistently (for PostgreSQL use pg_dump; see
    /// docs/BACKUP.md).
    Backup {
        /// The gateway's configuration, which names its database.
        #[arg(long, env = "CONFIDE_CONFIG")]
        config: PathBuf,
        /// Where to write the copy; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// A year's statistics from a gateway's database (read only): aggregates with small counts
    /// suppressed, as json, csv or a self-contained html report.
    Stats {
        /// The gateway's configuration, which names its database, keyring and deadlines.
        #[arg(long, env = "CONFIDE_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "json", value_parser = ["json", "csv", "html"])]
        format: String,
        /// Where to write; standard output if not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a configuration and everything it names (keyring and signature, server secret,
    /// TLS files, data directory, forwarding) and explain every problem, before a start.
    /// Exits with 1 when the gateway would not start.
    Check {
        #[arg(long, env = "CONFIDE_CONFIG")]
        config: PathBuf,
        /// Print the findings as JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Make and manage keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify every link of the chain and name the first broken one.
    Verify {
        /// The gateway's configuration: the chain is read from its database.
        #[arg(long, required_unless_present = "export", conflicts_with = "export")]
        config: Option<PathBuf>,
        /// A file written by `confide staff audit --out`.
        #[arg(long)]
        export: Option<PathBuf>,
        /// An earlier export: the chain must still hold every record of it, unchanged. This finds
        /// records cut from the end, which a chain alone cannot show.
        #[arg(long)]
        against: Option<PathBuf>,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { config } => {
            let config = Config::load(&config, std::env::vars())?;
            serve(
                &config,
                Mode::Production,
                Arc::new(time::OffsetDateTime::now_utc),
            )
            .await
        }
        Command::Demo {
            keys,
            data_dir,
            public_addr,
            staff_addr,
            database_url,
            pretend_now,
        } => {
            let keys = find_example_keys(&keys)?;
            let mut config = Config::load(&keys.join("confide.toml"), std::env::vars())?;
            config.data_dir = data_dir;
            config.database_url = database_url;
            config.public_addr = public_addr;
            config.staff_addr = staff_addr;
            println!("confide demo: TEST KEYS ONLY, never use it for real reports");
            serve(&config, Mode::Demo, demo_clock(pretend_now.as_deref())?).await
        }
        Command::Staff(args) => staff::run(args).await,
        Command::Desk(args) => crate::desk::run(args).await,
        Command::Audit {
            command:
                AuditCommand::Verify {
                    config,
                    export,
                    against,
                },
        } => verify_audit(config, export, against).await,
        Command::Backup { config, out } => backup(&config, &out).await,
        Command::Stats {
            config,
            year,
            format,
            out,
        } => stats(&config, year, &format, out.as_deref()).await,
        Command::Keys { command } => keys::run(command).await,
        Command::Check { config, json } => {
            if check::report(&config, json)? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
    }
}

async fn serve(config: &Config, mode: Mode, clock: crate::http::Clock) -> Result<()> {
    let running = server::start(config, mode, clock).await?;
    // Scripts and tests read these two lines to find the listeners.
    println!("public listener: https://{}", running.public_addr);
    println!("staff listener: https://{}", running.staff_addr);
    running.wait().await
}

async fn stats(config: &Path, year: i32, format: &str, out: Option<&Path>) -> Result<()> {
    let config = Config::load(config, std::env::vars())?;
    let keyring = crate::keyring::Keyring::load(&config.keyring)?;
    let store = crate::store::Store::open_read_only(&config.database_url())
        .await
        .context("cannot open the database for reading")?;
    let stats = crate::stats::compute(
        &store.case_facts().await?,
        &store.purged_counts().await?,
        &crate::stats::Inputs {
            year,
            today: time::OffsetDateTime::now_utc().date(),
            clocks: &config.deadlines,
            entities: keyring.entities().iter().map(|e| e.id.clone()).collect(),
        },
    );
    let text = match format {
        "csv" => stats.to_csv(),
        "html" => crate::stats::report::render(&stats),
        _ => serde_json::to_string_pretty(&stats.to_json())?,
    };
    match out {
        Some(path) => {
            staff::write_private(path, text.as_bytes())?;
            eprintln!("statistics of {year} written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

async fn backup(config: &Path, out: &Path) -> Result<()> {
    let config = Config::load(config, std::env::vars())?;
    if out.exists() {
        anyhow::bail!(
            "{} exists already; choose a new file for the backup",
            out.display()
        );
    }
    let store = crate::store::Store::open_read_only(&config.database_url())
        .await
        .context("cannot open the database")?;
    let crate::store::Store::Sqlite(sqlite) = store else {
        anyhow::bail!(
            "this gateway uses PostgreSQL: back it up with pg_dump -Fc (see docs/BACKUP.md)"
        );
    };
    let target = out
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    // Made empty and owner-only first: VACUUM INTO fills an empty file and keeps its mode.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    sqlite
        .backup_to(target)
        .await
        .context("the backup failed")?;
    println!(
        "backed up to {}; keep the server secret file with it, separately (see docs/BACKUP.md)",
        out.display()
    );
    Ok(())
}

async fn verify_audit(
    config: Option<PathBuf>,
    export: Option<PathBuf>,
    against: Option<PathBuf>,
) -> Result<()> {
    let records = match (config, export) {
        (Some(config), _) => {
            let config = Config::load(&config, std::env::vars())?;
            let store = crate::store::Store::open_read_only(&config.database_url())
                .await
                .context("cannot open the database for reading")?;
            store.audit_records().await?
        }
        (None, Some(export)) => read_audit_export(&export)?,
        (None, None) => anyhow::bail!("give --config FILE or --export FILE"),
    };
    if let Some(earlier) = against {
        crate::audit::check_extends(&read_audit_export(&earlier)?, &records)?;
    }
    let count = crate::audit::verify(records)?;
    println!("the audit chain is intact: {count} records");
    Ok(())
}

fn read_audit_export(path: &Path) -> Result<Vec<crate::audit::AuditRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).with_context(|| {
                format!(
                    "line {} of {} is not an audit record",
                    n + 1,
                    path.display()
                )
            })
        })
        .collect()
}

/// The real clock, or one shifted to start at `pretend_now` (demo only, for deadline tests).
fn demo_clock(pretend_now: Option<&str>) -> Result<crate::http::Clock> {
    let Some(text) = pretend_now else {
        return Ok(Arc::new(time::OffsetDateTime::now_utc));
    };
    let start = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .context("--pretend-now must be an RFC 3339 time, like 2027-01-31T09:00:00Z")?;
    let offset = start - time::OffsetDateTime::now_utc();
    Ok(Arc::new(move || time::OffsetDateTime::now_utc() + offset))
}

/// The example keys: the given folder, or the one in the source tree the binary was built from.
fn find_example_keys(given: &Path) -> Result<PathBuf> {
    if given.join("confide.toml").is_file() {
        return Ok(given.to_path_buf());
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-example");
    if given == Path::new("keys-example") && built_in.join("confide.toml").is_file() {
        return Ok(built_in);
    }
    None.with_context(|| {
        format!(
            "no confide.toml in {}; pass --keys with the example keys folder",
            given.display()
        )
    })
}
