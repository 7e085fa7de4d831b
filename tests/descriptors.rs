//! The open-file limit: the gateway raises its own at start, and refuses to start when even the
//! hard limit cannot hold every connection its listeners may take (before, a flood on the
//! public listener used up the descriptors and `accept` failed on the staff listener too).

mod common;

use common::Gateway;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// The soft limit of open files of process `pid`, from /proc.
fn soft_limit_of(pid: u32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[test]
fn the_gateway_raises_its_open_file_limit_to_the_hard_limit_or_refuses_to_start() {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let Some(hard) = maximum else {
        println!(
            "SKIPPED: the hard open-file limit is unlimited here, so there is nothing to raise to and no limit to refuse"
        );
        return;
    };
    assert!(
        hard >= 8192,
        "this machine's hard open-file limit ({hard}) is below what the default places need"
    );
    // The gateway inherits a soft limit of 1,024, a common default, which its 4,352
    // descriptors would exceed.
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(1024),
            maximum,
        },
    )
    .unwrap();
    let gateway = Gateway::start();
    assert_eq!(soft_limit_of(gateway.pid()), hard);
    drop(gateway);

    // Past what even the hard limit holds, it says so and what to do.
    let refused = std::panic::catch_unwind(|| {
        Gateway::start_with_env(&[("CONFIDE_LIMITS__MAX_CONNECTIONS", &(hard / 2).to_string())])
    })
    .map(|_| ())
    .expect_err("the gateway refuses to start");
    let message = refused
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains(&format!("the open-file limit is {hard}"))
            && message.contains("LimitNOFILE"),
        "{message}"
    );
    setrlimit(Resource::Nofile, Rlimit { current, maximum }).unwrap();
}
