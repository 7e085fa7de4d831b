//! Durability against a power cut and a failing disk, on a file system that forgets.
//!
//! `tests/powercut/lazyfs.py` is a FUSE passthrough in the style of Jepsen's LazyFS: every
//! write stays in its memory until the file is fsynced, and its exit (the cut) throws away all
//! that was not. First a control shows that it really forgets (plain SQLite with
//! `synchronous=OFF` loses acknowledged commits on it, `FULL` none); then a gateway under load
//! is killed and the file system cut under it, and every token it acknowledged must find its
//! case after a restart. A second test makes every fsync fail (EIO) while the gateway runs.
//!
//! Needs FUSE (`/dev/fuse`, libfuse2 and the `fusepy` module): skipped with a loud line where
//! they are missing, mandatory under `CI` (`.ci/run` installs them).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Gateway;
use serde_json::Value;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/powercut")
        .join(name)
}

/// Whether FUSE can be used here; otherwise skips loudly (fails under CI).
fn fuse_available() -> bool {
    let module = Command::new("python3")
        .args(["-c", "import fuse"])
        .output()
        .is_ok_and(|o| o.status.success());
    let device = Path::new("/dev/fuse").exists();
    if module && device {
        return true;
    }
    let why = format!("fusepy importable: {module}, /dev/fuse present: {device}");
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the power-cut tests ({why}); .ci/run installs fuse, libfuse2 and fusepy"
    );
    eprintln!(
        "SKIPPED: no FUSE here ({why}); install fuse, libfuse2 and `pip install fusepy` to run the power-cut tests"
    );
    false
}

/// A mounted lazyfs over `backing`. Cut (its unsynced writes discarded) when dropped.
struct LazyFs {
    child: Child,
    mount: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl LazyFs {
    fn mount(backing: &Path, mount: &Path) -> LazyFs {
        std::fs::create_dir_all(mount).unwrap();
        let mut child = Command::new("python3")
            .arg(script("lazyfs.py"))
            .arg(backing)
            .arg(mount)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs lazyfs.py");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (mounted, is_mounted) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if line.contains("lazyfs: mounted") {
                    let _ = mounted.send(());
                }
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        is_mounted
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("lazyfs did not mount: {}", stderr.lock().unwrap()));
        LazyFs {
            child,
            mount: mount.to_path_buf(),
            stderr,
        }
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// From now on every fsync fails with EIO and loses its data, as a failing disk's would.
    fn fail_every_fsync(&self) {
        self.signal("-USR1");
    }

    /// The power cut: lazyfs exits and every write never fsynced is gone. Returns what it said.
    fn cut(mut self) -> String {
        self.signal("-TERM");
        let _ = self.child.wait();
        // Let the reader thread take the last line.
        std::thread::sleep(Duration::from_millis(100));
        let said = self.stderr.lock().unwrap().clone();
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        said
    }
}

impl Drop for LazyFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// The number in "discarded N unsynced bytes".
fn discarded_bytes(said: &str) -> u64 {
    said.split("discarded ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("lazyfs says what it discarded: {said}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_acknowledged_before_a_power_cut_is_there_after_it() {
    if !fuse_available() {
        return;
    }
    // The control: the same file system loses commits that SQLite acknowledged without syncing.
    let control = Command::new("python3")
        .arg(script("selfcheck.py"))
        .arg("500")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&control.stdout);
    assert!(
        control.status.success(),
        "the control fails: {said}{}",
        String::from_utf8_lossy(&control.stderr)
    );
    let figures: Value = serde_json::from_str(said.lines().last().unwrap()).unwrap();
    assert!(figures["off_lost"].as_u64().unwrap() > 0, "{figures}");
    assert_eq!(figures["full_lost"], 0, "{figures}");

    let dir = tempfile::tempdir().unwrap();
    let backing = dir.path().join("backing");
    std::fs::create_dir(&backing).unwrap();
    let fs = LazyFs::mount(&backing, &dir.path().join("mount-1"));
    let data = fs.mount.join("data");
    let mut gateway = Gateway::start_in(&data);
    let tokens = common::reports_until(&gateway, 200).await;
    // The cut comes while reports are in flight: the process dies, then the disk forgets.
    gateway.kill();
    let tokens = tokens.await;
    let said = fs.cut();
    assert!(
        discarded_bytes(&said) > 0,
        "something unsynced was thrown away: {said}"
    );

    let fs = LazyFs::mount(&backing, &dir.path().join("mount-2"));
    let gateway = Gateway::start_in(&fs.mount.join("data"));
    common::every_token_finds_its_case(&gateway, &tokens).await;
    let (code, chain) = gateway.staff_get("auditor", "/api/v1/staff/audit").await;
    assert_eq!(code, 200, "{chain}");
    println!(
        "power cut: {} reports acknowledged, all found; the cut threw away {} unsynced bytes; \
         control: {figures}",
        tokens.len(),
        discarded_bytes(&said)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_stops_storing_says_so_and_exits_for_a_restart_that_loses_nothing() {
    if !fuse_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let backing = dir.path().join("backing");
    std::fs::create_dir(&backing).unwrap();
    let fs = LazyFs::mount(&backing, &dir.path().join("mount-1"));
    let mut gateway = Gateway::start_in(&fs.mount.join("data"));
    let tokens = common::reports_until(&gateway, 20).await;

    // The disk fails: the reporters' next reports are refused (they stop at the first), and
    // nothing more is acknowledged. Meanwhile a load balancer's probe and a scrape watch.
    let ready_url = format!("{}/readyz", gateway.public);
    let metrics_url = format!("{}/metrics", gateway.staff);
    let (probe, scraper) = (gateway.reporter(), gateway.staff_client("auditor"));
    fs.fail_every_fsync();
    let watch = tokio::spawn(async move {
        let (mut not_ready, mut stopped) = (false, false);
        for _ in 0..600 {
            let Ok(ready) = probe.get(&ready_url).send().await else {
                break;
            };
            not_ready |= ready.status() == 503;
            let Ok(metrics) = scraper.get(&metrics_url).send().await else {
                break;
            };
            stopped |= metrics
                .text()
                .await
                .is_ok_and(|m| m.contains("confide_storage_stopped 1"));
            if not_ready && stopped {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (not_ready, stopped)
    });
    let tokens = tokens.await;
    let (not_ready, stopped) = watch.await.unwrap();
    assert!(not_ready, "a stopped gateway says it is not ready");
    assert!(stopped, "the metrics say storing stopped");
    let status = gateway
        .exited_within(Duration::from_secs(60))
        .await
        .expect("a gateway whose storage stopped exits by itself");
    assert_eq!(
        status.code(),
        Some(confide::store::health::EXIT_STORAGE_STOPPED),
        "{}",
        gateway.logs()
    );
    let logs = gateway.logs();
    assert!(logs.contains("syncing the database's WAL failed"), "{logs}");

    // The supervisor restarts it on a disk that works (here: after the cut), and SQLite's
    // recovery finds every report that was acknowledged.
    fs.cut();
    let fs = LazyFs::mount(&backing, &dir.path().join("mount-2"));
    let gateway = Gateway::start_in(&fs.mount.join("data"));
    common::every_token_finds_its_case(&gateway, &tokens).await;
    println!(
        "failed sync: {} reports acknowledged before it, all found after the restart",
        tokens.len()
    );
}
