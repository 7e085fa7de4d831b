//! The open-file limit. Every connection holds a descriptor, and so do the database, its
//! journal and each upload being spooled; when the process runs out, `accept` fails on both
//! listeners at once, and a flood on the public one would stop staff work too. So the gateway
//! raises its soft limit to the hard one at start, and refuses to start when even that cannot
//! hold every place its listeners may fill.

use anyhow::{Result, bail};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use crate::http::pool::Places;

/// Descriptors kept beside the listeners' places: database files and connections, uploads being
/// spooled, certificate and keyring reloads, the log.
pub const RESERVE: u64 = 256;

/// Descriptors the two listeners and the rest may need at most.
pub fn needed(places: Places) -> u64 {
    2 * (places.handshakes + places.served) as u64 + RESERVE
}

/// Raises the soft limit to the hard one; fails when that is still below [`needed`].
pub fn raise(places: Places) -> Result<u64> {
    let need = needed(places);
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let target = maximum.or(current);
    if target > current {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: target,
                maximum,
            },
        );
    }
    let now = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    if now < need {
        bail!(
            "the open-file limit is {now}, and the listeners may need {need} (twice limits.max_connections on each listener, and {RESERVE} more): raise it (LimitNOFILE= in the systemd unit, ulimit -n) or lower limits.max_connections"
        );
    }
    Ok(now)
}
