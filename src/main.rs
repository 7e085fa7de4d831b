#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = confide::cli::Cli::parse();
    confide::telemetry::init();
    let ran = tokio::runtime::Runtime::new()?.block_on(confide::cli::run(cli));
    // A gateway whose storage stopped for good exits with a status of its own, which its
    // supervisor answers with a restart (and SQLite with its recovery).
    if let Err(e) = &ran
        && e.downcast_ref::<confide::server::StorageStopped>()
            .is_some()
    {
        eprintln!("Error: {e}");
        std::process::exit(confide::store::health::EXIT_STORAGE_STOPPED);
    }
    ran
}
