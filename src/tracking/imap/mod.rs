//! The IMAP side of `letterpost track`: reads, without changing anything, the messages that
//! came back to the campaign's return-path mailbox (delivery reports, bounces, replies).
//!
//! One call, [`read`], opens one connection and walks it through its steps: TCP connect, the TLS
//! handshake (`Tls`, from the first byte) or the server's greeting and `STARTTLS` (`Starttls`,
//! which the server must offer: a server that does not is refused before anything else is
//! sent, never downgraded), `LOGIN` (or `AUTHENTICATE PLAIN` when the server disables LOGIN),
//! `EXAMINE` of the folder, one `UID FETCH … (UID RFC822.SIZE)` to list what is new, the
//! bodies with `UID FETCH <set> (UID BODY.PEEK[])` in batches (at most [`Limits::batch_uids`]
//! messages and about [`Limits::batch_bytes`] per command), and `LOGOUT`. Every step runs
//! under its own deadline, [`ImapSettings::timeout`]; a server that stalls is cut off and the
//! error names the step ([`Error::Timeout`]). A connection that failed or timed out mid-step is
//! dropped, never reused.
//!
//! **Read-only.** The folder is opened with `EXAMINE` (never `SELECT`), so the server keeps
//! every flag as it is, and bodies are fetched with `BODY.PEEK[]`, which does not set `\Seen`.
//! This module sends no `STORE`, `COPY`, `MOVE`, `EXPUNGE`, `CLOSE`, `APPEND`, `CREATE` or
//! `DELETE`: it never deletes, moves, expunges or flags mail. The commands it can send are
//! `CAPABILITY`, `STARTTLS`, `LOGIN`, `AUTHENTICATE PLAIN`, `EXAMINE`, `UID FETCH` and
//! `LOGOUT`.
//!
//! **Where a read starts.** The caller remembers a [`Cursor`] (the folder's UIDVALIDITY and the
//! last UID it has read) and passes it back; only messages with a greater UID are fetched.
//! `UID FETCH N:*` returns the highest message even when N is above every UID, so UIDs at or
//! below the cursor are dropped here. When the server's UIDVALIDITY is not the remembered one,
//! the old UIDs mean nothing any more: everything is fetched again from UID 1 and
//! [`Mailbox::reread`] says so. [`Mailbox::cursor`] is what to remember next time.
//!
//! **Limits.** A message whose `RFC822.SIZE` is above [`Limits::max_message_bytes`] is not
//! fetched; it is listed in [`Mailbox::too_large`] (and so is one whose body turns out larger).
//!
//! **The password** is a `SecretString`, exposed in one place: the bytes of the `LOGIN` (or
//! `AUTHENTICATE`) command, written straight to the connection from a buffer that is zeroed
//! afterwards. It is never formatted into a `Debug` value, an error or a tracing event, and any
//! echo of it in the server's reply to the login is masked. Commands are written by this module
//! and not by async-imap's command encoder, because that encoder logs every command it sends,
//! `LOGIN` and its password included, at TRACE level through the `log` crate, which a
//! `tracing-subscriber` with its default `tracing-log` feature prints. async-imap is used for
//! what it does well: framing the server's responses (literals of any size) and parsing them
//! (imap-proto). Its own TRACE output holds the server's responses, message bodies included;
//! letterpost should cap the `async_imap` target at WARN as it does `lettre`'s.
//!
//! **TLS** is rustls with the ring provider (as lettre's is in letterpost) and the OS trust store
//! through `rustls-platform-verifier`, plus the certificates of [`ImapSettings::ca_file`] (PEM),
//! exactly as the SMTP side's `[smtp] ca_file`. After `STARTTLS` the response buffer of the
//! plain connection is thrown away and the capabilities are asked for again over TLS, so nothing
//! a man in the middle injected before the handshake is believed.
//!
//! What this module does not do: it does not parse or interpret the reports (that is the
//! caller's job, from [`Fetched::bytes`], which are `BODY[]` exactly as the server returned
//! it), it writes no file and no delivery-log record, it reads no configuration or environment
//! (the caller fills [`ImapSettings`] and passes the password), and it keeps no state between
//! calls other than what the caller remembers ([`Cursor`]).
//!
//! Its errors are worded in `locales/*/track.ftl` (the server's own text inside them is not).
//!
//! The files, each on the ones after it: `connect.rs` the steps from connecting to the
//! capabilities, and LOGOUT; `login.rs` the one command with the password; `folder.rs` EXAMINE,
//! the listing and the fetches; `wire.rs` the session and how a command is written and
//! answered; `tls.rs` the connection and its TLS.

mod connect;
mod folder;
mod login;
mod tls;
mod wire;

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

pub use crate::config::ImapSettings;
use crate::dispatch::Security;
use tls::tls_setup;
use wire::Session;

/// Where the previous read left off: the folder's UIDVALIDITY then and the last UID read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// How much one read fetches at a time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many messages per body `UID FETCH`.
    pub batch_uids: usize,
    /// A batch is closed before its messages' sizes add up to more than this many bytes (a
    /// single message larger than this goes alone in a batch). A batch has one deadline, so this
    /// should be what the link moves well within [`ImapSettings::timeout`].
    pub batch_bytes: u64,
    /// A message larger than this is not fetched, but listed in [`Mailbox::too_large`].
    pub max_message_bytes: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            batch_uids: 500,
            batch_bytes: 16 << 20,
            max_message_bytes: 10 << 20,
        }
    }
}

/// What one read found.
#[derive(Debug)]
pub struct Mailbox {
    /// The folder's UIDVALIDITY now.
    pub uidvalidity: u32,
    /// True when the remembered UIDVALIDITY was not the server's: everything was read from UID 1.
    pub reread: bool,
    /// The messages after the cursor, in UID order.
    pub messages: Vec<Fetched>,
    /// Messages not fetched because they are larger than [`Limits::max_message_bytes`].
    pub too_large: Vec<TooLarge>,
    /// UIDs that were listed but whose body the server did not return (expunged meanwhile).
    pub missing: Vec<u32>,
    /// UIDs the listing gave at or above the folder's UIDNEXT, which no message can have:
    /// ignored, and passed on so that `track` warns of them.
    pub beyond_next: Vec<u32>,
    /// How far the next read may start after: the highest UID this read covered, but before the
    /// lowest one too large or missing (so that it is tried again); or the cursor's `last_uid`
    /// (0 after a reread) when there was nothing new.
    pub last_uid: u32,
    /// How many body `UID FETCH` commands were sent.
    pub batches: usize,
    /// Set when LOGOUT did not complete (everything above was read in full regardless; the
    /// connection was dropped).
    pub logout_error: Option<Error>,
}

impl Mailbox {}

/// One message: its UID and `BODY[]` exactly as the server returned it.
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    pub uid: u32,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("uid", &self.uid)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// A message skipped for its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub uid: u32,
    /// Its size in bytes (`RFC822.SIZE`, or the body's length if that was larger).
    pub size: u64,
}

/// The steps of a read, for errors and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before connecting: reading the CA file, preparing TLS.
    Setup,
    Connect,
    TlsHandshake,
    Greeting,
    Capability,
    Starttls,
    Login,
    Examine,
    /// The `UID FETCH … (UID RFC822.SIZE)` that lists the new messages.
    List,
    /// A body `UID FETCH` batch.
    Fetch,
    Logout,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The steps named by an IMAP command are named by the command, in any language.
        let described = match self {
            Step::Setup => t!("track-imap-step-setup"),
            Step::Connect => t!("track-imap-step-connect"),
            Step::TlsHandshake => t!("track-imap-step-tls-handshake"),
            Step::Greeting => t!("track-imap-step-greeting"),
            Step::Capability => "CAPABILITY".to_owned(),
            Step::Starttls => "STARTTLS".to_owned(),
            Step::Login => "LOGIN".to_owned(),
            Step::Examine => "EXAMINE".to_owned(),
            Step::List => "UID FETCH (RFC822.SIZE)".to_owned(),
            Step::Fetch => "UID FETCH (BODY.PEEK[])".to_owned(),
            Step::Logout => "LOGOUT".to_owned(),
        };
        f.write_str(&described)
    }
}

/// Why a read failed. Every variant means "no result"; the text says what to fix.
#[derive(Debug)]
pub enum Error {
    /// The server could not be reached (name, address, port, refused).
    Connect { server: String, detail: String },
    /// TLS could not be set up or verified, or STARTTLS is required and not offered.
    Tls { step: Step, detail: String },
    /// The server refused the login (its NO/BAD text, never the password), or offers no way to
    /// log in on this connection.
    Auth { username: String, detail: String },
    /// The folder cannot be opened (no such folder, or not allowed): the server's text.
    Folder { folder: String, detail: String },
    /// No answer within the deadline at this step.
    Timeout { step: Step, after: Duration },
    /// The connection broke or the server's answer made no sense.
    Protocol { step: Step, detail: String },
    /// The server closed the connection: after a BYE (its text), or without a word.
    Closed { step: Step, bye: Option<String> },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { server, detail } => f.write_str(&t!(
                "track-imap-cannot-connect",
                server = server,
                detail = detail
            )),
            Error::Tls { step, detail } | Error::Protocol { step, detail } => f.write_str(&t!(
                "track-imap-at-step",
                step = step.to_string(),
                detail = detail
            )),
            Error::Closed { step, bye } => {
                let detail = match bye {
                    Some(text) => t!("track-imap-bye-then-closed", text = text),
                    None => t!("track-imap-closed"),
                };
                f.write_str(&t!(
                    "track-imap-at-step",
                    step = step.to_string(),
                    detail = detail
                ))
            }
            Error::Auth { username, detail } => f.write_str(&t!(
                "track-imap-login-refused",
                username = format!("{username:?}"),
                detail = detail
            )),
            Error::Folder { folder, detail } => f.write_str(&t!(
                "track-imap-cannot-open-folder",
                folder = format!("{folder:?}"),
                detail = detail
            )),
            Error::Timeout { step, after } => {
                let (seconds, step_name) = (after.as_secs_f64().to_string(), step.to_string());
                f.write_str(&if *step == Step::Greeting {
                    t!(
                        "track-imap-timeout-greeting",
                        seconds = seconds,
                        step = step_name
                    )
                } else {
                    t!("track-imap-timeout", seconds = seconds, step = step_name)
                })
            }
        }
    }
}

impl std::error::Error for Error {}

/// Reads the messages after `cursor` (all of them when it is `None`) from the configured
/// folder, read-only, and logs out. See the module documentation.
pub async fn read(
    settings: &ImapSettings,
    password: &SecretString,
    cursor: Option<Cursor>,
    limits: Limits,
) -> Result<Mailbox, Error> {
    let tls = match settings.security {
        Security::None => None,
        Security::Tls | Security::Starttls => Some(tls_setup(settings)?),
    };
    let (mut session, preauth) = Session::open(settings, tls.as_ref()).await?;
    let result = async {
        if !preauth {
            session.login(password).await?;
        }
        session.read_folder(cursor, limits).await
    }
    .await;
    match result {
        Ok(mut mailbox) => {
            mailbox.logout_error = session.logout().await.err();
            Ok(mailbox)
        }
        // The server answered cleanly: the session is in a known state, so say goodbye.
        Err(e @ (Error::Auth { .. } | Error::Folder { .. })) => {
            let _ = session.logout().await;
            Err(e)
        }
        Err(e) => Err(e),
    }
}
