//! A running `confide desk` for tests: started as an example staff member against a test
//! gateway, its launch link read from its output, driven over HTTP as a browser would (the
//! session cookie, the desk's Origin, the form mark). Killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::{Gateway, ORGANISATION_KEY, keys, staff_dir};

pub struct Desk {
    pub base: String,
    pub launch: String,
    child: Child,
    logs: Arc<Mutex<Vec<u8>>>,
    http: reqwest::Client,
    cookie: Option<String>,
    set_cookie: Option<String>,
    _state: tempfile::TempDir,
}

impl Desk {
    /// Starts the desk of `name` with its folder at `data`, and extra options.
    pub fn start(gateway: &Gateway, name: &str, data: &Path, options: &[&str]) -> Desk {
        Desk::start_at(&gateway.staff, name, data, options)
    }

    /// As [`Desk::start`], against any staff address (one nothing listens on, for offline).
    pub fn start_at(server: &str, name: &str, data: &Path, options: &[&str]) -> Desk {
        let dir = staff_dir(name);
        // What the desk remembers between runs (the keyring serial seen), this desk's alone.
        let state = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_confide"))
            .env("XDG_CONFIG_HOME", "/nonexistent/confide-tests")
            .env("XDG_STATE_HOME", state.path())
            .env_remove("CONFIDE_STAFF_PROFILE")
            .env("RUST_LOG", "debug")
            .args([
                "desk",
                "--server",
                server,
                "--organisation-key",
                ORGANISATION_KEY,
            ])
            .arg("--ca")
            .arg(keys().join("tls/ca.pem"))
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .arg("--identity")
            .arg(dir.join("identity.txt"))
            .arg("--data")
            .arg(data)
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut logs = sink.lock().unwrap();
                logs.extend_from_slice(line.as_bytes());
                logs.push(b'\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut launch = String::new();
        while launch.is_empty() {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!(
                    "the desk stopped: {}",
                    String::from_utf8_lossy(&logs.lock().unwrap())
                );
            }
            logs.lock().unwrap().extend_from_slice(line.as_bytes());
            if let Some(url) = line.trim().strip_prefix("confide desk: open ") {
                launch = url.to_string();
            }
        }
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let mut logs = sink.lock().unwrap();
                logs.extend_from_slice(line.as_bytes());
                logs.push(b'\n');
            }
        });
        let base = launch.split("/launch").next().unwrap().to_string();
        Desk {
            base,
            launch,
            child,
            logs,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            set_cookie: None,
            _state: state,
        }
    }

    /// What the desk printed and logged so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.logs.lock().unwrap()).into_owned()
    }

    /// Whether the desk logs `needle` within a few seconds (its output arrives through a pipe,
    /// read by another thread, a little after the answer).
    #[allow(dead_code)]
    pub fn logged(&self, needle: &str) -> bool {
        for _ in 0..50 {
            if self.logs().contains(needle) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }

    /// The desk's origin: scheme, host and port, without its path.
    pub fn origin(&self) -> String {
        self.base
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Opens the launch link: its answer and the session cookie it set.
    pub async fn open_launch_link(&mut self) -> u16 {
        let response = self.http.get(&self.launch).send().await.unwrap();
        if let Some(cookie) = response.headers().get("set-cookie") {
            let pair = cookie
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            self.cookie = Some(pair);
        }
        response.status().as_u16()
    }

    /// The Set-Cookie header the launch link answered with.
    #[allow(dead_code)]
    pub fn set_cookie(&self) -> &str {
        self.set_cookie
            .as_deref()
            .expect("the launch link was opened")
    }

    /// The session cookie (`name=value`).
    pub fn cookie(&self) -> &str {
        self.cookie.as_deref().expect("the launch link was opened")
    }

    /// A GET as the browser holding the session sends it: (status, headers, body).
    pub async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// The form mark of the desk's pages.
    pub async fn mark(&self) -> String {
        let (_, _, page) = self.get("/").await;
        let start = page
            .find("name=\"mark\" value=\"")
            .expect("a page with a form")
            + 19;
        page[start..].split('"').next().unwrap().to_string()
    }

    /// Posts a form from the desk's own page (its Origin, its mark): (status, location, body).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mark = self.mark().await;
        let mut all = vec![("mark", mark.as_str())];
        all.extend_from_slice(fields);
        let origin = self.origin();
        self.post_raw(path, &all, &[("origin", origin.as_str())])
            .await
    }

    /// Posts a form exactly as given, with these extra headers.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (u16, String, String) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap());
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        // Told without the desk's random first path, as the tests name the desk's pages.
        let prefix = self
            .base
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .map(|l| l.strip_prefix(&prefix).map(str::to_string).unwrap_or(l))
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }

    /// Opens the launch link and unlocks (the example keys have no passphrase).
    pub async fn launch_and_unlock(&mut self) {
        assert_eq!(self.open_launch_link().await, 303);
        let (status, location, page) = self.post("/unlock", &[("passphrase", "")]).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/"),
            "{page}\n{}",
            self.logs()
        );
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The case ids an inbox page links to, in its order.
#[allow(dead_code)]
pub fn cases_on(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().unwrap().split_once("/cases/"))
        .map(|(_, id)| id.to_string())
        .collect()
}
