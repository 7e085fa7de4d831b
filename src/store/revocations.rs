//! Revoked staff members, shared by every gateway on the database (`confide keys revoke`).

use serde::Serialize;

use super::{Store, StoreError, rows};
use crate::audit::AuditEntry;
use crate::keyring::Revoked;
use rows::Columns;

/// An envelope that was sealed to someone, as the revocation lists it.
#[derive(Clone, Debug, Serialize)]
pub struct SealedTo {
    pub case_id: String,
    pub envelope_id: String,
    pub kind: String,
    pub created_on: String,
}

impl Store {
    /// Records a revocation with its audit record; revoking twice changes nothing.
    pub async fn revoke(
        &self,
        name: &str,
        fingerprint: &[u8; 32],
        recipient: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            backend::audit::append(&mut tx, audit).await?;
            sqlx::query(
                "INSERT INTO revocations (certificate_sha256, recipient, name, revoked_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&fingerprint[..])
            .bind(recipient)
            .bind(name)
            .bind(&audit.at)
            .execute(&mut *tx)
            .await?;
            db.commit(tx).await?;
            Ok(())
        })
    }

    /// Everyone revoked.
    pub async fn revocations(&self) -> Result<Revoked, StoreError> {
        let sql = "SELECT certificate_sha256, recipient FROM revocations";
        let rows = on_backend!(self, db => {
            let rows = sqlx::query(sql).fetch_all(&db.pool).await?;
            rows.iter()
                .map(|r| Ok((rows::hash(r.bytes("certificate_sha256")?)?, r.text("recipient")?)))
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        let mut revoked = Revoked::default();
        for (fingerprint, recipient) in rows {
            revoked.fingerprints.insert(fingerprint);
            revoked.recipients.insert(recipient);
        }
        Ok(revoked)
    }

    /// Whether this certificate is revoked (checked on every staff request).
    pub async fn is_revoked(&self, fingerprint: &[u8; 32]) -> Result<bool, StoreError> {
        let sql = "SELECT 1 AS found FROM revocations WHERE certificate_sha256 = $1";
        on_backend!(self, db => Ok(sqlx::query(sql)
            .bind(&fingerprint[..])
            .fetch_optional(&db.pool)
            .await?
            .is_some()))
    }

    /// Every stored envelope sealed to the keyring name `name`. This reads every recipient row
    /// (there is no index on recipient: migration 0010): it serves `keys revoke` and a member's
    /// own rotation, not the reporter's or the officer's daily paths.
    pub async fn envelopes_sealed_to(&self, name: &str) -> Result<Vec<SealedTo>, StoreError> {
        let sql = "SELECT e.case_id, e.id, e.kind, e.created_on FROM envelopes e \
                   JOIN envelope_recipients r ON r.envelope_id = e.id \
                   WHERE r.recipient = $1 ORDER BY e.case_id, e.created_on, e.id";
        on_backend!(self, db => {
            let rows = sqlx::query(sql).bind(name).fetch_all(&db.pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(SealedTo {
                        case_id: r.text("case_id")?,
                        envelope_id: r.text("id")?,
                        kind: r.text("kind")?,
                        created_on: r.text("created_on")?,
                    })
                })
                .collect()
        })
    }
}

impl Store {
    /// Accepts a signed keyring for this database: refused with [`StoreError::Conflict`] when
    /// its serial is lower than one a gateway of the database has used (an earlier keyring
    /// put back); otherwise records its serial and the keys it gives each member, a changed
    /// key opening that member's rotation (the old key kept as `previous_recipient`).
    pub async fn accept_keyring(
        &self,
        serial: u64,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        let serial = i64::try_from(serial)
            .map_err(|_| StoreError::Conflict("The keyring's serial is too large."))?;
        on_backend!(self, db => {
            let mut tx = db.write().await?;
            let seen = sqlx::query("SELECT serial FROM keyring_state WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.int("serial"))
                .transpose()?;
            if seen.is_some_and(|seen| serial < seen) {
                return Err(StoreError::Conflict(
                    "This keyring's serial is lower than that of a keyring this database has used: an earlier keyring put back? Sign the current one with a higher serial.",
                ));
            }
            sqlx::query(
                "INSERT INTO keyring_state (id, serial) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET serial = excluded.serial",
            )
            .bind(serial)
            .execute(&mut *tx)
            .await?;
            for (name, recipient) in keys {
                sqlx::query(
                    "INSERT INTO staff_keys (name, recipient) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET previous_recipient = staff_keys.recipient, \
                     recipient = excluded.recipient WHERE staff_keys.recipient <> excluded.recipient",
                )
                .bind(name)
                .bind(recipient)
                .execute(&mut *tx)
                .await?;
            }
            db.commit(tx).await?;
            Ok(())
        })
    }

    /// Whether `name`'s key is `recipient` after a change (they have rotated at least once).
    pub async fn rotation_open(&self, name: &str, recipient: &str) -> Result<bool, StoreError> {
        let sql = "SELECT 1 AS open FROM staff_keys \
                   WHERE name = $1 AND recipient = $2 AND previous_recipient IS NOT NULL";
        on_backend!(self, db => Ok(sqlx::query(sql)
            .bind(name)
            .bind(recipient)
            .fetch_optional(&db.pool)
            .await?
            .is_some()))
    }

    /// Replaces an envelope's body with the same content sealed again (a key rotation): in
    /// place, so that everything naming the envelope still does, sealed to `recipients`
    /// (checked by the caller). Only where `name`'s copy is still sealed to the key they are
    /// rotating away from (or to an unrecorded one, from before keys were recorded) and the
    /// keyring gives them `new_recipient`: so each envelope once, and nothing sealed after the
    /// rotation. Otherwise fails with [`StoreError::Conflict`].
    #[allow(clippy::too_many_arguments)]
    pub async fn reseal(
        &self,
        envelope_id: &str,
        body: Resealed<'_>,
        recipients: &[String],
        name: &str,
        new_recipient: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            let rotating = sqlx::query(
                "SELECT 1 AS ok FROM envelope_recipients r JOIN staff_keys k ON k.name = r.recipient \
                 WHERE r.envelope_id = $1 AND r.recipient = $2 AND k.recipient = $3 \
                 AND k.previous_recipient IS NOT NULL \
                 AND (r.sealed_key IS NULL OR r.sealed_key = k.previous_recipient)",
            )
            .bind(envelope_id)
            .bind(name)
            .bind(new_recipient)
            .fetch_optional(&mut *tx)
            .await?;
            if rotating.is_none() {
                return Err(StoreError::Conflict(
                    "This envelope is not sealed to a key you are rotating away from: it was sealed again already, or after your rotation.",
                ));
            }
            backend::audit::append(&mut tx, audit).await?;
            sqlx::query("DELETE FROM envelope_chunks WHERE envelope_id = $1")
                .bind(envelope_id)
                .execute(&mut *tx)
                .await?;
            match body {
                Resealed::Inline(bytes) => {
                    sqlx::query("UPDATE envelopes SET body = $2, size = $3, chunks = 0 WHERE id = $1")
                        .bind(envelope_id)
                        .bind(bytes)
                        .bind(bytes.len() as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                Resealed::Uploaded(upload) => {
                    let claimed = sqlx::query("DELETE FROM uploads WHERE id = $1")
                        .bind(&upload.id)
                        .execute(&mut *tx)
                        .await?;
                    if claimed.rows_affected() != 1 {
                        return Err(StoreError::UploadGone);
                    }
                    sqlx::query("UPDATE envelope_chunks SET envelope_id = $1 WHERE envelope_id = $2")
                        .bind(envelope_id)
                        .bind(&upload.id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE envelopes SET body = $2, size = $3, chunks = $4 WHERE id = $1")
                        .bind(envelope_id)
                        .bind(&[][..] as &[u8])
                        .bind(upload.size as i64)
                        .bind(i64::from(upload.chunks))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query("DELETE FROM envelope_recipients WHERE envelope_id = $1")
                .bind(envelope_id)
                .execute(&mut *tx)
                .await?;
            for recipient in recipients {
                sqlx::query(
                    "INSERT INTO envelope_recipients (envelope_id, recipient, sealed_key) \
                     VALUES ($1, $2, (SELECT recipient FROM staff_keys WHERE name = $2))",
                )
                    .bind(envelope_id)
                    .bind(recipient)
                    .execute(&mut *tx)
                    .await?;
            }
            db.commit(tx).await?;
            Ok(())
        })
    }
}

/// A re-sealed body: whole, or a finished upload's pieces.
pub enum Resealed<'a> {
    Inline(&'a [u8]),
    Uploaded(&'a super::Upload),
}
