//! The data folder's file times do not date the latest report: the gateway writes its database
//! at random moments whether or not anyone reports (`store::cover`), so on an idle gateway the
//! files' modification and change times move past a report instead of keeping its second.

mod common;

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::Gateway;

/// (name, modified, changed) of every file in the data folder.
fn file_times(dir: &std::path::Path) -> Vec<(String, SystemTime, SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            let changed = UNIX_EPOCH + Duration::new(meta.ctime() as u64, meta.ctime_nsec() as u32);
            (
                entry.file_name().to_string_lossy().into_owned(),
                meta.modified().unwrap(),
                changed,
            )
        })
        .collect()
}

#[tokio::test]
async fn after_a_report_on_an_idle_gateway_the_database_files_are_written_again() {
    // Cover writes on average every second (20 s by default), so that the test is short.
    let gateway = Gateway::start_with_env(&[("CONFIDE_STORAGE__COVER_WRITE_MEAN_SECS", "1")]);
    let (status, _) = gateway
        .submit_form(&[
            ("entity", "minusca"),
            ("description", "a report on a quiet day"),
        ])
        .await;
    assert_eq!(status, 200);
    let reported = SystemTime::now();
    // Nothing else happens on this gateway; its housekeeping checkpoints every second. Without
    // cover writes the database file keeps the report's checkpoint and the WAL the report.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let after = reported + Duration::from_secs(3);
    let times = file_times(&gateway.data_dir);
    for name in ["confide.db", "confide.db-wal", "confide.db-shm"] {
        let (_, modified, changed) = times
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is in the data folder: {times:?}"));
        assert!(*modified > after, "{name} was last modified at the report");
        assert!(*changed > after, "{name} last changed at the report");
    }
}
