//! What resolution 78/331 asks to be tracked: classifications, Member State notifications and
//! national action, consents and referrals. One implementation for both backends: the SQL here
//! is written in the dialect SQLite and PostgreSQL share (`$n` parameters, `ON CONFLICT`), and
//! [`on_backend!`] runs it on whichever pool the store has, inside that backend's write
//! transaction with its own audit append.

use serde::Serialize;

use super::rows::Columns;
use super::{CaseRecord, Day, NewEnvelope, Store, StoreError, day_format, rows};
use crate::allegation::{AllegationType, Classification, Implicated, PersonnelCategory, Victims};
use crate::assistance::{Audience, ConsentPurpose, ReferralState, Service};
use crate::audit::AuditEntry;
use crate::notification::NationalAction;

/// Runs `$body` with `$db` bound to the backend's store and `$backend`, if named, to its module.
macro_rules! on_backend {
    ($store:expr, $db:ident, $backend:ident => $body:expr) => {
        match $store {
            Store::Sqlite($db) => {
                use crate::store::sqlite as $backend;
                $body
            }
            Store::Postgres($db) => {
                use crate::store::postgres as $backend;
                $body
            }
        }
    };
    ($store:expr, $db:ident => $body:expr) => {
        match $store {
            Store::Sqlite($db) => $body,
            Store::Postgres($db) => $body,
        }
    };
}

/// A Member State notification with the national action recorded on it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NotificationRecord {
    pub id: String,
    pub case_id: String,
    pub member_state: String,
    pub identity_shared: bool,
    /// The sealed notification, for the focal points and the case's staff.
    pub envelope_id: String,
    pub notified_at: String,
    pub acknowledged_at: Option<String>,
    pub actions: Vec<NationalActionRecord>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NationalActionRecord {
    pub id: String,
    pub action: NationalAction,
    /// Sealed details, if the focal point gave any.
    pub envelope_id: Option<String>,
    pub recorded_at: String,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ConsentRecord {
    pub purpose: ConsentPurpose,
    pub audience: Audience,
    pub given: bool,
    #[serde(with = "day_format")]
    #[schemars(with = "String")]
    pub recorded_on: Day,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ReferralRecord {
    pub id: String,
    pub case_id: String,
    pub service: Service,
    pub provider: String,
    pub state: ReferralState,
    #[serde(with = "day_format")]
    #[schemars(with = "String")]
    pub referred_on: Day,
    #[serde(with = "maybe_day")]
    #[schemars(with = "Option<String>")]
    pub answered_on: Option<Day>,
    #[serde(with = "maybe_day")]
    #[schemars(with = "Option<String>")]
    pub delivered_on: Option<Day>,
    #[serde(with = "maybe_day")]
    #[schemars(with = "Option<String>")]
    pub followed_up_on: Option<Day>,
    #[serde(with = "maybe_day")]
    #[schemars(with = "Option<String>")]
    pub closed_on: Option<Day>,
}

/// Everything the statistics count about one case.
#[derive(Clone, Debug)]
pub struct CaseFacts {
    pub case: CaseRecord,
    pub classification: Option<Classification>,
    pub notifications: Vec<NotificationRecord>,
    pub referrals: Vec<ReferralRecord>,
}

const NOTIFICATION_COLUMNS: &str = "SELECT id, case_id, member_state, identity_shared, envelope_id, notified_at, acknowledged_at FROM notifications";
const REFERRAL_COLUMNS: &str = "SELECT id, case_id, service, provider, state, referred_on, answered_on, delivered_on, followed_up_on, closed_on FROM referrals";

impl Store {
    /// Replaces a case's classification, with the audit record, atomically.
    pub async fn classify(
        &self,
        case_id: &str,
        classification: &Classification,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, db, backend => {
                        let mut tx = db.write().await?;
            // The audit append comes first: on PostgreSQL it takes the lock that makes two
            // classifications of one case apply one after the other, not interleaved.
            backend::audit::append(&mut tx, audit).await?;
            sqlx::query("DELETE FROM implicated WHERE case_id = $1")
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO classifications (case_id, allegation, adults, children, unknown_age, classified_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (case_id) DO UPDATE SET allegation = excluded.allegation, adults = excluded.adults, \
                 children = excluded.children, unknown_age = excluded.unknown_age, classified_at = excluded.classified_at",
            )
            .bind(case_id)
            .bind(classification.allegation.code())
            .bind(i64::from(classification.victims.adult))
            .bind(i64::from(classification.victims.child))
            .bind(i64::from(classification.victims.unknown_age))
            .bind(&audit.at)
            .execute(&mut *tx)
            .await?;
            for group in &classification.implicated {
                sqlx::query("INSERT INTO implicated (case_id, category, member_state) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(case_id)
                    .bind(group.category.code())
                                        .bind(group.member_state.as_deref().unwrap_or(""))
                    .execute(&mut *tx)
                    .await?;
            }
            db.commit(tx).await?;
            Ok(())
        })
    }

    /// A case's classification, if staff recorded one.
    pub async fn classification(
        &self,
        case_id: &str,
    ) -> Result<Option<Classification>, StoreError> {
        Ok(self
            .classifications(Some(case_id))
            .await?
            .pop()
            .map(|(_, c)| c))
    }

    /// Classifications of one case, or of every case, by case id.
    async fn classifications(
        &self,
        case_id: Option<&str>,
    ) -> Result<Vec<(String, Classification)>, StoreError> {
        let filter = if case_id.is_some() {
            " WHERE case_id = $1"
        } else {
            ""
        };
        let heads = format!(
            "SELECT case_id, allegation, adults, children, unknown_age FROM classifications{filter} ORDER BY case_id"
        );
        let groups = format!(
            "SELECT case_id, category, member_state FROM implicated{filter} ORDER BY case_id, category, member_state"
        );
        on_backend!(self, db => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(heads));
            let mut g = sqlx::query(sqlx::AssertSqlSafe(groups));
            if let Some(id) = case_id {
                q = q.bind(id.to_string());
                g = g.bind(id.to_string());
            }
            let heads = q.fetch_all(&db.pool).await?;
            let groups = g.fetch_all(&db.pool).await?;
                        let mut out = Vec::with_capacity(heads.len());
            for row in &heads {
                out.push((row.text("case_id")?, classification_row(row)?));
            }
            // Sorted here, not by the database's collation, for the search below.
            out.sort_by(|a, b| a.0.cmp(&b.0));
            for row in &groups {
                let case = row.text("case_id")?;
                let group = implicated_row(row)?;
                if let Ok(at) = out.binary_search_by(|(id, _)| id.as_str().cmp(&case)) {
                    out[at].1.implicated.push(group);
                }
            }
            // The order `Classification::checked` gives, not the codes' text order.
            for (_, c) in &mut out {
                c.implicated.sort();
            }
            Ok(out)
        })
    }

    /// Stores a Member State notification and its sealed envelope, with the audit record.
    pub async fn notify(
        &self,
        case_id: &str,
        member_state: &str,
        identity_shared: bool,
        envelope: &NewEnvelope,
        today: Day,
        audit: &AuditEntry,
    ) -> Result<String, StoreError> {
        let id = super::random_id();
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            backend::envelopes::insert_envelope(&mut tx, case_id, envelope, today).await?;
                        sqlx::query(
                "INSERT INTO notifications (id, case_id, member_state, identity_shared, envelope_id, notified_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(case_id)
            .bind(member_state)
            .bind(i64::from(identity_shared))
            .bind(&envelope.id)
            .bind(&audit.at)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(
                    "This Member State was notified of this case already.",
                ),
                _ => StoreError::Database(e),
            })?;
            backend::audit::append(&mut tx, audit).await?;
            db.commit(tx).await?;
            Ok(id)
        })
    }

    /// Notifications of one case.
    pub async fn notifications_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        self.notifications_where(" WHERE case_id = $1", Some(case_id))
            .await
    }

    /// Notifications to one Member State.
    pub async fn notifications_to(
        &self,
        member_state: &str,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        self.notifications_where(" WHERE member_state = $1", Some(member_state))
            .await
    }

    pub async fn notification(&self, id: &str) -> Result<Option<NotificationRecord>, StoreError> {
        Ok(self
            .notifications_where(" WHERE id = $1", Some(id))
            .await?
            .pop())
    }

    async fn notifications_where(
        &self,
        filter: &'static str,
        value: Option<&str>,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let heads = format!("{NOTIFICATION_COLUMNS}{filter} ORDER BY notified_at, id");
        let actions = format!(
            "SELECT a.id, a.notification_id, a.action, a.envelope_id, a.recorded_at FROM national_actions a \
             WHERE a.notification_id IN (SELECT id FROM notifications{filter}) ORDER BY a.recorded_at, a.id"
        );
        on_backend!(self, db => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(heads));
            let mut a = sqlx::query(sqlx::AssertSqlSafe(actions));
            if let Some(v) = value {
                q = q.bind(v.to_string());
                a = a.bind(v.to_string());
            }
            let heads = q.fetch_all(&db.pool).await?;
            let actions = a.fetch_all(&db.pool).await?;
            let mut out = heads.iter().map(notification_row).collect::<Result<Vec<_>, _>>()?;
            for row in &actions {
                let of = row.text("notification_id")?;
                if let Some(n) = out.iter_mut().find(|n| n.id == of) {
                    n.actions.push(national_action_row(row)?);
                }
            }
            Ok(out)
        })
    }

    /// Records the focal point's acknowledgement; false if it was acknowledged already.
    pub async fn acknowledge_notification(
        &self,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            let done = sqlx::query(
                "UPDATE notifications SET acknowledged_at = $1 WHERE id = $2 AND acknowledged_at IS NULL",
            )
            .bind(&audit.at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                backend::audit::append(&mut tx, audit).await?;
                db.commit(tx).await?;
            }
            Ok(done == 1)
        })
    }

    /// Records national action on a notification, with its sealed details if any.
    pub async fn add_national_action(
        &self,
        notification: &NotificationRecord,
        action: NationalAction,
        details: Option<&NewEnvelope>,
        today: Day,
        audit: &AuditEntry,
    ) -> Result<String, StoreError> {
        let id = super::random_id();
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            if let Some(envelope) = details {
                backend::envelopes::insert_envelope(&mut tx, &notification.case_id, envelope, today).await?;
            }
            sqlx::query(
                "INSERT INTO national_actions (id, notification_id, action, envelope_id, recorded_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(&notification.id)
            .bind(action.code())
            .bind(details.map(|e| e.id.clone()))
            .bind(&audit.at)
            .execute(&mut *tx)
            .await?;
            backend::audit::append(&mut tx, audit).await?;
            db.commit(tx).await?;
            Ok(id)
        })
    }

    /// Records the victim's latest answer for one purpose and audience.
    pub async fn set_consent(
        &self,
        case_id: &str,
        purpose: ConsentPurpose,
        audience: Audience,
        given: bool,
        today: Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            sqlx::query(
                "INSERT INTO consents (case_id, purpose, audience, given, recorded_on) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (case_id, purpose, audience) DO UPDATE SET given = excluded.given, recorded_on = excluded.recorded_on",
            )
            .bind(case_id)
            .bind(purpose.code())
            .bind(audience.code())
            .bind(i64::from(given))
            .bind(day_format::to_text(today))
            .execute(&mut *tx)
            .await?;
            backend::audit::append(&mut tx, audit).await?;
            db.commit(tx).await?;
            Ok(())
        })
    }

    pub async fn consents(&self, case_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        on_backend!(self, db => {
            let rows = sqlx::query(
                "SELECT purpose, audience, given, recorded_on FROM consents WHERE case_id = $1 ORDER BY purpose, audience",
            )
            .bind(case_id)
            .fetch_all(&db.pool)
            .await?;
            rows.iter().map(consent_row).collect()
        })
    }

    /// Stores a new referral (offered), with the audit record.
    pub async fn add_referral(
        &self,
        referral: &ReferralRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            sqlx::query(
                "INSERT INTO referrals (id, case_id, service, provider, state, referred_on) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&referral.id)
            .bind(&referral.case_id)
            .bind(referral.service.code())
            .bind(&referral.provider)
            .bind(referral.state.code())
            .bind(day_format::to_text(referral.referred_on))
            .execute(&mut *tx)
            .await?;
            backend::audit::append(&mut tx, audit).await?;
            db.commit(tx).await?;
            Ok(())
        })
    }

    pub async fn referrals_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<ReferralRecord>, StoreError> {
        self.referrals_where(" WHERE case_id = $1", Some(case_id))
            .await
    }

    pub async fn referral(&self, id: &str) -> Result<Option<ReferralRecord>, StoreError> {
        Ok(self
            .referrals_where(" WHERE id = $1", Some(id))
            .await?
            .pop())
    }

    async fn referrals_where(
        &self,
        filter: &'static str,
        value: Option<&str>,
    ) -> Result<Vec<ReferralRecord>, StoreError> {
        let sql = format!("{REFERRAL_COLUMNS}{filter} ORDER BY referred_on, id");
        on_backend!(self, db => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Some(v) = value {
                q = q.bind(v.to_string());
            }
            let rows = q.fetch_all(&db.pool).await?;
            rows.iter().map(referral_row).collect()
        })
    }

    /// Moves a referral from `from` to `to` if it is still at `from`, setting the day of the
    /// step, with an audit record when staff moved it. Returns false when someone else moved it
    /// first.
    pub async fn move_referral(
        &self,
        id: &str,
        from: ReferralState,
        to: ReferralState,
        today: Day,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        let column = match to {
            ReferralState::Offered => "referred_on",
            ReferralState::Accepted | ReferralState::Declined => "answered_on",
            ReferralState::Delivered => "delivered_on",
            ReferralState::FollowUp => "followed_up_on",
            ReferralState::Closed => "closed_on",
        };
        let sql =
            format!("UPDATE referrals SET state = $1, {column} = $2 WHERE id = $3 AND state = $4");
        on_backend!(self, db, backend => {
            let mut tx = db.write().await?;
            let moved = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to.code())
                .bind(day_format::to_text(today))
                .bind(id)
                .bind(from.code())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved == 1 {
                if let Some(audit) = audit {
                    backend::audit::append(&mut tx, audit).await?;
                }
                db.commit(tx).await?;
            }
            Ok(moved == 1)
        })
    }

    /// Whether the gateway can take reports (for `/readyz`): the database answers and storing
    /// has not stopped for good (see `health`).
    pub async fn ready(&self) -> bool {
        !self.health().is_stopped()
            && on_backend!(self, db => sqlx::query("SELECT 1").execute(&db.pool).await.is_ok())
    }

    /// Whether storing works, for the metrics, the error answers and the server's stop.
    pub fn health(&self) -> &std::sync::Arc<super::health::Health> {
        on_backend!(self, db => &db.health)
    }

    /// Everything the statistics count, for every case still stored.
    pub async fn case_facts(&self) -> Result<Vec<CaseFacts>, StoreError> {
        let cases_sql = "SELECT id, entity, status, received_on, reply_recipient, status_changed_at, acknowledged_at, \
             first_feedback_at, investigation_started_at, closed_at, last_reply_at, '' AS assignees FROM cases ORDER BY id";
        let (cases, notifications, referrals) = on_backend!(self, db => {
            let cases = sqlx::query(cases_sql).fetch_all(&db.pool).await?;
            let cases = cases.iter().map(rows::case).collect::<Result<Vec<_>, _>>()?;
            let notifications = self.notifications_where("", None).await?;
            let referrals = self.referrals_where("", None).await?;
            (cases, notifications, referrals)
        });
        let mut cases = cases;
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        let mut notifications_of: std::collections::HashMap<String, Vec<NotificationRecord>> =
            std::collections::HashMap::new();
        for n in notifications {
            notifications_of
                .entry(n.case_id.clone())
                .or_default()
                .push(n);
        }
        let mut referrals_of: std::collections::HashMap<String, Vec<ReferralRecord>> =
            std::collections::HashMap::new();
        for r in referrals {
            referrals_of.entry(r.case_id.clone()).or_default().push(r);
        }
        let mut classifications = self.classifications(None).await?.into_iter().peekable();
        let mut out = Vec::with_capacity(cases.len());
        // Both lists are sorted by case id: walk them together.
        for case in cases {
            while classifications.peek().is_some_and(|(id, _)| *id < case.id) {
                classifications.next();
            }
            let classification = match classifications.peek() {
                Some((id, _)) if *id == case.id => classifications.next().map(|(_, c)| c),
                _ => None,
            };
            out.push(CaseFacts {
                notifications: notifications_of.remove(&case.id).unwrap_or_default(),
                referrals: referrals_of.remove(&case.id).unwrap_or_default(),
                classification,
                case,
            });
        }
        Ok(out)
    }
}

fn classification_row<'r, R: Columns<'r>>(row: &'r R) -> Result<Classification, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    let count = |name| -> Result<u32, StoreError> {
        u32::try_from(row.int(name)?)
            .map_err(|_| StoreError::Corrupt("a victim count is out of range"))
    };
    Ok(Classification {
        allegation: AllegationType::from_code(&row.text("allegation")?)
            .ok_or(StoreError::Corrupt("unknown allegation code"))?,
        implicated: Vec::new(),
        victims: Victims {
            adult: count("adults")?,
            child: count("children")?,
            unknown_age: count("unknown_age")?,
        },
    })
}

fn implicated_row<'r, R: Columns<'r>>(row: &'r R) -> Result<Implicated, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    let state = row.text("member_state")?;
    Ok(Implicated {
        category: PersonnelCategory::from_code(&row.text("category")?)
            .ok_or(StoreError::Corrupt("unknown personnel category"))?,
        member_state: (!state.is_empty()).then_some(state),
    })
}

fn notification_row<'r, R: Columns<'r>>(row: &'r R) -> Result<NotificationRecord, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    Ok(NotificationRecord {
        id: row.text("id")?,
        case_id: row.text("case_id")?,
        member_state: row.text("member_state")?,
        identity_shared: row.int("identity_shared")? != 0,
        envelope_id: row.text("envelope_id")?,
        notified_at: row.text("notified_at")?,
        acknowledged_at: row.maybe_text("acknowledged_at")?,
        actions: Vec::new(),
    })
}

fn national_action_row<'r, R: Columns<'r>>(row: &'r R) -> Result<NationalActionRecord, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    Ok(NationalActionRecord {
        id: row.text("id")?,
        action: NationalAction::from_code(&row.text("action")?)
            .ok_or(StoreError::Corrupt("unknown national action"))?,
        envelope_id: row.maybe_text("envelope_id")?,
        recorded_at: row.text("recorded_at")?,
    })
}

fn consent_row<'r, R: Columns<'r>>(row: &'r R) -> Result<ConsentRecord, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    Ok(ConsentRecord {
        purpose: ConsentPurpose::from_code(&row.text("purpose")?)
            .ok_or(StoreError::Corrupt("unknown consent purpose"))?,
        audience: Audience::from_code(&row.text("audience")?)
            .ok_or(StoreError::Corrupt("unknown consent audience"))?,
        given: row.int("given")? != 0,
        recorded_on: day(row.text("recorded_on")?)?,
    })
}

fn referral_row<'r, R: Columns<'r>>(row: &'r R) -> Result<ReferralRecord, StoreError>
where
    &'static str: sqlx::ColumnIndex<R>,
{
    let maybe =
        |name| -> Result<Option<Day>, StoreError> { row.maybe_text(name)?.map(day).transpose() };
    Ok(ReferralRecord {
        id: row.text("id")?,
        case_id: row.text("case_id")?,
        service: Service::from_code(&row.text("service")?)
            .ok_or(StoreError::Corrupt("unknown service"))?,
        provider: row.text("provider")?,
        state: ReferralState::from_code(&row.text("state")?)
            .ok_or(StoreError::Corrupt("unknown referral state"))?,
        referred_on: day(row.text("referred_on")?)?,
        answered_on: maybe("answered_on")?,
        delivered_on: maybe("delivered_on")?,
        followed_up_on: maybe("followed_up_on")?,
        closed_on: maybe("closed_on")?,
    })
}

fn day(text: String) -> Result<Day, StoreError> {
    day_format::from_text(&text).ok_or(StoreError::Corrupt("a stored date is not YYYY-MM-DD"))
}

mod maybe_day {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::day_format::from_text(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("a day is YYYY-MM-DD")),
            None => Ok(None),
        }
    }

    pub fn serialize<S: Serializer>(day: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
        match day {
            Some(day) => s.serialize_str(&super::day_format::to_text(*day)),
            None => s.serialize_none(),
        }
    }
}
