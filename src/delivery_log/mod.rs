//! The delivery log: its wire format (`format`), the reader with the chain check (`read`) and the
//! append-only writer with group commit (`write`). What the records mean for each recipient is
//! `ledger`'s business; the archived messages they name are `archive`'s.
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
//! | `type` | `run_started`, `attempt`, `data`, `accepted`, `rejected`, `deferred`, `unknown`, `run_finished`; and, written by `track`, `delivered`, `delayed`, `bounced`, `read`, `auto_reply` |
//! | `prev` | the `hash` of the previous record; 64 zeros for the first |
//! | … | the members of the type, below |
//! | `hash` | always the last member: see the chain rule |
//!
//! Members of `run_started`: `mode` (`send`, `test` for `--redirect-to` runs, `track` for a
//! `letterpost track` run), `campaign`,
//! `operator` (the login name), `host`, `tool` (`letterpost X.Y.Z`), `inputs` (an object mapping
//! `config`, `recipients` and the path of every template file, partials included, to
//! `{"file": …, "sha256": …}`; logs written before partials were fingerprinted name the three
//! main templates `letter_html`, `letter_text`, `appendix` instead), `options` (the flags that
//! shaped the run, as text), `key_source` (the header of the column that gave the recipients'
//! keys, or `first address` when the list has no `id` column; absent in logs written before it
//! was recorded), `source_date_epoch` (only when `SOURCE_DATE_EPOCH` fixed the `Date:` of
//! every letter of the run: its value, seconds since 1970), `dsn` (a send: whether the relay
//! offered delivery status notifications when the run first connected; absent if it could not
//! connect) and `mailbox` (a track run: `{"folder": …, "uidvalidity": n, "last_uid": n}`, where
//! its reading starts).
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
//! Report records (written by `track`, each about one address of one letter, always after that
//! letter was handed to a server: its `data` record, and so its `accepted` or `unknown`):
//! `delivered` (a DSN's action `delivered`, `relayed` or `expanded`), `delayed`, `bounced` (a
//! DSN's `failed`, or an older MTA's bounce), `read` (an MDN's `displayed`), `auto_reply` (RFC
//! 3834). Members: `key`, `message_id`, `recipient` (the address the report is about) and
//! `report`: `{"kind": "dsn" | "bounce" | "mdn" | "auto_reply", "status": "5.1.1", "action":
//! "failed", "diagnostic": "…", "reporting_mta": "…", "arrival": "<RFC 3339>", "uid": 17,
//! "sha256": "…", "archive": "archive/<id>/reports/…"}` (members the report lacks are left out;
//! `sha256` is of the report's exact bytes as IMAP returned them, kept in `archive`).
//!
//! The four outcome types have the same members, and so do the five report types: in code each
//! group is one `Body` variant whose value (`Outcome`, `Arrival`) is the `type`.
//!
//! Members of `run_finished`: `counts` (`{"accepted": n, "rejected": n, "deferred": n,
//! "unknown": n, "skipped": n, "pending": n}` for this run: `skipped` were already accepted or
//! otherwise settled before it, `pending` were not attempted, e.g. because of `--limit`; all
//! zero for a track run), `stopped` (why the run ended early) when it did, and for a track run
//! `mailbox` (how far it read: the next run reads what follows `last_uid`, or everything again
//! if the folder's `uidvalidity` changed).
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

mod format;
mod read;
mod write;

pub use format::{
    Arrival, AttachmentHash, Attempt, Body, Counts, Evidence, Input, Letter, MailboxMark, Mode,
    Outcome, Reason, Record, ReportKind, RunFinished, RunStarted, Tracked, Unread,
};
pub use read::{Broken, Chain, Damage, Line, lines, replay, set_aside_torn_tail};
pub use write::{Log, NotWritten, Opening};

/// A run's id: its start in UTC to the second, and six hex digits that tell apart two runs
/// started in the same second (`20261126T145937-b0c646`).
pub fn run_id(started: std::time::SystemTime) -> String {
    let stamp = crate::clock::rfc3339(started)
        .replace([':', '-'], "")
        .replace('.', "");
    let salt = crate::message::sha256_hex(format!("{stamp}{}", std::process::id()).as_bytes());
    format!("{}-{}", &stamp[..15], &salt[..6])
}
