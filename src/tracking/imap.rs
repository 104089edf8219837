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

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::imap_proto::{
    AttributeValue, Capability, MailboxDatum, Outcome, Response, ResponseCode, Status,
};
use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use crate::config::ImapSettings;
use crate::dispatch::Security;

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
    /// The highest UID this read covered (fetched, too large or missing), or the cursor's
    /// `last_uid` (0 after a reread) when there was nothing new.
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

// ---------------------------------------------------------------------------------------------
// TLS

struct TlsSetup {
    connector: TlsConnector,
    name: ServerName<'static>,
}

fn tls_setup(settings: &ImapSettings) -> Result<TlsSetup, Error> {
    let setup = |detail: String| Error::Tls {
        step: Step::Setup,
        detail,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match &settings.ca_file {
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
        Some(path) => {
            let shown = path.display();
            let pem = std::fs::read(path).map_err(|e| {
                setup(t!(
                    "track-imap-cannot-read-ca-file",
                    file = shown.to_string(),
                    error = e.to_string()
                ))
            })?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    setup(t!(
                        "track-imap-ca-file-not-pem",
                        file = shown.to_string(),
                        error = e.to_string()
                    ))
                })?;
            if certs.is_empty() {
                return Err(setup(t!(
                    "track-imap-ca-file-empty",
                    file = shown.to_string()
                )));
            }
            rustls_platform_verifier::Verifier::new_with_extra_roots(certs, provider.clone())
        }
    }
    .map_err(|e| setup(t!("track-imap-cannot-load-roots", error = e.to_string())))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(t!("track-imap-cannot-set-up-tls", error = e.to_string())))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from(settings.host.clone()).map_err(|_| {
        setup(t!(
            "track-imap-host-not-checkable",
            host = format!("{:?}", settings.host)
        ))
    })?;
    Ok(TlsSetup {
        connector: TlsConnector::from(Arc::new(config)),
        name,
    })
}

/// A TLS failure, with a hint when the certificate or the port is the problem.
fn tls_error(step: Step, host: &str, e: &std::io::Error) -> Error {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let detail = match rustls_error {
        Some(rustls::Error::InvalidCertificate(why)) => t!(
            "track-imap-certificate-refused",
            host = host,
            why = format!("{why:?}")
        ),
        Some(invalid @ rustls::Error::InvalidMessage(_)) => {
            t!("track-imap-not-tls", error = invalid.to_string())
        }
        Some(other) => t!("track-imap-tls-failed", error = other.to_string()),
        None => t!("track-imap-tls-failed", error = e.to_string()),
    };
    Error::Tls { step, detail }
}

/// The connection under the IMAP client: plain TCP, or TLS over it.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The session

type Client = async_imap::Client<Stream>;

/// A tagged completion: the status and the server's text.
struct Done {
    status: Status,
    text: String,
    read_only: bool,
}

struct Session<'a> {
    client: Client,
    settings: &'a ImapSettings,
    /// The capabilities last announced, upper case (`IMAP4REV1`, `STARTTLS`, `AUTH=PLAIN`…).
    caps: HashSet<String>,
    tags: u32,
}

impl<'a> Session<'a> {
    /// Connects, secures and reads the greeting; returns the session and whether the server
    /// pre-authenticated it.
    async fn open(
        settings: &'a ImapSettings,
        tls: Option<&TlsSetup>,
    ) -> Result<(Session<'a>, bool), Error> {
        let t = settings.timeout;
        let server = format!("{}:{}", settings.host, settings.port);
        let tcp = deadline(
            Step::Connect,
            t,
            TcpStream::connect((settings.host.as_str(), settings.port)),
        )
        .await?
        .map_err(|e| Error::Connect {
            server: server.clone(),
            detail: e.to_string(),
        })?;
        let _ = tcp.set_nodelay(true);
        tracing::debug!(%server, security = %settings.security, "imap: connected");
        let stream = match (settings.security, tls) {
            (Security::Tls, Some(tls)) => Stream::Tls(Box::new(
                deadline(
                    Step::TlsHandshake,
                    t,
                    tls.connector.connect(tls.name.clone(), tcp),
                )
                .await?
                .map_err(|e| tls_error(Step::TlsHandshake, &settings.host, &e))?,
            )),
            _ => Stream::Plain(tcp),
        };
        let mut session = Session {
            client: async_imap::Client::new(stream),
            settings,
            caps: HashSet::new(),
            tags: 0,
        };
        let preauth = session.greeting().await?;
        if settings.security == Security::Starttls {
            if preauth {
                return Err(Error::Tls {
                    step: Step::Starttls,
                    detail: t!("track-imap-preauth-before-starttls"),
                });
            }
            if session.caps.is_empty() {
                session.capability().await?;
            }
            if !session.caps.contains("STARTTLS") {
                return Err(Error::Tls {
                    step: Step::Starttls,
                    detail: t!("track-imap-no-starttls"),
                });
            }
            let tls = tls.ok_or_else(|| Error::Tls {
                step: Step::Setup,
                detail: t!("track-imap-tls-not-prepared"),
            })?;
            session = session.starttls(tls).await?;
        }
        Ok((session, preauth))
    }

    /// Reads the greeting and any capabilities in it. True if it is PREAUTH.
    async fn greeting(&mut self) -> Result<bool, Error> {
        let t = self.settings.timeout;
        let response = deadline(Step::Greeting, t, self.client.read_response()).await?;
        let response = response
            .map_err(|e| lost(Step::Greeting, &e))?
            .ok_or_else(|| Error::Protocol {
                step: Step::Greeting,
                detail: t!("track-imap-no-greeting"),
            })?;
        match response.parsed() {
            Response::Data { status, outcome } => {
                if let Some(ResponseCode::Capabilities(caps)) = &outcome.code {
                    self.caps = caps_set(caps);
                }
                match status {
                    Status::Ok => Ok(false),
                    Status::PreAuth => Ok(true),
                    _ => Err(Error::Protocol {
                        step: Step::Greeting,
                        detail: t!("track-imap-connection-refused", text = text(outcome)),
                    }),
                }
            }
            other => Err(Error::Protocol {
                step: Step::Greeting,
                detail: t!("track-imap-not-a-greeting", response = brief(other)),
            }),
        }
    }

    async fn capability(&mut self) -> Result<(), Error> {
        let mut caps = None;
        let done = self
            .run(Step::Capability, &[b"CAPABILITY\r\n"], |r| {
                if let Response::Capabilities(c) = r {
                    caps = Some(caps_set(c));
                }
            })
            .await?;
        expect_ok(Step::Capability, &done)?;
        self.caps = caps.ok_or_else(|| Error::Protocol {
            step: Step::Capability,
            detail: t!("track-imap-no-capabilities"),
        })?;
        Ok(())
    }

    /// STARTTLS, the handshake, and the capabilities again over TLS.
    async fn starttls(mut self, tls: &TlsSetup) -> Result<Session<'a>, Error> {
        let done = self.run(Step::Starttls, &[b"STARTTLS\r\n"], |_| {}).await?;
        if !matches!(done.status, Status::Ok) {
            return Err(Error::Tls {
                step: Step::Starttls,
                detail: t!("track-imap-starttls-refused", text = &done.text),
            });
        }
        // Whatever the server (or anyone on the way) sent after its OK is thrown away with the
        // plain connection's response buffer.
        let Stream::Plain(tcp) = self.client.into_inner() else {
            return Err(Error::Protocol {
                step: Step::Starttls,
                detail: t!("track-imap-starttls-twice"),
            });
        };
        let t = self.settings.timeout;
        let stream = deadline(
            Step::TlsHandshake,
            t,
            tls.connector.connect(tls.name.clone(), tcp),
        )
        .await?
        .map_err(|e| tls_error(Step::TlsHandshake, &self.settings.host, &e))?;
        let mut session = Session {
            client: async_imap::Client::new(Stream::Tls(Box::new(stream))),
            settings: self.settings,
            caps: HashSet::new(),
            tags: self.tags,
        };
        session.capability().await?;
        Ok(session)
    }

    async fn login(&mut self, password: &SecretString) -> Result<(), Error> {
        if self.caps.is_empty() {
            self.capability().await?;
        }
        let username = self.settings.username.clone();
        let auth = |detail: String| Error::Auth {
            username: username.clone(),
            detail,
        };
        let secret = password.expose_secret();
        let tag = self.next_tag();
        // The command, password included, in buffers that are zeroed when dropped.
        let mut chunks: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        if self.caps.contains("LOGINDISABLED") {
            if !self.caps.contains("AUTH=PLAIN") {
                return Err(auth(t!("track-imap-login-disabled")));
            }
            if username.contains('\0') || secret.contains('\0') {
                return Err(auth(t!("track-imap-nul-in-credentials")));
            }
            let mut plain = Zeroizing::new(Vec::with_capacity(username.len() + secret.len() + 2));
            plain.push(0);
            plain.extend_from_slice(username.as_bytes());
            plain.push(0);
            plain.extend_from_slice(secret.as_bytes());
            let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*plain));
            let mut first = Zeroizing::new(format!("{tag} AUTHENTICATE PLAIN").into_bytes());
            if self.caps.contains("SASL-IR") {
                first.push(b' ');
                first.extend_from_slice(encoded.as_bytes());
                first.extend_from_slice(b"\r\n");
                chunks.push(first);
            } else {
                first.extend_from_slice(b"\r\n");
                chunks.push(first);
                let mut second = Zeroizing::new(encoded.as_bytes().to_vec());
                second.extend_from_slice(b"\r\n");
                chunks.push(second);
            }
        } else {
            let literal_plus = self.caps.contains("LITERAL+");
            let mut current = Zeroizing::new(format!("{tag} LOGIN ").into_bytes());
            for (i, value) in [username.as_str(), secret].into_iter().enumerate() {
                if i > 0 {
                    current.push(b' ');
                }
                if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
                    return Err(auth(t!("track-imap-line-break-in-credentials")));
                }
                if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    push_quoted(&mut current, value);
                } else if literal_plus {
                    current.extend_from_slice(format!("{{{}+}}\r\n", value.len()).as_bytes());
                    current.extend_from_slice(value.as_bytes());
                } else {
                    // A synchronizing literal: the rest goes after the server's "+".
                    current.extend_from_slice(format!("{{{}}}\r\n", value.len()).as_bytes());
                    chunks.push(std::mem::replace(
                        &mut current,
                        Zeroizing::new(value.as_bytes().to_vec()),
                    ));
                }
            }
            current.extend_from_slice(b"\r\n");
            chunks.push(current);
        }
        let parts: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
        let mut caps = None;
        let done = self
            .run_tagged(Step::Login, &tag, &parts, |r| {
                if let Response::Capabilities(c) = r {
                    caps = Some(caps_set(c));
                }
            })
            .await
            .map_err(|e| match e {
                // A BYE in answer to the login may quote it.
                Error::Protocol { step, detail } => Error::Protocol {
                    step,
                    detail: mask(&detail, secret),
                },
                Error::Closed { step, bye } => Error::Closed {
                    step,
                    bye: bye.map(|text| mask(&text, secret)),
                },
                other => other,
            })?;
        drop(chunks);
        match done.status {
            Status::Ok => {
                tracing::debug!(username = %self.settings.username, "imap: logged in");
                if let Some(caps) = caps {
                    self.caps = caps;
                }
                Ok(())
            }
            _ => Err(auth(mask(&done.text, secret))),
        }
    }

    /// EXAMINE, the listing and the body batches.
    async fn read_folder(
        &mut self,
        cursor: Option<Cursor>,
        limits: Limits,
    ) -> Result<Mailbox, Error> {
        let settings = self.settings;
        let folder = &settings.folder;
        if folder.is_empty() {
            return Err(Error::Folder {
                folder: folder.clone(),
                detail: t!("track-imap-no-folder-name"),
            });
        }
        let (uidvalidity, uid_next, exists) = self.examine().await?;
        let (reread, after) = match cursor {
            Some(c) if c.uidvalidity == uidvalidity => (false, c.last_uid),
            Some(_) => (true, 0),
            None => (false, 0),
        };
        tracing::debug!(
            %folder, uidvalidity, ?uid_next, exists, reread, after,
            "imap: folder examined"
        );
        let mut mailbox = Mailbox {
            uidvalidity,
            reread,
            messages: Vec::new(),
            too_large: Vec::new(),
            missing: Vec::new(),
            last_uid: after,
            batches: 0,
            logout_error: None,
        };
        let Some(first) = after.checked_add(1) else {
            return Ok(mailbox);
        };
        if exists == 0 {
            return Ok(mailbox);
        }

        // What is new, and how big. `first:*` always matches the highest message, even below
        // `first`: the filter drops it.
        let command = format!("UID FETCH {first}:* (UID RFC822.SIZE)\r\n");
        let mut listing: BTreeMap<u32, u64> = BTreeMap::new();
        let done = self
            .run(Step::List, &[command.as_bytes()], |r| {
                if let Response::Fetch(_, attrs) = r {
                    let uid = attrs.iter().find_map(|a| match a {
                        AttributeValue::Uid(u) => Some(*u),
                        _ => None,
                    });
                    let size = attrs.iter().find_map(|a| match a {
                        AttributeValue::Rfc822Size(s) => Some(*s),
                        _ => None,
                    });
                    if let (Some(uid), Some(size)) = (uid, size)
                        && uid >= first
                    {
                        listing.insert(uid, u64::from(size));
                    }
                }
            })
            .await?;
        expect_ok(Step::List, &done)?;
        if let Some((&highest, _)) = listing.last_key_value() {
            mailbox.last_uid = highest;
        }

        let (batches, too_large) = plan_batches(&listing, limits);
        mailbox.too_large = too_large;
        tracing::debug!(
            new = listing.len(),
            too_large = mailbox.too_large.len(),
            batches = batches.len(),
            "imap: fetching"
        );
        let max = u64::from(limits.max_message_bytes);
        for batch in batches {
            self.fetch_batch(&batch, max, &mut mailbox).await?;
        }
        mailbox.too_large.sort_by_key(|b| b.uid);
        if !mailbox.missing.is_empty() {
            tracing::debug!(missing = ?mailbox.missing, "imap: listed but not returned");
        }
        Ok(mailbox)
    }

    /// EXAMINE (read-only: nothing can change a flag): the folder's UIDVALIDITY, UIDNEXT and
    /// number of messages.
    async fn examine(&mut self) -> Result<(u32, Option<u32>, u32), Error> {
        let folder = &self.settings.folder;
        let command = format!("EXAMINE {}\r\n", quoted(&mutf7(folder)));
        let (mut uidvalidity, mut uid_next, mut exists) = (None, None, None);
        let done = self
            .run(Step::Examine, &[command.as_bytes()], |r| match r {
                Response::Data { outcome, .. } => match outcome.code {
                    Some(ResponseCode::UidValidity(v)) => uidvalidity = Some(v),
                    Some(ResponseCode::UidNext(n)) => uid_next = Some(n),
                    _ => {}
                },
                Response::MailboxData(MailboxDatum::Exists(n)) => exists = Some(*n),
                _ => {}
            })
            .await?;
        let folder = &self.settings.folder;
        if !matches!(done.status, Status::Ok) {
            return Err(Error::Folder {
                folder: folder.clone(),
                detail: done.text,
            });
        }
        if !done.read_only {
            tracing::warn!(%folder, "imap: the server did not confirm EXAMINE as READ-ONLY");
        }
        let uidvalidity = uidvalidity.ok_or_else(|| Error::Protocol {
            step: Step::Examine,
            detail: t!("track-imap-no-uidvalidity", folder = format!("{folder:?}")),
        })?;
        Ok((uidvalidity, uid_next, exists.unwrap_or(0)))
    }

    /// One `UID FETCH … BODY.PEEK[]` of a batch: each body into `mailbox`, or into its too-large
    /// or missing list.
    async fn fetch_batch(
        &mut self,
        batch: &[u32],
        max: u64,
        mailbox: &mut Mailbox,
    ) -> Result<(), Error> {
        let command = format!("UID FETCH {} (UID BODY.PEEK[])\r\n", uid_set(batch));
        let wanted: HashSet<u32> = batch.iter().copied().collect();
        let mut got: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut oversized: Vec<TooLarge> = Vec::new();
        let done = self
            .run(Step::Fetch, &[command.as_bytes()], |r| {
                let Response::Fetch(_, attrs) = r else {
                    return;
                };
                let uid = attrs.iter().find_map(|a| match a {
                    AttributeValue::Uid(u) => Some(*u),
                    _ => None,
                });
                let body = attrs.iter().find_map(|a| match a {
                    AttributeValue::BodySection {
                        section: None,
                        index: None,
                        data: Some(data),
                    } => Some(data),
                    _ => None,
                });
                if let (Some(uid), Some(body)) = (uid, body)
                    && wanted.contains(&uid)
                {
                    let size = body.len() as u64;
                    if size > max {
                        oversized.push(TooLarge { uid, size });
                    } else {
                        got.insert(uid, body.to_vec());
                    }
                }
            })
            .await?;
        expect_ok(Step::Fetch, &done)?;
        mailbox.batches += 1;
        for &uid in batch {
            if let Some(bytes) = got.remove(&uid) {
                mailbox.messages.push(Fetched { uid, bytes });
            } else if let Some(big) = oversized.iter().find(|b| b.uid == uid) {
                mailbox.too_large.push(*big);
            } else {
                mailbox.missing.push(uid);
            }
        }
        Ok(())
    }

    /// LOGOUT and close, within the deadline.
    async fn logout(mut self) -> Result<(), Error> {
        let t = self.settings.timeout;
        let result = self.run(Step::Logout, &[b"LOGOUT\r\n"], |_| {}).await;
        let result = match result {
            Ok(done) => expect_ok(Step::Logout, &done),
            // A server may close right after its BYE without the tagged OK.
            Err(Error::Closed { bye: Some(_), .. }) => Ok(()),
            Err(e) => Err(e),
        };
        if result.is_ok() {
            let _ = tokio::time::timeout(t, self.client.get_mut().shutdown()).await;
        }
        result
    }

    fn next_tag(&mut self) -> String {
        self.tags += 1;
        format!("L{}", self.tags)
    }

    /// One command (`chunks`, without the tag) under the step's deadline.
    async fn run(
        &mut self,
        step: Step,
        chunks: &[&[u8]],
        untagged: impl FnMut(&Response<'_>),
    ) -> Result<Done, Error> {
        let tag = self.next_tag();
        let mut first = format!("{tag} ").into_bytes();
        first.extend_from_slice(chunks[0]);
        let mut all: Vec<&[u8]> = vec![&first];
        all.extend_from_slice(&chunks[1..]);
        self.run_tagged(step, &tag, &all, untagged).await
    }

    /// Writes `chunks` (the first starts with `tag`), waiting for the server's "+" between
    /// them, and reads until the tagged completion, handing every untagged response to
    /// `untagged`. The whole exchange has one deadline.
    async fn run_tagged(
        &mut self,
        step: Step,
        tag: &str,
        chunks: &[&[u8]],
        untagged: impl FnMut(&Response<'_>),
    ) -> Result<Done, Error> {
        let t = self.settings.timeout;
        deadline(step, t, self.exchange(step, tag, chunks, untagged)).await?
    }

    async fn exchange(
        &mut self,
        step: Step,
        tag: &str,
        chunks: &[&[u8]],
        mut untagged: impl FnMut(&Response<'_>),
    ) -> Result<Done, Error> {
        let mut bye: Option<String> = None;
        for (i, chunk) in chunks.iter().enumerate() {
            let stream = self.client.get_mut();
            stream.write_all(chunk).await.map_err(|e| lost(step, &e))?;
            stream.flush().await.map_err(|e| lost(step, &e))?;
            let last = i + 1 == chunks.len();
            // Before the next chunk, the server must say "+" (or finish the command early).
            loop {
                let response = self
                    .client
                    .read_response()
                    .await
                    .map_err(|e| lost(step, &e))?;
                let Some(response) = response else {
                    return Err(closed(step, bye.as_deref()));
                };
                match response.parsed() {
                    Response::Continue(_) if !last => break,
                    Response::Continue(_) => {
                        return Err(Error::Protocol {
                            step,
                            detail: t!("track-imap-continue-after-end"),
                        });
                    }
                    Response::Done {
                        tag: done_tag,
                        status,
                        outcome,
                    } if done_tag.0 == tag => {
                        return Ok(Done {
                            status: match status {
                                Status::Ok => Status::Ok,
                                Status::No => Status::No,
                                _ => Status::Bad,
                            },
                            text: text(outcome),
                            read_only: matches!(outcome.code, Some(ResponseCode::ReadOnly)),
                        });
                    }
                    Response::Done { .. } => {}
                    Response::Data {
                        status: Status::Bye,
                        outcome,
                    } => bye = Some(text(outcome)),
                    other => untagged(other),
                }
            }
        }
        Err(Error::Protocol {
            step,
            detail: t!("track-imap-continue-too-often"),
        })
    }
}

/// Runs `future` under `after`; its timeout is an `Error::Timeout` at `step`.
async fn deadline<T>(
    step: Step,
    after: Duration,
    future: impl Future<Output = T>,
) -> Result<T, Error> {
    tokio::time::timeout(after, future)
        .await
        .map_err(|_| Error::Timeout { step, after })
}

fn lost(step: Step, e: &std::io::Error) -> Error {
    let text = printable(&e.to_string(), 300);
    Error::Protocol {
        step,
        detail: if text.contains("during parsing of") {
            t!("track-imap-unparsable-reply", error = text)
        } else {
            t!("track-imap-connection-failed", error = text)
        },
    }
}

fn closed(step: Step, bye: Option<&str>) -> Error {
    Error::Closed {
        step,
        bye: bye.map(str::to_owned),
    }
}

fn expect_ok(step: Step, done: &Done) -> Result<(), Error> {
    match done.status {
        Status::Ok => Ok(()),
        _ => Err(Error::Protocol {
            step,
            detail: t!(
                "track-imap-answered",
                status = if matches!(done.status, Status::No) {
                    "NO"
                } else {
                    "BAD"
                },
                text = &done.text
            ),
        }),
    }
}

fn caps_set(caps: &[Capability<'_>]) -> HashSet<String> {
    caps.iter()
        .map(|c| match c {
            Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
            Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect()
}

/// The server's text of a status response, printable and bounded.
fn text(outcome: &Outcome<'_>) -> String {
    let code = match &outcome.code {
        Some(ResponseCode::Alert) => "[ALERT] ",
        Some(ResponseCode::Parse) => "[PARSE] ",
        Some(ResponseCode::TryCreate) => "[TRYCREATE] ",
        _ => "",
    };
    let info = match outcome.information.as_deref() {
        Some(info) => info.to_owned(),
        None => t!("track-imap-no-text"),
    };
    printable(&format!("{code}{info}"), 300)
}

/// A short description of an unexpected response.
fn brief(response: &Response<'_>) -> String {
    printable(&format!("{response:?}"), 200)
}

/// Control characters replaced, cut to `max` characters.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out.trim().to_owned()
}

/// `text` with every occurrence of the password replaced.
fn mask(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "[password]")
    }
}

/// An IMAP quoted string (for printable ASCII).
fn quoted(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    String::from_utf8(out).expect("quoting keeps UTF-8")
}

/// Appends `s` as an IMAP quoted string to `out` (which may be a zeroed-on-drop buffer).
fn push_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): printable ASCII stands for itself
/// (`&` as `&-`), anything else is UTF-16 in modified base64 between `&` and `-`.
fn mutf7(name: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::Alphabet::new(ALPHABET).expect("a valid alphabet"),
        base64::engine::general_purpose::NO_PAD,
    );
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine.encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Sorted UIDs as a compact IMAP set: `1:3,7,9:10`.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Splits the listing into body batches and the messages too large to fetch.
fn plan_batches(listing: &BTreeMap<u32, u64>, limits: Limits) -> (Vec<Vec<u32>>, Vec<TooLarge>) {
    let mut batches: Vec<Vec<u32>> = Vec::new();
    let mut too_large = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    let mut bytes = 0u64;
    for (&uid, &size) in listing {
        if size > u64::from(limits.max_message_bytes) {
            too_large.push(TooLarge { uid, size });
            continue;
        }
        if !current.is_empty()
            && (current.len() >= limits.batch_uids.max(1)
                || bytes.saturating_add(size) > limits.batch_bytes)
        {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(uid);
        bytes = bytes.saturating_add(size);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    (batches, too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf7_follows_rfc_3501() {
        assert_eq!(mutf7("INBOX"), "INBOX");
        assert_eq!(
            mutf7("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(mutf7("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(mutf7("Báo cáo"), "B&AOE-o c&AOE-o");
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn batches_respect_count_bytes_and_the_size_cap() {
        let limits = Limits {
            batch_uids: 2,
            batch_bytes: 100,
            max_message_bytes: 80,
        };
        let listing = BTreeMap::from([(1, 10), (2, 10), (3, 10), (4, 90), (5, 70), (6, 20)]);
        let (batches, too_large) = plan_batches(&listing, limits);
        assert_eq!(batches, vec![vec![1, 2], vec![3, 5], vec![6]]);
        assert_eq!(too_large, vec![TooLarge { uid: 4, size: 90 }]);
    }

    #[test]
    fn a_bye_then_a_closed_connection_says_what_the_server_said() {
        assert_eq!(
            closed(Step::Logout, Some("Logging out")).to_string(),
            format!(
                "IMAP {}: the server said BYE (Logging out) and closed the connection",
                Step::Logout
            )
        );
        assert!(matches!(
            closed(Step::Logout, None),
            Error::Closed { bye: None, .. }
        ));
    }

    #[test]
    fn the_password_is_masked_in_server_text() {
        assert_eq!(
            mask("NO LOGIN s3cret failed", "s3cret"),
            "NO LOGIN [password] failed"
        );
    }
}
