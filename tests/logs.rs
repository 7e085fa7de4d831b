//! Logs an operator's tools can read: under systemd every line carries the priority journald
//! files it under (so `journalctl -p warning` finds warnings) and no time of its own; elsewhere
//! the usual line with its time, and no colour codes without a terminal.

mod common;

use std::process::Command;

use common::Gateway;

/// The log lines (not the listener lines the gateway prints on standard output) after a
/// keyring reload, which logs at info.
fn lines_after_a_reload(gateway: &Gateway) -> Vec<String> {
    let status = Command::new("kill")
        .args(["-HUP", &gateway.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if gateway.logs().contains("keyring reloaded") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    gateway
        .logs()
        .lines()
        .filter(|l| {
            [" TRACE ", " DEBUG ", " INFO ", " WARN ", " ERROR "]
                .iter()
                .any(|k| l.contains(k))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn under_systemd_each_line_starts_with_its_journald_priority_and_no_time() {
    let gateway = Gateway::start_with_env(&[("JOURNAL_STREAM", "8:12345")]);
    let lines = lines_after_a_reload(&gateway);
    let reload = lines
        .iter()
        .find(|l| l.contains("keyring reloaded"))
        .expect("the reload is logged");
    assert!(reload.starts_with("<6> INFO "), "{reload}");
    for line in &lines {
        let level = line.split_whitespace().nth(1).unwrap_or_default();
        let expected = match level {
            "ERROR" => "<3>",
            "WARN" => "<4>",
            "INFO" => "<6>",
            _ => "<7>",
        };
        assert!(line.starts_with(expected), "{line}");
    }
}

#[test]
fn without_systemd_lines_carry_their_time_and_no_colour_codes() {
    let gateway = Gateway::start();
    let lines = lines_after_a_reload(&gateway);
    let reload = lines
        .iter()
        .find(|l| l.contains("keyring reloaded"))
        .expect("the reload is logged");
    assert!(reload.starts_with("20"), "an RFC 3339 time first: {reload}");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes"
    );
}
