//! One contract for the store, run against both backends: SQLite always, PostgreSQL when it is
//! reachable (mandatory under CI).

#[path = "common/postgres.rs"]
mod postgres;

use confide::audit::{AuditEntry, verify};
use confide::cases::{EnvelopeKind, Status};
use confide::store::{EnvelopeBody, NewCase, NewEnvelope, Store, StoreError, Upload, random_id};
use confide::token::Verifier;
use time::macros::date;

/// Runs `check` against a fresh SQLite file and a fresh PostgreSQL database.
async fn on_both<F, Fut>(check: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("contract.db").display()
    ))
    .await
    .unwrap();
    check(sqlite).await;
    if let Some(db) = postgres::TestDatabase::create().await {
        let pg = Store::open(&db.url).await.unwrap();
        check(pg).await;
    }
}

fn envelope(kind: EnvelopeKind, body: &[u8], recipients: &[&str]) -> NewEnvelope {
    NewEnvelope {
        id: random_id(),
        kind,
        body: EnvelopeBody::Inline(body.to_vec()),
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
    }
}

async fn new_case(store: &Store, verifier: u8) -> String {
    store
        .create_case(NewCase {
            entity: "minusca",
            verifier: &Verifier([verifier; 32]),
            reply_recipient: "age1reply".into(),
            envelopes: vec![envelope(
                EnvelopeKind::Report,
                b"sealed report",
                &["intake-minusca"],
            )],
            today: date!(2026 - 11 - 27),
        })
        .await
        .unwrap()
}

fn entry(actor: &str, action: &'static str, case_id: &str) -> AuditEntry {
    AuditEntry {
        at: "2026-11-27T10:00:00Z".into(),
        actor: actor.into(),
        action,
        case_id: case_id.into(),
        detail: String::new(),
    }
}

#[tokio::test]
async fn a_case_is_found_by_its_verifier_only_and_a_verifier_is_used_once() {
    on_both(|store| async move {
        let id = new_case(&store, 3).await;
        let found = store.find_case(&Verifier([3; 32])).await.unwrap().unwrap();
        assert_eq!(
            (found.id.as_str(), found.status, found.entity.as_str()),
            (id.as_str(), Status::Received, "minusca")
        );
        assert_eq!(found.received_on, date!(2026 - 11 - 27));
        assert!(store.find_case(&Verifier([4; 32])).await.unwrap().is_none());
        let again = store
            .create_case(NewCase {
                entity: "minusca",
                verifier: &Verifier([3; 32]),
                reply_recipient: "x".into(),
                envelopes: vec![],
                today: date!(2026 - 11 - 27),
            })
            .await;
        assert!(matches!(again, Err(StoreError::LookupTaken)));
        let envelopes = store.envelopes_of_case(&id).await.unwrap();
        assert_eq!(envelopes.len(), 1);
        assert_eq!(
            (envelopes[0].size, envelopes[0].recipients.clone()),
            (13, vec!["intake-minusca".to_string()])
        );
        assert_eq!(
            store.envelope_body(&envelopes[0].id).await.unwrap(),
            b"sealed report"
        );
        assert!(store.cases_of_entity("monusco").await.unwrap().is_empty());
        assert_eq!(store.cases_of_entity("minusca").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn assignment_replaces_assignees_and_copies_and_is_audited() {
    on_both(|store| async move {
        let id = new_case(&store, 1).await;
        let copy = envelope(
            EnvelopeKind::Assignment,
            b"copy one",
            &["inv-a", "intake-minusca"],
        );
        store
            .assign(
                &id,
                &["inv-a".into()],
                &[copy],
                date!(2026 - 11 - 28),
                &entry("intake-minusca", "assign", &id),
            )
            .await
            .unwrap();
        assert_eq!(
            store.case(&id).await.unwrap().unwrap().assignees,
            vec!["inv-a".to_string()]
        );
        assert_eq!(store.cases_assigned_to("inv-a").await.unwrap().len(), 1);
        // The reporter writes while inv-a is assigned.
        store
            .add_envelopes(
                &id,
                &[envelope(
                    EnvelopeKind::Message,
                    b"sealed message",
                    &["intake-minusca", "inv-a"],
                )],
                date!(2026 - 11 - 28),
                None,
            )
            .await
            .unwrap();

        let copy = envelope(
            EnvelopeKind::Assignment,
            b"copy two",
            &["inv-b", "intake-minusca"],
        );
        store
            .assign(
                &id,
                &["inv-b".into()],
                &[copy],
                date!(2026 - 11 - 29),
                &entry("intake-minusca", "assign", &id),
            )
            .await
            .unwrap();
        assert!(store.cases_assigned_to("inv-a").await.unwrap().is_empty());
        assert!(
            store.envelopes_sealed_to("inv-a").await.unwrap().is_empty(),
            "the former assignee is no recipient of anything of the case, the message included"
        );
        let message = store
            .envelopes_of_case(&id)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.kind == EnvelopeKind::Message)
            .unwrap();
        assert_eq!(message.recipients, vec!["intake-minusca".to_string()]);
        let kinds: Vec<EnvelopeKind> = store
            .envelopes_of_case(&id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == EnvelopeKind::Assignment)
                .count(),
            1,
            "the earlier copy is gone"
        );
        let records = store.audit_records().await.unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(verify(records), Ok(2));
    })
    .await;
}

#[tokio::test]
async fn a_status_change_applies_only_from_the_status_it_was_made_from() {
    on_both(|store| async move {
        let id = new_case(&store, 2).await;
        let mut at = entry("intake-minusca", "status", &id);
        at.at = "2026-11-28T08:30:00Z".into();
        assert!(
            store
                .set_status(&id, Status::Received, Status::Acknowledged, &at)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_status(&id, Status::Received, Status::Acknowledged, &at)
                .await
                .unwrap(),
            "someone else moved it first"
        );
        let case = store.case(&id).await.unwrap().unwrap();
        assert_eq!(case.status, Status::Acknowledged);
        assert_eq!(
            case.acknowledged_at.as_deref(),
            Some("2026-11-28T08:30:00Z")
        );
        assert!(case.closed_at.is_none());
        assert_eq!(store.open_cases().await.unwrap().len(), 1);
        at.at = "2026-11-29T08:30:00Z".into();
        assert!(
            store
                .set_status(&id, Status::Acknowledged, Status::Closed, &at)
                .await
                .unwrap()
        );
        let case = store.case(&id).await.unwrap().unwrap();
        assert_eq!(
            case.acknowledged_at.as_deref(),
            Some("2026-11-28T08:30:00Z"),
            "kept from the first time"
        );
        assert_eq!(case.closed_at.as_deref(), Some("2026-11-29T08:30:00Z"));
        assert!(store.open_cases().await.unwrap().is_empty());
        assert_eq!(
            verify(store.audit_records().await.unwrap()),
            Ok(2),
            "only changes that happened are audited"
        );
    })
    .await;
}

#[tokio::test]
async fn the_first_reply_starts_nothing_twice_and_replies_are_read_back_in_order() {
    on_both(|store| async move {
        let id = new_case(&store, 5).await;
        for (n, at) in ["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"]
            .iter()
            .enumerate()
        {
            let mut e = entry("inv-a", "reply", &id);
            e.at = at.to_string();
            let reply = envelope(
                EnvelopeKind::Reply,
                format!("reply {n}").as_bytes(),
                &["reporter", "inv-a"],
            );
            store
                .add_reply(&id, &reply, date!(2026 - 12 - 01), &e)
                .await
                .unwrap();
        }
        assert_eq!(
            store
                .case(&id)
                .await
                .unwrap()
                .unwrap()
                .first_feedback_at
                .as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        let replies = store
            .envelope_bodies(&id, EnvelopeKind::Reply)
            .await
            .unwrap();
        assert_eq!(replies.len(), 2);
        assert!(replies[0].0.recipients.contains(&"reporter".to_string()));
    })
    .await;
}

#[tokio::test]
async fn large_envelopes_stream_in_pieces_and_uploads_are_claimed_once() {
    on_both(|store| async move {
        let id = new_case(&store, 6).await;
        let upload = Upload {
            id: random_id(),
            stanzas: 1,
            chunks: 3,
            size: 7,
        };
        for (seq, piece) in [&b"abc"[..], b"de", b"fg"].iter().enumerate() {
            store
                .put_chunk(&upload.id, seq as u32, piece, date!(2026 - 11 - 27))
                .await
                .unwrap();
        }
        store
            .finish_upload(&upload, date!(2026 - 11 - 27))
            .await
            .unwrap();
        let waiting = store.upload(&upload.id).await.unwrap().unwrap();
        assert_eq!((waiting.stanzas, waiting.chunks, waiting.size), (1, 3, 7));
        let attachment = NewEnvelope {
            id: upload.id.clone(),
            kind: EnvelopeKind::Attachment,
            body: EnvelopeBody::Uploaded { chunks: 3, size: 7 },
            recipients: vec!["intake-minusca".into()],
        };
        store
            .add_envelopes(
                &id,
                std::slice::from_ref(&attachment),
                date!(2026 - 11 - 27),
                None,
            )
            .await
            .unwrap();
        assert!(store.upload(&upload.id).await.unwrap().is_none(), "claimed");
        let again = store
            .add_envelopes(&id, &[attachment], date!(2026 - 11 - 27), None)
            .await;
        assert!(matches!(again, Err(StoreError::UploadGone)), "claimed once");
        let meta = store.envelope(&upload.id).await.unwrap().unwrap();
        assert_eq!((meta.chunks, meta.size), (3, 7));
        let mut body = Vec::new();
        for seq in 0..meta.chunks {
            body.extend(store.envelope_chunk(&upload.id, seq).await.unwrap());
        }
        assert_eq!(body, b"abcdefg");
        let abandoned = random_id();
        store
            .put_chunk(&abandoned, 0, b"x", date!(2026 - 11 - 27))
            .await
            .unwrap();
        store.delete_chunks(&abandoned).await.unwrap();
        assert!(store.envelope_chunk(&abandoned, 0).await.is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audit_appends_form_one_unbroken_chain() {
    on_both(|store| async move {
        let id = new_case(&store, 7).await;
        let mut tasks = Vec::new();
        for n in 0..40 {
            let (store, id) = (store.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .record(&entry(&format!("staff-{n}"), "download", &id))
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(verify(store.audit_records().await.unwrap()), Ok(40));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_arriving_together_are_all_stored_and_a_taken_lookup_fails_alone() {
    on_both(|store| async move {
        new_case(&store, 200).await;
        let mut tasks = Vec::new();
        for n in 0..40u8 {
            let store = store.clone();
            // Every tenth report reuses the lookup verifier of the first case.
            let verifier = if n % 10 == 0 { 200 } else { n };
            tasks.push(tokio::spawn(async move {
                let result = store
                    .create_case(NewCase {
                        entity: "minusca",
                        verifier: &Verifier([verifier; 32]),
                        reply_recipient: "age1reply".into(),
                        envelopes: vec![envelope(
                            EnvelopeKind::Report,
                            &[verifier; 4096],
                            &["intake-minusca"],
                        )],
                        today: date!(2026 - 11 - 27),
                    })
                    .await;
                (verifier, result)
            }));
        }
        let mut stored = 0;
        for task in tasks {
            match task.await.unwrap() {
                (200, result) => assert!(matches!(result, Err(StoreError::LookupTaken))),
                (verifier, result) => {
                    // The answer is this caller's case: found by its own key, holding its own body.
                    let id = result.unwrap();
                    assert_eq!(
                        store
                            .find_case(&Verifier([verifier; 32]))
                            .await
                            .unwrap()
                            .unwrap()
                            .id,
                        id
                    );
                    let envelopes = store.envelopes_of_case(&id).await.unwrap();
                    assert_eq!(
                        store.envelope_body(&envelopes[0].id).await.unwrap(),
                        vec![verifier; 4096]
                    );
                    stored += 1;
                }
            }
        }
        assert_eq!(stored, 36);
        assert_eq!(store.cases_of_entity("minusca").await.unwrap().len(), 37);
    })
    .await;
}

#[tokio::test]
async fn closed_cases_past_retention_go_with_their_envelopes_and_only_counts_stay() {
    on_both(|store| async move {
        let old = new_case(&store, 11).await;
        let recent = new_case(&store, 12).await;
        let open = new_case(&store, 13).await;
        // The old case also holds a file in pieces and is assigned.
        let file = random_id();
        store
            .put_chunk(&file, 0, b"sealed file", date!(2025 - 01 - 01))
            .await
            .unwrap();
        let attachment = NewEnvelope {
            id: file.clone(),
            kind: EnvelopeKind::Attachment,
            body: EnvelopeBody::Chunked {
                chunks: 1,
                size: 11,
            },
            recipients: vec!["intake-minusca".into()],
        };
        store
            .add_envelopes(&old, &[attachment], date!(2025 - 01 - 01), None)
            .await
            .unwrap();
        let assigned = entry("intake-minusca", "assign", &old);
        store
            .assign(
                &old,
                &["inv-a".into()],
                &[],
                date!(2025 - 01 - 02),
                &assigned,
            )
            .await
            .unwrap();
        for (id, closed_at) in [
            (&old, "2025-01-10T00:00:00Z"),
            (&recent, "2026-11-01T00:00:00Z"),
        ] {
            let mut e = entry("intake-minusca", "status", id);
            e.at = closed_at.into();
            assert!(
                store
                    .set_status(id, Status::Received, Status::Acknowledged, &e)
                    .await
                    .unwrap()
            );
            assert!(
                store
                    .set_status(id, Status::Acknowledged, Status::Closed, &e)
                    .await
                    .unwrap()
            );
        }
        let envelope = store.envelopes_of_case(&old).await.unwrap()[0].id.clone();
        assert_eq!(store.purge_closed(date!(2025 - 11 - 27)).await.unwrap(), 1);
        assert!(store.case(&old).await.unwrap().is_none());
        assert!(
            store
                .find_case(&Verifier([11; 32]))
                .await
                .unwrap()
                .is_none(),
            "its token finds nothing"
        );
        assert!(store.envelope(&envelope).await.unwrap().is_none());
        assert!(store.envelope(&file).await.unwrap().is_none());
        assert!(
            store.envelope_chunk(&file, 0).await.is_err(),
            "the file's pieces are gone"
        );
        assert!(
            store.cases_assigned_to("inv-a").await.unwrap().is_empty(),
            "so is the assignment"
        );
        assert!(store.case(&recent).await.unwrap().is_some());
        assert!(store.case(&open).await.unwrap().is_some());
        assert_eq!(
            store.purged_counts().await.unwrap(),
            vec![(
                "minusca".to_string(),
                "2026-11".to_string(),
                "closed".to_string(),
                1
            )]
        );
        assert_eq!(
            store.purge_closed(date!(2025 - 11 - 27)).await.unwrap(),
            0,
            "nothing twice"
        );
        assert_eq!(
            verify(store.audit_records().await.unwrap()),
            Ok(5),
            "the audit chain is untouched"
        );
        // A later purge of a case of the same entity and month adds to the same count.
        assert_eq!(store.purge_closed(date!(2026 - 11 - 27)).await.unwrap(), 1);
        assert_eq!(
            store.purged_counts().await.unwrap(),
            vec![(
                "minusca".to_string(),
                "2026-11".to_string(),
                "closed".to_string(),
                2
            )]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reports_with_the_same_new_lookup_key_at_once_store_one() {
    on_both(|store| async move {
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .create_case(NewCase {
                        entity: "minusca",
                        verifier: &Verifier([99; 32]),
                        reply_recipient: "age1reply".into(),
                        envelopes: vec![envelope(
                            EnvelopeKind::Report,
                            b"same key",
                            &["intake-minusca"],
                        )],
                        today: date!(2026 - 11 - 27),
                    })
                    .await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::LookupTaken) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(store.cases_of_entity("minusca").await.unwrap().len(), 1);
        assert_eq!(
            store
                .envelopes_of_case(
                    &store
                        .find_case(&Verifier([99; 32]))
                        .await
                        .unwrap()
                        .unwrap()
                        .id
                )
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn classifications_notifications_consents_and_referrals_round_trip_and_go_with_their_case() {
    use confide::allegation::{
        AllegationType, Classification, Implicated, PersonnelCategory, Victims,
    };
    use confide::assistance::{Audience, ConsentPurpose, ReferralState, Service};
    use confide::notification::NationalAction;
    use confide::store::ReferralRecord;
    on_both(|store| async move {
        let case = new_case(&store, 31).await;
        let other = new_case(&store, 32).await;
        let classification = Classification {
            allegation: AllegationType::SexualAbuse,
            implicated: vec![
                Implicated {
                    category: PersonnelCategory::MilitaryContingent,
                    member_state: Some("XAA".into()),
                },
                Implicated {
                    category: PersonnelCategory::StaffMember,
                    member_state: None,
                },
            ],
            victims: Victims {
                adult: 0,
                child: 2,
                unknown_age: 1,
            },
        }
        .checked()
        .unwrap();
        let classify = entry("intake-minusca", "classify", &case);
        store
            .classify(&case, &classification, &classify)
            .await
            .unwrap();
        // Classifying again replaces, never adds.
        store
            .classify(&case, &classification, &classify)
            .await
            .unwrap();
        assert_eq!(
            store.classification(&case).await.unwrap(),
            Some(classification.clone())
        );
        assert_eq!(store.classification(&other).await.unwrap(), None);

        let sealed = envelope(
            EnvelopeKind::Notification,
            b"sealed notification",
            &["member-state-focal-point", "intake-minusca"],
        );
        let notify = entry("intake-minusca", "notify", &case);
        let id = store
            .notify(&case, "XAA", false, &sealed, date!(2026 - 11 - 27), &notify)
            .await
            .unwrap();
        let ack = entry(
            "member-state-focal-point",
            "acknowledge-notification",
            &case,
        );
        assert!(store.acknowledge_notification(&id, &ack).await.unwrap());
        assert!(!store.acknowledge_notification(&id, &ack).await.unwrap());
        let n = store.notification(&id).await.unwrap().unwrap();
        let details = envelope(
            EnvelopeKind::NationalAction,
            b"sealed details",
            &["intake-minusca"],
        );
        store
            .add_national_action(
                &n,
                NationalAction::InvestigationOpened,
                Some(&details),
                date!(2026 - 11 - 28),
                &entry("member-state-focal-point", "national-action", &case),
            )
            .await
            .unwrap();
        let listed = store.notifications_to("XAA").await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].acknowledged_at.as_deref(),
            Some("2026-11-27T10:00:00Z")
        );
        assert_eq!(
            listed[0].actions[0].action,
            NationalAction::InvestigationOpened
        );
        assert_eq!(
            listed[0].actions[0].envelope_id.as_deref(),
            Some(details.id.as_str())
        );
        assert!(store.notifications_to("XBB").await.unwrap().is_empty());

        for given in [true, false] {
            store
                .set_consent(
                    &case,
                    ConsentPurpose::ShareIdentity,
                    Audience::MemberState,
                    given,
                    date!(2026 - 11 - 27),
                    &entry("assistance-minusca", "consent", &case),
                )
                .await
                .unwrap();
        }
        let consents = store.consents(&case).await.unwrap();
        assert_eq!(
            consents.len(),
            1,
            "the latest answer replaces the earlier one"
        );
        assert!(!consents[0].given);

        let referral = ReferralRecord {
            id: random_id(),
            case_id: case.clone(),
            service: Service::Medical,
            provider: "clinic-1".into(),
            state: ReferralState::Offered,
            referred_on: date!(2026 - 11 - 27),
            answered_on: None,
            delivered_on: None,
            followed_up_on: None,
            closed_on: None,
        };
        store
            .add_referral(&referral, &entry("assistance-minusca", "refer", &case))
            .await
            .unwrap();
        let day = date!(2026 - 11 - 29);
        assert!(
            store
                .move_referral(
                    &referral.id,
                    ReferralState::Offered,
                    ReferralState::Accepted,
                    day,
                    None
                )
                .await
                .unwrap()
        );
        assert!(
            !store
                .move_referral(
                    &referral.id,
                    ReferralState::Offered,
                    ReferralState::Declined,
                    day,
                    None
                )
                .await
                .unwrap(),
            "a move from a state the referral has left changes nothing"
        );
        let stored = store.referral(&referral.id).await.unwrap().unwrap();
        assert_eq!(stored.state, ReferralState::Accepted);
        assert_eq!(stored.answered_on, Some(day));

        let facts = store.case_facts().await.unwrap();
        let mine = facts.iter().find(|f| f.case.id == case).unwrap();
        assert_eq!(mine.classification, Some(classification));
        assert_eq!(mine.notifications.len(), 1);
        assert_eq!(mine.referrals.len(), 1);
        assert!(
            facts
                .iter()
                .find(|f| f.case.id == other)
                .unwrap()
                .classification
                .is_none()
        );
        // Staff actions are chained; the reporter's answer (no audit entry) is not.
        let chain = store.audit_records().await.unwrap();
        assert_eq!(verify(chain.clone()).unwrap(), chain.len());
        assert_eq!(chain.iter().filter(|r| r.case_id == case).count(), 8);

        // Closing and purging the case takes all of it.
        for (from, to) in [
            (Status::Received, Status::Acknowledged),
            (Status::Acknowledged, Status::Closed),
        ] {
            store
                .set_status(&case, from, to, &entry("intake-minusca", "status", &case))
                .await
                .unwrap();
        }
        assert_eq!(store.purge_closed(date!(2100 - 01 - 01)).await.unwrap(), 1);
        assert!(store.notifications_to("XAA").await.unwrap().is_empty());
        assert!(store.referral(&referral.id).await.unwrap().is_none());
        assert_eq!(store.classification(&case).await.unwrap(), None);
        assert!(store.consents(&case).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_revocation_is_seen_by_every_reader_and_lists_what_was_sealed_to_the_member() {
    on_both(|store| async move {
        let id = new_case(&store, 40).await;
        let print = [7u8; 32];
        assert!(!store.is_revoked(&print).await.unwrap());
        let mut audit = entry("administrator", "revoke", "");
        audit.detail = "intake-minusca".into();
        store
            .revoke("intake-minusca", &print, "age1old", &audit)
            .await
            .unwrap();
        // Twice is the same as once.
        store
            .revoke("intake-minusca", &print, "age1old", &audit)
            .await
            .unwrap();
        assert!(store.is_revoked(&print).await.unwrap());
        assert!(!store.is_revoked(&[8u8; 32]).await.unwrap());
        let revoked = store.revocations().await.unwrap();
        assert!(revoked.fingerprints.contains(&print));
        assert!(revoked.recipients.contains("age1old"));
        let sealed = store.envelopes_sealed_to("intake-minusca").await.unwrap();
        assert_eq!(sealed.len(), 1);
        assert_eq!(sealed[0].case_id, id);
        assert_eq!(sealed[0].kind, "report");
        assert!(store.envelopes_sealed_to("inv-a").await.unwrap().is_empty());
        let chain = store.audit_records().await.unwrap();
        assert_eq!(chain.last().unwrap().action, "revoke");
        verify(chain).unwrap();
    })
    .await;
}

#[tokio::test]
async fn the_outbox_holds_what_the_reporter_sent_to_forwarding_entities_until_it_is_delivered() {
    on_both(|store| async move {
        let before = new_case(&store, 50).await;
        store
            .add_forward_targets(&["minusca".to_string()])
            .await
            .unwrap();
        let id = new_case(&store, 51).await;
        // Only what arrives after forwarding began, and only the reporter's envelopes.
        let waiting = store.waiting("minusca", "", 10).await.unwrap();
        assert_eq!(waiting.len(), 1);
        let meta = store.envelope(&waiting[0]).await.unwrap().unwrap();
        assert_eq!(meta.case_id, id);
        assert_ne!(meta.case_id, before);
        assert_eq!(store.outbox_depth().await.unwrap(), 1);

        // One gateway holds the entity at a time, until its lease ends or it gives it back;
        // an expired lease taken over is not given back by its former holder.
        assert!(store.claim_forwarding("minusca", 1000, 1300).await.unwrap());
        assert!(!store.claim_forwarding("minusca", 1001, 1301).await.unwrap());
        assert!(store.claim_forwarding("minusca", 1300, 1600).await.unwrap());
        store.release_forwarding("minusca", 1300).await.unwrap();
        assert!(!store.claim_forwarding("minusca", 1400, 1700).await.unwrap());
        store.release_forwarding("minusca", 1600).await.unwrap();
        assert!(store.claim_forwarding("minusca", 1401, 1701).await.unwrap());

        store.delivered(&waiting[0]).await.unwrap();
        assert_eq!(store.outbox_depth().await.unwrap(), 0);

        // A gateway with an older configuration removes nothing.
        store.add_forward_targets(&[]).await.unwrap();
        new_case(&store, 52).await;
        assert_eq!(store.outbox_depth().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_cover_write_is_stored_and_changes_nothing_a_case_or_the_audit_holds() {
    on_both(|store| async move {
        let id = new_case(&store, 9).await;
        let audit = store.audit_records().await.unwrap().len();
        for _ in 0..3 {
            store.cover_write().await.unwrap();
        }
        assert_eq!(store.case(&id).await.unwrap().unwrap().id, id);
        assert_eq!(store.cases_of_entity("minusca").await.unwrap().len(), 1);
        assert_eq!(store.audit_records().await.unwrap().len(), audit);
    })
    .await;
}
