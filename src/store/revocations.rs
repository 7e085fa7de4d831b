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
            tx.commit().await?;
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

    /// Every stored envelope sealed to the keyring name `name`.
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
