#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = confide::cli::Cli::parse();
    confide::telemetry::init();
    tokio::runtime::Runtime::new()?.block_on(confide::cli::run(cli))
}
