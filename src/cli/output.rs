//! What the staff CLI prints: sentences for people, or one JSON document for scripts
//! (`--json`). Commands print sentences with [`human!`] and hand their result to [`emit`]; in
//! JSON mode only the results are printed, at the end, so that standard output parses.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

static JSON: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);
static RESULTS: Mutex<Vec<Value>> = Mutex::new(Vec::new());

pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

pub fn json() -> bool {
    JSON.load(Ordering::Relaxed) || QUIET.load(Ordering::Relaxed)
}

/// Nothing is printed and no result kept: the desk calls the staff commands for their effect
/// and draws its own pages (what a command would print names cases and files).
pub fn quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

/// A command's result, for JSON mode.
pub fn emit(value: Value) {
    if QUIET.load(Ordering::Relaxed) {
        return;
    }
    RESULTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(value);
}

/// Prints the results (JSON mode): one value as itself, several as an array; `fallback` (the
/// server's last answer) when the command emitted none.
pub fn finish(fallback: Option<Value>) -> anyhow::Result<()> {
    if !json() {
        return Ok(());
    }
    let mut results = std::mem::take(&mut *RESULTS.lock().unwrap_or_else(|e| e.into_inner()));
    let value = match results.len() {
        0 => fallback.unwrap_or_else(|| serde_json::json!({ "ok": true })),
        1 => results.remove(0),
        _ => Value::Array(results),
    };
    say(format_args!("{}", serde_json::to_string_pretty(&value)?));
    Ok(())
}

/// Writes a line to standard output. A reader that went away (`confide staff cases | head -1`)
/// ends the command quietly, as it ends `ls` or `grep`, rather than with a panic.
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("cannot write to standard output: {e}");
            std::process::exit(1);
        }
    }
}

/// `println!` for people: silent in JSON mode.
macro_rules! human {
    ($($arg:tt)*) => {
        if !$crate::cli::output::json() {
            $crate::cli::output::say(format_args!($($arg)*));
        }
    };
}
pub(crate) use human;
