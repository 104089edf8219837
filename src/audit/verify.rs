//! `letterpost log verify`: the chain, the rules each organisation's history keeps, the archived
//! messages, and a kept checkpoint.
//!
//! `Audit` is a pure fold over typed records: a record that parsed is well formed, so the rules
//! here are about order (an outcome only after its attempt, at most one acceptance unless a
//! resend was asked for), never about which members a record has.
//!
//! What it says (findings, the verdict) is worded in `locales/*/audit.ftl`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::bail;
use indexmap::IndexMap;

use super::{Source, archived_sha256};
use crate::delivery_log::{self, Attempt, Body, Broken, Letter, Line, Outcome, Reason, Record};
use crate::report::ExitCode;

/// One finding of `verify`: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: u64,
    pub seq: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = &self.message;
        let text = match self.seq {
            Some(seq) => t!(
                "audit-finding-seq",
                line = self.line,
                seq = seq,
                message = message
            ),
            None => t!("audit-finding", line = self.line, message = message),
        };
        f.write_str(&text)
    }
}

/// An attempt not yet closed by an outcome, and whether its `data` was written.
struct OpenAttempt {
    attempt: Attempt,
    seq: u64,
    data: bool,
}

/// The per-recipient rules, checked record by record.
#[derive(Default)]
pub struct Audit {
    /// (key, test) → the open attempt, if any.
    open: HashMap<(String, bool), OpenAttempt>,
    last_attempt: HashMap<String, u32>,
    accepted: HashMap<String, u32>,
    message_ids: HashMap<String, String>,
    /// The letters that reached a server's hands (a real `data` record): reports can only be
    /// about those, and about their addresses (`evidence`'s rule, the one `track` applies).
    letters: crate::evidence::Letters,
    /// Keys whose accepted letter later bounced: a retry may be accepted once more.
    bounced: std::collections::HashSet<String>,
    run: Option<String>,
    runs: usize,
    /// Every archived message a record names, with the SHA-256 its records give it.
    archives: IndexMap<String, String>,
}

impl Audit {
    /// Checks one record that passed the chain rule; returns what is wrong with it, if anything.
    pub fn check(&mut self, record: &Record) -> Option<String> {
        let starts = matches!(record.body, Body::RunStarted(_));
        if record.seq == 0 && !starts {
            return Some(t!("audit-no-run-started-first"));
        }
        if starts {
            self.run = Some(record.run.clone());
            self.runs += 1;
            return None;
        }
        if self.run.as_deref() != Some(record.run.as_str()) {
            return Some(t!("audit-run-without-start", run = &record.run));
        }
        match &record.body {
            Body::RunStarted(_) | Body::RunFinished(_) => None,
            Body::Attempt(attempt) => self.attempt(attempt, record.seq),
            Body::Data(letter) => {
                self.letters.add(record);
                self.data(letter)
            }
            body => {
                if let Some((arrival, tracked)) = body.tracked() {
                    if arrival == crate::delivery_log::Arrival::Bounced {
                        self.bounced.insert(tracked.key.clone());
                    }
                    return self.report(body.name(), tracked);
                }
                let (outcome, ending) = body.outcome()?;
                let has_reason = ending.smtp.is_some() || ending.error.is_some();
                self.ending(outcome, &ending.letter(), has_reason)
            }
        }
    }

    fn attempt(&mut self, attempt: &Attempt, seq: u64) -> Option<String> {
        let key = &attempt.key;
        let slot = (key.clone(), attempt.test);
        if let Some(open) = self.open.get(&slot) {
            return Some(t!(
                "audit-attempt-while-open",
                key = key,
                attempt = open.attempt.attempt,
                seq = open.seq
            ));
        }
        if !attempt.test {
            let expected = self.last_attempt.get(key).map_or(1, |n| n + 1);
            if attempt.attempt != expected {
                return Some(t!(
                    "audit-attempt-out-of-order",
                    attempt = attempt.attempt,
                    key = key,
                    expected = expected
                ));
            }
            self.last_attempt.insert(key.clone(), attempt.attempt);
            let id = self
                .message_ids
                .entry(key.clone())
                .or_insert_with(|| attempt.message_id.clone());
            if *id != attempt.message_id {
                return Some(t!(
                    "audit-message-id-changed",
                    key = key,
                    before = &*id,
                    after = &attempt.message_id
                ));
            }
        }
        self.archives
            .insert(attempt.archive.clone(), attempt.sha256.clone());
        let open = OpenAttempt {
            attempt: attempt.clone(),
            seq,
            data: false,
        };
        self.open.insert(slot, open);
        None
    }

    /// A report follows the letter it is about: a real letter of that key was handed to a
    /// server (`data`), under the same Message-ID, and the report is about one of its addresses.
    /// Its archived bytes are checked with the rest.
    fn report(&mut self, name: &str, tracked: &crate::delivery_log::Tracked) -> Option<String> {
        use crate::evidence::Refused;
        let key = &tracked.key;
        let recipient = tracked.recipient.as_str();
        match self.letters.proves(key, &tracked.message_id, [recipient]) {
            Ok(_) => {}
            Err(Refused::NotHandedOver) => {
                return Some(t!("audit-report-before-data", name = name, key = key));
            }
            Err(Refused::OtherMessageId { sent }) => {
                return Some(t!(
                    "audit-report-other-message-id",
                    name = name,
                    key = key,
                    reported = &tracked.message_id,
                    sent = sent
                ));
            }
            Err(Refused::NotItsAddress { .. }) => {
                return Some(t!(
                    "audit-report-not-its-address",
                    name = name,
                    key = key,
                    recipient = format!("{recipient:?}")
                ));
            }
        }
        self.archives.insert(
            tracked.report.archive.clone(),
            tracked.report.sha256.clone(),
        );
        None
    }

    fn data(&mut self, letter: &Letter) -> Option<String> {
        let key = &letter.key;
        match self.open.get_mut(&(key.clone(), letter.test)) {
            None => Some(t!("audit-data-without-attempt", key = key)),
            Some(open) if open.data => Some(t!("audit-second-data", key = key)),
            Some(open) => {
                open.data = true;
                same_attempt(open, letter, "data")
            }
        }
    }

    fn ending(&mut self, outcome: Outcome, letter: &Letter, has_reason: bool) -> Option<String> {
        let key = &letter.key;
        let Some(open) = self.open.remove(&(key.clone(), letter.test)) else {
            return Some(t!(
                "audit-outcome-without-attempt",
                outcome = outcome.as_str(),
                key = key
            ));
        };
        if let Some(m) = same_attempt(&open, letter, outcome.as_str()) {
            return Some(m);
        }
        if matches!(outcome, Outcome::Accepted | Outcome::Unknown) && !open.data {
            return Some(t!(
                "audit-outcome-without-data",
                outcome = outcome.as_str(),
                key = key
            ));
        }
        if !has_reason {
            return Some(t!(
                "audit-outcome-without-reason",
                outcome = outcome.as_str(),
                key = key
            ));
        }
        if outcome == Outcome::Accepted && !letter.test {
            let n = self.accepted.entry(key.clone()).or_insert(0);
            *n += 1;
            // A second acceptance needs the operator's word: a resend of an unknown letter, or
            // a retry of one that bounced after the relay took it.
            let bounced = self.bounced.remove(key);
            let asked = match open.attempt.reason {
                Some(Reason::ResendUnknown) => true,
                Some(Reason::RetryFailed) => bounced,
                None => false,
            };
            if *n > 1 && !asked {
                return Some(t!("audit-accepted-twice", key = key));
            }
        }
        None
    }
}

fn same_attempt(open: &OpenAttempt, letter: &Letter, what: &str) -> Option<String> {
    let a = &open.attempt;
    let same = a.attempt == letter.attempt
        && a.sha256 == letter.sha256
        && a.message_id == letter.message_id
        && a.archive == letter.archive;
    (!same).then(|| {
        t!(
            "audit-not-its-attempt",
            record = what,
            key = &letter.key,
            attempt = a.attempt,
            seq = open.seq
        )
    })
}

/// A `--checkpoint` as the log writes hashes: 64 hex digits, lowercase (uppercase is accepted).
/// Anything else is a typing mistake, not evidence against the log (exit 2, nothing read).
pub fn checkpoint_hash(text: &str) -> anyhow::Result<String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(text.to_ascii_lowercase());
    }
    bail!(t!("audit-checkpoint-not-a-hash", text = text))
}

/// What one pass over the log found.
#[derive(Default)]
struct Pass {
    audit: Audit,
    finding: Option<Finding>,
    records: u64,
    checkpoint_seq: Option<u64>,
    /// The hash of the last record that held.
    head: Option<String>,
    /// Where each archived message is first named: (line, seq).
    named_at: HashMap<String, (u64, u64)>,
}

/// `letterpost log verify [--checkpoint HASH]`.
pub fn verify(source: &Source, checkpoint: Option<&str>) -> anyhow::Result<ExitCode> {
    let checkpoint = checkpoint.map(checkpoint_hash).transpose()?;
    let path = source.existing_log()?;
    let shown = source.show(path);
    let mut pass = Pass::default();
    let chain = delivery_log::replay(path, |line: &Line, record: &Record| {
        pass.records += 1;
        if pass.finding.is_none()
            && let Some(message) = pass.audit.check(record)
        {
            pass.finding = Some(Finding {
                line: line.number,
                seq: Some(record.seq),
                message,
            });
        }
        let archive = record
            .body
            .letter()
            .map(|l| l.archive)
            .or_else(|| record.body.tracked().map(|(_, t)| t.report.archive.clone()));
        if let Some(archive) = archive {
            pass.named_at
                .entry(archive)
                .or_insert((line.number, record.seq));
        }
        if checkpoint.as_deref() == Some(record.hash.as_str()) {
            pass.checkpoint_seq = Some(record.seq);
        }
        pass.head = Some(record.hash.clone());
    })?;
    let head = match chain {
        Ok(chain) => chain.head,
        // A send is writing its next record: what is complete is verified, the rest waits.
        Err(broken) if source.being_written(&broken) => {
            let note = t!("audit-being-written", log = &shown, line = broken.line);
            say!("{note}");
            let empty = || delivery_log::Chain::default().head;
            pass.head.clone().unwrap_or_else(empty)
        }
        Err(broken) => {
            let broken_text = broken.described();
            let verdict = match where_the_order_breaks(path, &broken) {
                Order::Unexplained => {
                    t!("audit-failed-chain", log = &shown, broken = broken_text)
                }
                Order::Reordered { expected, line } => t!(
                    "audit-failed-reordered",
                    log = &shown,
                    broken = broken_text,
                    expected = expected,
                    line = line
                ),
                Order::Deleted { expected } => t!(
                    "audit-failed-deleted",
                    log = &shown,
                    broken = broken_text,
                    expected = expected
                ),
                Order::Repeated { found, line } => t!(
                    "audit-failed-repeated",
                    log = &shown,
                    broken = broken_text,
                    found = found,
                    line = line
                ),
            };
            say!("{verdict}");
            // A link that breaks at line N says line N or line N-1 was replaced: a forged line
            // chained onto the one before it looks whole until its successor is read.
            let trusted = if broken.damage == delivery_log::Damage::BrokenLink {
                broken.line.saturating_sub(1)
            } else {
                broken.line
            };
            say!("{}", t!("audit-trusted-up-to", line = trusted));
            return Ok(ExitCode::Partial);
        }
    };
    if let Some(f) = &pass.finding {
        say!(
            "{}",
            t!(
                "audit-failed-finding",
                log = &shown,
                finding = f.to_string()
            )
        );
        return Ok(ExitCode::Partial);
    }
    if !archives_hold(source, &shown, &pass) || !checkpoint_holds(&shown, &pass, &checkpoint) {
        return Ok(ExitCode::Partial);
    }
    say!(
        "{}",
        t!(
            "audit-ok",
            log = &shown,
            records = pass.records,
            runs = pass.audit.runs,
            archives = pass.audit.archives.len()
        )
    );
    say!("{}", t!("audit-head", head = head));
    Ok(ExitCode::Success)
}

/// Whether every archived message is there and hashes to its records; says where not.
fn archives_hold(source: &Source, shown: &str, pass: &Pass) -> bool {
    let mut problems = Vec::new();
    for (archive, sha256) in &pass.audit.archives {
        match archived_sha256(&source.root, archive) {
            Ok(actual) if &actual == sha256 => {}
            Ok(_) => problems.push((archive, t!("audit-archive-changed"))),
            Err(why) => problems.push((archive, why)),
        }
    }
    let Some((archive, why)) = problems.first() else {
        return true;
    };
    let (line, seq) = pass.named_at.get(*archive).copied().unwrap_or((0, 0));
    say!(
        "{}",
        t!(
            "audit-failed-archive",
            log = shown,
            line = line,
            seq = seq,
            archive = *archive,
            why = why
        )
    );
    if problems.len() > 1 {
        say!("{}", t!("audit-archives-failing", count = problems.len()));
    }
    false
}

/// Whether the kept checkpoint is still in the log; says where it is, or that it is gone.
fn checkpoint_holds(shown: &str, pass: &Pass, checkpoint: &Option<String>) -> bool {
    let Some(cp) = checkpoint else {
        return true;
    };
    match pass.checkpoint_seq {
        Some(seq) => {
            say!(
                "{}",
                t!(
                    "audit-checkpoint-found",
                    checkpoint = cp,
                    seq = seq,
                    after = pass.records - seq - 1
                )
            );
            true
        }
        None => {
            say!(
                "{}",
                t!("audit-checkpoint-missing", log = shown, checkpoint = cp)
            );
            false
        }
    }
}

/// Where the record a broken `seq` expected went, as a second look at the file finds it.
enum Order {
    /// Not a `seq` out of place, or nothing more to say.
    Unexplained,
    /// It is later in the file: the lines were reordered.
    Reordered { expected: u64, line: u64 },
    /// No line holds it: lines were removed.
    Deleted { expected: u64 },
    /// The `seq` found was already earlier: a line was inserted or repeated.
    Repeated { found: u64, line: u64 },
}

/// For a `seq` out of place, says where the expected record went, from a second look at the file:
/// later in the file (reordered), nowhere (removed), or earlier (a line inserted or repeated).
fn where_the_order_breaks(path: &Path, broken: &Broken) -> Order {
    let expected = match broken.damage {
        delivery_log::Damage::Missing { expected }
        | delivery_log::Damage::OutOfOrder { expected } => expected,
        _ => return Order::Unexplained,
    };
    let Some(found) = broken.seq else {
        return Order::Unexplained;
    };
    let mut first_line: HashMap<u64, u64> = HashMap::new();
    if let Ok(lines) = delivery_log::lines(path) {
        for line in lines.map_while(Result::ok) {
            let seq = serde_json::from_str::<serde_json::Value>(&line.text)
                .ok()
                .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
            if let Some(seq) = seq {
                first_line.entry(seq).or_insert(line.number);
            }
        }
    }
    if found > expected {
        match first_line.get(&expected) {
            Some(line) if *line > broken.line => Order::Reordered {
                expected,
                line: *line,
            },
            _ => Order::Deleted { expected },
        }
    } else {
        match first_line.get(&found) {
            Some(line) if *line < broken.line => Order::Repeated { found, line: *line },
            _ => Order::Unexplained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_64_hex_digits_in_either_case() {
        let head = "ca5930758ead4f75208c20aee9716d6cfe8dfbc02634f295ca07de8d765e726c";
        assert_eq!(checkpoint_hash(head).unwrap(), head);
        assert_eq!(checkpoint_hash(&head.to_uppercase()).unwrap(), head);
        for bad in [
            "",
            "deadbeef",
            &head[1..],
            &format!("{head}0"),
            &head.replace('c', "g"),
        ] {
            assert!(checkpoint_hash(bad).is_err(), "{bad}");
        }
    }
}
