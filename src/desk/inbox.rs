//! The desk's picture of the member's cases, built in memory after unlock from the sealed
//! envelopes kept on disk and the last sync's listing: each case's opened items, its summary
//! line and flags, what is unseen, the deadline that falls next, and the text a search looks
//! through. Pure: no I/O, no clock; dropped (and its text wiped) on lock.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::cases::EnvelopeKind;
use crate::staff_api::{CaseListing, EnvelopeMeta, OverdueRow, Status, SyncAnswer};
use crate::store::Day;

/// The report as the reporter's page or the server sealed it (`confide-report/2`); fields a
/// report left out are empty. Wiped when dropped.
// Each field defaults on its own: a default for the whole struct would be moved out of, which
// a type that wipes itself on drop cannot allow.
#[derive(Clone, Debug, Default, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Report {
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub submitted_on: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub when: When,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub perpetrator: Perpetrator,
    #[serde(default)]
    pub child_involved: String,
    #[serde(default)]
    pub safe_now: String,
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub share_with: Vec<String>,
}

impl Report {
    /// What the reporter wrote in their own words (the rest are codes): what a search reads.
    fn free_text(&self) -> [&str; 7] {
        [
            &self.description,
            &self.when.words,
            &self.place,
            &self.perpetrator.nationality,
            &self.perpetrator.unit,
            &self.perpetrator.description,
            &self.contact.how,
        ]
    }
}

#[derive(Clone, Debug, Default, Deserialize, Zeroize)]
#[serde(default)]
pub struct When {
    pub known: String,
    pub date: String,
    pub words: String,
}

#[derive(Clone, Debug, Default, Deserialize, Zeroize)]
#[serde(default)]
pub struct Perpetrator {
    pub category: String,
    pub nationality: String,
    pub unit: String,
    pub description: String,
}

#[derive(Clone, Debug, Default, Deserialize, Zeroize)]
#[serde(default)]
pub struct Contact {
    pub allowed: String,
    pub how: String,
}

/// What an envelope held, as far as the desk could open it.
#[derive(Clone, Debug)]
pub enum Content {
    Report(Box<Report>),
    /// A reporter's follow-up message.
    Message(Zeroizing<String>),
    /// A document staff wrote (reply, internal note, assistance note, notification, national
    /// action), with its author where it is sealed to this member.
    Staff {
        author: Option<String>,
        at: Option<String>,
        seq: Option<u32>,
        /// The reporter's item it answers.
        answers: Option<String>,
        text: Zeroizing<String>,
    },
    /// A file: what the reporter's device called it.
    File {
        name: Zeroizing<String>,
        media_type: String,
        size: u64,
    },
    /// Not sealed to this member's key, or not a document the desk reads.
    Closed,
}

/// One opened envelope.
#[derive(Clone, Debug)]
pub struct Item {
    pub meta: EnvelopeMeta,
    pub content: Content,
    /// A copy re-sealed on assignment: what it was a copy of is not told by the gateway, and a
    /// reporter may write anything in a message, so a copy is never shown as written by staff.
    pub copy: bool,
}

impl Item {
    /// Where the item falls in its case: by day (the gateway keeps nothing finer of what the
    /// reporter sends), then within the day: the report, its files, then the exchange. Staff
    /// documents carry their place (`seq`) and the reporter's item they answer; a reporter's
    /// message goes just before the first staff document that answers it, and, when none does,
    /// after that day's staff documents (any written after it would have answered it).
    fn rank(&self, answered_by: &BTreeMap<&str, u32>) -> (Day, u8, u64, String) {
        let day = self.meta.created_on;
        match &self.content {
            Content::Report(_) => (day, 0, 0, String::new()),
            Content::File { .. } => (day, 1, 0, String::new()),
            Content::Staff { seq, at, .. } if !self.copy => (
                day,
                2,
                u64::from(seq.unwrap_or(u32::MAX)) * 2,
                at.clone().unwrap_or_default(),
            ),
            Content::Message(_) if self.meta.kind == EnvelopeKind::Message => {
                match answered_by.get(self.meta.id.as_str()) {
                    Some(seq) => (day, 2, u64::from(*seq) * 2 - 1, String::new()),
                    None => (day, 2, u64::MAX, String::new()),
                }
            }
            _ => (day, 3, 0, String::new()),
        }
    }

    /// An upper bound of what [`Item::searchable`] writes, before lowercasing.
    fn searchable_len(&self) -> usize {
        let text = |s: &str| s.len() + 1;
        match &self.content {
            Content::Report(r) => r.free_text().iter().map(|s| text(s)).sum(),
            Content::Message(t) | Content::Staff { text: t, .. } => text(t),
            Content::File { name, .. } => text(name),
            Content::Closed => 0,
        }
    }

    /// The text of the item that a search looks through, lowercased into `into` character by
    /// character (no unwiped lowercase copy is made).
    fn searchable(&self, into: &mut String) {
        let mut add = |s: &str| {
            for c in s.chars() {
                into.extend(c.to_lowercase());
            }
            into.push('\n');
        };
        match &self.content {
            Content::Report(r) => {
                for s in r.free_text() {
                    add(s);
                }
            }
            Content::Message(text) | Content::Staff { text, .. } => add(text),
            Content::File { name, .. } => add(name),
            Content::Closed => {}
        }
    }
}

/// A flag the survivor gave in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    NotSafeNow,
    ChildInvolved,
    Needs,
    MayBeContacted,
}

impl Flag {
    pub const ALL: [Flag; 4] = [
        Flag::NotSafeNow,
        Flag::ChildInvolved,
        Flag::Needs,
        Flag::MayBeContacted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Flag::NotSafeNow => "not_safe",
            Flag::ChildInvolved => "child",
            Flag::Needs => "needs",
            Flag::MayBeContacted => "contact",
        }
    }

    pub fn from_code(code: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.code() == code)
    }

    fn of(report: &Report) -> BTreeSet<Flag> {
        let mut flags = BTreeSet::new();
        if report.safe_now == "no" {
            flags.insert(Flag::NotSafeNow);
        }
        if report.child_involved == "yes" {
            flags.insert(Flag::ChildInvolved);
        }
        if !report.needs.is_empty() {
            flags.insert(Flag::Needs);
        }
        if report.contact.allowed == "yes" {
            flags.insert(Flag::MayBeContacted);
        }
        flags
    }
}

/// One case of the inbox.
pub struct Case {
    pub listing: CaseListing,
    /// Every envelope sealed to the member, in the case's order.
    pub items: Vec<Item>,
    pub flags: BTreeSet<Flag>,
    /// With whom the survivor agreed their report be shared.
    pub share_with: Vec<String>,
    /// The first words of the report, for the row.
    pub summary: Zeroizing<String>,
    /// Open deadlines, soonest first.
    pub deadlines: Vec<OverdueRow>,
    pub unseen: usize,
    haystack: Zeroizing<String>,
}

impl Case {
    pub fn id(&self) -> &str {
        &self.listing.case.id
    }

    pub fn next_deadline(&self) -> Option<&OverdueRow> {
        self.deadlines.first()
    }

    pub fn late(&self) -> bool {
        self.deadlines.iter().any(|d| d.due.overdue)
    }

    pub fn report(&self) -> Option<&Report> {
        self.items.iter().find_map(|i| match &i.content {
            Content::Report(r) => Some(r.as_ref()),
            _ => None,
        })
    }

    /// Whether every word of `query` is in what the member can open of the case.
    pub fn matches(&self, query: &str) -> bool {
        Zeroizing::new(query.to_lowercase())
            .split_whitespace()
            .all(|word| self.haystack.contains(word) || self.listing.case.id.starts_with(word))
    }
}

/// The whole inbox.
pub struct Inbox {
    pub cases: Vec<Case>,
}

/// How the inbox is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// The most recently active first.
    #[default]
    Activity,
    /// The deadline that falls first, first; cases with none last.
    Deadline,
}

/// What the member asked the inbox to show.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub flag: Option<Flag>,
    pub entity: Option<String>,
    pub starred: bool,
    pub query: Zeroizing<String>,
    pub order: Order,
}

impl Inbox {
    /// Builds the inbox from the last sync and the opened envelopes (`opened`, by envelope id).
    pub fn build(
        synced: &SyncAnswer,
        mut opened: BTreeMap<String, (Content, bool)>,
        seen: &BTreeSet<String>,
    ) -> Inbox {
        let mut cases: Vec<Case> = synced
            .cases
            .iter()
            .map(|listing| {
                let items: Vec<Item> = synced
                    .envelopes
                    .iter()
                    .filter(|e| e.case_id == listing.case.id)
                    .map(|meta| {
                        let (content, copy) =
                            opened.remove(&meta.id).unwrap_or((Content::Closed, false));
                        Item {
                            meta: meta.clone(),
                            content,
                            copy,
                        }
                    })
                    .collect();
                // The reporter's items each staff document answers, with its place.
                let answered_by: BTreeMap<&str, u32> = items
                    .iter()
                    .filter(|i| !i.copy)
                    .filter_map(|i| match &i.content {
                        Content::Staff {
                            answers: Some(answers),
                            seq: Some(seq),
                            ..
                        } if i.meta.created_on
                            == items
                                .iter()
                                .find(|m| &m.meta.id == answers)
                                .map_or(i.meta.created_on, |m| m.meta.created_on) =>
                        {
                            Some((answers.as_str(), *seq))
                        }
                        _ => None,
                    })
                    .fold(BTreeMap::new(), |mut first, (id, seq)| {
                        let entry = first.entry(id).or_insert(seq);
                        *entry = (*entry).min(seq);
                        first
                    });
                let mut ranked: Vec<_> = items
                    .iter()
                    .map(|i| i.rank(&answered_by))
                    .zip(0..)
                    .collect();
                ranked.sort();
                let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
                let items: Vec<Item> = ranked
                    .into_iter()
                    .filter_map(|(_, at)| slots[at].take())
                    .collect();
                // Sized once (lowercase can take up to three times the bytes), so that no
                // reallocation leaves an unwiped copy of the case's text behind.
                let bytes: usize = items.iter().map(Item::searchable_len).sum();
                let mut haystack = Zeroizing::new(String::with_capacity(3 * bytes + 16));
                for item in &items {
                    item.searchable(&mut haystack);
                }
                let report = items.iter().find_map(|i| match &i.content {
                    Content::Report(r) => Some(r.clone()),
                    _ => None,
                });
                let mut deadlines: Vec<OverdueRow> = synced
                    .deadlines
                    .iter()
                    .filter(|d| d.case_id == listing.case.id)
                    .cloned()
                    .collect();
                deadlines.sort_by_key(|d| d.due.due_on);
                Case {
                    unseen: items.iter().filter(|i| !seen.contains(&i.meta.id)).count(),
                    flags: report.as_deref().map(Flag::of).unwrap_or_default(),
                    share_with: report
                        .as_deref()
                        .map(|r| r.share_with.clone())
                        .unwrap_or_default(),
                    summary: report
                        .as_deref()
                        .map(|r| summary_of(&r.description))
                        .unwrap_or_default(),
                    listing: listing.clone(),
                    items,
                    deadlines,
                    haystack,
                }
            })
            .collect();
        cases.sort_by_key(|c| std::cmp::Reverse(c.listing.last_activity_on));
        Inbox { cases }
    }

    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id() == id)
    }

    /// Marks every item of a case as seen; returns their ids (to keep in the desk's state).
    pub fn see(&mut self, id: &str) -> Vec<String> {
        match self.cases.iter_mut().find(|c| c.id() == id) {
            Some(case) => {
                case.unseen = 0;
                case.items.iter().map(|i| i.meta.id.clone()).collect()
            }
            None => Vec::new(),
        }
    }

    /// The cases the filter lets through, in its order.
    pub fn shown(&self, filter: &Filter, stars: &BTreeSet<String>) -> Vec<&Case> {
        let mut shown: Vec<&Case> = self
            .cases
            .iter()
            .filter(|c| filter.status.is_none_or(|s| c.listing.case.status == s))
            .filter(|c| filter.flag.is_none_or(|f| c.flags.contains(&f)))
            .filter(|c| {
                filter
                    .entity
                    .as_deref()
                    .is_none_or(|e| c.listing.case.entity == e)
            })
            .filter(|c| !filter.starred || stars.contains(c.id()))
            .filter(|c| filter.query.trim().is_empty() || c.matches(&filter.query))
            .collect();
        match filter.order {
            Order::Activity => shown.sort_by(|a, b| {
                (b.listing.last_activity_on, a.id()).cmp(&(a.listing.last_activity_on, b.id()))
            }),
            Order::Deadline => shown.sort_by_key(|c| {
                (
                    c.next_deadline().map(|d| d.due.due_on).is_none(),
                    c.next_deadline().map(|d| d.due.due_on),
                    c.id().to_string(),
                )
            }),
        }
        shown
    }

    /// The entities of the member's cases, for the filter.
    pub fn entities(&self) -> BTreeSet<&str> {
        self.cases
            .iter()
            .map(|c| c.listing.case.entity.as_str())
            .collect()
    }
}

/// The first words of a description, on one line: at most 120 characters.
fn summary_of(description: &str) -> Zeroizing<String> {
    let line: String = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut summary = Zeroizing::new(String::with_capacity(124));
    for (n, c) in line.chars().enumerate() {
        if n == 120 {
            summary.push('…');
            break;
        }
        summary.push(c);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::Due;
    use crate::store::CaseRecord;

    fn day(d: u8) -> Day {
        time::Date::from_calendar_date(2027, time::Month::March, d).unwrap()
    }

    fn case(id: char, entity: &str, status: Status, active: u8) -> CaseListing {
        let record: CaseRecord = serde_json::from_value(serde_json::json!({
            "id": id.to_string().repeat(32),
            "entity": entity,
            "status": status.code(),
            "received_on": "2027-03-01",
            "reply_recipient": "age1x",
            "assignees": [],
        }))
        .unwrap();
        CaseListing {
            case: record,
            last_activity_on: day(active),
            envelopes: 1,
            messages: 0,
            files: 0,
        }
    }

    fn envelope(id: char, case: char, kind: EnvelopeKind) -> EnvelopeMeta {
        EnvelopeMeta {
            id: id.to_string().repeat(32),
            case_id: case.to_string().repeat(32),
            kind,
            created_on: day(2),
            size: 100,
            recipients: vec![],
            chunks: 0,
        }
    }

    fn report(description: &str, safe_now: &str, child: &str) -> Content {
        let mut report = Report::default();
        report.description = description.into();
        report.safe_now = safe_now.into();
        report.child_involved = child.into();
        Content::Report(Box::new(report))
    }

    fn inbox() -> Inbox {
        let synced = SyncAnswer {
            cases: vec![
                case('a', "MINUSCA", Status::Received, 3),
                case('b', "MONUSCO", Status::UnderInvestigation, 5),
            ],
            envelopes: vec![
                envelope('1', 'a', EnvelopeKind::Report),
                envelope('2', 'b', EnvelopeKind::Report),
                envelope('3', 'b', EnvelopeKind::Message),
            ],
            deadlines: vec![OverdueRow {
                entity: "MINUSCA".into(),
                case_id: "a".repeat(32),
                status: Status::Received,
                member_state: None,
                due: Due {
                    deadline: crate::deadlines::Deadline::Acknowledge,
                    due_on: day(4),
                    overdue: true,
                },
            }],
        };
        let mut opened = BTreeMap::new();
        opened.insert(
            "1".repeat(32),
            (report("At the water point, the Canary", "no", "yes"), false),
        );
        opened.insert(
            "2".repeat(32),
            (report("In the market", "yes", "no"), false),
        );
        opened.insert(
            "3".repeat(32),
            (
                Content::Message(Zeroizing::new("It was Tuesday".into())),
                false,
            ),
        );
        let seen: BTreeSet<String> = ["2".repeat(32)].into();
        Inbox::build(&synced, opened, &seen)
    }

    #[test]
    fn a_row_carries_the_survivors_flags_what_is_unseen_and_the_next_deadline() {
        let inbox = inbox();
        let a = inbox.case(&"a".repeat(32)).unwrap();
        assert_eq!(
            a.flags,
            [Flag::NotSafeNow, Flag::ChildInvolved]
                .into_iter()
                .collect()
        );
        assert_eq!(a.summary.as_str(), "At the water point, the Canary");
        assert!(a.late());
        assert_eq!(a.unseen, 1);
        let b = inbox.case(&"b".repeat(32)).unwrap();
        assert!(b.flags.is_empty());
        assert_eq!(b.unseen, 1, "the message is new, the report was seen");
        assert!(b.next_deadline().is_none());
    }

    #[test]
    fn the_inbox_sorts_by_activity_or_by_deadline_and_filters_by_what_was_asked() {
        let inbox = inbox();
        let ids = |filter: &Filter| -> Vec<char> {
            inbox
                .shown(filter, &BTreeSet::new())
                .iter()
                .map(|c| c.id().chars().next().unwrap())
                .collect()
        };
        assert_eq!(ids(&Filter::default()), ['b', 'a']);
        let by_deadline = Filter {
            order: Order::Deadline,
            ..Filter::default()
        };
        assert_eq!(ids(&by_deadline), ['a', 'b']);
        let not_safe = Filter {
            flag: Some(Flag::NotSafeNow),
            ..Filter::default()
        };
        assert_eq!(ids(&not_safe), ['a']);
        let status = Filter {
            status: Some(Status::UnderInvestigation),
            ..Filter::default()
        };
        assert_eq!(ids(&status), ['b']);
        let entity = Filter {
            entity: Some("MINUSCA".into()),
            ..Filter::default()
        };
        assert_eq!(ids(&entity), ['a']);
    }

    #[test]
    fn search_finds_every_word_in_reports_and_messages_whatever_the_case() {
        let inbox = inbox();
        let search = |q: &str| Filter {
            query: Zeroizing::new(q.into()),
            ..Filter::default()
        };
        let found = |q: &str| inbox.shown(&search(q), &BTreeSet::new()).len();
        assert_eq!(found("canary"), 1);
        assert_eq!(found("WATER canary"), 1);
        assert_eq!(found("water tuesday"), 0, "every word, in one case");
        assert_eq!(found("tuesday"), 1, "messages are searched too");
        assert_eq!(found("nothing-like-this"), 0);
    }

    #[test]
    fn the_timeline_puts_the_report_first_and_staff_writing_in_its_written_order() {
        let mut late = envelope('5', 'c', EnvelopeKind::Reply);
        late.created_on = day(2);
        let mut early = envelope('4', 'c', EnvelopeKind::InternalNote);
        early.created_on = day(2);
        let staff = |seq| Content::Staff {
            author: Some("intake".into()),
            at: None,
            seq: Some(seq),
            answers: None,
            text: Zeroizing::new(String::new()),
        };
        let synced = SyncAnswer {
            cases: vec![case('c', "MINUSCA", Status::Received, 2)],
            envelopes: vec![late, early, envelope('6', 'c', EnvelopeKind::Report)],
            deadlines: vec![],
        };
        let mut opened = BTreeMap::new();
        opened.insert("5".repeat(32), (staff(3), false));
        opened.insert("4".repeat(32), (staff(2), false));
        opened.insert("6".repeat(32), (report("r", "", ""), false));
        let inbox = Inbox::build(&synced, opened, &BTreeSet::new());
        let order: Vec<char> = inbox.cases[0]
            .items
            .iter()
            .map(|i| i.meta.id.chars().next().unwrap())
            .collect();
        assert_eq!(order, ['6', '4', '5']);
    }

    #[test]
    fn a_reporters_message_of_the_same_day_falls_between_the_reply_it_answers_and_the_next() {
        let staff = |seq, answers: char| Content::Staff {
            author: Some("intake".into()),
            at: None,
            seq: Some(seq),
            answers: Some(answers.to_string().repeat(32)),
            text: Zeroizing::new(String::new()),
        };
        let synced = SyncAnswer {
            cases: vec![case('c', "MINUSCA", Status::Received, 2)],
            envelopes: vec![
                envelope('8', 'c', EnvelopeKind::Reply),
                envelope('7', 'c', EnvelopeKind::Message),
                envelope('6', 'c', EnvelopeKind::Reply),
                envelope('5', 'c', EnvelopeKind::Message),
                envelope('1', 'c', EnvelopeKind::Report),
            ],
            deadlines: vec![],
        };
        let mut opened = BTreeMap::new();
        opened.insert("1".repeat(32), (report("r", "", ""), false));
        opened.insert("6".repeat(32), (staff(2, '1'), false));
        opened.insert(
            "7".repeat(32),
            (Content::Message(Zeroizing::new("m".into())), false),
        );
        opened.insert("8".repeat(32), (staff(4, '7'), false));
        opened.insert(
            "5".repeat(32),
            (Content::Message(Zeroizing::new("late".into())), false),
        );
        let inbox = Inbox::build(&synced, opened, &BTreeSet::new());
        let order: Vec<char> = inbox.cases[0]
            .items
            .iter()
            .map(|i| i.meta.id.chars().next().unwrap())
            .collect();
        assert_eq!(
            order,
            ['1', '6', '7', '8', '5'],
            "report, reply, message, its answer, the unanswered message"
        );
    }

    #[test]
    fn a_summary_is_one_line_of_at_most_120_characters() {
        let long = "word ".repeat(60);
        let s = summary_of(&format!("first\nline {long}"));
        assert!(!s.contains('\n'));
        assert_eq!(s.chars().count(), 121);
        assert!(s.ends_with('…'));
    }
}
