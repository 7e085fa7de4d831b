#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = confide::cli::Cli::parse();
    confide::telemetry::init();
    let runtime = tokio::runtime::Runtime::new()?;
    let ran = runtime.block_on(confide::cli::run(cli));
    // Blocking tasks (a disk that hangs) must not hold the exit, and so the restart, forever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
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
