//! Logging: events and errors only, never requests.
//!
//! There is no access log. `RUST_LOG` sets the level (default `info`); even at `trace`, nothing
//! from a request is recorded, because no handler logs request data and the accept loop never
//! keeps a client address (a test runs every flow at `trace` and searches the output).
//!
//! Under systemd (which sets `JOURNAL_STREAM` when standard error goes to the journal) each
//! line starts with its syslog priority in the `<N>` form journald reads (sd-daemon(3)), so
//! that `journalctl -p warning` finds the warnings; the journal keeps its own time, so the
//! line's own is left out there.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let journal = std::env::var_os("JOURNAL_STREAM").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        // Colour codes only for a person at a terminal: a file or a journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if journal {
        builder
            .event_format(Journald(
                tracing_subscriber::fmt::format()
                    .without_time()
                    .with_target(false),
            ))
            .init();
    } else {
        builder.init();
    }
}

/// journald's priority of a level: err, warning, info, debug (trace is debug too).
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// The usual line, after its `<N>` priority.
struct Journald(Format<Full, ()>);

impl<S, N> FormatEvent<S, N> for Journald
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_errors_get_the_priorities_journalctl_filters_on() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::TRACE), 7);
    }
}
