//! The state of each recipient, folded from the log's records in order: what a send resumes
//! from and what the auditor's commands summarise.
//!
//! A pure fold: no I/O, no clock. It says where each organisation stands and what the operator
//! can do about it; it does not decide what to send (`send` does) or how to show it (`audit`,
//! `send`).
//!
//! A state's name (`accepted`) and `next_action` are data, written to exports in English; what
//! a person reads in a sentence (`described`, `next_step`) is worded in `locales/*/log.ftl`.

use std::time::SystemTime;

use indexmap::IndexMap;

use crate::clock;
use std::collections::HashSet;

use crate::delivery_log::{
    Arrival, Attempt, Body, Letter, MailboxMark, Mode, Outcome, Record, Tracked,
};

/// Where one recipient's letter stands, on two axes: what the relay said of its last attempt,
/// and the strongest report about the letter since. Made only by the fold, so a report is
/// there only for a letter the relay took or may have taken (`accepted`, `unknown`).
///
/// "May have arrived" is sticky. Once a try of a letter reached the server's hands with no
/// verdict (`unknown`), every later try that never handed it over again keeps the letter
/// `unknown`: a resend deferred, rejected or stopped (before its `data`, or in any way the
/// next run closes as `deferred`) proves nothing about the first copy, so a plain `send` or
/// `--retry-failed` leaves the letter alone and only another `--resend-unknown` naming it sends
/// it. Only a later try the relay accepted, or a report about the letter (same Message-ID on
/// every try), settles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct State {
    /// How the last attempt ended: `None` while it has not reached the server (a run stopped
    /// after its `attempt`, before `data`); `Unknown` too while it has `data` and no outcome.
    relay: Option<Outcome>,
    /// The strongest report since the last attempt (or since the unknown try it settles).
    report: Option<Arrival>,
    /// An earlier try may have reached the organisation and nothing has said since whether it
    /// did: the letter stays `unknown` whatever a later try without a verdict said.
    earlier_unknown: bool,
}

/// A state as its readers name it: `log list --status`, the exports' `state`, the summaries.
/// A report's name wins over the relay's; `auto_replied` is the state's spelling of the
/// `auto_reply` record.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Accepted,
    Rejected,
    Deferred,
    /// The letter may have arrived: the connection was lost after it was sent, or a run
    /// stopped between sending it and the reply.
    Unknown,
    /// A run stopped after its `attempt` and before the message was sent: safe to send again.
    Interrupted,
    /// A report says the recipient's server is still trying.
    Delayed,
    /// A report says delivery failed after the relay took the letter.
    Bounced,
    /// An automatic reply came back: the mailbox exists.
    AutoReplied,
    /// A report says the recipient's server delivered it.
    Delivered,
    /// A read receipt says it was displayed.
    Read,
}

impl State {
    /// A try the run stopped before the message was sent.
    pub const INTERRUPTED: State = State {
        relay: None,
        report: None,
        earlier_unknown: false,
    };

    /// A try that ended so, before any report.
    pub fn ended(outcome: Outcome) -> State {
        State::INTERRUPTED.closed(outcome)
    }

    /// A new try of the letter, before it reaches the server: its fate is told by its own
    /// verdict and reports, except that a letter in doubt stays in doubt until something
    /// settles it.
    pub fn tried_again(self) -> State {
        State {
            earlier_unknown: self.in_doubt(),
            ..State::INTERRUPTED
        }
    }

    /// The message of the current try was handed to the server (`data`): it may have arrived.
    pub fn handed(self) -> State {
        State {
            relay: Some(Outcome::Unknown),
            ..self
        }
    }

    /// The current try ended so. The reports already recorded about the letter stay (a report
    /// may come before the next run closes a try left open as `unknown`); an acceptance settles
    /// an earlier try left in doubt.
    pub fn closed(self, outcome: Outcome) -> State {
        State {
            relay: Some(outcome),
            earlier_unknown: self.earlier_unknown && outcome != Outcome::Accepted,
            ..self
        }
    }

    /// A report about the letter: kept if it says more than the ones before, and only for a
    /// letter the relay took or may have taken (this try, or an earlier one left in doubt).
    pub fn reported(self, arrival: Arrival) -> State {
        match self.relay {
            Some(Outcome::Accepted | Outcome::Unknown) => State {
                report: self.report.max(Some(arrival)),
                ..self
            },
            _ if self.earlier_unknown => State {
                report: self.report.max(Some(arrival)),
                ..self
            },
            _ => self,
        }
    }

    /// The strongest report about the last attempt.
    pub fn report(self) -> Option<Arrival> {
        self.report
    }

    /// Whether the relay took the letter: it said so, or a report proves it had it (a report
    /// about a letter left `unknown` settles it). A bounce after does not undo this.
    pub fn handed_over(self) -> bool {
        self.relay == Some(Outcome::Accepted) || self.report.is_some()
    }

    /// Whether the organisation may have the letter: handed over, and no report says it
    /// failed. What the summaries count as accepted, and what the guard against a second letter
    /// under another key protects. (`unknown` is the operator's question, not counted here.)
    pub fn may_have_arrived(self) -> bool {
        self.handed_over() && self.report != Some(Arrival::Bounced)
    }

    /// Whether a plain `send` leaves it alone: only a flag sends it again. Deferred and
    /// interrupted letters are not settled (nor are letters never attempted, which have no
    /// state).
    pub fn settled(self) -> bool {
        self.earlier_unknown
            || !matches!(
                (self.relay, self.report),
                (None | Some(Outcome::Deferred), None)
            )
    }

    /// Whether it failed, so that `--retry-failed` sends it again: rejected, or bounced.
    pub fn failed(self) -> bool {
        matches!(self.status(), Status::Rejected | Status::Bounced)
    }

    /// Whether nothing says if it arrived: what `--resend-unknown` may send again.
    pub fn in_doubt(self) -> bool {
        self.status() == Status::Unknown
    }

    /// Its name.
    pub fn status(self) -> Status {
        match (self.report, self.relay) {
            (Some(Arrival::Delayed), _) => Status::Delayed,
            (Some(Arrival::Bounced), _) => Status::Bounced,
            (Some(Arrival::AutoReply), _) => Status::AutoReplied,
            (Some(Arrival::Delivered), _) => Status::Delivered,
            (Some(Arrival::Read), _) => Status::Read,
            (None, Some(relay)) if self.earlier_unknown && relay != Outcome::Accepted => {
                Status::Unknown
            }
            (None, None) if self.earlier_unknown => Status::Unknown,
            (None, None) => Status::Interrupted,
            (None, Some(Outcome::Accepted)) => Status::Accepted,
            (None, Some(Outcome::Rejected)) => Status::Rejected,
            (None, Some(Outcome::Deferred)) => Status::Deferred,
            (None, Some(Outcome::Unknown)) => Status::Unknown,
        }
    }

    /// Its name in a sentence a person reads, in the chosen language.
    pub fn described(self) -> String {
        self.status().described()
    }
}

impl Status {
    /// The name as data: the log, exports, `--status`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The name in a sentence a person reads, in the chosen language.
    pub fn described(self) -> String {
        match self {
            Status::Accepted => t!("log-state-accepted"),
            Status::Rejected => t!("log-state-rejected"),
            Status::Deferred => t!("log-state-deferred"),
            Status::Unknown => t!("log-state-unknown"),
            Status::Interrupted => t!("log-state-interrupted"),
            Status::Delayed => t!("log-state-delayed"),
            Status::Bounced => t!("log-state-bounced"),
            Status::AutoReplied => t!("log-state-auto-replied"),
            Status::Delivered => t!("log-state-delivered"),
            Status::Read => t!("log-state-read"),
        }
    }

    /// What the operator can do about a recipient in this state, as a person reads it, in the
    /// chosen language (`next_action` is the same advice in English, for exports).
    pub fn next_step(self, key: &str) -> String {
        match self {
            Status::Accepted | Status::Delivered | Status::Read => t!("log-next-nothing"),
            Status::Rejected => t!("log-next-rejected", key = key),
            Status::Deferred | Status::Interrupted => t!("log-next-retry"),
            Status::Unknown => t!("log-next-unknown", key = key),
            Status::Delayed => t!("log-next-delayed"),
            Status::Bounced => t!("log-next-bounced", key = key),
            Status::AutoReplied => t!("log-next-auto-replied", key = key),
        }
    }

    /// What the operator can do about a recipient in this state, in English: the `next_action`
    /// column of exports.
    pub fn next_action(self, key: &str) -> String {
        match self {
            Status::Accepted => "Nothing to do".to_owned(),
            Status::Rejected => format!(
                "Fix the address in the list (or ask the organisation), then `letterpost send --retry-failed --only {key}`"
            ),
            Status::Deferred | Status::Interrupted => {
                "The next `letterpost send` tries it again".to_owned()
            }
            Status::Unknown => format!(
                "Ask the organisation whether it arrived; if not, `letterpost send --resend-unknown {key}` (same Message-ID)"
            ),
            Status::Delayed => {
                "Wait: the recipient's server is still trying; run `letterpost track` again later"
                    .to_owned()
            }
            Status::Bounced => format!(
                "Check the address with the organisation, then `letterpost send --retry-failed --only {key}`"
            ),
            Status::AutoReplied => {
                format!("Nothing to do; read the automatic reply: `letterpost log show {key}`")
            }
            Status::Delivered | Status::Read => "Nothing to do".to_owned(),
        }
    }

    /// A name as `--status` takes it, or why not, naming the ones there are.
    pub fn named(s: &str) -> Result<Status, String> {
        s.parse().map_err(|_| {
            use strum::VariantArray;
            let names: Vec<&str> = Status::VARIANTS.iter().map(|s| s.as_str()).collect();
            t!("log-not-a-state", value = s, states = names.join(", "))
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the reports said about one letter, for the auditor's views.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reports {
    pub delivered_at: Option<String>,
    pub delayed_at: Option<String>,
    pub read_at: Option<String>,
    pub auto_replied_at: Option<String>,
    /// The last bounce: when, and what it said.
    pub bounce: Option<Bounce>,
    /// Whether a report settled a letter whose delivery was unknown.
    pub settled_unknown: bool,
}

/// A bounce, as the views show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounce {
    pub at: String,
    pub recipient: String,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
}

impl Bounce {
    /// Whether it says the address does not exist (RFC 3463 5.1.x): a letter like that is not
    /// sent again by `--retry-failed` unless `--only` names it.
    pub fn no_such_address(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.starts_with("5.1."))
    }
}

/// An attempt with no outcome yet: a run stopped in the middle of it. The next run closes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    pub letter: Letter,
    /// The run that made it.
    pub run: String,
    /// Whether its `data` record was written: the message may have been sent.
    pub data: bool,
}

/// One recipient's history, folded.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub state: State,
    /// The attempt left open, if the last record about this key is an `attempt` or `data`.
    pub open: Option<Open>,
    /// The last record about this key. A ledger `for_sending` drops it once the key is accepted.
    pub last: Option<Box<Record>>,
    /// The last attempt (its organisation, Message-ID, archive, sha256); dropped like `last`.
    pub last_attempt: Option<Box<Attempt>>,
    /// The Message-ID every later try keeps, kept even when the records are dropped.
    pub message_id: String,
    /// How many attempts were made, across runs.
    pub attempts: u32,
    /// How many accepted records the key has.
    pub accepted: u32,
    /// The envelope addresses of the last attempt, kept even when `last` is dropped: a send
    /// checks that no letter goes to an address that accepted it under another key.
    pub addresses: Vec<String>,
    /// What reports said after the relay took the letter.
    pub reports: Reports,
}

impl Recipient {
    /// What the last word about this letter was, on one line: the bounce, or the server's reply
    /// to the last attempt, or what went wrong where there was none. Empty when the records
    /// that say it were dropped (a ledger for sending, an accepted letter).
    pub fn what_happened(&self) -> String {
        if let (Status::Bounced, Some(b)) = (self.state.status(), &self.reports.bounce) {
            let parts = [b.status.as_deref(), b.diagnostic.as_deref()];
            let said: Vec<&str> = parts.into_iter().flatten().collect();
            return t!(
                "log-bounced",
                recipient = &b.recipient,
                said = said.join(" ")
            );
        }
        self.last
            .as_deref()
            .and_then(|l| l.body.outcome())
            .map(|(_, e)| e.reply_or_error())
            .unwrap_or_default()
    }

    /// What the operator can do about this recipient, knowing what its reports said, in the
    /// chosen language.
    pub fn next_step(&self, key: &str) -> String {
        match &self.reports.bounce {
            Some(bounce) if self.state.status() == Status::Bounced && bounce.no_such_address() => {
                t!(
                    "log-next-no-such-address",
                    address = &bounce.recipient,
                    status = bounce.status.as_deref().unwrap_or("5.1.x"),
                    key = key
                )
            }
            _ => self.state.status().next_step(key),
        }
    }

    /// What the operator can do about this recipient, knowing what its reports said, in
    /// English: the `next_action` column of exports.
    pub fn next_action(&self, key: &str) -> String {
        match &self.reports.bounce {
            Some(bounce) if self.state.status() == Status::Bounced && bounce.no_such_address() => {
                format!(
                    "The address {} does not exist ({}): correct it in the list, then `letterpost send --retry-failed --only {key}`",
                    bounce.recipient,
                    bounce.status.as_deref().unwrap_or("5.1.x")
                )
            }
            _ => self.state.status().next_action(key),
        }
    }
}

/// Every recipient's state, test sends apart, plus what the rate limit and resume need.
#[derive(Debug, Default)]
pub struct Ledger {
    pub recipients: IndexMap<String, Recipient>,
    /// Whether an accepted key keeps its last records (the auditor's commands need them; a
    /// send needs only the state, and a long campaign's memory stays small without them).
    light: bool,
    /// Times of every `data` record (a message handed to a server), tests included, in order.
    pub sent_times: Vec<SystemTime>,
    /// The last `run_started` record.
    pub last_run: Option<Record>,
    /// Where the keys came from in the last real send that recorded it (`key_source`).
    pub key_source: Option<String>,
    /// Test sends (`--redirect-to`) stopped in the middle: the next run closes them too.
    pub open_tests: IndexMap<String, Open>,
    /// How far the last track run read the return-path folder.
    pub mailbox: Option<MailboxMark>,
    /// Every report already recorded, by (its SHA-256, the address it is about): a report read
    /// again (a folder whose UIDVALIDITY changed, a run killed before it finished) is not
    /// recorded twice.
    pub reports_seen: HashSet<(String, String)>,
    /// Whether the relay offered delivery reports (DSN) at the last real send.
    pub dsn: Option<bool>,
}

impl Ledger {
    /// A ledger for deciding what to send: an accepted key keeps only its state, attempts,
    /// Message-ID and addresses, not its records.
    pub fn for_sending() -> Ledger {
        Ledger {
            light: true,
            ..Ledger::default()
        }
    }

    /// Every attempt left open (no outcome), real or test, whatever the recipient list holds
    /// now: what a new run closes before it sends anything.
    pub fn open_attempts(&self) -> Vec<Open> {
        let real = self.recipients.values().filter_map(|r| r.open.clone());
        real.chain(self.open_tests.values().cloned()).collect()
    }

    /// Folds one record in. Records must come in log order.
    pub fn add(&mut self, record: &Record) {
        match &record.body {
            Body::RunStarted(started) => {
                if started.mode == Mode::Send && started.key_source.is_some() {
                    self.key_source.clone_from(&started.key_source);
                }
                if started.mode == Mode::Send && started.dsn.is_some() {
                    self.dsn = started.dsn;
                }
                if started.mode == Mode::Track {
                    self.mailbox.clone_from(&started.mailbox);
                } else {
                    self.last_run = Some(record.clone());
                }
            }
            Body::RunFinished(finished) => {
                if finished.mailbox.is_some() {
                    self.mailbox.clone_from(&finished.mailbox);
                }
            }
            Body::Report { arrival, tracked } => self.report(record, *arrival, tracked),
            Body::Attempt(attempt) if attempt.test => self.open_test(record, attempt.letter()),
            Body::Data(letter) if letter.test => self.open_test(record, letter.clone()),
            Body::Attempt(attempt) => self.attempt(record, attempt),
            Body::Data(letter) => {
                if let Some(t) = clock::parse_rfc3339(&record.time) {
                    self.sent_times.push(t);
                }
                if let Some(r) = self.recipients.get_mut(&letter.key) {
                    r.state = r.state.handed();
                    r.open = Some(Open {
                        letter: letter.clone(),
                        run: record.run.clone(),
                        data: true,
                    });
                    r.last = Some(Box::new(record.clone()));
                }
            }
            Body::Ended { ending: e, .. } if e.test => {
                self.open_tests.shift_remove(&e.key);
            }
            body => {
                let Some((outcome, ending)) = body.outcome() else {
                    return;
                };
                let light = self.light;
                if let Some(r) = self.recipients.get_mut(&ending.key) {
                    r.state = r.state.closed(outcome);
                    r.open = None;
                    if outcome == Outcome::Accepted {
                        r.accepted += 1;
                    }
                    if outcome == Outcome::Accepted && light {
                        r.last = None;
                        r.last_attempt = None;
                    } else {
                        r.last = Some(Box::new(record.clone()));
                    }
                }
            }
        }
    }

    fn attempt(&mut self, record: &Record, attempt: &Attempt) {
        let r = self
            .recipients
            .entry(attempt.key.clone())
            .or_insert_with(|| Recipient {
                state: State::INTERRUPTED,
                open: None,
                last: None,
                last_attempt: None,
                message_id: String::new(),
                attempts: 0,
                accepted: 0,
                addresses: Vec::new(),
                reports: Reports::default(),
            });
        // A new try: its fate is told by its own reports, not by the last one's (but a letter
        // that may have arrived stays in doubt until a verdict or a report settles it).
        r.state = r.state.tried_again();
        r.open = Some(Open {
            letter: attempt.letter(),
            run: record.run.clone(),
            data: false,
        });
        r.addresses.clone_from(&attempt.to);
        r.message_id.clone_from(&attempt.message_id);
        r.attempts = r.attempts.max(attempt.attempt);
        r.last = Some(Box::new(record.clone()));
        r.last_attempt = Some(Box::new(attempt.clone()));
    }

    /// A report about a letter: its state follows the strongest report since its last attempt,
    /// and a letter whose delivery was unknown is settled (the relay had it).
    fn report(&mut self, record: &Record, arrival: Arrival, tracked: &Tracked) {
        self.reports_seen.insert((
            tracked.report.sha256.clone(),
            tracked.recipient.to_lowercase(),
        ));
        let Some(r) = self.recipients.get_mut(&tracked.key) else {
            return;
        };
        let reports = &mut r.reports;
        let at = Some(record.time.clone());
        match arrival {
            Arrival::Delivered => reports.delivered_at = at,
            Arrival::Delayed => reports.delayed_at = at,
            Arrival::Read => reports.read_at = at,
            Arrival::AutoReply => reports.auto_replied_at = at,
            Arrival::Bounced => {
                reports.bounce = Some(Bounce {
                    at: record.time.clone(),
                    recipient: tracked.recipient.clone(),
                    status: tracked.report.status.clone(),
                    diagnostic: tracked.report.diagnostic.clone(),
                });
            }
        }
        // The attempt stays open if it is: only an outcome record closes it, which the next
        // send writes before anything else (the log's rule: no new attempt while one is open).
        if r.state.in_doubt() {
            reports.settled_unknown = true;
        }
        r.state = r.state.reported(arrival);
    }

    fn open_test(&mut self, record: &Record, letter: Letter) {
        if let Body::Data(_) = record.body
            && let Some(t) = clock::parse_rfc3339(&record.time)
        {
            self.sent_times.push(t);
        }
        let data = matches!(record.body, Body::Data(_));
        self.open_tests.insert(
            letter.key.clone(),
            Open {
                letter,
                run: record.run.clone(),
                data,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery_log::{Counts, Reason, RunFinished};
    use crate::smtp::{Reply, Stage};

    fn letter(key: &str, attempt: u32, test: bool) -> Letter {
        Letter {
            key: key.into(),
            row: 2,
            to: vec![format!("{key}@x.example")],
            message_id: format!("<{key}@x>"),
            sha256: "ab".into(),
            archive: "archive/c/a.eml".into(),
            attempt,
            test,
        }
    }

    fn record(seq: u64, body: Body) -> Record {
        Record {
            seq,
            time: "2026-11-26T08:00:00.000Z".into(),
            run: "r1".into(),
            prev: String::new(),
            hash: String::new(),
            body,
        }
    }

    /// Folds a history of (key, what happened) steps and returns each key's state.
    fn fold(ledger: &mut Ledger, steps: &[(&str, &str)]) -> Vec<(String, Status)> {
        let mut attempts: IndexMap<String, u32> = IndexMap::new();
        for (seq, (key, step)) in steps.iter().enumerate() {
            let test = key.starts_with("test-");
            let n = *attempts.entry((*key).to_owned()).or_default();
            let l = letter(key, n.max(1), test);
            let body = match *step {
                "attempt" => {
                    attempts[*key] += 1;
                    letter(key, n + 1, test).attempt("Sở", None)
                }
                "data" => Body::Data(l),
                "resend" => {
                    attempts[*key] += 1;
                    letter(key, n + 1, test).attempt("Sở", Some(Reason::ResendUnknown))
                }
                "finished" => Body::RunFinished(RunFinished {
                    counts: Counts::default(),
                    stopped: None,
                    mailbox: None,
                }),
                outcome => {
                    let outcome = [
                        Outcome::Accepted,
                        Outcome::Rejected,
                        Outcome::Deferred,
                        Outcome::Unknown,
                    ]
                    .into_iter()
                    .find(|o| o.as_str() == outcome)
                    .expect("an outcome");
                    l.ended(
                        outcome,
                        Stage::Message,
                        Some(Reply::parse_text(250, "ok")),
                        None,
                    )
                }
            };
            ledger.add(&record(seq as u64, body));
        }
        ledger
            .recipients
            .iter()
            .map(|(k, r)| (k.clone(), r.state.status()))
            .collect()
    }

    #[test]
    fn each_history_folds_to_its_state() {
        use Status::*;
        for (steps, expected) in [
            (vec![("a", "attempt")], Interrupted),
            (vec![("a", "attempt"), ("a", "data")], Unknown),
            (
                vec![("a", "attempt"), ("a", "data"), ("a", "accepted")],
                Accepted,
            ),
            (vec![("a", "attempt"), ("a", "rejected")], Rejected),
            (
                vec![("a", "attempt"), ("a", "deferred"), ("a", "attempt")],
                Interrupted,
            ),
            (
                vec![
                    ("a", "attempt"),
                    ("a", "data"),
                    ("a", "unknown"),
                    ("a", "resend"),
                ],
                Unknown,
            ),
            // "May have arrived" is sticky: a resend that never handed the letter over again
            // (deferred, rejected at RCPT, stopped before `data`) says nothing of the first copy.
            (
                vec![
                    ("a", "attempt"),
                    ("a", "data"),
                    ("a", "unknown"),
                    ("a", "resend"),
                    ("a", "deferred"),
                    ("a", "attempt"),
                    ("a", "rejected"),
                ],
                Unknown,
            ),
            (
                vec![
                    ("a", "attempt"),
                    ("a", "data"),
                    ("a", "resend"),
                    ("a", "data"),
                    ("a", "unknown"),
                    ("a", "resend"),
                    ("a", "deferred"),
                ],
                Unknown,
            ),
            // Only an acceptance settles it.
            (
                vec![
                    ("a", "attempt"),
                    ("a", "data"),
                    ("a", "unknown"),
                    ("a", "resend"),
                    ("a", "deferred"),
                    ("a", "resend"),
                    ("a", "data"),
                    ("a", "accepted"),
                    ("a", "attempt"),
                ],
                Interrupted,
            ),
            (
                vec![
                    ("a", "attempt"),
                    ("a", "deferred"),
                    ("finished", "finished"),
                ],
                Deferred,
            ),
        ] {
            let states = fold(&mut Ledger::default(), &steps);
            assert_eq!(states, [("a".to_owned(), expected)], "{steps:?}");
        }
    }

    #[test]
    fn open_attempts_are_what_the_next_run_closes_tests_included() {
        let mut ledger = Ledger::for_sending();
        fold(
            &mut ledger,
            &[
                ("a", "attempt"),
                ("a", "data"),
                ("b", "attempt"),
                ("c", "attempt"),
                ("c", "accepted"),
                ("test-d", "attempt"),
                ("test-e", "attempt"),
                ("test-e", "accepted"),
            ],
        );
        let open: Vec<(String, bool)> = ledger
            .open_attempts()
            .into_iter()
            .map(|o| (o.letter.key, o.data))
            .collect();
        assert_eq!(
            open,
            [
                ("a".into(), true),
                ("b".into(), false),
                ("test-d".into(), false)
            ]
        );
        assert!(
            !ledger.recipients.contains_key("test-d"),
            "tests never count"
        );
        let c = &ledger.recipients["c"];
        assert!(
            c.last.is_none() && c.last_attempt.is_none(),
            "light for sending"
        );
        assert_eq!((c.message_id.as_str(), c.attempts), ("<c@x>", 1));
        assert_eq!(ledger.sent_times.len(), 1, "one data record");
    }

    #[test]
    fn states_read_back_from_their_names() {
        use strum::VariantArray;
        for status in Status::VARIANTS {
            assert_eq!(Status::named(&status.to_string()), Ok(*status));
        }
        assert!(Status::named("open").unwrap_err().contains("interrupted"));
        let names: Vec<&str> = Status::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "accepted",
                "rejected",
                "deferred",
                "unknown",
                "interrupted",
                "delayed",
                "bounced",
                "auto_replied",
                "delivered",
                "read"
            ],
            "the names `--status`, exports and summaries use, in the summaries' order"
        );
    }

    /// Every state the fold can make: each relay verdict, and each report after the two that
    /// take one. What the predicates say of each, and its name.
    #[test]
    fn the_predicates_of_every_state() {
        use Arrival::*;
        use Outcome::*;
        let state = |relay: Option<Outcome>, report: Option<Arrival>| {
            let s = relay.map_or(State::INTERRUPTED, State::ended);
            report.map_or(s, |a| s.reported(a))
        };
        // A try after one left unknown, ended so (`None`: not closed, no `data`).
        let after_unknown = |relay: Option<Outcome>, report: Option<Arrival>| {
            let s = State::ended(Unknown).tried_again();
            let s = relay.map_or(s, |o| s.closed(o));
            report.map_or(s, |a| s.reported(a))
        };
        // (relay, report, name, handed over, may have arrived, settled, failed, in doubt)
        #[rustfmt::skip]
        let table = [
            (None,           None,            "interrupted",  false, false, false, false, false),
            (Some(Accepted), None,            "accepted",     true,  true,  true,  false, false),
            (Some(Rejected), None,            "rejected",     false, false, true,  true,  false),
            (Some(Deferred), None,            "deferred",     false, false, false, false, false),
            (Some(Unknown),  None,            "unknown",      false, false, true,  false, true),
            (Some(Accepted), Some(Delayed),   "delayed",      true,  true,  true,  false, false),
            (Some(Accepted), Some(Bounced),   "bounced",      true,  false, true,  true,  false),
            (Some(Accepted), Some(AutoReply), "auto_replied", true,  true,  true,  false, false),
            (Some(Accepted), Some(Delivered), "delivered",    true,  true,  true,  false, false),
            (Some(Accepted), Some(Read),      "read",         true,  true,  true,  false, false),
            // A report about a letter left unknown settles it: the relay had it.
            (Some(Unknown),  Some(Delivered), "delivered",    true,  true,  true,  false, false),
            (Some(Unknown),  Some(Bounced),   "bounced",      true,  false, true,  true,  false),
            // A report says nothing of a try the relay refused or never got.
            (Some(Rejected), Some(Delivered), "rejected",     false, false, true,  true,  false),
            (Some(Deferred), Some(Delivered), "deferred",     false, false, false, false, false),
            (None,           Some(Delivered), "interrupted",  false, false, false, false, false),
        ];
        // "May have arrived" is sticky: only an acceptance or a report settles it.
        #[rustfmt::skip]
        let after = [
            (None,           None,            "unknown",      false, false, true,  false, true),
            (Some(Deferred), None,            "unknown",      false, false, true,  false, true),
            (Some(Rejected), None,            "unknown",      false, false, true,  false, true),
            (Some(Unknown),  None,            "unknown",      false, false, true,  false, true),
            (Some(Accepted), None,            "accepted",     true,  true,  true,  false, false),
            (None,           Some(Delivered), "delivered",    true,  true,  true,  false, false),
            (Some(Deferred), Some(Bounced),   "bounced",      true,  false, true,  true,  false),
            (Some(Rejected), Some(Read),      "read",         true,  true,  true,  false, false),
        ];
        let table = table
            .into_iter()
            .map(|row| (state(row.0, row.1), row))
            .chain(
                after
                    .into_iter()
                    .map(|row| (after_unknown(row.0, row.1), row)),
            );
        for (s, (relay, report, name, handed, arrived, settled, failed, doubt)) in table {
            let said = (
                s.status().as_str(),
                s.handed_over(),
                s.may_have_arrived(),
                s.settled(),
                s.failed(),
                s.in_doubt(),
            );
            assert_eq!(
                said,
                (name, handed, arrived, settled, failed, doubt),
                "{relay:?} then {report:?}"
            );
        }
        // The strongest report stays, whatever order reports come in.
        // A settled letter tried again starts afresh.
        let settled = State::ended(Unknown).reported(Bounced).tried_again();
        assert_eq!(settled, State::INTERRUPTED);
        let delivered = State::ended(Accepted).reported(Delivered);
        assert_eq!(delivered.reported(Delayed).reported(Bounced), delivered);
        assert_eq!(
            State::ended(Accepted)
                .reported(Bounced)
                .reported(Read)
                .status(),
            Status::Read
        );
    }

    /// In English, the words a person reads are the words exports write.
    #[test]
    fn in_english_the_next_step_is_the_exported_next_action() {
        use strum::VariantArray;
        for status in Status::VARIANTS {
            assert_eq!(status.described(), status.as_str());
            assert_eq!(status.next_step("k"), status.next_action("k"));
        }
        let mut r = Recipient {
            state: State::ended(Outcome::Accepted).reported(Arrival::Bounced),
            open: None,
            last: None,
            last_attempt: None,
            message_id: String::new(),
            attempts: 1,
            accepted: 1,
            addresses: Vec::new(),
            reports: Reports::default(),
        };
        for status in [Some("5.1.1"), Some("4.4.7"), None] {
            r.reports.bounce = Some(Bounce {
                at: String::new(),
                recipient: "a@x.example".into(),
                status: status.map(str::to_owned),
                diagnostic: None,
            });
            assert_eq!(r.next_step("k"), r.next_action("k"));
        }
    }
}
