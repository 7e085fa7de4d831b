//! Cover writes: the database is written at random moments whether or not anyone reports.
//!
//! A file's modification and change times are those of its last write, to the nanosecond, and
//! a change time cannot be set back by anyone but the kernel. On a gateway where nothing else
//! happens, the last write to `confide.db` and its WAL is the latest report (its checkpoint a
//! second later), so a disk or a copy of the data folder would date that report to the second:
//! finer than the day that SECURITY.md promises. So the gateway rewrites one row with random
//! bytes at moments drawn from an exponential distribution (a Poisson process): a write at a
//! random moment looks like a report arriving at a random moment, and after a report the next
//! cover write, on average `mean` later, moves every file time past it. Regular ticks would not
//! do: a file time off the tick would then be a report's.
//!
//! The write moves what the database writes itself (SQLite's WAL and, at the next checkpoint,
//! its main file; PostgreSQL's files on its own host). SQLite's shared-memory index is written
//! through a memory map, so its times are set as well, by path.

use std::time::Duration;

use super::{Store, StoreError};

impl Store {
    /// Rewrites the cover row with fresh random bytes, in its own transaction.
    pub async fn cover_write(&self) -> Result<(), StoreError> {
        let noise = super::random_id().into_bytes();
        on_backend!(self, db => {
            let mut tx = db.write().await?;
            sqlx::query("UPDATE cover SET noise = $1 WHERE id = 1")
                .bind(&noise)
                .execute(&mut *tx)
                .await?;
            db.commit(tx).await?;
        });
        // SQLite's shared-memory index is written through a memory map, whose time the kernel
        // moves only at the first write after a writeback: set all three times here.
        if let Store::Sqlite(db) = self {
            db.touch_files().map_err(StoreError::Wal)?;
        }
        Ok(())
    }
}

/// The wait before the next cover write: exponential with the given mean, drawn from the
/// system's random source, cut at ten means so that a gateway is never silent for long.
pub fn next_wait(mean: Duration) -> Duration {
    let mut bytes = [0u8; 8];
    // A failing random source leaves the wait at the mean: still a cover write, less random.
    let uniform = match ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
    {
        // 53 random bits, in (0, 1]: never 0, whose logarithm is infinite.
        Ok(()) => ((u64::from_le_bytes(bytes) >> 11) + 1) as f64 / (1u64 << 53) as f64,
        Err(_) => (-1f64).exp(),
    };
    mean.mul_f64((-uniform.ln()).min(10.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_average_the_mean_and_never_exceed_ten_means() {
        let mean = Duration::from_secs(30);
        let waits: Vec<Duration> = (0..20_000).map(|_| next_wait(mean)).collect();
        let average = waits.iter().sum::<Duration>().as_secs_f64() / waits.len() as f64;
        assert!((28.5..31.5).contains(&average), "average {average}");
        assert!(waits.iter().all(|w| *w <= mean * 10));
        // Spread as an exponential is, not bunched at the mean: a third or more fall below
        // half the mean (1 - e^-0.5 = 39 %).
        let short = waits.iter().filter(|w| **w < mean / 2).count();
        assert!(short > waits.len() / 3, "{short}");
    }
}
