//! The command line: `serve`, `demo`, `staff`, `keys`.

mod staff;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    /// Run the gateway with the example keys, on SQLite, on this machine only. TEST ONLY.
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
    },
    /// Staff client: list cases and pull sealed reports to open them on this machine.
    Staff(staff::StaffArgs),
    /// Make keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Write a complete example key set (CA, server and staff certificates, age identities,
    /// keyring, configuration). For tests and demonstrations only.
    Example {
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { config } => {
            let config = Config::load(&config, std::env::vars())?;
            serve(&config, Mode::Production).await
        }
        Command::Demo {
            keys,
            data_dir,
            public_addr,
            staff_addr,
        } => {
            let keys = find_example_keys(&keys)?;
            let mut config = Config::load(&keys.join("confide.toml"), std::env::vars())?;
            config.data_dir = data_dir;
            config.database_url = None;
            config.public_addr = public_addr;
            config.staff_addr = staff_addr;
            println!("confide demo: TEST KEYS ONLY, never use it for real reports");
            serve(&config, Mode::Demo).await
        }
        Command::Staff(args) => staff::run(args).await,
        Command::Keys {
            command: KeysCommand::Example { out },
        } => {
            crate::keys::write_example_set(&out)?;
            println!("wrote an example key set to {}", out.display());
            Ok(())
        }
    }
}

async fn serve(config: &Config, mode: Mode) -> Result<()> {
    let running = server::start(config, mode).await?;
    // Scripts and tests read these two lines to find the listeners.
    println!("public listener: https://{}", running.public_addr);
    println!("staff listener: https://{}", running.staff_addr);
    running.wait().await
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
