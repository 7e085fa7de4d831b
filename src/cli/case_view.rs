//! `confide staff case ID`: one case in one place. The server answers what it keeps (one
//! [`CaseView`], one audit record); the staff documents sealed to the caller (replies, notes,
//! notifications) are opened here, in memory, for who wrote them, when, and their first line.
//! The reporter's report, messages and files are listed, not opened: `pull` writes them.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::conversation;
use super::output::human;
use super::staff::{checked_id, open, short};
use super::staff_client::Client;
use crate::cases::EnvelopeKind;
use crate::staff_api::{CaseAssistance, CaseView, EnvelopeMeta};
use crate::store::day_format;

/// Staff documents larger than this are not opened for the view (they are pulled).
const OPEN_UP_TO: u64 = 256 * 1024;

/// One item of the timeline, as `--json` gives it.
#[derive(Serialize)]
struct Item {
    envelope: String,
    kind: EnvelopeKind,
    /// The day the server keeps (the reporter's items have no finer time).
    on: String,
    size: u64,
    /// For staff documents opened here: who, when, where in the case, what it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// Whether an earlier pull into `--out` holds it (absent without `--out`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pulled: Option<bool>,
}

/// Kinds opened for the view: the documents staff post through their own routes. Copies made
/// on assignment are not: a copy of a reporter's message is indistinguishable from a copy of a
/// reply, and a reporter can write anything in a message, "author" included, so a copy is never
/// shown as written by someone (the new assignee pulls it to read it).
fn is_staff_document(kind: EnvelopeKind) -> bool {
    matches!(
        kind,
        EnvelopeKind::Reply
            | EnvelopeKind::InternalNote
            | EnvelopeKind::AssistanceNote
            | EnvelopeKind::Notification
            | EnvelopeKind::NationalAction
    )
}

pub async fn show(
    client: &Client,
    case: &str,
    out: Option<&Path>,
    identities: impl FnOnce() -> Result<Vec<Box<dyn age::Identity + Send + Sync>>>,
) -> Result<()> {
    let view: CaseView = match client
        .json(&format!("/api/v1/staff/cases/{case}/view"))
        .await
    {
        Ok(view) => view,
        // An assistance officer sees no case file: their part of the case is its assistance.
        Err(refused) => match client
            .json::<CaseAssistance>(&format!("/api/v1/staff/cases/{case}/assistance"))
            .await
        {
            Ok(assistance) if assistance.referrals.is_some() => {
                super::casework::print_assistance(case, &assistance);
                super::output::emit(serde_json::json!({ "assistance": assistance }));
                return Ok(());
            }
            _ => return Err(refused),
        },
    };
    let wanted = view
        .envelopes
        .iter()
        .any(|e| is_staff_document(e.kind) && e.size <= OPEN_UP_TO);
    // Without an identity the view still shows what the server keeps.
    let (keys, no_keys) = match wanted {
        true => match identities() {
            Ok(keys) => (keys, None),
            Err(e) => (Vec::new(), Some(e)),
        },
        false => (Vec::new(), None),
    };
    let mut timeline = Vec::with_capacity(view.envelopes.len());
    for envelope in &view.envelopes {
        if envelope.case_id != case {
            anyhow::bail!("the server listed an envelope of another case; stopping");
        }
        timeline.push(item(client, case, envelope, &keys, out).await?);
    }
    timeline.sort_by(|a, b| (&a.on, rank(a)).cmp(&(&b.on, rank(b))));
    print(&view, &timeline);
    if let Some(e) = no_keys {
        human!("(replies and notes were not opened: {e:#})");
    }
    super::output::emit(serde_json::json!({ "view": view, "timeline": timeline }));
    Ok(())
}

async fn item(
    client: &Client,
    case: &str,
    envelope: &EnvelopeMeta,
    keys: &[Box<dyn age::Identity + Send + Sync>],
    out: Option<&Path>,
) -> Result<Item> {
    let id = checked_id(&envelope.id, "envelope")?;
    let mut item = Item {
        envelope: id.to_string(),
        kind: envelope.kind,
        on: day_format::to_text(envelope.created_on),
        size: envelope.size,
        author: None,
        at: None,
        seq: None,
        answers: None,
        text: None,
        // The folder is named by the case asked for, not by what the server says.
        pulled: out.map(|out| {
            out.join(case)
                .join(format!(
                    "{}.age",
                    super::folder::CaseFolder::stem(Some(envelope.kind), id)
                ))
                .exists()
        }),
    };
    if keys.is_empty() || !is_staff_document(envelope.kind) || envelope.size > OPEN_UP_TO {
        return Ok(item);
    }
    let body = client
        .bytes(&format!("/api/v1/staff/envelopes/{id}"))
        .await?;
    if let Some(plain) = open(&body, keys)?
        && let Some(read) = conversation::read(&plain, keys)
    {
        item.author = read.author;
        item.at = read.document.at.clone();
        item.seq = read.document.seq;
        item.answers = read.document.answers.clone();
        item.text = Some(read.document.text.clone());
    }
    Ok(item)
}

/// The order within a day. The server keeps only the day of each envelope (of the reporter's,
/// nothing finer exists): the report, then files, then the reporter's messages, then what staff
/// wrote, in the order their documents say they were written.
fn rank(item: &Item) -> (u8, u32, String) {
    let first = match item.kind {
        EnvelopeKind::Report => 0,
        EnvelopeKind::Attachment => 1,
        EnvelopeKind::Message => 2,
        _ => 3,
    };
    (
        first,
        item.seq.unwrap_or(u32::MAX),
        item.at.clone().unwrap_or_default(),
    )
}

fn print(view: &CaseView, timeline: &[Item]) {
    let case = &view.case;
    human!(
        "case {}  {}  received {}",
        case.id,
        case.entity,
        day_format::to_text(case.received_on)
    );
    let next: Vec<&str> = view.next.iter().map(|s| s.code()).collect();
    human!(
        "status: {}{}  next: {}",
        case.status.code(),
        case.status_changed_at
            .as_deref()
            .map(|at| format!(" (since {at})"))
            .unwrap_or_default(),
        if next.is_empty() {
            "nothing (closed)".to_string()
        } else {
            next.join(", ")
        }
    );
    human!(
        "assigned: {}",
        if case.assignees.is_empty() {
            "nobody".to_string()
        } else {
            case.assignees.join(", ")
        }
    );
    match &view.classification {
        None => human!("classification: not yet (`confide staff classify`)"),
        Some(c) => {
            let implicated: Vec<String> = c
                .implicated
                .iter()
                .map(|g| match &g.member_state {
                    Some(state) => format!("{}:{state}", g.category.code()),
                    None => g.category.code().to_string(),
                })
                .collect();
            human!(
                "classification: {}; implicated {}; victims {} adult, {} child, {} unknown age",
                c.allegation.code(),
                if implicated.is_empty() {
                    "-".to_string()
                } else {
                    implicated.join(", ")
                },
                c.victims.adult,
                c.victims.child,
                c.victims.unknown_age
            );
        }
    }
    if view.deadlines.is_empty() {
        human!("deadlines: none open");
    } else {
        human!("deadlines:");
    }
    for d in &view.deadlines {
        human!(
            "  {}  {:<5} {}{}",
            day_format::to_text(d.due.due_on),
            if d.due.overdue { "LATE" } else { "" },
            d.due.deadline.code(),
            d.member_state
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        );
    }
    human!("timeline ({} sealed to you):", timeline.len());
    for item in timeline {
        let when = item.at.clone().unwrap_or_else(|| item.on.clone());
        let by = item
            .author
            .as_deref()
            .map(|a| format!(" by {a}"))
            .unwrap_or_default();
        let first = item
            .text
            .as_deref()
            .and_then(|t| t.lines().find(|l| !l.trim().is_empty()))
            .map(|l| {
                let l = printable(l.trim());
                let l = l.as_str();
                match l.char_indices().nth(72) {
                    Some((cut, _)) => format!(": \"{}…\"", &l[..cut]),
                    None => format!(": \"{l}\""),
                }
            })
            .unwrap_or_default();
        let kind = item.kind.code();
        let pulled = match item.pulled {
            Some(false) => "  NEW",
            _ => "",
        };
        human!(
            "  {:<20}  {:<15}  {}  {:>9}{by}{first}{pulled}",
            when,
            kind,
            short(&item.envelope),
            size(item.size)
        );
    }
    if view.notifications.is_empty() {
        human!("notifications: none");
    } else {
        human!("notifications:");
    }
    for n in &view.notifications {
        let actions: Vec<&str> = n.actions.iter().map(|a| a.action.code()).collect();
        human!(
            "  {}  {}  notified {}  acknowledged {}  national action: {}",
            short(&n.id),
            n.member_state,
            n.notified_at,
            n.acknowledged_at.as_deref().unwrap_or("not yet"),
            if actions.is_empty() {
                "-".to_string()
            } else {
                actions.join(", ")
            }
        );
    }
    if view.consents.is_empty() {
        human!("consents: none recorded");
    } else {
        human!("consents:");
    }
    for c in &view.consents {
        human!(
            "  {} with {}: {} ({})",
            c.purpose.code(),
            c.audience.code(),
            if c.given { "given" } else { "refused" },
            day_format::to_text(c.recorded_on)
        );
    }
}

/// Text written by others, safe to print on a terminal: control characters (escape sequences
/// that could move the cursor or rewrite the screen) become spaces.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A size as people read it.
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
