//! Configuration: a typed `confide.toml`, every key overridable by a `CONFIDE_…` environment
//! variable, validated once at start.
//!
//! Environment variables name a key by its path, upper case, with `__` between a table and its
//! key: `CONFIDE_PUBLIC_ADDR`, `CONFIDE_TLS__CERTIFICATE`, `CONFIDE_TOKEN__MEMORY_KIB`. Their
//! values are read as TOML values when they parse as one (numbers, booleans) and as strings
//! otherwise. Unknown keys, from the file or the environment, stop the start with their name.
//! Relative paths are relative to the directory of the configuration file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

use crate::token::StretchParams;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The whole configuration of a gateway.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the reporters' listener binds, e.g. `0.0.0.0:443`.
    pub public_addr: SocketAddr,
    /// Where the staff listener (mutual TLS) binds, e.g. `0.0.0.0:8443`.
    pub staff_addr: SocketAddr,
    /// Folder for the database when `database_url` is not set.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DATABASE`; defaults to
    /// `sqlite://<data_dir>/confide.db`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// The keyring file (entities, staff, public keys). Its signature is read from the same
    /// path with `.sig` added.
    pub keyring: PathBuf,
    /// The organisation's Ed25519 public key (base64), which must have signed the keyring.
    /// Required outside the demo.
    #[serde(default)]
    pub organisation_key: Option<String>,
    /// File holding at least 32 random bytes: the HMAC key for token verifiers. Keep it outside
    /// the database and its backups.
    pub server_secret_file: PathBuf,
    /// Certificate and key of both listeners, and the CA of staff certificates.
    pub tls: TlsFiles,
    /// Argon2id parameters of follow-up tokens (public).
    pub token: TokenConfig,
    /// Bounds on what clients may send.
    #[serde(default)]
    pub limits: Limits,
    /// Deadline clocks (`src/deadlines.rs` documents each).
    #[serde(default)]
    pub deadlines: crate::deadlines::Clocks,
    /// How long closed cases are kept.
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub pages: Pages,
    #[serde(default)]
    pub rate_limits: crate::http::throttle::RateLimits,
    /// Push forwarding, per entity id: the entity's own HTTPS endpoint (mutual TLS) that
    /// receives every new sealed report, file and message of its cases.
    #[serde(default)]
    pub forward: std::collections::BTreeMap<String, Forward>,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub storage: StorageConfig,
}

/// How the gateway writes its database (`src/store/cover.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Mean seconds between cover writes, which keep the database files' times from dating the
    /// latest report: 1 to 600, 20 by default. A report's second shows in the file times only
    /// to someone who copies the files within about this long after it.
    pub cover_write_mean_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            cover_write_mean_secs: 20,
        }
    }
}

/// Operating figures (`src/metrics.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Seconds between snapshots of what reporters cause (reports, refusals, public latency,
    /// the outbox), taken on round multiples of the clock: at least 3600, 86400 by default.
    /// 0 publishes them live, which only the demo accepts.
    pub interval_secs: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval_secs: 86_400,
        }
    }
}

/// Where an entity's sealed envelopes are delivered (`src/forward.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// The receiving endpoint, `https://…`; each envelope is POSTed to it.
    pub url: String,
    /// PEM certificate of the CA that signed the receiver's certificate (the only one trusted).
    pub ca: PathBuf,
    /// The gateway's client certificate (PEM) for the receiver.
    pub certificate: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// First wait after a failed delivery, in seconds (default 5); it doubles with each failure.
    #[serde(default = "default_retry_first")]
    pub retry_first_secs: u64,
    /// Longest wait between attempts, in seconds (default 3600).
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: u64,
}

fn default_retry_first() -> u64 {
    5
}
fn default_retry_max() -> u64 {
    3600
}

/// Where the quick-exit button leads unless configured: a harmless, common page.
pub const DEFAULT_QUICK_EXIT: &str = "https://www.google.com/search?q=weather";

/// The reporter's pages.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pages {
    /// Where the quick-exit button on every page leads: a harmless site that is common where the
    /// reporters live (an `https://` address).
    pub quick_exit_url: String,
    /// The gateway's onion service address (`http://….onion`), if it has one: sent as
    /// `Onion-Location`, so that Tor Browser offers to switch to it.
    pub onion_location: Option<String>,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            quick_exit_url: DEFAULT_QUICK_EXIT.to_string(),
            onion_location: None,
        }
    }
}

/// How long closed cases are kept.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Days after closure before a case and all its envelopes are deleted, keeping only counts
    /// (default 365; 0 keeps closed cases for ever).
    pub purge_closed_after_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            purge_closed_after_days: 365,
        }
    }
}

/// Certificate files for both listeners.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// PEM certificate chain served on both listeners.
    pub certificate: PathBuf,
    /// PEM private key (PKCS#8, SEC1 or PKCS#1) of that certificate.
    pub key: PathBuf,
    /// PEM certificate of the organisation's CA that signs staff client certificates.
    pub staff_ca: PathBuf,
}

/// Argon2id parameters for follow-up tokens. Public: clients that stretch tokens themselves (a
/// browser, for example) use them too. Changing any of them
/// makes every existing token stop working.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Base64 of at least 16 random bytes, the same for the whole deployment.
    pub salt: String,
    /// Memory cost in KiB (default 19456, OWASP's minimum for Argon2id).
    #[serde(default = "default_memory_kib")]
    pub memory_kib: u32,
    /// Passes over memory (default 2).
    #[serde(default = "default_iterations")]
    pub iterations: u32,
    /// Lanes (default 1: phones have few cores to spare).
    #[serde(default = "default_parallelism")]
    pub parallelism: u32,
}

fn default_memory_kib() -> u32 {
    19 * 1024
}
fn default_iterations() -> u32 {
    2
}
fn default_parallelism() -> u32 {
    1
}

/// Bounds on what a client may send.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body accepted on the public listener, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Largest sealed envelope accepted from a client, in bytes (default 512 KiB).
    pub max_envelope_bytes: usize,
    /// Longest report description, in characters (default 50 000).
    pub max_description_chars: usize,
    /// Longest optional questionnaire field, in characters (default 2 000).
    pub max_field_chars: usize,
    /// Token stretchings (Argon2id runs) allowed at the same time (default: 2).
    pub concurrent_stretches: usize,
    /// Connections served per listener (default 1024), and as many again in their TLS
    /// handshake. The open-file limit must hold four times this, and 256 more.
    pub max_connections: usize,
    /// The slowest a client may send a body or read an answer, in bytes a second, measured
    /// over the time the gateway waits on it (default 256).
    pub min_bytes_per_second: u64,
    /// The longest a connection may move no byte while the gateway waits on it, in seconds
    /// (default 60; a new request may wait 10 s, or this if shorter, before its first byte).
    pub stall_secs: u64,
    /// Largest attached file, in bytes (default 100 MiB).
    pub max_attachment_bytes: u64,
    /// Most files sent at once with a report or a message (default 10).
    pub max_attachments: usize,
    /// Largest request with files (all files and fields together), in bytes (default 256 MiB).
    pub max_upload_bytes: usize,
    /// Longest time for a request without files, in seconds (default 60).
    pub request_timeout_secs: u64,
    /// Longest time for a request with files, in seconds (default 3600: a slow phone
    /// connection may need an hour for a large video).
    pub upload_timeout_secs: u64,
}

impl Limits {
    /// The connections' minimum pace.
    pub fn pace(&self) -> crate::http::pace::Pace {
        let default = crate::http::pace::Pace::default();
        let stall = std::time::Duration::from_secs(self.stall_secs);
        crate::http::pace::Pace {
            min_bytes_per_second: self.min_bytes_per_second,
            grace: default.grace.min(stall),
            stall,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_envelope_bytes: 512 * 1024,
            max_description_chars: 50_000,
            max_field_chars: 2_000,
            concurrent_stretches: 2,
            max_connections: 1024,
            min_bytes_per_second: 256,
            stall_secs: 60,
            max_attachment_bytes: 100 * 1024 * 1024,
            max_attachments: 10,
            max_upload_bytes: 256 * 1024 * 1024,
            request_timeout_secs: 60,
            upload_timeout_secs: 3600,
        }
    }
}

impl Config {
    /// Reads a configuration file, applies `CONFIDE_…` overrides from `env`, and validates it.
    pub fn load(
        path: &Path,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base, env)
    }

    pub fn parse(
        text: &str,
        base: &Path,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Invalid(e.message().to_string()))?;
        apply_overrides(&mut table, env)?;
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_string()))?;
        config.resolve_paths(base);
        config.validate()?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        for path in [
            &mut self.data_dir,
            &mut self.keyring,
            &mut self.server_secret_file,
            &mut self.tls.certificate,
            &mut self.tls.key,
            &mut self.tls.staff_ca,
        ]
        .into_iter()
        .chain(
            self.forward
                .values_mut()
                .flat_map(|f| [&mut f.ca, &mut f.certificate, &mut f.key]),
        ) {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// The pinned organisation key, if configured.
    pub fn organisation_key(&self) -> Result<Option<crate::keyring::OrganisationKey>, ConfigError> {
        self.organisation_key
            .as_deref()
            .map(|text| {
                text.parse().map_err(|_| {
                    ConfigError::Invalid(
                        "organisation_key must be the base64 of 32 bytes, as `confide keys organisation` prints it"
                            .into(),
                    )
                })
            })
            .transpose()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.stretch_params()?;
        self.organisation_key()?;
        let interval = self.metrics.interval_secs;
        if interval != 0
            && (interval < 3600
                || (!86_400u64.is_multiple_of(interval) && !interval.is_multiple_of(86_400)))
        {
            return Err(ConfigError::Invalid(
                "metrics.interval_secs must be at least 3600 and divide a day or be a whole number of days (86400 is the default): finer or skewed snapshots would date reports".into(),
            ));
        }
        if !(1..=600).contains(&self.storage.cover_write_mean_secs) {
            return Err(ConfigError::Invalid(
                "storage.cover_write_mean_secs must be from 1 to 600 (20 is the default): without cover writes the database files' times date the latest report".into(),
            ));
        }
        for (entity, forward) in &self.forward {
            if !forward.url.starts_with("https://") || forward.url.len() > 2048 {
                return Err(ConfigError::Invalid(format!(
                    "forward.{entity}.url must be an https:// address: envelopes are only forwarded over mutual TLS"
                )));
            }
            if forward.retry_first_secs == 0 || forward.retry_max_secs < forward.retry_first_secs {
                return Err(ConfigError::Invalid(format!(
                    "forward.{entity}: retry_first_secs must be at least 1 and no more than retry_max_secs"
                )));
            }
        }
        if let Some(url) = &self.database_url
            && !["sqlite://", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p))
        {
            return Err(ConfigError::Invalid(
                "database_url must start with sqlite:// or postgres:// (got a URL of another kind)"
                    .into(),
            ));
        }
        let exit = &self.pages.quick_exit_url;
        if !exit.starts_with("https://") || exit.len() > 512 || exit.contains(['"', '<', '>', ' '])
        {
            return Err(ConfigError::Invalid(
                "pages.quick_exit_url must be an https:// address of a harmless site".into(),
            ));
        }
        if !(8..=24).contains(&self.rate_limits.pow_bits) {
            return Err(ConfigError::Invalid(
                "rate_limits.pow_bits must be from 8 to 24 (16 takes a low-end phone about a second)".into(),
            ));
        }
        if let Some(onion) = &self.pages.onion_location {
            let host = onion
                .strip_prefix("http://")
                .or_else(|| onion.strip_prefix("https://"))
                .and_then(|rest| rest.strip_suffix(".onion").or(rest.strip_suffix(".onion/")));
            // A v3 onion address: 56 base32 characters.
            if !host.is_some_and(|h| {
                h.len() == 56
                    && h.bytes()
                        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
            }) {
                return Err(ConfigError::Invalid(
                    "pages.onion_location must be http://<56 characters>.onion, the onion service's address".into(),
                ));
            }
        }
        let l = &self.limits;
        if l.max_envelope_bytes == 0 || l.max_body_bytes < l.max_envelope_bytes / 3 * 4 + 1024 {
            return Err(ConfigError::Invalid(
                "limits.max_body_bytes must hold a base64 envelope of limits.max_envelope_bytes"
                    .into(),
            ));
        }
        if (l.max_upload_bytes as u64) < l.max_attachment_bytes {
            return Err(ConfigError::Invalid(
                "limits.max_upload_bytes must be at least limits.max_attachment_bytes".into(),
            ));
        }
        if l.request_timeout_secs == 0 || l.upload_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "limits: timeouts must be at least 1 second".into(),
            ));
        }
        // OWASP's floor for Argon2id: 19 MiB × 2 passes, or less memory with more passes.
        let t = &self.token;
        if t.memory_kib < 7 * 1024 || u64::from(t.memory_kib) * u64::from(t.iterations) < 35 * 1024
        {
            return Err(ConfigError::Invalid(
                "token: memory_kib must be at least 7168 and memory_kib × iterations at least 35840 (for example 19456 × 2)".into(),
            ));
        }
        // An hour at most: the bound is added to instants, and a longer silence is no upload.
        if l.min_bytes_per_second == 0 || l.stall_secs == 0 || l.stall_secs > 3600 {
            return Err(ConfigError::Invalid(
                "limits.min_bytes_per_second must be at least 1, and limits.stall_secs from 1 to 3600".into(),
            ));
        }
        if l.concurrent_stretches == 0 || l.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "limits.concurrent_stretches and limits.max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("confide.db").display()))
    }

    /// The token stretching parameters, decoded.
    pub fn stretch_params(&self) -> Result<StretchParams, ConfigError> {
        let salt = base64::engine::general_purpose::STANDARD
            .decode(self.token.salt.trim())
            .map_err(|_| ConfigError::Invalid("token.salt must be base64".into()))?;
        let params = StretchParams {
            salt,
            memory_kib: self.token.memory_kib,
            iterations: self.token.iterations,
            parallelism: self.token.parallelism,
        };
        params
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("token: {e}")))?;
        Ok(params)
    }
}

/// The staff client's own variables (`confide staff`), which are not configuration keys.
const STAFF_CLIENT_VARIABLES: [&str; 6] = [
    "PASSPHRASE_FILE",
    "STAFF_SERVER",
    "STAFF_CA",
    "STAFF_CERT",
    "STAFF_KEY",
    "STAFF_IDENTITY",
];

/// Writes `CONFIDE_A__B=value` into `table[a][b]`.
fn apply_overrides(
    table: &mut toml::Table,
    env: impl Iterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, value) in env {
        let Some(key) = name.strip_prefix("CONFIDE_") else {
            continue;
        };
        // Not configuration overrides: `serve --config` and the staff client's own variables.
        if key == "CONFIG" || STAFF_CLIENT_VARIABLES.contains(&key) {
            continue;
        }
        let path: Vec<String> = key.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::Invalid(format!(
                "environment variable {name} names no key"
            )));
        }
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let (last, parents) = path.split_last().expect("split yields at least one part");
        let mut node = &mut *table;
        for part in parents {
            let entry = node
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry.as_table_mut().ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "environment variable {name}: {part} is not a table"
                ))
            })?;
        }
        node.insert(last.clone(), parsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
public_addr = "127.0.0.1:8443"
staff_addr = "127.0.0.1:9443"
data_dir = "data"
keyring = "keyring.toml"
server_secret_file = "/etc/confide/secret"
[tls]
certificate = "tls/server.pem"
key = "tls/server-key.pem"
staff_ca = "tls/ca.pem"
[token]
salt = "c2FsdHNhbHRzYWx0c2FsdA=="
"#;

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::parse(text, Path::new("/srv/confide"), env)
    }

    #[test]
    fn metrics_snapshots_are_an_hour_at_least_and_divide_or_are_whole_days() {
        let interval = |secs: &str| parse(MINIMAL, &[("CONFIDE_METRICS__INTERVAL_SECS", secs)]);
        assert_eq!(parse(MINIMAL, &[]).unwrap().metrics.interval_secs, 86_400);
        for good in ["0", "3600", "7200", "21600", "86400", "172800"] {
            assert!(interval(good).is_ok(), "{good}");
        }
        for bad in ["60", "1800", "5000", "18000", "90000"] {
            let err = interval(bad).unwrap_err().to_string();
            assert!(err.contains("metrics.interval_secs"), "{bad}: {err}");
        }
    }

    #[test]
    fn cover_writes_cannot_be_turned_off_or_made_rare() {
        let mean = |secs: &str| parse(MINIMAL, &[("CONFIDE_STORAGE__COVER_WRITE_MEAN_SECS", secs)]);
        assert_eq!(
            parse(MINIMAL, &[]).unwrap().storage.cover_write_mean_secs,
            20
        );
        assert!(mean("1").is_ok() && mean("600").is_ok());
        for bad in ["0", "601"] {
            let err = mean(bad).unwrap_err().to_string();
            assert!(
                err.contains("storage.cover_write_mean_secs"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn relative_paths_are_resolved_against_the_config_folder() {
        let c = parse(MINIMAL, &[]).unwrap();
        assert_eq!(c.keyring, Path::new("/srv/confide/keyring.toml"));
        assert_eq!(c.server_secret_file, Path::new("/etc/confide/secret"));
        assert_eq!(c.database_url(), "sqlite:///srv/confide/data/confide.db");
        assert_eq!(c.token.memory_kib, 19 * 1024);
    }

    #[test]
    fn environment_variables_override_nested_keys() {
        let c = parse(
            MINIMAL,
            &[
                ("CONFIDE_TOKEN__MEMORY_KIB", "12288"),
                ("CONFIDE_TOKEN__ITERATIONS", "3"),
                ("CONFIDE_PUBLIC_ADDR", "0.0.0.0:443"),
                ("OTHER", "x"),
            ],
        )
        .unwrap();
        assert_eq!(c.token.memory_kib, 12288);
        assert_eq!(c.public_addr.port(), 443);
    }

    #[test]
    fn the_staff_client_variables_are_not_configuration_but_staff_addr_is() {
        let c = parse(
            MINIMAL,
            &[
                ("CONFIDE_STAFF_SERVER", "https://x"),
                ("CONFIDE_STAFF_ADDR", "127.0.0.1:7443"),
            ],
        )
        .unwrap();
        assert_eq!(c.staff_addr.port(), 7443);
    }

    #[test]
    fn unknown_keys_are_named_in_the_error() {
        let err = parse(&format!("{MINIMAL}\nlisten = 1"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
        let err = parse(MINIMAL, &[("CONFIDE_TLS__CERT", "x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cert"), "{err}");
    }

    #[test]
    fn argon2_parameters_below_the_owasp_floor_stop_the_start() {
        let err = parse(MINIMAL, &[("CONFIDE_TOKEN__MEMORY_KIB", "4096")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("memory_kib"), "{err}");
        let err = parse(MINIMAL, &[("CONFIDE_TOKEN__ITERATIONS", "1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("iterations"), "{err}");
    }

    #[test]
    fn a_short_salt_stops_the_start() {
        let err = parse(MINIMAL, &[("CONFIDE_TOKEN__SALT", "c2FsdA==")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("salt"), "{err}");
    }
}
