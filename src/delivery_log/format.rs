//! The wire format of one record: the typed records (one struct per `type`, so a record that
//! parses is well formed), how a record becomes a line (members in the documented order, sealed
//! by the chain rule), and how a line becomes a record again.
//!
//! No I/O here: `write` appends what `seal` makes, `read` checks lines with `parse`.

use indexmap::IndexMap;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::smtp::{Reply, Stage};

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record as read back: the members every record has, and what its `type` says.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub time: String,
    pub run: String,
    pub prev: String,
    pub hash: String,
    pub body: Body,
}

/// What a record says, by its `type`. Each variant's members are written in the order of its
/// struct's fields, after `type` and `prev`. The four outcome types share one shape, and so do
/// the five report types: the `type` of an `Ended` is its outcome's name, that of a `Report`
/// what the report says, so a record's kind is told once, by a value, not by a variant per name.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    RunStarted(RunStarted),
    /// Before the first SMTP command for a message (MAIL FROM).
    Attempt(Attempt),
    /// After the server's 354, before the first byte of the message.
    Data(Letter),
    /// How one try ended: `accepted`, `rejected`, `deferred` or `unknown`.
    Ended {
        outcome: Outcome,
        ending: Ending,
    },
    RunFinished(RunFinished),
    /// A report read back by `track`: `delivered`, `delayed`, `bounced`, `read`, `auto_reply`.
    Report {
        arrival: Arrival,
        tracked: Tracked,
    },
}

/// How one attempt at a letter ended: the outcome records. The only type that says it; the
/// ledger's state holds one of these for the last attempt.
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
pub enum Outcome {
    /// The server answered 2xx to the message.
    Accepted,
    /// 5xx: not retried.
    Rejected,
    /// 4xx, or a failure before the message was sent: safe to try again.
    Deferred,
    /// The connection was lost after the message was sent: maybe delivered.
    Unknown,
}

impl Outcome {
    /// Its record's `type`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a report says happened to a letter after the relay took it, weakest first: a letter
/// follows its strongest report (`Ord`), so a delay after a delivery, or a bounce of one address
/// after another delivered, does not undo the delivery. Its name is its record's `type`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Arrival {
    /// A delivery report says delivery is delayed; the relay keeps trying.
    Delayed,
    /// A delivery report, or an older MTA's bounce, says delivery failed.
    Bounced,
    /// An automatic reply (RFC 3834) came from the recipient's mailbox.
    AutoReply,
    /// A delivery report says the letter was delivered (or relayed or expanded onward).
    Delivered,
    /// A read receipt (MDN) says the letter was displayed.
    Read,
}

impl Arrival {
    /// Its record's `type`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `mode` of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Send,
    /// A test send (`--redirect-to`): its letters never count as delivered.
    Test,
    /// `letterpost track`: reports read back from the return-path mailbox.
    Track,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Send => "send",
            Mode::Test => "test",
            Mode::Track => "track",
        })
    }
}

/// `reason` of an attempt the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    ResendUnknown,
    RetryFailed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStarted {
    pub mode: Mode,
    pub campaign: String,
    pub operator: String,
    pub host: String,
    pub tool: String,
    pub inputs: IndexMap<String, Input>,
    pub options: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_date_epoch: Option<u64>,
    /// Whether the relay offered delivery reports (DSN) when the run first connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<bool>,
    /// A track run: the folder it reads and where reading starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxMark>,
    /// The attachments the same for every letter (`[[attachments]]` whose path uses no value of
    /// the row), in the order listed; absent when there are none (and in logs written before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentHash>,
}

/// An attachment file a run read, and the SHA-256 of its exact bytes: the bytes every letter
/// that names it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentHash {
    /// The file name the recipient sees; absent in `run_started` when it differs by letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The file, relative to the campaign folder.
    pub file: String,
    pub sha256: String,
}

/// How far a track run has read a folder: its UIDVALIDITY and the last UID read. IMAP gives
/// every new message a higher UID, so what follows `last_uid` is new, for as long as the
/// folder's UIDVALIDITY stays the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxMark {
    pub folder: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
    /// A track run's end: the messages it could not read (over the size limit, or not returned
    /// by the server). `last_uid` stops before the lowest of them, so the next run tries again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
}

/// A message a track run listed and could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unread {
    pub uid: u32,
    /// Its size as the server listed it, when it was left out for being over the limit; absent
    /// when the server did not return it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A report about one letter and one of its addresses, read back from the mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracked {
    pub key: String,
    pub message_id: String,
    /// The address the report is about.
    pub recipient: String,
    pub report: Evidence,
}

/// What a report says, and where its exact bytes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub kind: ReportKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_mta: Option<String>,
    /// When the report says the letter arrived or was read (RFC 3339), if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<String>,
    /// The report's UID in the folder.
    pub uid: u32,
    /// SHA-256 of the report's exact bytes, as IMAP returned them.
    pub sha256: String,
    /// The file under `archive/<id>/reports/` that holds those bytes.
    pub archive: String,
}

/// The form a report came in: what `tracking::report` recognised, recorded as `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A delivery status notification in the standard format (RFC 3464): a failure, a delay or a
    /// success, from the relay or a server further on.
    Dsn,
    /// A non-delivery report in the plain format of an older server (qmail, Exim, Sendmail,
    /// Exchange), read from its wording.
    Bounce,
    /// A message disposition notification (RFC 8098): what the recipient's program did with the
    /// letter.
    Mdn,
    /// An automatic answer from the recipient's side (RFC 3834): out of office, vacation,
    /// "received".
    AutoReply,
}

/// A fingerprinted input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub file: String,
    pub sha256: String,
}

/// The members every record about one try at one letter shares (and all a `data` record has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Letter {
    pub key: String,
    pub row: u64,
    pub to: Vec<String>,
    pub message_id: String,
    pub sha256: String,
    pub archive: String,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub test: bool,
}

/// An `attempt`: the letter's members, with the organisation between `to` and `message_id` and
/// the reason last, as the format has always written them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub key: String,
    pub row: u64,
    pub to: Vec<String>,
    pub organisation: String,
    pub message_id: String,
    pub sha256: String,
    pub archive: String,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub test: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The letter's own attachments (those whose path uses a value of its row), in order;
    /// absent when it has none (and in logs written before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentHash>,
}

/// An outcome record: the letter's members, where it ended, and the server's reply or what went
/// wrong where there was none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ending {
    pub key: String,
    pub row: u64,
    pub to: Vec<String>,
    pub message_id: String,
    pub sha256: String,
    pub archive: String,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub test: bool,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Reply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFinished {
    pub counts: Counts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// A track run: how far it read the folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxMark>,
}

/// What a run did, by outcome: `skipped` were settled before it, `pending` were not attempted.
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

impl Counts {
    /// Counts one more letter that ended so.
    pub fn add(&mut self, outcome: Outcome) {
        *match outcome {
            Outcome::Accepted => &mut self.accepted,
            Outcome::Rejected => &mut self.rejected,
            Outcome::Deferred => &mut self.deferred,
            Outcome::Unknown => &mut self.unknown,
        } += 1;
    }

    /// Letters that ended one way or another.
    pub fn settled(&self) -> u64 {
        self.accepted + self.rejected + self.deferred + self.unknown
    }
}

fn is_false(b: &bool) -> bool {
    !b
}

impl Letter {
    /// The `attempt` record of this try (of a letter without attachments of its own).
    #[cfg(test)]
    pub fn attempt(&self, organisation: &str, reason: Option<Reason>) -> Body {
        self.attempt_carrying(organisation, reason, Vec::new())
    }

    /// The `attempt` record of this try of a letter with its own attachments.
    pub fn attempt_carrying(
        &self,
        organisation: &str,
        reason: Option<Reason>,
        attachments: Vec<AttachmentHash>,
    ) -> Body {
        Body::Attempt(Attempt {
            key: self.key.clone(),
            row: self.row,
            to: self.to.clone(),
            organisation: organisation.to_owned(),
            message_id: self.message_id.clone(),
            sha256: self.sha256.clone(),
            archive: self.archive.clone(),
            attempt: self.attempt,
            test: self.test,
            reason,
            attachments,
        })
    }

    /// The outcome record of this try.
    pub fn ended(
        &self,
        outcome: Outcome,
        stage: Stage,
        reply: Option<Reply>,
        error: Option<String>,
    ) -> Body {
        let ending = Ending {
            key: self.key.clone(),
            row: self.row,
            to: self.to.clone(),
            message_id: self.message_id.clone(),
            sha256: self.sha256.clone(),
            archive: self.archive.clone(),
            attempt: self.attempt,
            test: self.test,
            stage,
            smtp: reply,
            error,
        };
        Body::Ended { outcome, ending }
    }
}

impl Attempt {
    /// The members every record of this try shares.
    pub fn letter(&self) -> Letter {
        Letter {
            key: self.key.clone(),
            row: self.row,
            to: self.to.clone(),
            message_id: self.message_id.clone(),
            sha256: self.sha256.clone(),
            archive: self.archive.clone(),
            attempt: self.attempt,
            test: self.test,
        }
    }
}

impl Ending {
    /// The server's reply, or what went wrong where there was none, on one line.
    pub fn reply_or_error(&self) -> String {
        match (&self.smtp, &self.error) {
            (Some(reply), _) => reply.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn letter(&self) -> Letter {
        Letter {
            key: self.key.clone(),
            row: self.row,
            to: self.to.clone(),
            message_id: self.message_id.clone(),
            sha256: self.sha256.clone(),
            archive: self.archive.clone(),
            attempt: self.attempt,
            test: self.test,
        }
    }
}

const RUN_STARTED: &str = "run_started";
const ATTEMPT: &str = "attempt";
const DATA: &str = "data";
const RUN_FINISHED: &str = "run_finished";

impl Body {
    /// The `type` member.
    pub fn name(&self) -> &'static str {
        match self {
            Body::RunStarted(_) => RUN_STARTED,
            Body::Attempt(_) => ATTEMPT,
            Body::Data(_) => DATA,
            Body::Ended { outcome, .. } => outcome.as_str(),
            Body::RunFinished(_) => RUN_FINISHED,
            Body::Report { arrival, .. } => arrival.as_str(),
        }
    }

    /// What a report record says, and its members, for the five report types.
    pub fn tracked(&self) -> Option<(Arrival, &Tracked)> {
        match self {
            Body::Report { arrival, tracked } => Some((*arrival, tracked)),
            _ => None,
        }
    }

    /// The outcome and its record, for the four outcome types.
    pub fn outcome(&self) -> Option<(Outcome, &Ending)> {
        match self {
            Body::Ended { outcome, ending } => Some((*outcome, ending)),
            _ => None,
        }
    }

    /// The letter a per-recipient record is about.
    pub fn letter(&self) -> Option<Letter> {
        match self {
            Body::Attempt(a) => Some(a.letter()),
            Body::Data(l) => Some(l.clone()),
            other => other.outcome().map(|(_, e)| e.letter()),
        }
    }

    /// The recipient key of a per-recipient record.
    pub fn key(&self) -> Option<&str> {
        match self {
            Body::Attempt(a) => Some(&a.key),
            Body::Data(l) => Some(&l.key),
            other => other
                .outcome()
                .map(|(_, e)| e.key.as_str())
                .or_else(|| other.tracked().map(|(_, t)| t.key.as_str())),
        }
    }
}

/// A record's members as serde writes them: `type`, then the type's own, in order.
#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    name: &'static str,
    #[serde(flatten)]
    members: &'a T,
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let name = self.name();
        match self {
            Body::RunStarted(members) => Tagged { name, members }.serialize(s),
            Body::Attempt(members) => Tagged { name, members }.serialize(s),
            Body::Data(members) => Tagged { name, members }.serialize(s),
            Body::Ended { ending, .. } => Tagged {
                name,
                members: ending,
            }
            .serialize(s),
            Body::RunFinished(members) => Tagged { name, members }.serialize(s),
            Body::Report { tracked, .. } => Tagged {
                name,
                members: tracked,
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
        fn own<T: DeserializeOwned, E: serde::de::Error>(
            members: serde_json::Value,
        ) -> Result<T, E> {
            serde_json::from_value(members).map_err(E::custom)
        }
        let mut members = serde_json::Map::deserialize(d)?;
        let name = match members.remove("type") {
            Some(serde_json::Value::String(name)) => name,
            Some(_) => return Err(D::Error::custom("`type` is not text")),
            None => return Err(D::Error::missing_field("type")),
        };
        let members = serde_json::Value::Object(members);
        Ok(match name.as_str() {
            RUN_STARTED => Body::RunStarted(own(members)?),
            ATTEMPT => Body::Attempt(own(members)?),
            DATA => Body::Data(own(members)?),
            RUN_FINISHED => Body::RunFinished(own(members)?),
            other => match (other.parse::<Outcome>(), other.parse::<Arrival>()) {
                (Ok(outcome), _) => Body::Ended {
                    outcome,
                    ending: own(members)?,
                },
                (_, Ok(arrival)) => Body::Report {
                    arrival,
                    tracked: own(members)?,
                },
                _ => return Err(D::Error::custom(format!("unknown record type `{other}`"))),
            },
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

/// The line (without `\n`) of a record with these chain members, and its hash: the members in
/// the documented order (`v`, `seq`, `time`, `run`, `type`, `prev`, the type's own, `hash`).
pub fn seal(seq: u64, time: &str, run: &str, prev: &str, body: &Body) -> (String, String) {
    let json = |s: &str| serde_json::to_string(s).expect("strings serialise");
    let typed = serde_json::to_string(body).expect("records always serialise");
    // `typed` is `{"type":"<name>"` followed by `}` or by `,` and the type's own members.
    let own = &typed[r#"{"type":""#.len() + body.name().len() + 1..];
    let mut line = format!(
        r#"{{"v":{VERSION},"seq":{seq},"time":{},"run":{},"type":"{}","prev":{}"#,
        json(time),
        json(run),
        body.name(),
        json(prev),
    );
    line.push_str(own);
    let hash = chain_hash(prev, line.as_bytes());
    line.truncate(line.len() - 1);
    line.push_str(&format!(r#","hash":"{hash}"}}"#));
    (line, hash)
}

/// A line parsed into a record, or why it is not one (its `v` is checked first, by the caller).
pub fn parse(value: serde_json::Value) -> Result<Record, String> {
    let serde_json::Value::Object(mut members) = value else {
        return Err("it is not a JSON object".into());
    };
    let mut take = |name: &str| {
        members
            .remove(name)
            .ok_or_else(|| format!("it has no `{name}`"))
    };
    let _v = take("v")?;
    let seq = take("seq")?
        .as_u64()
        .ok_or("`seq` is not a number".to_owned())?;
    let mut text = |name: &str| -> Result<String, String> {
        match take(name)? {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(format!("`{name}` is not text")),
        }
    };
    let (time, run, prev, hash) = (text("time")?, text("run")?, text("prev")?, text("hash")?);
    let body =
        serde_json::from_value(serde_json::Value::Object(members)).map_err(|e| e.to_string())?;
    Ok(Record {
        seq,
        time,
        run,
        prev,
        hash,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            key: "so-y-te".into(),
            row: 2,
            to: vec!["vanthu@soyte.example".into()],
            message_id: "<x@y>".into(),
            sha256: "ab".into(),
            archive: "archive/x/so-y-te.ab.eml".into(),
            attempt: 1,
            test: false,
        }
    }

    #[test]
    fn members_come_in_the_documented_order_and_the_hash_recomputes() {
        let (line, hash) = seal(
            7,
            "2026-11-26T08:00:00.000Z",
            "r",
            GENESIS,
            &letter().attempt("Sở Y tế", Some(Reason::RetryFailed)),
        );
        assert_eq!(
            line,
            format!(
                r#"{{"v":1,"seq":7,"time":"2026-11-26T08:00:00.000Z","run":"r","type":"attempt","prev":"{GENESIS}","key":"so-y-te","row":2,"to":["vanthu@soyte.example"],"organisation":"Sở Y tế","message_id":"<x@y>","sha256":"ab","archive":"archive/x/so-y-te.ab.eml","attempt":1,"reason":"retry_failed","hash":"{hash}"}}"#
            )
        );
        let (body, split) = split_hash(&line).unwrap();
        assert_eq!(split, hash);
        assert_eq!(chain_hash(GENESIS, body.as_bytes()), hash);
    }

    /// Each outcome and each report is its own `type` on the wire, with the same members.
    #[test]
    fn every_outcome_and_report_is_written_under_its_own_type() {
        use strum::VariantArray;
        let mut names = Vec::new();
        for outcome in Outcome::VARIANTS {
            let body = letter().ended(*outcome, Stage::Message, None, Some("x".into()));
            let (line, _) = seal(1, "t", "r", GENESIS, &body);
            assert!(
                line.contains(&format!(r#""type":"{outcome}","prev":"#)),
                "{line}"
            );
            assert_eq!(
                parse(serde_json::from_str(&line).unwrap()).unwrap().body,
                body
            );
            names.push(body.name());
        }
        for arrival in Arrival::VARIANTS {
            let tracked = Tracked {
                key: "k".into(),
                message_id: "<x@y>".into(),
                recipient: "a@x".into(),
                report: Evidence {
                    kind: ReportKind::AutoReply,
                    status: None,
                    action: None,
                    diagnostic: None,
                    reporting_mta: None,
                    arrival: None,
                    uid: 1,
                    sha256: "ab".into(),
                    archive: "r.eml".into(),
                },
            };
            let body = Body::Report {
                arrival: *arrival,
                tracked,
            };
            let (line, _) = seal(1, "t", "r", GENESIS, &body);
            assert!(line.contains(r#","key":"k","message_id":"#), "{line}");
            assert_eq!(
                parse(serde_json::from_str(&line).unwrap()).unwrap().body,
                body
            );
            names.push(body.name());
        }
        assert_eq!(
            names,
            [
                "accepted",
                "rejected",
                "deferred",
                "unknown",
                "delayed",
                "bounced",
                "auto_reply",
                "delivered",
                "read"
            ]
        );
    }

    #[test]
    fn a_record_reads_back_as_written_and_strangers_are_refused() {
        let body = letter().ended(
            Outcome::Rejected,
            Stage::Rcpt,
            Some(Reply::parse_text(550, "5.1.1 no")),
            None,
        );
        let (line, _) = seal(3, "t", "r", GENESIS, &body);
        let record = parse(serde_json::from_str(&line).unwrap()).unwrap();
        assert_eq!(record.body, body);
        assert_eq!(record.seq, 3);
        let finished = RunFinished {
            counts: Counts::default(),
            stopped: None,
            mailbox: None,
        };
        let (line, _) = seal(4, "t", "r", GENESIS, &Body::RunFinished(finished));
        assert!(line.contains(r#""type":"run_finished","prev":"#));
        for bad in [
            line.replace(r#""counts""#, r#""tally""#),
            line.replace(r#""type":"run_finished""#, r#""type":"run_paused""#),
            line.replace(r#""counts":"#, r#""extra":1,"counts":"#),
        ] {
            assert!(parse(serde_json::from_str(&bad).unwrap()).is_err(), "{bad}");
        }
    }
}
