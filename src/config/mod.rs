//! One validated campaign: `campaign.toml`, the global flags and the `LETTERPOST_*`
//! environment, resolved into plain settings types once, at start.
//!
//! This is the only module that reads `campaign.toml` or the environment (and, for the name of
//! the operator a send records, the process's user). The settings types it
//! fills belong to the stages that use them (`recipients::Settings`, `merge::Settings`,
//! `dispatch::SmtpSettings`), so no stage ever sees a clap type or a TOML table. It does not open
//! the recipient list or the templates: it only names them. What it says when something is
//! wrong is in `locales/{en,vi}/config.ftl`.
//!
//! By concern: `file` finds and reads campaign.toml into its serde types; `env` is the
//! environment, taken once; `resolve` turns the two into a `Config`; `send` resolves `send`'s
//! flags into `SendOptions` and writes them back (`to_args`); `seconds` and `rate` are the two
//! kinds of value they check; `secret` reads the passwords and the operator's name.

mod env;
mod file;
mod rate;
mod resolve;
mod seconds;
mod secret;
mod send;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::Address;
use lettre::message::Mailbox;

use self::env::Env;
pub use self::rate::Rate;
pub use self::secret::operator;
pub use self::send::{Global, Pick, SendOptions};
use crate::dispatch::{Security, SmtpSettings};
use crate::{attachments, merge, recipients};

/// Everything a command needs to know about the campaign, validated.
#[derive(Debug)]
pub struct Config {
    /// The campaign folder; relative paths in campaign.toml are relative to it.
    pub root: PathBuf,
    /// The campaign.toml that was read.
    pub config_file: PathBuf,
    /// Whether it was found in a folder above the current one (no `--campaign` was given).
    pub found_above: bool,
    /// SHA-256 of campaign.toml's bytes as they were read: the fingerprint a send records.
    pub config_sha256: String,
    /// `SOURCE_DATE_EPOCH`, when set: the `Date:` of every message instead of the run's start
    /// (the reproducible-builds convention), so a dry run and a send can be compared byte for
    /// byte. Seconds since 1970, checked to be a date mail can carry.
    pub source_date_epoch: Option<u64>,
    /// The campaign id: names the log, the outbox and the archive.
    pub id: String,
    /// The sender, `From:` and envelope sender.
    pub from: Mailbox,
    /// The subject line, a Tera template.
    pub subject: String,
    /// Where the recipients come from and how to read them.
    pub recipients: recipients::Settings,
    /// The letter and appendix templates and the campaign-wide template values.
    pub templates: merge::Settings,
    /// `[[attachments]]`, in the order listed.
    pub attachments: Vec<attachments::Spec>,
    /// The SMTP relay, with environment overrides applied (the password is read only on demand).
    pub smtp: SmtpSettings,
    /// How fast and how hard to send.
    pub sending: Sending,
    /// Where reports come back, and whether to ask for them.
    pub tracking: Tracking,
    /// The environment it was resolved with: the passwords are read from it on demand.
    env: Env,
}

/// The `[tracking]` table: the envelope sender reports come back to, whether to ask for
/// delivery reports (DSN) and read receipts (MDN), and the IMAP mailbox `track` reads.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// The envelope sender (MAIL FROM): `[tracking] return_path`, else the address in `from`.
    pub return_path: Address,
    /// Ask for delivery reports when the relay offers DSN.
    pub dsn: bool,
    /// Ask for read receipts (`Disposition-Notification-To`).
    pub mdn: bool,
    /// How long `track --watch` waits between two looks at the mailbox.
    pub poll: Duration,
    /// The mailbox, when `[tracking.imap]` or `LETTERPOST_IMAP_HOST` names one.
    pub imap: Option<ImapSettings>,
}

/// The `[tracking.imap]` table, with environment overrides applied.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// The folder reports arrive in (`INBOX`).
    pub folder: String,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// The deadline of each IMAP step.
    pub timeout: Duration,
}

/// The `[sending]` table.
#[derive(Debug, Clone)]
pub struct Sending {
    /// Connections to the relay at most.
    pub concurrency: usize,
    /// The most messages per period, counted across runs from the log.
    pub rate: Rate,
    /// Attempts after the first one for a deferred (4xx) recipient within one run.
    pub retries: u32,
    /// The delay before the first retry; it doubles for each further one (with jitter).
    pub retry_delay: Duration,
    /// The largest message, in bytes, a check lets through.
    pub max_message_size: u64,
}

impl Config {
    /// `logs/<id>.jsonl`: the delivery log.
    pub fn log_file(&self) -> PathBuf {
        self.root.join("logs").join(format!("{}.jsonl", self.id))
    }

    /// `logs/<id>.lock`: held by the run that owns the campaign.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("logs").join(format!("{}.lock", self.id))
    }

    /// `outbox/<id>/`: where a dry run writes.
    pub fn outbox_dir(&self) -> PathBuf {
        self.root.join("outbox").join(&self.id)
    }

    /// `archive/<id>/`: the exact bytes of every message handed to a server.
    pub fn archive_dir(&self) -> PathBuf {
        self.root.join("archive").join(&self.id)
    }

    /// A path as the operator should see it: relative to the campaign folder when inside it.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
