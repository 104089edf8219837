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

/// Where one recipient's letter stands, from the log: how its last attempt ended, or
/// `Interrupted` when a run stopped before that attempt reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
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
    pub const ALL: [State; 10] = [
        State::Accepted,
        State::Rejected,
        State::Deferred,
        State::Unknown,
        State::Interrupted,
        State::Delayed,
        State::Bounced,
        State::AutoReplied,
        State::Delivered,
        State::Read,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Deferred => "deferred",
            State::Unknown => "unknown",
            State::Interrupted => "interrupted",
            State::Delayed => "delayed",
            State::Bounced => "bounced",
            State::AutoReplied => "auto_replied",
            State::Delivered => "delivered",
            State::Read => "read",
        }
    }

    /// Whether the relay took the letter (whatever came after).
    pub fn accepted(self) -> bool {
        matches!(
            self,
            State::Accepted
                | State::Delayed
                | State::Bounced
                | State::AutoReplied
                | State::Delivered
                | State::Read
        )
    }

    /// The state's name in a sentence a person reads, in the chosen language (`as_str` is the
    /// name as data: the log, exports, `--status`).
    pub fn described(self) -> String {
        match self {
            State::Accepted => t!("log-state-accepted"),
            State::Rejected => t!("log-state-rejected"),
            State::Deferred => t!("log-state-deferred"),
            State::Unknown => t!("log-state-unknown"),
            State::Interrupted => t!("log-state-interrupted"),
            State::Delayed => t!("log-state-delayed"),
            State::Bounced => t!("log-state-bounced"),
            State::AutoReplied => t!("log-state-auto-replied"),
            State::Delivered => t!("log-state-delivered"),
            State::Read => t!("log-state-read"),
        }
    }

    /// What the operator can do about a recipient in this state, as a person reads it, in the
    /// chosen language (`next_action` is the same advice in English, for exports).
    pub fn next_step(self, key: &str) -> String {
        match self {
            State::Accepted | State::Delivered | State::Read => t!("log-next-nothing"),
            State::Rejected => t!("log-next-rejected", key = key),
            State::Deferred | State::Interrupted => t!("log-next-retry"),
            State::Unknown => t!("log-next-unknown", key = key),
            State::Delayed => t!("log-next-delayed"),
            State::Bounced => t!("log-next-bounced", key = key),
            State::AutoReplied => t!("log-next-auto-replied", key = key),
        }
    }

    /// What the operator can do about a recipient in this state, in English: the `next_action`
    /// column of exports.
    pub fn next_action(self, key: &str) -> String {
        match self {
            State::Accepted => "Nothing to do".to_owned(),
            State::Rejected => format!(
                "Fix the address in the list (or ask the organisation), then `letterpost send --retry-failed --only {key}`"
            ),
            State::Deferred | State::Interrupted => {
                "The next `letterpost send` tries it again".to_owned()
            }
            State::Unknown => format!(
                "Ask the organisation whether it arrived; if not, `letterpost send --resend-unknown {key}` (same Message-ID)"
            ),
            State::Delayed => {
                "Wait: the recipient's server is still trying; run `letterpost track` again later"
                    .to_owned()
            }
            State::Bounced => format!(
                "Check the address with the organisation, then `letterpost send --retry-failed --only {key}`"
            ),
            State::AutoReplied => {
                format!("Nothing to do; read the automatic reply: `letterpost log show {key}`")
            }
            State::Delivered | State::Read => "Nothing to do".to_owned(),
        }
    }
}

impl From<Arrival> for State {
    fn from(arrival: Arrival) -> State {
        match arrival {
            Arrival::Delayed => State::Delayed,
            Arrival::Bounced => State::Bounced,
            Arrival::AutoReplied => State::AutoReplied,
            Arrival::Delivered => State::Delivered,
            Arrival::Read => State::Read,
        }
    }
}

/// How much a report says: a letter's state follows its strongest report, so a delay after a
/// delivery, or a bounce of one address after another delivered, does not undo the delivery.
fn strength(arrival: Arrival) -> u8 {
    match arrival {
        Arrival::Delayed => 1,
        Arrival::Bounced => 2,
        Arrival::AutoReplied => 3,
        Arrival::Delivered => 4,
        Arrival::Read => 5,
    }
}

/// What the reports said about one letter, for the auditor's views.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reports {
    /// The strongest report since the last attempt.
    pub arrival: Option<Arrival>,
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

impl From<Outcome> for State {
    fn from(outcome: Outcome) -> State {
        match outcome {
            Outcome::Accepted => State::Accepted,
            Outcome::Rejected => State::Rejected,
            Outcome::Deferred => State::Deferred,
            Outcome::Unknown => State::Unknown,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<State, String> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
                t!("log-not-a-state", value = s, states = names.join(", "))
            })
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
        if let (State::Bounced, Some(b)) = (self.state, &self.reports.bounce) {
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
            Some(bounce) if self.state == State::Bounced && bounce.no_such_address() => t!(
                "log-next-no-such-address",
                address = &bounce.recipient,
                status = bounce.status.as_deref().unwrap_or("5.1.x"),
                key = key
            ),
            _ => self.state.next_step(key),
        }
    }

    /// What the operator can do about this recipient, knowing what its reports said, in
    /// English: the `next_action` column of exports.
    pub fn next_action(&self, key: &str) -> String {
        match &self.reports.bounce {
            Some(bounce) if self.state == State::Bounced && bounce.no_such_address() => format!(
                "The address {} does not exist ({}): correct it in the list, then `letterpost send --retry-failed --only {key}`",
                bounce.recipient,
                bounce.status.as_deref().unwrap_or("5.1.x")
            ),
            _ => self.state.next_action(key),
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
            Body::Delivered(t)
            | Body::Delayed(t)
            | Body::Bounced(t)
            | Body::Read(t)
            | Body::AutoReply(t) => {
                let (arrival, _) = record.body.tracked().expect("a report record");
                self.report(record, arrival, t);
            }
            Body::Attempt(attempt) if attempt.test => self.open_test(record, attempt.letter()),
            Body::Data(letter) if letter.test => self.open_test(record, letter.clone()),
            Body::Attempt(attempt) => self.attempt(record, attempt),
            Body::Data(letter) => {
                if let Some(t) = clock::parse_rfc3339(&record.time) {
                    self.sent_times.push(t);
                }
                if let Some(r) = self.recipients.get_mut(&letter.key) {
                    r.state = State::Unknown;
                    r.open = Some(Open {
                        letter: letter.clone(),
                        run: record.run.clone(),
                        data: true,
                    });
                    r.last = Some(Box::new(record.clone()));
                }
            }
            Body::Accepted(e) | Body::Rejected(e) | Body::Deferred(e) | Body::Unknown(e)
                if e.test =>
            {
                self.open_tests.shift_remove(&e.key);
            }
            body => {
                let Some((outcome, ending)) = body.outcome() else {
                    return;
                };
                let light = self.light;
                if let Some(r) = self.recipients.get_mut(&ending.key) {
                    r.state = outcome.into();
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
                state: State::Interrupted,
                open: None,
                last: None,
                last_attempt: None,
                message_id: String::new(),
                attempts: 0,
                accepted: 0,
                addresses: Vec::new(),
                reports: Reports::default(),
            });
        r.state = State::Interrupted;
        // A new try: its fate is told by its own reports, not by the last one's.
        r.reports.arrival = None;
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
            Arrival::AutoReplied => reports.auto_replied_at = at,
            Arrival::Bounced => {
                reports.bounce = Some(Bounce {
                    at: record.time.clone(),
                    recipient: tracked.recipient.clone(),
                    status: tracked.report.status.clone(),
                    diagnostic: tracked.report.diagnostic.clone(),
                });
            }
        }
        if reports
            .arrival
            .is_none_or(|a| strength(arrival) > strength(a))
        {
            reports.arrival = Some(arrival);
        }
        if r.state == State::Unknown {
            reports.settled_unknown = true;
            r.open = None;
        }
        if let Some(best) = reports.arrival
            && (r.state.accepted() || r.state == State::Unknown)
        {
            r.state = best.into();
        }
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
    fn fold(ledger: &mut Ledger, steps: &[(&str, &str)]) -> Vec<(String, State)> {
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
            .map(|(k, r)| (k.clone(), r.state))
            .collect()
    }

    #[test]
    fn each_history_folds_to_its_state() {
        use State::*;
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
        for state in State::ALL {
            assert_eq!(state.to_string().parse::<State>(), Ok(state));
        }
        assert!("open".parse::<State>().unwrap_err().contains("interrupted"));
    }

    /// In English, the words a person reads are the words exports write.
    #[test]
    fn in_english_the_next_step_is_the_exported_next_action() {
        for state in State::ALL {
            assert_eq!(state.described(), state.as_str());
            assert_eq!(state.next_step("k"), state.next_action("k"));
        }
        let mut r = Recipient {
            state: State::Bounced,
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
