//! The outboxes a built letter can go to: a folder (the dry run) or an SMTP relay.
//!
//! The SMTP side drives lettre's low-level `AsyncSmtpConnection` itself instead of lettre's
//! pooled transport, for two reasons the research verified: lettre's own timeout covers only the
//! TCP connect, and a pooled connection recycled after a cancelled send reads stale replies. Here
//! every step (connect, greeting and EHLO, STARTTLS, AUTH, MAIL, each RCPT, DATA, the message
//! with its final reply, RSET) runs under its own deadline; a connection that timed out or failed
//! mid-step is dropped, never reused. A transaction is split in two (`begin` up to the server's
//! 354, `finish` for the message) so the caller can record that the message is about to go.
//!
//! This module knows nothing of CSV, templates or the delivery log. It reports what happened,
//! at which stage, with the server's reply; deciding what that means for a recipient is
//! `send`'s job. A `Failure` is recorded in the log as it is (in English, with the server's own
//! words); the errors a person reads when a relay or an outbox cannot be set up are worded in
//! `locales/*/dispatch.ftl`.
//!
//! `failure`: what went wrong at a step (`Failure`), and the deadline every step runs under.
//! `relay`: the relay and how to reach it (`Relay::connect`). `connection`: one open session
//! (`begin`, `finish`, `reset`, `close`). `transport`: the two traits the senders are generic
//! over (`Transport`, `Session`), which `Relay` and `Connection` implement. `directory`: the
//! dry-run outbox.

mod connection;
mod directory;
mod failure;
mod relay;
mod transport;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use self::connection::Connection;
pub use self::directory::Directory;
pub use self::failure::{Failure, FailureKind};
pub use self::relay::Relay;
pub use self::transport::{Session, Transport};
pub use crate::smtp::Stage;

/// The `[smtp]` table, with environment overrides applied.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    /// A CA certificate (PEM) to trust in addition to the system's, for an internal relay.
    pub ca_file: Option<PathBuf>,
    /// The name given in EHLO; defaults to the sender's domain.
    pub hello_name: Option<String>,
    /// The deadline of each SMTP step.
    pub timeout: Duration,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which the server must offer (never downgraded).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only when configured, for a loopback or internal relay.
    None,
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::Starttls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        })
    }
}
