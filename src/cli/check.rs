//! `confide check --config FILE`: everything a start would check, and a few things it would
//! not, reported together in plain words before a start (`ExecStartPre=` in docs/DEPLOY.md).

use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::keyring::Keyring;
use crate::server::Mode;

/// One finding: a problem stops a start; a warning is a choice to make knowingly.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Problem,
    Warning,
}

/// Every finding for the configuration at `path` (and the files it names).
pub fn check(path: &Path) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut problem = |message: String| {
        found.push(Finding {
            severity: Severity::Problem,
            message,
        })
    };
    let config = match Config::load(path, std::env::vars()) {
        Ok(config) => config,
        Err(e) => {
            problem(format!("{e}. Nothing else could be checked."));
            return found;
        }
    };

    let pin = config.organisation_key().ok().flatten();
    if pin.is_none() {
        problem(
            "organisation_key is not set: a real gateway refuses to start without the organisation's public key (make it with `confide keys organisation`)".into(),
        );
    }
    let keyring = match Keyring::load_signed(&config.keyring, pin.as_ref()) {
        Ok(keyring) => Some(keyring),
        Err(e) => {
            problem(format!("{e}"));
            None
        }
    };
    if let Err(e) = crate::server::load_server_secret(&config.server_secret_file, Mode::Production)
    {
        problem(format!("{e:#}"));
    }
    crate::tls::install_crypto_provider();
    match crate::tls::ServerCert::load(&config.tls.certificate, &config.tls.key) {
        Ok(cert) => match crate::tls::load_certificates(&config.tls.staff_ca) {
            Ok(ca) if ca.is_empty() => problem(format!(
                "tls.staff_ca {} holds no certificate",
                config.tls.staff_ca.display()
            )),
            Ok(ca) => {
                if let Err(e) = crate::tls::staff_config(cert, ca) {
                    problem(format!(
                        "tls.staff_ca cannot verify staff certificates: {e}"
                    ));
                }
            }
            Err(e) => problem(format!("tls.staff_ca: {e}")),
        },
        Err(e) => problem(format!(
            "tls.certificate and tls.key: {e} (the key must be the certificate's own)"
        )),
    }
    if config.database_url.is_none() && !writable_dir(&config.data_dir) {
        problem(format!(
            "data_dir {} cannot be created or written by this user; the SQLite database goes there",
            config.data_dir.display()
        ));
    }
    // With a keyring that failed its signature, its entities still show forwarding mistakes.
    let keyring = keyring.or_else(|| Keyring::load(&config.keyring).ok());
    if let Some(keyring) = &keyring
        && let Err(e) = crate::forward::check(&config, keyring)
    {
        problem(format!("{e:#}"));
    }

    if config.metrics.interval_secs == 0 {
        found.push(Finding {
            severity: Severity::Problem,
            message: "metrics.interval_secs is 0: live figures of what reporters do would date reports; only the demo accepts it".into(),
        });
    } else if config.metrics.interval_secs < 86_400 {
        found.push(Finding {
            severity: Severity::Warning,
            message: format!(
                "metrics.interval_secs is {}: a monitoring system will know in which of those windows each report arrived, finer than the day the database keeps",
                config.metrics.interval_secs
            ),
        });
    }
    let mut warn = |message: String| {
        found.push(Finding {
            severity: Severity::Warning,
            message,
        })
    };
    if !config.rate_limits.enabled {
        warn("rate_limits.enabled is false: one network can fill the disk and take every stretching worker".into());
    }
    if config.retention.purge_closed_after_days == 0 {
        warn("retention.purge_closed_after_days is 0: closed cases are kept for ever".into());
    }
    if config.staff_addr.ip().is_unspecified() {
        warn(format!(
            "staff_addr {} listens on every address: firewall it to the organisation's networks",
            config.staff_addr
        ));
    }
    if config.pages.quick_exit_url == crate::config::DEFAULT_QUICK_EXIT {
        warn("pages.quick_exit_url is the default; choose a harmless site common where the reporters live".into());
    }
    found
}

fn writable_dir(dir: &Path) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let probe = dir.join(".confide-check");
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(probe);
    ok
}

/// Prints the findings; true when none is a problem.
pub fn report(path: &Path, json: bool) -> anyhow::Result<bool> {
    let found = check(path);
    let problems = found
        .iter()
        .filter(|f| f.severity == Severity::Problem)
        .count();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "config": path.display().to_string(),
                "problems": problems,
                "findings": found,
            }))?
        );
    } else {
        for f in &found {
            let label = match f.severity {
                Severity::Problem => "problem",
                Severity::Warning => "warning",
            };
            println!("{label}: {}", f.message);
        }
        if problems == 0 {
            println!("{}: no problems; the gateway can start", path.display());
        } else {
            println!(
                "{}: {problems} problem(s); the gateway would not start",
                path.display()
            );
        }
    }
    Ok(problems == 0)
}
