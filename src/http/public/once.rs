//! One-time marks on the report form, so that a form sent once is not filed again and a form
//! is filed only from a page this gateway issued. Without JavaScript, pressing Back after quick
//! exit (or after sending) offers to send the form again, which would file a second report and
//! show a fresh follow-up number to whoever holds the phone; and a page of another site could
//! hold a copy of the form. Each report page carries a fresh mark: 128 random bits, its expiry
//! (a day later) and an HMAC-SHA256 tag over both under the gateway's mark key. A report is
//! filed only with a mark that carries the gateway's tag and has not expired, once.
//!
//! Sending is idempotent. A phone on a bad line sends the same form twice (a double tap aborts
//! the first request and sends it again; a lost answer is sent again from the browser's error
//! page), and neither may file two reports or leave the survivor without the number of the one
//! filed. So a mark records what its first send became: while that report is being filed, a
//! second send waits for it; once filed, a second send within [`SHOWN_AGAIN_FOR`] is shown the
//! same number (kept in memory, wiped when the time is up); later it is refused as sent already,
//! so that whoever picks up the phone after the survivor cannot send the form again to read the
//! number. A first send that filed nothing (the form was refused) leaves the mark as it was, so
//! the survivor can correct the form and send it. The status page's "add information" form
//! carries a mark too and is sent the same way. Marks are kept in memory only, until they
//! expire. The key is derived from the server secret (`ServerSecret::derive`), so that a page
//! opened before a restart can still be sent, and gateways behind one address, which share the
//! secret already to check follow-up numbers, accept each other's marks (each still remembers
//! only the marks spent on it: two sends of one form that reach two gateways each file a report,
//! so a load balancer should keep a client on one gateway).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use ring::rand::SecureRandom;
use tokio::sync::watch;
use zeroize::Zeroizing;

/// How long a mark may be sent: longer than anyone keeps a page open.
const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long after its report was filed a form sent again is shown the same number: long enough
/// for a browser to give up on a lost answer and the survivor to send again, short enough that
/// the next person holding the phone is unlikely to be there yet.
pub const SHOWN_AGAIN_FOR: Duration = Duration::from_secs(10 * 60);
/// Most marks remembered; beyond it the oldest are forgotten first.
const MAX_MARKS: usize = 200_000;
/// Random part, expiry, tag.
const MARK_BYTES: usize = 16 + 8 + 16;
/// The mark's length in a form, hex.
pub const MARK_CHARS: usize = 2 * MARK_BYTES;

/// Which form a mark belongs to: a mark is accepted only by the form it was issued for (its
/// tag covers the form), so that a report page's mark cannot be spent on a message and the
/// other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Report = 1,
    Message = 2,
}

/// Why a mark was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MarkError {
    /// None, not a mark, or not one this gateway issued.
    NotIssued,
    /// Issued more than a day ago.
    Expired,
    /// Its report was filed longer ago than [`SHOWN_AGAIN_FOR`].
    Spent,
}

/// What the first send's answer showed, to show it again: a report's follow-up number (as the
/// page shows it), a message's count of files. Wiped when the last holder lets go.
pub type Number = Arc<Zeroizing<String>>;

/// What a send of a mark is to do.
pub enum Sending {
    /// The first send: file the report, then say what became of it.
    First(Filing),
    /// The report of this mark was filed, with this number: show it again.
    Filed(Number),
}

/// What a form held (a digest of its fields and files), so that only the same form sent
/// again is shown the first send's answer.
pub type Content = [u8; 32];

/// What a mark's first send became, told to sends waiting on it.
#[derive(Clone)]
enum Outcome {
    Filed(Number, Content),
    /// Nothing was filed: the mark may be sent again.
    NothingFiled,
    /// Whether it was filed is unknown (its commit could not be confirmed): sent again, it is
    /// refused rather than filed a second time.
    Unknown,
}

enum Mark {
    Filing(watch::Receiver<Option<Outcome>>),
    Filed {
        number: Number,
        content: Content,
        shown_until: u64,
    },
    Spent,
}

struct Remembered {
    /// The mark's own expiry (Unix seconds): forgotten only then, so that a clock stepping back
    /// cannot make it acceptable again.
    expires: u64,
    /// Which send made this entry: a filing tells its outcome only to the entry it made.
    generation: u64,
    mark: Mark,
}

pub struct Once {
    key: hmac::Key,
    marks: Mutex<HashMap<[u8; 16], Remembered>>,
    generations: std::sync::atomic::AtomicU64,
}

/// The first send of a mark, filing its report. Dropped without an outcome (the filing
/// panicked), nothing is taken to be filed.
pub struct Filing {
    once: Arc<Once>,
    id: [u8; 16],
    generation: u64,
    content: Content,
    /// When it was sent (Unix seconds): the number is shown again until [`SHOWN_AGAIN_FOR`]
    /// after.
    sent: u64,
    told: Option<watch::Sender<Option<Outcome>>>,
}

impl Filing {
    /// The report was filed with this number.
    pub fn filed(mut self, number: &str) {
        let number: Number = Arc::new(Zeroizing::new(number.to_string()));
        let shown_until = self.sent + SHOWN_AGAIN_FOR.as_secs();
        if let Some(entry) = self.once.lock().get_mut(&self.id)
            && entry.generation == self.generation
        {
            entry.mark = Mark::Filed {
                number: number.clone(),
                content: self.content,
                shown_until,
            };
        }
        if let Some(told) = self.told.take() {
            let _ = told.send(Some(Outcome::Filed(number, self.content)));
        }
    }

    /// Nothing was filed (the form was refused): the mark may be sent again.
    pub fn nothing_filed(mut self) {
        self.forget();
    }

    /// Whether anything was filed is unknown: the mark is spent, so that a send of it again
    /// cannot file the report a second time.
    pub fn outcome_unknown(mut self) {
        if let Some(told) = self.told.take() {
            if let Some(entry) = self.once.lock().get_mut(&self.id)
                && entry.generation == self.generation
            {
                entry.mark = Mark::Spent;
            }
            let _ = told.send(Some(Outcome::Unknown));
        }
    }

    fn forget(&mut self) {
        if let Some(told) = self.told.take() {
            let mut marks = self.once.lock();
            if marks
                .get(&self.id)
                .is_some_and(|e| e.generation == self.generation)
            {
                marks.remove(&self.id);
            }
            drop(marks);
            let _ = told.send(Some(Outcome::NothingFiled));
        }
    }
}

impl Drop for Filing {
    fn drop(&mut self) {
        self.forget();
    }
}

impl Once {
    /// Marks under `key` (derived from the server secret: see the module's comment).
    pub fn new(key: hmac::Key) -> Once {
        Once {
            key,
            marks: Mutex::new(HashMap::new()),
            generations: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], Remembered>> {
        self.marks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh mark for a page with `form`, hex.
    pub fn issue(&self, form: Form) -> String {
        self.issue_at(form, unix_now())
    }

    fn issue_at(&self, form: Form, now: u64) -> String {
        let mut raw = [0u8; MARK_BYTES];
        ring::rand::SystemRandom::new()
            .fill(&mut raw[..16])
            .expect("the system random source failed");
        raw[16..24].copy_from_slice(&(now + LIFETIME.as_secs()).to_be_bytes());
        let tag = self.tag(form, &raw[..24]);
        raw[24..].copy_from_slice(&tag.as_ref()[..16]);
        hex::encode(raw)
    }

    /// A send of `mark` holding `content`: the first files its report; a later one waits for
    /// the first to finish and, if it holds the same, is shown its number; a changed form, or
    /// one sent once the number is no longer shown, is refused as sent already (what changed
    /// was not sent).
    pub async fn send(
        self: &Arc<Self>,
        mark: &str,
        form: Form,
        content: Content,
    ) -> Result<Sending, MarkError> {
        self.send_at(mark, form, content, unix_now()).await
    }

    async fn send_at(
        self: &Arc<Self>,
        mark: &str,
        form: Form,
        content: Content,
        now: u64,
    ) -> Result<Sending, MarkError> {
        let (id, expires) = self.check(mark, form, now)?;
        loop {
            let mut waiting = {
                let mut marks = self.lock();
                Self::make_room(&mut marks, now);
                match marks.get_mut(&id) {
                    None => {
                        let (told, filing) = watch::channel(None);
                        let generation = self
                            .generations
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        marks.insert(
                            id,
                            Remembered {
                                expires,
                                generation,
                                mark: Mark::Filing(filing),
                            },
                        );
                        return Ok(Sending::First(Filing {
                            once: self.clone(),
                            id,
                            generation,
                            content,
                            sent: now,
                            told: Some(told),
                        }));
                    }
                    Some(entry) => match &entry.mark {
                        Mark::Filing(filing) => filing.clone(),
                        Mark::Filed {
                            number,
                            content: filed,
                            shown_until,
                        } if now <= *shown_until => {
                            return if *filed == content {
                                Ok(Sending::Filed(number.clone()))
                            } else {
                                Err(MarkError::Spent)
                            };
                        }
                        Mark::Filed { .. } | Mark::Spent => {
                            entry.mark = Mark::Spent;
                            return Err(MarkError::Spent);
                        }
                    },
                }
            };
            // The first send is still filing: its outcome is this one's.
            let outcome = waiting
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|seen| seen.clone());
            match outcome {
                Some(Outcome::Filed(number, filed)) if filed == content => {
                    return Ok(Sending::Filed(number));
                }
                Some(Outcome::Filed(..)) | Some(Outcome::Unknown) => {
                    return Err(MarkError::Spent);
                }
                _ => {}
            }
            // Nothing was filed: this send may be the first now.
        }
    }

    /// The tag of a mark's random part and expiry, for `form`.
    fn tag(&self, form: Form, body: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(&[form as u8]);
        context.update(body);
        context.sign()
    }

    /// The mark's random part and expiry, if it carries this gateway's tag for `form` and has
    /// not expired.
    fn check(&self, mark: &str, form: Form, now: u64) -> Result<([u8; 16], u64), MarkError> {
        let mut raw = [0u8; MARK_BYTES];
        if mark.len() != MARK_CHARS || hex::decode_to_slice(mark, &mut raw).is_err() {
            return Err(MarkError::NotIssued);
        }
        let expected = self.tag(form, &raw[..24]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &expected.as_ref()[..16],
            &raw[24..],
        )) {
            return Err(MarkError::NotIssued);
        }
        let expires = u64::from_be_bytes(raw[16..24].try_into().expect("8 bytes"));
        if now > expires {
            return Err(MarkError::Expired);
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&raw[..16]);
        Ok((id, expires))
    }

    /// Forgets expired marks when the table is full, then the spent mark nearest its expiry if
    /// it still is. A mark whose report is filing, or whose number is still shown, is never
    /// forgotten: sent again, it would file a second report. (Those are bounded by the reports
    /// the budgets let in over ten minutes, far below the table's size.)
    fn make_room(marks: &mut HashMap<[u8; 16], Remembered>, now: u64) {
        if marks.len() < MAX_MARKS {
            return;
        }
        marks.retain(|_, r| r.expires >= now);
        for r in marks.values_mut() {
            if matches!(&r.mark, Mark::Filed { shown_until, .. } if now > *shown_until) {
                r.mark = Mark::Spent;
            }
        }
        if marks.len() >= MAX_MARKS {
            let oldest = marks
                .iter()
                .filter(|(_, r)| matches!(r.mark, Mark::Spent))
                .min_by_key(|(_, r)| r.expires)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                marks.remove(&oldest);
            }
        }
    }

    /// Wipes the numbers whose time to be shown again is over (called every minute).
    pub fn wipe_numbers(&self) {
        let now = unix_now();
        for r in self.lock().values_mut() {
            if matches!(&r.mark, Mark::Filed { shown_until, .. } if now > *shown_until) {
                r.mark = Mark::Spent;
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &[u8]) -> Arc<Once> {
        Arc::new(Once::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    fn once() -> Arc<Once> {
        with_secret(&[7; 32])
    }

    /// Sends `mark` at `now` and files its report with `number` if it is the first send.
    const FORM: Content = [1; 32];

    async fn send_and_file(
        once: &Arc<Once>,
        mark: &str,
        now: u64,
        number: &str,
    ) -> Result<String, MarkError> {
        match once.send_at(mark, Form::Report, FORM, now).await? {
            Sending::First(filing) => {
                filing.filed(number);
                Ok(format!("filed {number}"))
            }
            Sending::Filed(shown) => Ok(format!("shown {}", shown.as_str())),
        }
    }

    /// The first send of `mark`, at 1,000.
    async fn first_send(once: &Arc<Once>, mark: &str) -> Filing {
        match once.send_at(mark, Form::Report, FORM, 1_000).await {
            Ok(Sending::First(filing)) => filing,
            _ => panic!("the first send files"),
        }
    }

    /// A second send of `mark` a second later, filing "B" if it becomes the first.
    fn send_later(
        once: &Arc<Once>,
        mark: &str,
    ) -> tokio::task::JoinHandle<Result<String, MarkError>> {
        let (once, mark) = (once.clone(), mark.to_string());
        tokio::spawn(async move { send_and_file(&once, &mark, 1_001, "B").await })
    }

    #[tokio::test]
    async fn a_form_sent_again_soon_is_shown_the_same_number_and_later_refused() {
        let once = once();
        let mark = once.issue_at(Form::Report, 1_000);
        assert_eq!(
            send_and_file(&once, &mark, 1_000, "A").await.unwrap(),
            "filed A"
        );
        let soon = 1_000 + SHOWN_AGAIN_FOR.as_secs();
        assert_eq!(
            send_and_file(&once, &mark, soon, "B").await.unwrap(),
            "shown A"
        );
        // The same page with something changed is not the same form: what changed was not sent.
        assert!(matches!(
            once.send_at(&mark, Form::Report, [2; 32], soon).await,
            Err(MarkError::Spent)
        ));
        assert_eq!(
            send_and_file(&once, &mark, soon + 1, "B").await.err(),
            Some(MarkError::Spent)
        );
        // Another page's mark files its own report.
        let other = once.issue_at(Form::Report, 1_000);
        assert_eq!(
            send_and_file(&once, &other, 1_001, "C").await.unwrap(),
            "filed C"
        );
    }

    #[tokio::test]
    async fn a_second_send_while_the_first_is_filing_waits_and_gets_its_number() {
        let once = once();
        let mark = once.issue_at(Form::Report, 1_000);
        let filing = first_send(&once, &mark).await;
        let second = send_later(&once, &mark);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second send waits for the first");
        filing.filed("A");
        assert_eq!(second.await.unwrap().unwrap(), "shown A");
    }

    #[tokio::test]
    async fn a_first_send_that_filed_nothing_leaves_the_mark_to_the_next() {
        let once = once();
        let mark = once.issue_at(Form::Report, 1_000);
        let filing = first_send(&once, &mark).await;
        let second = send_later(&once, &mark);
        tokio::time::sleep(Duration::from_millis(50)).await;
        filing.nothing_filed();
        assert_eq!(second.await.unwrap().unwrap(), "filed B");
        // A filing that ends without a word (it panicked) counts as nothing filed, too.
        let mark = once.issue_at(Form::Report, 1_000);
        drop(first_send(&once, &mark).await);
        assert_eq!(
            send_and_file(&once, &mark, 1_001, "D").await.unwrap(),
            "filed D"
        );
    }

    #[tokio::test]
    async fn a_filing_whose_outcome_is_unknown_spends_its_mark() {
        let once = once();
        let mark = once.issue_at(Form::Report, 1_000);
        first_send(&once, &mark).await.outcome_unknown();
        assert_eq!(
            send_and_file(&once, &mark, 1_001, "B").await.err(),
            Some(MarkError::Spent)
        );
    }

    #[tokio::test]
    async fn a_number_no_longer_shown_is_wiped() {
        let once = once();
        let mark = once.issue_at(Form::Report, unix_now() - SHOWN_AGAIN_FOR.as_secs() - 10);
        let Ok(Sending::First(filing)) = once.send_at(&mark, Form::Report, FORM, unix_now()).await
        else {
            panic!("the first send files")
        };
        filing.filed("A");
        // Filed just now: still shown, and held.
        assert_eq!(
            once.lock()
                .values()
                .filter(|r| matches!(r.mark, Mark::Filed { .. }))
                .count(),
            1
        );
        for r in once.lock().values_mut() {
            if let Mark::Filed { shown_until, .. } = &mut r.mark {
                *shown_until = unix_now() - 1;
            }
        }
        once.wipe_numbers();
        assert!(once.lock().values().all(|r| matches!(r.mark, Mark::Spent)));
    }

    #[tokio::test]
    async fn a_mark_this_gateway_did_not_issue_is_refused() {
        let once = once();
        let elsewhere = with_secret(&[8; 32]).issue(Form::Report);
        assert_eq!(
            once.check(&elsewhere, Form::Report, unix_now()).err(),
            Some(MarkError::NotIssued)
        );
        let mut forged = once.issue(Form::Report).into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            once.check(&forged, Form::Report, unix_now()).err(),
            Some(MarkError::NotIssued)
        );
        for nonsense in ["", "not-a-mark", &"0".repeat(32), &"g".repeat(MARK_CHARS)] {
            assert_eq!(
                once.send(nonsense, Form::Report, FORM).await.err(),
                Some(MarkError::NotIssued),
                "{nonsense}"
            );
        }
    }

    #[test]
    fn a_mark_is_accepted_only_by_the_form_it_was_issued_for() {
        let once = once();
        let report = once.issue(Form::Report);
        assert!(once.check(&report, Form::Report, unix_now()).is_ok());
        assert_eq!(
            once.check(&report, Form::Message, unix_now()).err(),
            Some(MarkError::NotIssued)
        );
        let message = once.issue(Form::Message);
        assert_eq!(
            once.check(&message, Form::Report, unix_now()).err(),
            Some(MarkError::NotIssued)
        );
    }

    #[test]
    fn a_mark_older_than_a_day_is_refused() {
        let once = once();
        let mark = once.issue_at(Form::Report, 1_000_000);
        let day = LIFETIME.as_secs();
        assert_eq!(
            once.check(&mark, Form::Report, 1_000_000 + day + 1).err(),
            Some(MarkError::Expired)
        );
        assert!(once.check(&mark, Form::Report, 1_000_000 + day).is_ok());
    }
}
