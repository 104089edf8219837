//! The delivery log: its wire format, the append-only writer with group commit, the reader, the
//! hash-chain check, and the fold of records into each recipient's state (from which resume,
//! summaries and exports are computed).
//!
//! # Wire format, version 1
//!
//! The log of campaign `ID` is `logs/ID.jsonl`: UTF-8 JSON Lines, one record per line, each line
//! ended by `\n`. A written line is never changed; records are only appended.
//!
//! Every record is a JSON object whose members appear in this order:
//!
//! | member | meaning |
//! |---|---|
//! | `v` | format version, `1` |
//! | `seq` | 0 for the first record of the file, then 1, 2, … with no gaps across runs |
//! | `time` | when the record was written, RFC 3339 UTC with milliseconds (`2026-11-26T08:30:00.125Z`) |
//! | `run` | the id of the run that wrote it |
//! | `type` | `run_started`, `attempt`, `data`, `accepted`, `rejected`, `deferred`, `unknown`, `run_finished` |
//! | `prev` | the `hash` of the previous record; 64 zeros for the first |
//! | … | the members of the type, below |
//! | `hash` | always the last member: see the chain rule |
//!
//! Members of `run_started`: `mode` (`send`, or `test` for `--redirect-to` runs), `campaign`,
//! `operator` (the login name), `host`, `tool` (`letterpost X.Y.Z`), `inputs` (an object mapping
//! `config`, `recipients` and the path of every template file, partials included, to
//! `{"file": …, "sha256": …}`; logs written before partials were fingerprinted name the three
//! main templates `letter_html`, `letter_text`, `appendix` instead), `options` (the flags that
//! shaped the run, as text), `key_source` (the header of the column that gave the recipients'
//! keys, or `first address` when the list has no `id` column; absent in logs written before it
//! was recorded), and `source_date_epoch` (only when `SOURCE_DATE_EPOCH` fixed the `Date:` of
//! every letter of the run: its value, seconds since 1970).
//!
//! Per-recipient records (`attempt`, `data`, and the outcomes) have `key` (the stable recipient
//! key), `row` (the CSV line the recipient was read from in this run), `to` (every envelope
//! address, To then Cc), `message_id`, `sha256` (of the exact message bytes), `archive` (the file
//! holding those bytes, relative to the campaign folder), `attempt` (1, 2, … per key, counted
//! across runs), and `test: true` on test sends (`--redirect-to`), which never count as delivery.
//! `attempt` records also name the `organisation`. An `attempt` made because the operator asked
//! has `reason` (`resend_unknown`, `retry_failed`).
//!
//! - `attempt`: written before the first SMTP command for that message (MAIL FROM).
//! - `data`: written after the server answered DATA with 354 and before the first byte of the
//!   message is sent. An attempt without `data` never reached the server's hands: it is safe to
//!   try again. An attempt with `data` and no outcome may have been delivered.
//! - `accepted` (2xx after the message), `rejected` (5xx), `deferred` (4xx, or a failure before the
//!   message was sent: safe to retry), `unknown` (the connection was lost or timed out after
//!   `data`: maybe delivered, never resent automatically). Outcomes have `stage` (`mail`, `rcpt`,
//!   `data`, `message`, `interrupted`) and either `smtp` (`{"code": 250, "enhanced": "2.0.0",
//!   "text": "…"}`, the server's reply, all lines joined by `\n`) or `error` (what went wrong
//!   where no reply exists). A run that finds an attempt left open by an earlier run closes it
//!   first: `deferred` with stage `interrupted` when it had no `data`, else `unknown`.
//!
//! Members of `run_finished`: `counts` (`{"accepted": n, "rejected": n, "deferred": n,
//! "unknown": n, "skipped": n, "pending": n}` for this run: `skipped` were already accepted or
//! otherwise settled before it, `pending` were not attempted, e.g. because of `--limit`), and
//! `stopped` (why the run ended early) when it did.
//!
//! # The chain rule
//!
//! Take a line without its `\n`. Remove the text `,"hash":"<64 hex>"` (the last member) and you
//! have the exact bytes `B` that were hashed. Then `hash = hex(SHA-256(prev || B))`, lowercase,
//! where `prev` is the previous record's `hash` as 64 ASCII hex digits (64 zeros for the first
//! record) and is also the `prev` member inside `B`. A line that fails this was edited; a `prev`
//! that is not the previous line's `hash`, or a `seq` out of order, means lines were removed,
//! inserted or reordered. Rewriting the whole chain is caught only against a head hash kept from
//! the end of a run (`letterpost log verify --checkpoint`).
//!
//! # Durability
//!
//! One thread owns the file (opened with `O_APPEND`). Records that arrive while it is busy are
//! written together with one `write` and one `fdatasync` (group commit); nobody is told a record
//! is written before that fsync returned. An archived message is made durable before any record
//! names it (`Archive::sync`, called by the sender for a whole batch of stored messages), so no
//! `attempt` line ever names a message that is not on disk. A failed write or fsync is fatal:
//! every later append fails, because after a failed fsync the kernel may have dropped the data.
//!
//! The log, a torn line set aside and every archived message are private files (0600 in 0700
//! folders), opened without ever following a symbolic link (`private_fs`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock;
use crate::private_fs;

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record. Members that do not apply to a type are `None` and not written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub v: u32,
    pub seq: u64,
    pub time: String,
    pub run: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub prev: String,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<indexmap::IndexMap<String, Input>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_date_epoch: Option<u64>,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// The record types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    RunStarted,
    Attempt,
    Data,
    Accepted,
    Rejected,
    Deferred,
    Unknown,
    RunFinished,
}

impl Kind {
    pub fn is_outcome(self) -> bool {
        matches!(
            self,
            Kind::Accepted | Kind::Rejected | Kind::Deferred | Kind::Unknown
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RunStarted => "run_started",
            Kind::Attempt => "attempt",
            Kind::Data => "data",
            Kind::Accepted => "accepted",
            Kind::Rejected => "rejected",
            Kind::Deferred => "deferred",
            Kind::Unknown => "unknown",
            Kind::RunFinished => "run_finished",
        }
    }
}

/// A fingerprinted input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub file: String,
    pub sha256: String,
}

/// A server reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced: Option<String>,
    pub text: String,
}

/// What a run did, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub accepted: u64,
    pub rejected: u64,
    pub deferred: u64,
    pub unknown: u64,
    pub skipped: u64,
    pub pending: u64,
}

impl Entry {
    /// A per-recipient record of `kind` about `letter`, with the chain members left to the writer.
    pub fn about(kind: Kind, subject: &Subject) -> Entry {
        Entry {
            kind,
            key: Some(subject.key.clone()),
            row: Some(subject.row),
            to: Some(subject.to.clone()),
            message_id: Some(subject.message_id.clone()),
            sha256: Some(subject.sha256.clone()),
            archive: Some(subject.archive.clone()),
            attempt: Some(subject.attempt),
            test: subject.test.then_some(true),
            ..Entry::default()
        }
    }

    pub fn is_test(&self) -> bool {
        self.test == Some(true)
    }
}

/// The members every record about one attempt at one recipient shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub key: String,
    pub row: u64,
    pub to: Vec<String>,
    pub message_id: String,
    pub sha256: String,
    pub archive: String,
    pub attempt: u32,
    pub test: bool,
}

impl Subject {
    /// The subject of an earlier record (to close an attempt a previous run left open).
    pub fn of(entry: &Entry) -> Option<Subject> {
        Some(Subject {
            key: entry.key.clone()?,
            row: entry.row?,
            to: entry.to.clone()?,
            message_id: entry.message_id.clone()?,
            sha256: entry.sha256.clone()?,
            archive: entry.archive.clone()?,
            attempt: entry.attempt?,
            test: entry.is_test(),
        })
    }
}

/// `hex(SHA-256(prev || bytes))`: the chain rule.
pub fn chain_hash(prev: &str, bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(bytes);
    hex::encode(h.finalize())
}

/// Splits a line into the hashed bytes `B` and its `hash`, if it ends as the format says.
pub fn split_hash(line: &str) -> Option<(String, &str)> {
    const TAIL: usize = ",\"hash\":\"".len() + 64 + "\"}".len();
    if line.len() < TAIL + 1 || !line.is_char_boundary(line.len() - TAIL) {
        return None;
    }
    let (body, tail) = line.split_at(line.len() - TAIL);
    let hash = tail.strip_prefix(",\"hash\":\"")?.strip_suffix("\"}")?;
    if !hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    Some((format!("{body}}}"), hash))
}

/// Serialises `entry` (whose `hash` is `None`) and seals it: returns the line without `\n`.
fn seal(entry: &mut Entry) -> String {
    entry.hash = None;
    let body = serde_json::to_string(entry).expect("entries always serialise");
    let hash = chain_hash(&entry.prev, body.as_bytes());
    let line = format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1]);
    entry.hash = Some(hash);
    line
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One physical line of the log.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start.
    pub offset: u64,
    pub text: String,
    /// Whether the line ended with `\n` (only the last line of a torn file does not).
    pub complete: bool,
}

/// Reads the log line by line, never holding more than one line.
pub fn lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<Line>>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut number = 0;
    let mut offset = 0u64;
    Ok(std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(n) => {
                number += 1;
                let start = offset;
                offset += n as u64;
                let complete = buf.last() == Some(&b'\n');
                if complete {
                    buf.pop();
                }
                let text = String::from_utf8(buf)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                Some(Ok(Line {
                    number,
                    offset: start,
                    text,
                    complete,
                }))
            }
            Err(e) => Some(Err(e)),
        }
    }))
}

/// What is wrong with a line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The last line has no `\n` or cannot be parsed: the writer stopped in the middle of it.
    Torn,
    /// Not a JSON record of this format.
    Unreadable(String),
    /// A `v` this build does not know.
    UnknownVersion(u32),
    /// The line's `hash` does not match its own content: the line was edited.
    Edited,
    /// `seq` is higher than expected: lines before it are missing.
    Missing { expected: u64 },
    /// `seq` is lower than expected: lines were reordered, duplicated or inserted.
    OutOfOrder { expected: u64 },
    /// `seq` is right but `prev` is not the previous record's hash: a line was replaced or forged.
    BrokenLink,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Torn => write!(f, "torn last line: the writer stopped in the middle of it"),
            Damage::Unreadable(why) => write!(f, "not a record of this log format: {why}"),
            Damage::UnknownVersion(v) => {
                write!(
                    f,
                    "format version {v} is not known to this letterpost (it reads version {VERSION})"
                )
            }
            Damage::Edited => write!(f, "edited: its hash does not match its content"),
            Damage::Missing { expected } => {
                write!(
                    f,
                    "a gap in seq: the record with seq {expected} should be here (deleted or moved)"
                )
            }
            Damage::OutOfOrder { expected } => {
                write!(
                    f,
                    "seq goes back: seq {expected} should be here (a line inserted, repeated or moved)"
                )
            }
            Damage::BrokenLink => write!(
                f,
                "replaced or forged: its prev is not the hash of the line before it"
            ),
        }
    }
}

/// Checks lines one after the other against the chain rule.
#[derive(Debug, Clone)]
pub struct Chain {
    pub next_seq: u64,
    pub head: String,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            next_seq: 0,
            head: GENESIS.to_owned(),
        }
    }
}

impl Chain {
    /// Checks `line` and, if it holds, moves the head to it. `last` says whether more lines follow.
    pub fn check(&mut self, line: &Line, last: bool) -> Result<Entry, Damage> {
        let torn = |d: Damage| if last { Damage::Torn } else { d };
        if !line.complete {
            return Err(Damage::Torn);
        }
        let value: serde_json::Value = serde_json::from_str(&line.text)
            .map_err(|e| torn(Damage::Unreadable(e.to_string())))?;
        match value.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(Damage::UnknownVersion(v.try_into().unwrap_or(u32::MAX))),
            None => return Err(Damage::Unreadable("it has no `v`".into())),
        }
        let entry: Entry =
            serde_json::from_value(value).map_err(|e| Damage::Unreadable(e.to_string()))?;
        let Some((body, hash)) = split_hash(&line.text) else {
            return Err(Damage::Unreadable("it does not end with its hash".into()));
        };
        if chain_hash(&entry.prev, body.as_bytes()) != hash {
            return Err(Damage::Edited);
        }
        if entry.seq > self.next_seq {
            return Err(Damage::Missing {
                expected: self.next_seq,
            });
        }
        if entry.seq < self.next_seq {
            return Err(Damage::OutOfOrder {
                expected: self.next_seq,
            });
        }
        if entry.prev != self.head {
            return Err(Damage::BrokenLink);
        }
        self.next_seq += 1;
        self.head = hash.to_owned();
        Ok(entry)
    }
}

/// A log that fails the chain rule, at its first bad line.
#[derive(Debug, Clone)]
pub struct Broken {
    pub line: u64,
    pub offset: u64,
    pub seq: Option<u64>,
    pub damage: Damage,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.damage)?;
        if self.damage == Damage::Torn {
            write!(f, " (the line starts at byte {})", self.offset)?;
        }
        Ok(())
    }
}

/// Reads the whole log, checking the chain, and hands every good entry to `visit`. Stops at the
/// first bad line. A missing file is an empty log.
pub fn replay(
    path: &Path,
    mut visit: impl FnMut(&Line, &Entry),
) -> anyhow::Result<Result<Chain, Broken>> {
    let mut chain = Chain::default();
    let iter = match lines(path) {
        Ok(iter) => iter,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ok(chain)),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())));
        }
    };
    let mut iter = iter.peekable();
    while let Some(line) = iter.next() {
        let line = line.map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot read {}", path.display()))
        })?;
        let last = iter.peek().is_none();
        match chain.check(&line, last) {
            Ok(entry) => visit(&line, &entry),
            Err(damage) => {
                let seq = serde_json::from_str::<serde_json::Value>(&line.text)
                    .ok()
                    .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
                return Ok(Err(Broken {
                    line: line.number,
                    offset: line.offset,
                    seq,
                    damage,
                }));
            }
        }
    }
    Ok(Ok(chain))
}

/// Moves a torn last line (a write the machine never finished, so never acknowledged and never
/// followed by a network step) out of the log into `<log>.torn-<offset>`, so the log can be
/// appended to again. The fragment is kept for the auditor, not deleted.
pub fn set_aside_torn_tail(path: &Path, offset: u64) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use std::io::{Seek, SeekFrom};
    let mut file = private_fs::open_existing(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut fragment = Vec::new();
    file.seek(SeekFrom::Start(offset))?;
    file.read_to_end(&mut fragment)?;
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".torn-{offset}"));
    let aside = PathBuf::from(aside);
    // A new file, never an existing one or a link: an earlier fragment is evidence too.
    let mut out = private_fs::create_new(&aside).with_context(|| {
        format!(
            "cannot set the torn last line of {} aside in {}; nothing was sent (move {} away \
             and run again)",
            path.display(),
            aside.display(),
            aside.display()
        )
    })?;
    out.write_all(&fragment)?;
    out.sync_all()?;
    if let Some(dir) = path.parent() {
        // The fragment's name must be durable before the log is cut.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync {}", dir.display()))?;
    }
    file.set_len(offset)
        .with_context(|| format!("cannot truncate {}", path.display()))?;
    file.sync_all()?;
    Ok(aside)
}

// ---------------------------------------------------------------------------------------------
// The state of each recipient

/// Where one recipient stands, from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Accepted,
    Rejected,
    Deferred,
    Unknown,
    /// An attempt without an outcome (its run stopped): `data` says whether the message may have
    /// been sent.
    Open {
        data: bool,
    },
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Deferred => "deferred",
            State::Unknown => "unknown",
            State::Open { data: false } => "interrupted",
            State::Open { data: true } => "unknown",
        }
    }
}

/// One recipient's history, folded.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub state: State,
    /// The last record about this key (its outcome, or the open attempt or data record). A
    /// ledger `for_sending` drops it once the key is accepted.
    pub last: Option<Box<Entry>>,
    /// The last attempt record (its Message-ID, archive, sha256); dropped like `last`.
    pub last_attempt: Option<Box<Entry>>,
    /// How many attempts were made, across runs.
    pub attempts: u32,
    /// How many accepted records the key has.
    pub accepted: u32,
    /// The envelope addresses of the last attempt, kept even when `last` is dropped: a send
    /// checks that no letter goes to an address that accepted it under another key.
    pub addresses: Vec<String>,
}

/// Every recipient's state, test sends apart, plus what the rate limit needs.
#[derive(Debug, Default)]
pub struct Ledger {
    pub recipients: IndexMap<String, Recipient>,
    /// Whether an accepted key keeps its last records (the auditor's commands need them; a
    /// send needs only the state, and a long campaign's memory stays small without them).
    light: bool,
    /// Times of every `data` record (a message handed to a server), tests included, in order.
    pub sent_times: Vec<std::time::SystemTime>,
    /// The last `run_started` record.
    pub last_run: Option<Entry>,
    /// Where the keys came from in the last real send that recorded it (`key_source`).
    pub key_source: Option<String>,
    /// Test sends (`--redirect-to`) whose last record is an `attempt` or `data`: a run stopped
    /// in the middle of them; the next run closes them like any other.
    pub open_tests: IndexMap<String, Entry>,
}

impl Ledger {
    /// A ledger for deciding what to send: an accepted key keeps only its state, attempts and
    /// time, not its records.
    pub fn for_sending() -> Ledger {
        Ledger {
            light: true,
            ..Ledger::default()
        }
    }

    /// The last record of every attempt left open (no outcome), real or test, whatever the
    /// recipient list holds now: what a new run closes before it sends anything.
    pub fn open_attempts(&self) -> Vec<Entry> {
        let real = self
            .recipients
            .values()
            .filter(|r| matches!(r.state, State::Open { .. }));
        real.filter_map(|r| r.last.as_deref().cloned())
            .chain(self.open_tests.values().cloned())
            .collect()
    }

    /// Folds one record in. Records must come in log order.
    pub fn add(&mut self, entry: &Entry) {
        match entry.kind {
            Kind::RunStarted => {
                if entry.mode.as_deref() == Some("send") && entry.key_source.is_some() {
                    self.key_source.clone_from(&entry.key_source);
                }
                self.last_run = Some(entry.clone());
            }
            Kind::RunFinished => {}
            Kind::Data => {
                if let Some(t) = clock::parse_rfc3339(&entry.time) {
                    self.sent_times.push(t);
                }
            }
            _ => {}
        }
        let Some(key) = &entry.key else { return };
        if entry.is_test() {
            match entry.kind {
                Kind::Attempt | Kind::Data => {
                    self.open_tests.insert(key.clone(), entry.clone());
                }
                kind if kind.is_outcome() => {
                    self.open_tests.shift_remove(key);
                }
                _ => {}
            }
            return;
        }
        match entry.kind {
            Kind::Attempt => {
                let r = self
                    .recipients
                    .entry(key.clone())
                    .or_insert_with(|| Recipient {
                        state: State::Open { data: false },
                        last: None,
                        last_attempt: None,
                        attempts: 0,
                        accepted: 0,
                        addresses: Vec::new(),
                    });
                r.addresses = entry.to.clone().unwrap_or_default();
                r.state = State::Open { data: false };
                r.last = Some(Box::new(entry.clone()));
                r.last_attempt = Some(Box::new(entry.clone()));
                r.attempts = r.attempts.max(entry.attempt.unwrap_or(0));
            }
            Kind::Data => {
                if let Some(r) = self.recipients.get_mut(key) {
                    r.state = State::Open { data: true };
                    r.last = Some(Box::new(entry.clone()));
                }
            }
            kind if kind.is_outcome() => {
                if let Some(r) = self.recipients.get_mut(key) {
                    r.state = match kind {
                        Kind::Accepted => State::Accepted,
                        Kind::Rejected => State::Rejected,
                        Kind::Deferred => State::Deferred,
                        _ => State::Unknown,
                    };
                    if kind == Kind::Accepted {
                        r.accepted += 1;
                    }
                    if kind == Kind::Accepted && self.light {
                        r.last = None;
                        r.last_attempt = None;
                    } else {
                        r.last = Some(Box::new(entry.clone()));
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The archive

/// `archive/<campaign>/`: the exact bytes of every message handed to a server, one file each,
/// named by key and content hash so the same bytes always land in the same file. Files are 0600
/// in a 0700 folder, created new and never through a link (`private_fs`); a file that is already
/// there is kept only if it holds these very bytes (see `store`).
#[derive(Debug, Clone)]
pub struct Archive {
    dir: PathBuf,
    /// The folder as written in records: relative to the campaign folder.
    shown: String,
}

impl Archive {
    /// Creates the folder if needed (and makes its entry durable).
    pub fn open(dir: PathBuf, shown: String) -> anyhow::Result<Archive> {
        use anyhow::Context;
        if !dir.is_dir() {
            private_fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create the archive {}", dir.display()))?;
            if let Some(parent) = dir.parent() {
                File::open(parent)
                    .and_then(|d| d.sync_all())
                    .with_context(|| format!("cannot sync {}", parent.display()))?;
            }
        }
        Ok(Archive { dir, shown })
    }

    /// Stores a message; returns its path relative to the campaign folder. The bytes are
    /// durable only after the next `sync` (where there is no `syncfs`, right here).
    ///
    /// The name is the key's stem and the first 16 hex digits of the bytes' SHA-256, so a file
    /// already there under that name (an earlier run built the same letter with the same
    /// `Date:`) should hold the same bytes. It is never truncated or replaced: it is kept as it
    /// is when it does, completed when it holds the beginning of them (a run killed while
    /// writing it; no record can name such a file, as records name only files made durable
    /// whole), and refused otherwise, as is a link or anything but a regular file, with the
    /// path named. A link planted here was once followed and its target overwritten.
    pub fn store(&self, key: &str, sha256: &str, bytes: &[u8]) -> anyhow::Result<String> {
        use anyhow::Context;
        let name = format!("{}.{}.eml", crate::message::file_stem(key), &sha256[..16]);
        let path = self.dir.join(&name);
        let fail = || format!("cannot archive the message in {}", path.display());
        match private_fs::create_new(&path) {
            Ok(file) => {
                if let Err(e) = write_whole(file, bytes) {
                    // Ours, just created and incomplete: take it back rather than leave a
                    // stranger to the next run.
                    let _ = std::fs::remove_file(&path);
                    return Err(e).with_context(fail);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                keep_or_complete(&path, bytes).with_context(fail)?;
            }
            Err(e) => return Err(e).with_context(fail),
        }
        Ok(format!("{}/{name}", self.shown))
    }

    /// Makes every message stored so far durable: one `syncfs` of the archive's file system
    /// covers a whole batch (group commit; a per-file fsync costs a journal commit each).
    /// Elsewhere than Linux, `store` synced each file itself.
    pub fn sync(&self) -> anyhow::Result<()> {
        use anyhow::Context;
        #[cfg(target_os = "linux")]
        File::open(&self.dir)
            .and_then(|dir| rustix::fs::syncfs(&dir).map_err(io::Error::from))
            .with_context(|| format!("cannot make the archive {} durable", self.dir.display()))?;
        Ok(())
    }
}

/// Writes a whole archived message (synced here only where `Archive::sync` has no `syncfs`).
fn write_whole(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    if cfg!(not(target_os = "linux")) {
        file.sync_data()?;
    }
    Ok(())
}

/// An archived message that already exists: kept if it holds `bytes`, completed if it holds a
/// beginning of them, refused otherwise. Opened without following a link.
fn keep_or_complete(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = private_fs::open_existing(path)?;
    let mut existing = Vec::with_capacity(bytes.len());
    // One byte more than ours is enough to tell that it differs.
    (&mut file)
        .take(bytes.len() as u64 + 1)
        .read_to_end(&mut existing)?;
    if existing == bytes {
        return Ok(());
    }
    if bytes.starts_with(&existing) {
        // The read left the offset at the end of what is there.
        return Ok(write_whole(file, &bytes[existing.len()..])?);
    }
    anyhow::bail!(
        "a file with other content already has its name: letterpost keeps it as it is for the \
         auditor and will not overwrite it; move it out of the archive and run again"
    )
}

// ---------------------------------------------------------------------------------------------
// Writing

/// A handle on the log's writer thread; clone it into every worker.
#[derive(Clone)]
pub struct Log {
    requests: mpsc::Sender<Request>,
}

/// An entry to append, and where to say once it is on disk (or why not).
struct Request {
    entry: Entry,
    done: tokio::sync::oneshot::Sender<Result<Entry, String>>,
}

/// What the writer needs to continue a log: where, which run, and the chain so far.
pub struct Opening {
    pub path: PathBuf,
    pub run: String,
    pub chain: Chain,
}

impl Log {
    /// Opens (or creates) the log for appending and starts its writer thread.
    pub fn open(opening: Opening) -> anyhow::Result<Log> {
        use anyhow::Context;
        let dir = opening.path.parent().unwrap_or(Path::new("."));
        private_fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let created = std::fs::symlink_metadata(&opening.path).is_err();
        // Never through a link: records appended to a planted link would land outside.
        let file = private_fs::append(&opening.path).with_context(|| {
            format!(
                "cannot open the delivery log {} for writing",
                opening.path.display()
            )
        })?;
        if created {
            // The new file's name must survive a crash too.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync {}", dir.display()))?;
        }
        let (requests, receiver) = mpsc::channel::<Request>();
        let len = file
            .metadata()
            .with_context(|| format!("cannot read {}", opening.path.display()))?
            .len();
        let mut writer = Writer {
            file,
            len,
            run: opening.run,
            chain: opening.chain,
            failed: None,
        };
        std::thread::Builder::new()
            .name("delivery-log".into())
            .spawn(move || writer.serve(receiver))
            .context("cannot start the log writer")?;
        Ok(Log { requests })
    }

    /// Appends `entry` without waiting for it: for an outcome, whose durability nothing waits
    /// on but the next record (the writer keeps order, so any later record that is awaited makes
    /// this one durable too). A failure shows in the next `append`.
    pub fn enqueue(&self, entry: Entry) {
        let (done, _) = tokio::sync::oneshot::channel();
        let _ = self.requests.send(Request { entry, done });
    }

    /// Appends `entry` (its chain members are filled in) and returns it once it is on disk.
    pub async fn append(&self, entry: Entry) -> anyhow::Result<Entry> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.requests
            .send(Request { entry, done })
            .map_err(|_| anyhow::anyhow!("the delivery log writer has stopped"))?;
        let written = wait
            .await
            .map_err(|_| anyhow::anyhow!("the delivery log writer has stopped"))?;
        written.map_err(|e| anyhow::anyhow!("cannot write the delivery log: {e}"))
    }
}

struct Writer {
    file: File,
    /// The file's length after the last acknowledged batch.
    len: u64,
    run: String,
    chain: Chain,
    failed: Option<String>,
}

impl Writer {
    fn serve(&mut self, receiver: mpsc::Receiver<Request>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            batch.extend(receiver.try_iter());
            self.commit(batch);
        }
    }

    /// Writes a batch with one write and one fsync, then answers each request.
    fn commit(&mut self, batch: Vec<Request>) {
        if let Some(why) = &self.failed {
            for request in batch {
                let _ = request.done.send(Err(why.clone()));
            }
            return;
        }
        let saved = self.chain.clone();
        let mut bytes = Vec::with_capacity(batch.len() * 512);
        let mut sealed = Vec::with_capacity(batch.len());
        for Request { mut entry, done } in batch {
            entry.v = VERSION;
            entry.seq = self.chain.next_seq;
            entry.time = clock::rfc3339(clock::now());
            entry.run.clone_from(&self.run);
            entry.prev.clone_from(&self.chain.head);
            let line = seal(&mut entry);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            self.chain.next_seq += 1;
            self.chain.head = entry.hash.clone().expect("sealed");
            sealed.push((entry, done));
        }
        let written = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                for (entry, done) in sealed {
                    let _ = done.send(Ok(entry));
                }
            }
            Err(e) => {
                // Nothing of this batch was acknowledged; take back whatever part of it reached
                // the file, so the log does not end in a torn line. Then refuse every later
                // append: after a failed fsync the kernel may have dropped the data.
                let _ = self.file.set_len(self.len);
                let _ = self.file.sync_data();
                self.chain = saved;
                let why = e.to_string();
                self.failed = Some(why.clone());
                for (_, done) in sealed {
                    let _ = done.send(Err(why.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(kind: Kind, chain: &mut Chain) -> String {
        let mut entry = Entry {
            v: VERSION,
            seq: chain.next_seq,
            time: "2026-11-26T08:00:00.000Z".into(),
            run: "r".into(),
            kind,
            prev: chain.head.clone(),
            ..Entry::default()
        };
        let line = seal(&mut entry);
        chain.next_seq += 1;
        chain.head = entry.hash.unwrap();
        line
    }

    fn line(number: u64, text: &str) -> Line {
        Line {
            number,
            offset: 0,
            text: text.to_owned(),
            complete: true,
        }
    }

    #[test]
    fn the_hash_is_the_last_member_and_recomputes() {
        let text = sealed(Kind::RunStarted, &mut Chain::default());
        assert!(text.starts_with(r#"{"v":1,"seq":0,"time":"2026-11-26T08:00:00.000Z","run":"r","type":"run_started","prev":"0000"#));
        let (body, hash) = split_hash(&text).unwrap();
        assert_eq!(body, text.replace(&format!(",\"hash\":\"{hash}\""), ""));
        assert_eq!(chain_hash(GENESIS, body.as_bytes()), hash);
    }

    #[test]
    fn chain_names_each_kind_of_damage() {
        let mut writer = Chain::default();
        let lines: Vec<String> = (0..3)
            .map(|_| sealed(Kind::RunStarted, &mut writer))
            .collect();
        let check = |texts: &[&str]| -> Result<(), Damage> {
            let mut chain = Chain::default();
            for (i, t) in texts.iter().enumerate() {
                chain.check(&line(i as u64 + 1, t), i + 1 == texts.len())?;
            }
            Ok(())
        };
        assert_eq!(check(&[&lines[0], &lines[1], &lines[2]]), Ok(()));
        let edited = lines[1].replace("08:00:00", "09:00:00");
        assert_eq!(check(&[&lines[0], &edited, &lines[2]]), Err(Damage::Edited));
        assert_eq!(
            check(&[&lines[0], &lines[2]]),
            Err(Damage::Missing { expected: 1 })
        );
        assert_eq!(
            check(&[&lines[0], &lines[2], &lines[1]]),
            Err(Damage::Missing { expected: 1 })
        );
        assert_eq!(
            check(&[&lines[0], &lines[1], &lines[1]]),
            Err(Damage::OutOfOrder { expected: 2 })
        );
        assert_eq!(check(&[&lines[0], &lines[1][..40]]), Err(Damage::Torn));
        let v2 = lines[0].replacen("\"v\":1", "\"v\":2", 1);
        assert_eq!(check(&[&v2]), Err(Damage::UnknownVersion(2)));
    }
}
