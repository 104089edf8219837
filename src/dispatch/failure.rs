//! What went wrong at a step of an SMTP session (`Failure`: where, the server's reply or what
//! happened instead, and its kind), and the deadline every step runs under (`step`).
//!
//! It says what happened, never what it means for a letter: that is `send::policy`'s. A
//! `Failure` is recorded in the log as it is, in English, with the server's own words.

use std::fmt;
use std::time::Duration;

use crate::smtp::{Reply, Stage};

/// Something that went wrong at a stage: a negative reply, or no usable reply at all.
#[derive(Debug, Clone)]
pub struct Failure {
    pub stage: Stage,
    pub reply: Option<Reply>,
    /// What went wrong when there is no reply (timeout, connection lost, TLS, protocol).
    pub error: Option<String>,
    pub kind: FailureKind,
}

/// What kind of failure, for deciding what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The server answered 5xx.
    Permanent,
    /// The server answered 4xx.
    Transient,
    /// No reply within the step's deadline.
    Timeout,
    /// The connection broke, or the reply made no sense.
    Network,
    /// TLS could not be set up or verified.
    Tls,
    /// Refused on our side before anything was sent (e.g. no STARTTLS offered, no AUTH method).
    Client,
}

impl Failure {
    pub(super) fn from_lettre(stage: Stage, e: &lettre::transport::smtp::Error) -> Failure {
        let detail = std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_default();
        if let Some(code) = e.status() {
            let reply = Reply::parse_text(u16::from(code), &detail);
            let kind = if e.is_permanent() {
                FailureKind::Permanent
            } else {
                FailureKind::Transient
            };
            return Failure {
                stage,
                reply: Some(reply),
                error: None,
                kind,
            };
        }
        let error = error_chain(e);
        let lower = error.to_lowercase();
        let tls_words = ["certificate", "tls", "handshake"];
        let kind = if e.is_tls()
            || stage == Stage::Starttls
            || tls_words.iter().any(|w| lower.contains(w))
        {
            FailureKind::Tls
        } else if e.is_client() {
            FailureKind::Client
        } else if e.is_timeout() {
            FailureKind::Timeout
        } else {
            FailureKind::Network
        };
        Failure {
            stage,
            reply: None,
            error: Some(crate::smtp::printable(&error)),
            kind,
        }
    }

    pub(super) fn timeout(stage: Stage, after: Duration) -> Failure {
        Failure {
            stage,
            reply: None,
            error: Some(format!("no reply within {} s", after.as_secs_f64())),
            kind: FailureKind::Timeout,
        }
    }

    pub(super) fn client(stage: Stage, message: impl Into<String>) -> Failure {
        Failure {
            stage,
            reply: None,
            error: Some(message.into()),
            kind: FailureKind::Client,
        }
    }

    /// A message larger than the relay's SIZE (RFC 1870): refused on our side before MAIL FROM,
    /// as the server would refuse it (552), so it is not tried again.
    pub(super) fn too_large(size: usize, limit: usize) -> Failure {
        Failure {
            stage: Stage::Mail,
            reply: None,
            error: Some(format!(
                "not sent: the message is {size} bytes, larger than the {limit} bytes the relay \
                 accepts (its EHLO SIZE)"
            )),
            kind: FailureKind::Permanent,
        }
    }

    /// A reply code, if the server gave one.
    pub fn code(&self) -> Option<u16> {
        self.reply.as_ref().map(|r| r.code)
    }

    /// Whether the server refused our credentials or demands them: a 530, 534, 535 or 538 at
    /// any stage, or any negative reply to AUTH. (Silence or a lost connection during AUTH is not
    /// a verdict on the credentials.)
    pub fn is_authentication(&self) -> bool {
        matches!(self.code(), Some(530 | 534 | 535 | 538))
            || (self.stage == Stage::Auth && self.reply.is_some())
    }

    /// Whether the connection is still in a known state after this failure: a clean negative
    /// reply other than 421 (which closes the session).
    pub fn connection_usable(&self) -> bool {
        matches!(self.kind, FailureKind::Permanent | FailureKind::Transient)
            && self.code() != Some(421)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: ", self.stage)?;
        match (&self.reply, &self.error) {
            (Some(reply), _) => write!(f, "{reply}"),
            (None, Some(error)) => write!(f, "{error}"),
            (None, None) => write!(f, "failed"),
        }
    }
}

/// Runs one SMTP step under its deadline and turns every failure into a `Failure` at `stage`.
pub(super) async fn step<T>(
    stage: Stage,
    deadline: Duration,
    future: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(deadline, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure::from_lettre(stage, &e)),
        Err(_) => Err(Failure::timeout(stage, deadline)),
    }
}

/// An error and its causes in one line, each cause once (lettre repeats its source in Display).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
