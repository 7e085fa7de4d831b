//! Logging: events and errors only, never requests.
//!
//! There is no access log. `RUST_LOG` sets the level (default `info`); even at `trace`, nothing
//! from a request is recorded, because no handler logs request data and the accept loop never
//! keeps a client address (a test runs every flow at `trace` and searches the output).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        // Colour codes only for a person at a terminal: a file or a journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
