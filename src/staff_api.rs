//! The staff API's contract: one type for each request the staff listener takes and each answer
//! it gives. The handlers deserialize the requests and serialize the answers with these types,
//! and every client (the CLI, the desk) does the opposite with the same ones, so that a renamed
//! or retyped field breaks the build of both sides instead of printing blanks. Closed
//! vocabularies are their enums (a role is a [`Role`], a status a [`Status`]), never strings.
//!
//! Records the store already shapes for the wire (cases, envelopes, notifications, consents,
//! referrals, the classification, audit records) are named here as they are, so that this
//! module is the one list of what staff exchange with the server; `docs/openapi.yaml` describes
//! the same shapes, and `tests/openapi.rs` checks that every route is in it.

use serde::{Deserialize, Serialize};

pub use crate::allegation::Classification;
pub use crate::assistance::{Audience, ConsentPurpose, ReferralState, Service};
pub use crate::audit::AuditRecord;
pub use crate::cases::{EnvelopeKind, Status};
pub use crate::deadlines::Due;
pub use crate::keyring::{Entity, Role};
pub use crate::notification::NationalAction;
pub use crate::store::{
    CaseRecord, ConsentRecord, EnvelopeMeta, NationalActionRecord, NotificationRecord,
    ReferralRecord,
};

// ---- Requests --------------------------------------------------------------------------------

/// `POST /api/v1/staff/cases/{id}/assignment`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Keyring names of the investigators; empty to unassign everyone.
    pub assignees: Vec<String>,
    /// The case's envelopes re-sealed to the assignees and the entity's intake officers
    /// (base64).
    #[serde(default)]
    pub copies: Vec<String>,
    /// Larger re-sealed copies, streamed first to `/api/v1/staff/uploads`.
    #[serde(default)]
    pub uploads: Vec<String>,
}

/// A sealed document for the case: a reply (`…/replies`) or a note on assistance
/// (`…/assistance-notes`).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeRequest {
    /// Base64 of an age file sealed as the route's `seal-to` (or, for replies, the case) says.
    pub envelope: String,
}

/// `POST /api/v1/staff/cases/{id}/status`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: Status,
}

/// `POST /api/v1/staff/cases/{id}/consents`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub purpose: ConsentPurpose,
    pub audience: Audience,
    pub given: bool,
}

/// `POST /api/v1/staff/cases/{id}/referrals`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferRequest {
    pub service: Service,
    /// The organisation's code for the provider, never a person's name.
    pub provider: String,
}

/// `POST /api/v1/staff/referrals/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub state: ReferralState,
}

/// `POST /api/v1/staff/cases/{id}/notifications`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRequest {
    pub member_state: String,
    /// Whether the sealed notification names the victim; refused without their recorded
    /// consent to share their identity with the Member State.
    #[serde(default)]
    pub identity_shared: bool,
    /// Base64 of an age file sealed to the focal points and the case's staff (see `seal-to`).
    pub envelope: String,
}

/// `POST /api/v1/staff/notifications/{id}/actions`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: NationalAction,
    /// Optional details, base64 of an age file sealed as `seal-to` says.
    #[serde(default)]
    pub envelope: Option<String>,
}

/// `POST /api/v1/staff/envelopes/{id}/reseal`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResealRequest {
    /// The envelope sealed again, base64 (up to the staff body limit)...
    #[serde(default)]
    pub body: Option<String>,
    /// ...or a finished upload holding it.
    #[serde(default)]
    pub upload: Option<String>,
    /// Who it is now sealed to: the envelope's recipients, less any no longer in the keyring.
    pub recipients: Vec<String>,
}

// ---- Answers ---------------------------------------------------------------------------------

/// What was made: a reply, a note, a national action (201).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Created {
    pub id: String,
}

/// A file streamed in before the request that names it (201).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Uploaded {
    pub upload: String,
}

/// The case's assignees after an assignment, and how many re-sealed copies were stored.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assigned {
    pub assignees: Vec<String>,
    pub copies: usize,
}

/// The case's status after a change.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusChanged {
    pub status: Status,
}

/// A case's classification; `None` until someone classifies it.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClassificationAnswer {
    pub classification: Option<Classification>,
}

/// A case's consents, after one is recorded.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consents {
    pub consents: Vec<ConsentRecord>,
}

/// A notification sent: its id and the envelope that holds what was shared.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Notified {
    pub id: String,
    pub envelope_id: String,
}

/// A notification acknowledged by its Member State's focal point.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Acknowledged {
    pub acknowledged: bool,
}

/// Who a document must be sealed to (`…/seal-to`): the client checks each against the signed
/// keyring before sealing.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SealTo {
    pub seal_to: Vec<SealToMember>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SealToMember {
    pub name: String,
    /// An age X25519 recipient (`age1…`).
    pub recipient: String,
}

/// `GET /api/v1/staff/keyring`: the keyring the gateway holds now, and the organisation-signed
/// document it came from, which is what a client trusts.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Keyring {
    pub entities: Vec<Entity>,
    pub staff: Vec<Member>,
    pub signed: Option<Signed>,
}

/// A staff member as a client needs them: to seal to them and to know what they may do. The
/// signed keyring document holds the same fields (and more, which clients ignore).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Member {
    pub name: String,
    pub role: Role,
    pub entities: Vec<String>,
    #[serde(default)]
    pub member_state: Option<String>,
    /// An age X25519 recipient (`age1…`).
    pub recipient: String,
}

impl Member {
    /// Intake officers and investigators of `entity`: who may be among a case's staff.
    pub fn works_cases_of(&self, entity: &str) -> bool {
        matches!(self.role, Role::Intake | Role::Investigator)
            && self.entities.iter().any(|e| e == entity)
    }

    /// A focal point of `member_state`.
    pub fn is_focal_point_of(&self, member_state: &str) -> bool {
        self.role == Role::MemberState && self.member_state.as_deref() == Some(member_state)
    }
}

/// The keyring document and the organisation's signature over it (base64).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Signed {
    pub document: String,
    pub signature: String,
}

/// The part of the signed keyring document a client reads.
#[derive(Clone, Debug, Deserialize)]
pub struct SignedDocument {
    /// Raised at every signing; a client refuses a keyring older than one it has seen.
    #[serde(default)]
    pub serial: u64,
    pub staff: Vec<SignedMember>,
}

/// A member as the organisation signed them, with their certificate's fingerprint, by which a
/// client knows which member it is.
#[derive(Clone, Debug, Deserialize)]
pub struct SignedMember {
    #[serde(flatten)]
    pub member: Member,
    /// Lowercase hex SHA-256 of the DER of their client certificate.
    pub certificate_sha256: String,
}

/// What staff seal: a reply (for the reporter and the case's staff), an internal note (the
/// case's staff), a note on assistance (assistance officers), a notification or details of
/// national action (focal points and the case's staff). The server sees none of it: who wrote
/// it, when, and what it answers travel inside the envelope. Readers ignore fields they do not
/// know, so documents of earlier versions (text only) still read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffDocument {
    /// `confide-reply/2`, `confide-internal-note/1`, `confide-assistance-note/2`,
    /// `confide-notification/2` or `confide-national-action/2` (the `/1` versions carry text
    /// only).
    pub format: String,
    pub text: String,
    /// When it was written, RFC 3339 UTC, by the writer's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Its place in the case as the writer saw it: the number of envelopes they could see,
    /// plus one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// The envelope it answers, if any (for a reply, the reporter's newest report or message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<String>,
    /// The writer's keyring name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// In a reply, which the reporter opens too, none of the four fields above is in clear:
    /// they are sealed again to the case's staff only (base64 of an age file holding a
    /// [`StaffOnly`], padded), so that the reporter learns neither who wrote to them nor
    /// anything of the case's file (how many envelopes it holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_only: Option<String>,
}

/// What a reply's `staff_only` envelope holds: the fields a reply leaves out.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffOnly {
    pub author: String,
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub seq: Option<u32>,
    #[serde(default)]
    pub answers: Option<String>,
}

/// `GET /api/v1/staff/overdue`: one deadline of one case that is late or due soon.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OverdueRow {
    pub entity: String,
    pub case_id: String,
    pub status: Status,
    /// For Member State deadlines: which Member State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_state: Option<String>,
    #[serde(flatten)]
    pub due: Due,
}

/// `GET /api/v1/staff/cases`: a case with what a list needs to sort and mark it. The case's own
/// fields come first, flattened, so a reader of a [`CaseRecord`] reads a listing too.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseListing {
    #[serde(flatten)]
    pub case: CaseRecord,
    /// The day of the newest envelope sealed to the caller (the day received if none).
    #[serde(with = "crate::store::day_format")]
    #[schemars(with = "String")]
    pub last_activity_on: crate::store::Day,
    /// Envelopes sealed to the caller, and of them the reporter's messages and files.
    pub envelopes: usize,
    pub messages: usize,
    pub files: usize,
}

/// `GET /api/v1/staff/cases/{id}/view`: everything the case's staff may see of one case, in one
/// answer (one audit record): what a case view or a desk page draws.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseView {
    pub case: CaseRecord,
    /// The statuses the case may move to now.
    pub next: Vec<Status>,
    /// Every open deadline of the case and of each Member State concerned, soonest first.
    pub deadlines: Vec<OverdueRow>,
    pub classification: Option<Classification>,
    /// The envelopes sealed to the caller, oldest first: the case's timeline.
    pub envelopes: Vec<EnvelopeMeta>,
    pub notifications: Vec<NotificationRecord>,
    pub consents: Vec<ConsentRecord>,
}

/// `GET /api/v1/staff/sync`: in one answer, what a desk needs to bring its sealed copy of the
/// caller's cases up to date: the cases, every envelope of them sealed to the caller (metadata
/// only: the desk downloads the bodies it does not hold yet), and their open deadlines.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncAnswer {
    pub cases: Vec<CaseListing>,
    pub envelopes: Vec<EnvelopeMeta>,
    pub deadlines: Vec<OverdueRow>,
}

/// `POST /api/v1/staff/cases/{id}/exports`: an evidence export a desk made, for the audit
/// chain. What it holds is known to the exporter alone; the record names who exported, when,
/// for whom, how many items, and the SHA-256 of the sealed file, so that a file found later can
/// be matched to its export.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The keyring name of the member the export is sealed to.
    pub recipient: String,
    pub items: u32,
    /// SHA-256 of the sealed export file, 64 lowercase hex digits.
    pub sha256: String,
}

/// An export as the audit chain recorded it.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExportRecorded {
    pub recorded_at: String,
}

/// `GET /api/v1/staff/assistance`: a case of an assistance officer's entity.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssistanceCase {
    pub id: String,
    pub entity: String,
    pub status: Status,
    #[serde(with = "crate::store::day_format")]
    #[schemars(with = "String")]
    pub received_on: crate::store::Day,
    pub open_referrals: usize,
}

/// `GET /api/v1/staff/cases/{id}/assistance`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseAssistance {
    pub consents: Vec<ConsentRecord>,
    /// Absent for the case's staff, who see consents only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrals: Option<Vec<ReferralRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<EnvelopeMeta>>,
}

/// `GET /api/v1/staff/sealed-to-me`: an envelope sealed to the caller, with who else it is
/// sealed to, so that it can be sealed again to the same people.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SealedToMe {
    pub id: String,
    pub case_id: String,
    pub kind: EnvelopeKind,
    pub size: u64,
    pub recipients: Vec<String>,
    /// The reporter's reply key, where the reporter is one of the recipients.
    pub reply_recipient: Option<String>,
}

/// An envelope sealed again during a key rotation.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Resealed {
    pub resealed: String,
    pub recipients: Vec<String>,
}

/// Every refusal and failure, on both listeners: a stable code and a sentence that says what to
/// do. The message never repeats what was sent.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorAnswer {
    pub error: ErrorBody,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of every type above, as components
/// (`#/components/schemas/…`),
/// by name. `docs/openapi.yaml` holds exactly these (`tests/openapi.rs` checks it and rewrites
/// them with `CONFIDE_BLESS=1`), so the description cannot drift from the types.
pub fn schemas() -> serde_json::Map<String, serde_json::Value> {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    macro_rules! each {
        ($($t:ty),+ $(,)?) => { $( generator.subschema_for::<$t>(); )+ };
    }
    each!(
        AssignRequest,
        EnvelopeRequest,
        StatusRequest,
        ConsentRequest,
        ReferRequest,
        MoveRequest,
        NotifyRequest,
        ActionRequest,
        ResealRequest,
        Classification,
        Created,
        Uploaded,
        Assigned,
        StatusChanged,
        ClassificationAnswer,
        Consents,
        Notified,
        Acknowledged,
        SealTo,
        Keyring,
        OverdueRow,
        AssistanceCase,
        CaseAssistance,
        SealedToMe,
        Resealed,
        CaseRecord,
        CaseListing,
        CaseView,
        SyncAnswer,
        ExportRequest,
        ExportRecorded,
        EnvelopeMeta,
        NotificationRecord,
        ReferralRecord,
        AuditRecord,
        ErrorAnswer,
    );
    generator.take_definitions(true).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client reads is what the server wrote, for a type whose fields are all typed.
    fn round_trips<T: Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
        let text = serde_json::to_string(value).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn an_overdue_row_reads_back_with_its_deadline_flattened_and_typed() {
        let row = OverdueRow {
            entity: "minusca".into(),
            case_id: "ab".repeat(16),
            status: Status::UnderInvestigation,
            member_state: Some("FRA".into()),
            due: Due {
                deadline: crate::deadlines::Deadline::NationalOutcome,
                due_on: time::macros::date!(2026 - 12 - 24),
                overdue: true,
            },
        };
        let text = serde_json::to_value(&row).unwrap();
        assert_eq!(text["deadline"], "national_outcome");
        assert_eq!(text["due_on"], "2026-12-24");
        let back = round_trips(&row);
        assert_eq!(back.due, row.due);
        assert_eq!(back.status, Status::UnderInvestigation);
    }

    #[test]
    fn a_member_of_the_signed_document_is_read_with_its_role_typed_and_its_fingerprint() {
        let document = r#"{"staff":[{"name":"fp-fra","role":"member_state","entities":[],
            "member_state":"FRA","recipient":"age1x","certificate_sha256":"00","extra":1}]}"#;
        let read: SignedDocument = serde_json::from_str(document).unwrap();
        let member = &read.staff[0].member;
        assert_eq!(member.role, Role::MemberState);
        assert!(member.is_focal_point_of("FRA"));
        assert!(!member.works_cases_of("minusca"));
        assert_eq!(read.staff[0].certificate_sha256, "00");
    }

    #[test]
    fn an_unknown_role_or_status_is_refused_naming_the_allowed_ones() {
        let role = r#"{"name":"a","role":"boss","entities":[],"recipient":"age1x"}"#;
        assert!(serde_json::from_str::<Member>(role).is_err());
        let error = serde_json::from_str::<StatusRequest>(r#"{"status":"done"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("use one of: received, acknowledged"),
            "{error}"
        );
        assert!(!error.contains("done"), "{error}");
    }
}
