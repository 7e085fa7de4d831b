//! A pooled connection is clean before anyone uses it again.
//!
//! sqlx counts the transactions open on each connection. When a write fails inside SQLite (a
//! full disk, an I/O error), SQLite may roll the transaction back by itself; the driver's count
//! falls only on a COMMIT or ROLLBACK that succeeds, the ROLLBACK it sends when the transaction
//! is dropped then fails ("no transaction is active"), and the connection went back to the pool
//! still counted as inside a transaction. Every later `BEGIN` on it failed ("attempted to call
//! begin_with at non-zero transaction depth"), so a second of full disk broke a share of staff
//! requests, messages and uploads until sqlx's 30-minute connection lifetime replaced them.
//!
//! Both backends' pools therefore check each connection as it is released: a ping queues
//! behind the driver's pending rollback, so when it answers the rollback has run, and a
//! connection still counted as inside a transaction (or that fails the ping) is closed. On
//! PostgreSQL the driver lowers its count as soon as the ROLLBACK is queued, so there the
//! guarantee is the ping: it waits for the ROLLBACK's answer, and a connection whose ROLLBACK
//! failed fails it and is closed. The
//! pool opens a fresh one when it needs one. The check costs one round trip to the connection's
//! worker thread (SQLite) or the server (PostgreSQL) per release; sqlx makes the same ping after
//! it anyway.

use futures_util::future::BoxFuture;
use sqlx::Connection;
use sqlx::pool::PoolConnectionMetadata;

/// The pools' `after_release` check: keep the connection only if it is outside any transaction.
pub(super) fn is_clean<C: Connection>(
    conn: &mut C,
    _: PoolConnectionMetadata,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        conn.ping().await?;
        Ok(!conn.is_in_transaction())
    })
}
