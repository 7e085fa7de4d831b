//! Test harness: starts the real `confide` binary on free ports with a fresh SQLite database and
//! the example keys, and talks to it over real TLS.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A distinctive user agent: the no-trace tests search for it everywhere.
pub const USER_AGENT: &str = "ConfideTestAgent/7.3 (unmistakable-agent-string-4d1c)";

pub fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-example")
}

/// The example organisation's public signing key (keys-example/confide.toml).
pub const ORGANISATION_KEY: &str = "GSNpyW9ahtJZHsKkTWlK8Urg4HaO/sQKCADuwqU/K4Y=";

/// A private copy of the example keys with the keyring signed again at `serial` (the example
/// is at 1), as an administrator's next signing would be.
#[allow(dead_code)]
pub fn keys_signed_at(serial: u64) -> tempfile::TempDir {
    let dir = copy_of_keys();
    let keyring = dir.path().join("keyring.toml");
    let text = std::fs::read_to_string(&keyring).unwrap();
    assert!(
        text.contains("serial = 1\n"),
        "the example keyring is at serial 1"
    );
    std::fs::write(
        &keyring,
        text.replace("serial = 1\n", &format!("serial = {serial}\n")),
    )
    .unwrap();
    let signed = Command::new(env!("CARGO_BIN_EXE_confide"))
        .args(["keys", "sign", "--keyring"])
        .arg(&keyring)
        .arg("--key")
        .arg(dir.path().join("organisation.key"))
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    dir
}

/// A private copy of the example keys, for a test to change.
#[allow(dead_code)]
pub fn copy_of_keys() -> tempfile::TempDir {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&keys(), temp.path());
    temp
}

pub fn staff_dir(name: &str) -> PathBuf {
    keys().join("staff").join(name)
}

/// A running gateway. Killed when dropped.
pub struct Gateway {
    pub public: String,
    pub staff: String,
    pub data_dir: PathBuf,
    child: Child,
    logs: Arc<Mutex<Vec<u8>>>,
    _temp: Option<tempfile::TempDir>,
    /// Where the staff CLI run by [`Gateway::staff_cli_in`] keeps what it remembers between
    /// commands (the highest keyring serial seen): this gateway's own, unless a test points
    /// two gateways at one to play a staff member's machine meeting both.
    pub staff_state: PathBuf,
    _staff_state: tempfile::TempDir,
}

impl Gateway {
    /// Starts a demo gateway with a fresh data directory, logging at its most verbose.
    pub fn start() -> Gateway {
        let temp = tempfile::tempdir().unwrap();
        let data_dir = temp.path().join("data");
        let mut gateway = Gateway::start_in(&data_dir);
        gateway._temp = Some(temp);
        gateway
    }

    /// Starts a demo gateway on an existing data directory (for restarts).
    pub fn start_in(data_dir: &Path) -> Gateway {
        Gateway::start_with(data_dir, &[])
    }

    /// Starts a demo gateway with a fresh data directory and extra environment variables
    /// (configuration overrides such as `CONFIDE_PAGES__QUICK_EXIT_URL`).
    #[allow(dead_code)]
    pub fn start_with_env(env: &[(&str, &str)]) -> Gateway {
        let temp = tempfile::tempdir().unwrap();
        let data_dir = temp.path().join("data");
        let mut gateway = Gateway::spawn(&data_dir, &[], env);
        gateway._temp = Some(temp);
        gateway
    }

    /// Starts a demo gateway on an existing data directory with extra `demo` options.
    pub fn start_with(data_dir: &Path, options: &[&str]) -> Gateway {
        Gateway::spawn(data_dir, options, &[])
    }

    fn spawn(data_dir: &Path, options: &[&str], env: &[(&str, &str)]) -> Gateway {
        Gateway::spawn_demo(&keys(), data_dir, options, env)
    }

    /// Starts a demo gateway with another key folder (a copy a test changes).
    #[allow(dead_code)]
    pub fn spawn_demo(
        keys: &Path,
        data_dir: &Path,
        options: &[&str],
        env: &[(&str, &str)],
    ) -> Gateway {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confide"));
        command
            .args([
                "demo",
                "--public-addr",
                "127.0.0.1:0",
                "--staff-addr",
                "127.0.0.1:0",
            ])
            .args(options)
            .arg("--keys")
            .arg(keys)
            .arg("--data-dir")
            .arg(data_dir);
        Gateway::launch(command, data_dir, env)
    }

    /// Starts a production gateway (`confide serve`) from a configuration file, on free ports.
    #[allow(dead_code)]
    pub fn serve(config: &Path, data_dir: &Path) -> Result<Gateway, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confide"));
        command
            .args(["serve", "--config"])
            .arg(config)
            .env("CONFIDE_PUBLIC_ADDR", "127.0.0.1:0")
            .env("CONFIDE_STAFF_ADDR", "127.0.0.1:0")
            .env("CONFIDE_DATA_DIR", data_dir);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Gateway::launch(command, data_dir, &[])
        }))
        .map_err(|panic| panic.downcast_ref::<String>().cloned().unwrap_or_default())
    }

    fn launch(mut command: Command, data_dir: &Path, env: &[(&str, &str)]) -> Gateway {
        let mut child = command
            // Tests and benchmarks send far more from one address than any network of people
            // would: rate limits are off unless a test turns them on (tests/flood.rs does).
            .env("CONFIDE_RATE_LIMITS__ENABLED", "false")
            .env("RUST_LOG", "trace")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the confide binary starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (mut public, mut staff) = (None, None);
        let mut line = String::new();
        while public.is_none() || staff.is_none() {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!(
                    "the gateway exited before listening: {}",
                    String::from_utf8_lossy(&logs.lock().unwrap())
                );
            }
            sink_line(&logs, &line);
            if let Some(url) = line.strip_prefix("public listener: ") {
                public = Some(url.trim().to_string());
            }
            if let Some(url) = line.strip_prefix("staff listener: ") {
                staff = Some(url.trim().to_string());
            }
        }
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                sink_line(&sink, &line);
                line.clear();
            }
        });
        let staff_state = tempfile::tempdir().unwrap();
        Gateway {
            public: public.unwrap(),
            staff: staff.unwrap(),
            data_dir: data_dir.to_path_buf(),
            child,
            logs,
            _temp: None,
            staff_state: staff_state.path().to_path_buf(),
            _staff_state: staff_state,
        }
    }

    /// Everything the gateway wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.logs.lock().unwrap()).into_owned()
    }

    /// Kills the process at once (SIGKILL), as a crash or power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// The process's exit status, once it exited by itself within `within`.
    pub async fn exited_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// A client of the public listener that trusts only the example CA.
    pub fn reporter(&self) -> reqwest::Client {
        client_builder().build().unwrap()
    }

    /// A client of the staff listener with the named example staff member's certificate.
    pub fn staff_client(&self, name: &str) -> reqwest::Client {
        client_builder()
            .identity(identity(&staff_dir(name)))
            .build()
            .unwrap()
    }

    /// Runs `confide staff …` as the named example staff member, with the organisation key
    /// pinned.
    pub fn staff_cli(&self, name: &str, args: &[&str]) -> std::process::Output {
        let mut pinned = vec!["--organisation-key", ORGANISATION_KEY];
        pinned.extend_from_slice(args);
        self.staff_cli_in(&staff_dir(name), &pinned)
    }

    /// Runs `confide staff …` with the certificate, key and identity in `dir`, and only the
    /// options given (no pinned key unless `args` pins one).
    pub fn staff_cli_in(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_confide"))
            // No profile of the machine's user fills what a test leaves out.
            .env("XDG_CONFIG_HOME", "/nonexistent/confide-tests")
            .env("XDG_STATE_HOME", &self.staff_state)
            .env_remove("CONFIDE_STAFF_PROFILE")
            .arg("staff")
            .args(["--server", &self.staff])
            .arg("--ca")
            .arg(keys().join("tls/ca.pem"))
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .arg("--identity")
            .arg(dir.join("identity.txt"))
            .args(args)
            .output()
            .unwrap()
    }

    /// A fresh one-time mark from the report page, as a browser would send back with the form.
    pub async fn form_mark(&self) -> String {
        let page = self
            .reporter()
            .get(format!("{}/", self.public))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        mark_on_page(&page).expect("the report page carries a one-time mark")
    }

    /// `fields` of a report form, with a fresh mark unless they carry one.
    pub async fn with_mark(&self, fields: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(name, _)| *name == "once") {
            all.insert(0, ("once".into(), self.form_mark().await));
        }
        all
    }

    /// Sends a report through the no-JavaScript form, as from the report page (with a fresh
    /// one-time mark unless `fields` carry one); returns the page.
    pub async fn submit_form(&self, fields: &[(&str, &str)]) -> (u16, String) {
        let fields = self.with_mark(fields).await;
        let response = self
            .reporter()
            .post(format!("{}/report", self.public))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&fields).unwrap())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Cases the named staff member sees over the staff API.
    pub async fn cases_seen_by(&self, name: &str) -> Vec<serde_json::Value> {
        self.staff_client(name)
            .get(format!("{}/api/v1/staff/cases", self.staff))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The id of the first case the named staff member sees.
    #[allow(dead_code)]
    pub async fn first_case_seen_by(&self, name: &str) -> String {
        self.cases_seen_by(name).await[0]["id"]
            .as_str()
            .expect("a case id")
            .to_string()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

fn sink_line(logs: &Arc<Mutex<Vec<u8>>>, line: &str) {
    logs.lock().unwrap().extend_from_slice(line.as_bytes());
}

pub fn client_builder() -> reqwest::ClientBuilder {
    let ca = std::fs::read(keys().join("tls/ca.pem")).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(60))
}

pub fn identity(dir: &Path) -> reqwest::Identity {
    let mut pem = std::fs::read(dir.join("cert.pem")).unwrap();
    pem.extend_from_slice(&std::fs::read(dir.join("key.pem")).unwrap());
    reqwest::Identity::from_pem(&pem).unwrap()
}

/// The one-time mark of a report page (its hidden `once` field), as a browser sends it back.
pub fn mark_on_page(html: &str) -> Option<String> {
    let rest = html.split("name=\"once\" value=\"").nth(1)?;
    Some(rest.split('"').next()?.to_string())
}

/// The follow-up token on a "report received" page: the text of the element with id="token".
pub fn token_on_page(html: &str) -> String {
    let start = html.find("id=\"token\"").expect("the page shows a token");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find('<').unwrap();
    rest[open..close].trim().to_string()
}

/// The age identity of an example staff member.
pub fn age_identity(name: &str) -> age::x25519::Identity {
    let text = std::fs::read_to_string(staff_dir(name).join("identity.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    line.parse().unwrap()
}

/// True when an outside tool is installed. When it is missing, a developer's run skips loudly
/// and a CI run (environment variable CI set) fails.
pub fn tool_available(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("`{name}` is required under CI but is not installed (.ci/run installs it)");
        }
        eprintln!(
            "\n!!!!! SKIPPED: `{name}` is not installed; install it to run this part of the test !!!!!\n"
        );
    }
    found
}

/// Every file under `dir`, as (path, bytes).
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Sends raw bytes over TLS to the public listener and returns what comes back, for requests a
/// well-behaved client library will not send (a body shorter than its declared length, say).
pub async fn raw_exchange(base_url: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    confide::tls::install_crypto_provider();
    let addr = base_url.trim_start_matches("https://").to_string();
    let mut roots = rustls::RootCertStore::empty();
    for cert in confide::tls::load_certificates(&keys().join("tls/ca.pem")).unwrap() {
        roots.add(cert).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), tls.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A `multipart/form-data` body as a browser sends it: text fields, then files, in order.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----confide-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, content) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\ncontent-type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Gateway {
    /// Posts a multipart form to the public listener (a report form with a fresh one-time mark
    /// unless `fields` carry one); returns the status and the page.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> (u16, String) {
        let owned = if path == "/report" {
            self.with_mark(fields).await
        } else if path == "/status/message" && !fields.iter().any(|(k, _)| *k == "once") {
            // As from the status page: its "add information" form carries a fresh mark.
            let token = fields.iter().find(|(k, _)| *k == "token").map(|(_, v)| *v);
            let page = self.status_page(token.unwrap_or_default()).await;
            let mut owned = vec![("once".to_string(), mark_on_page(&page).unwrap_or_default())];
            owned.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            owned
        } else {
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let fields: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (content_type, body) = multipart(&fields, files);
        let response = self
            .reporter()
            .post(format!("{}{path}", self.public))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The no-JavaScript status page for a token.
    pub async fn status_page(&self, token: &str) -> String {
        self.reporter()
            .post(format!("{}/status", self.public))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string([("token", token)]).unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The public keyring: entities, their intake recipients, token parameters.
    pub async fn keyring(&self) -> serde_json::Value {
        let url = format!("{}/api/v1/keyring", self.public);
        self.reporter()
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Whether the status API finds a case for this follow-up number.
    pub async fn finds_case(&self, token: &str) -> bool {
        self.reporter()
            .post(format!("{}/api/v1/status", self.public))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .unwrap()
            .status()
            == 200
    }

    /// `POST /api/v1/status` with this body; the answer's JSON.
    pub async fn api_status(&self, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/api/v1/status", self.public);
        self.reporter()
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// An envelope's raw age file, downloaded by the named staff member.
    pub async fn download(&self, name: &str, envelope_id: &str) -> Vec<u8> {
        let url = format!("{}/api/v1/staff/envelopes/{envelope_id}", self.staff);
        self.staff_client(name)
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }

    /// A staff API call as the named example staff member: (status, JSON body).
    pub async fn staff_post(
        &self,
        name: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .staff_client(name)
            .post(format!("{}{path}", self.staff))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn staff_get(&self, name: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .staff_client(name)
            .get(format!("{}{path}", self.staff))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Runs `confide staff …` and asserts it succeeded; returns its standard output.
pub fn staff_ok(gateway: &Gateway, name: &str, args: &[&str]) -> String {
    let output = gateway.staff_cli(name, args);
    assert!(
        output.status.success(),
        "confide staff {args:?} as {name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Pulls a case as `name` into a fresh folder and returns (file name, bytes) of every file.
pub fn pull(gateway: &Gateway, name: &str, case: &str) -> Vec<(String, Vec<u8>)> {
    let out = tempfile::tempdir().unwrap();
    staff_ok(
        gateway,
        name,
        &["pull", case, "--out", out.path().to_str().unwrap()],
    );
    let mut files: Vec<(String, Vec<u8>)> = files_under(out.path())
        .into_iter()
        .map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b))
        .collect();
    files.sort();
    files
}

/// The first intake key of the keyring's first entity, as the reporter's page seals to it.
#[allow(dead_code)]
pub fn first_recipient(keyring: &serde_json::Value) -> age::x25519::Recipient {
    keyring["entities"][0]["recipients"][0]
        .as_str()
        .expect("a recipient")
        .parse()
        .expect("an age recipient")
}

/// Reports sent back to back by eight reporters until the caller stops the gateway, which it
/// may do once `at_least` were acknowledged (this returns then). The reporters stop at the
/// first failed request; awaiting the returned future gives every token the gateway returned.
pub async fn reports_until(
    gateway: &Gateway,
    at_least: usize,
) -> impl std::future::Future<Output = Vec<String>> + use<> {
    use base64::Engine;
    let keyring = gateway.keyring().await;
    let recipient = first_recipient(&keyring);
    let returned = Arc::new(tokio::sync::Mutex::new(Vec::<String>::new()));
    let mut reporters = Vec::new();
    for n in 0..8 {
        let client = gateway.reporter();
        let url = format!("{}/api/v1/reports", gateway.public);
        let returned = returned.clone();
        let recipient = recipient.clone();
        reporters.push(tokio::spawn(async move {
            for i in 0..1000 {
                let text = format!("report {n}-{i}");
                let sealed = confide::seal::seal(
                    zeroize::Zeroizing::new(text.into_bytes()),
                    std::slice::from_ref(&recipient),
                )
                .unwrap();
                let body = serde_json::json!({
                    "entity": "minusca",
                    "envelope": base64::engine::general_purpose::STANDARD.encode(sealed),
                });
                let Ok(response) = client.post(&url).json(&body).send().await else {
                    break;
                };
                let Ok(answer) = response.json::<serde_json::Value>().await else {
                    break;
                };
                let Some(token) = answer["token"].as_str() else {
                    break;
                };
                returned.lock().await.push(token.to_string());
            }
        }));
    }
    for _ in 0..600 {
        if returned.lock().await.len() >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    async move {
        for r in reporters {
            r.await.unwrap();
        }
        let tokens = returned.lock().await.clone();
        assert!(
            tokens.len() >= at_least,
            "reports were acknowledged before the gateway stopped ({})",
            tokens.len()
        );
        tokens
    }
}

/// Every token finds its case, and every case's report opens for the intake officer (the first
/// forty are opened).
pub async fn every_token_finds_its_case(gateway: &Gateway, tokens: &[String]) {
    let client = gateway.reporter();
    for token in tokens {
        let response = client
            .post(format!("{}/api/v1/status", gateway.public))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "an acknowledged token finds no case"
        );
    }
    let staff = gateway.staff_client("intake-minusca");
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert!(cases.len() >= tokens.len());
    let identity = age_identity("intake-minusca");
    for case in cases.iter().take(40) {
        let envelopes: Vec<serde_json::Value> = staff
            .get(format!(
                "{}/api/v1/staff/cases/{}/envelopes",
                gateway.staff,
                case["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = staff
            .get(format!(
                "{}/api/v1/staff/envelopes/{}",
                gateway.staff,
                envelopes[0]["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(confide::seal::open(&body, &identity).is_ok());
    }
}

/// A real JPEG of `width` × `height` with `exif` in an APP1 segment right after the start of
/// the image, and `trailer` after its end (as motion photos append a video).
pub fn jpeg_with(width: u32, height: u32, exif: &[u8], trailer: &[u8]) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, 140])
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(exif);
    let mut photo = jpeg[..2].to_vec();
    photo.extend_from_slice(&[0xFF, 0xE1]);
    photo.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    photo.extend_from_slice(&segment);
    photo.extend_from_slice(&jpeg[2..]);
    photo.extend_from_slice(trailer);
    photo
}
