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

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::extension::{MailParameter, RcptParameter};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::message::Letter;
use crate::order::InOrder;
use crate::private_fs;
use crate::smtp::xtext;
pub use crate::smtp::{Reply, Stage};

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
    fn from_lettre(stage: Stage, e: &lettre::transport::smtp::Error) -> Failure {
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

    fn timeout(stage: Stage, after: Duration) -> Failure {
        Failure {
            stage,
            reply: None,
            error: Some(format!("no reply within {} s", after.as_secs_f64())),
            kind: FailureKind::Timeout,
        }
    }

    fn client(stage: Stage, message: impl Into<String>) -> Failure {
        Failure {
            stage,
            reply: None,
            error: Some(message.into()),
            kind: FailureKind::Client,
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

/// The relay and how to reach it: built once per run, then `connect` per connection.
pub struct Relay {
    settings: SmtpSettings,
    hello: ClientId,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    /// Connections opened so far: each is numbered in the diagnostics (`connection=2`).
    opened: std::sync::atomic::AtomicU32,
}

impl Relay {
    /// Prepares TLS parameters (with the custom CA, if any) and credentials. `sender_domain` is
    /// the EHLO name when none is configured.
    pub fn new(
        settings: SmtpSettings,
        password: Option<SecretString>,
        sender_domain: &str,
    ) -> anyhow::Result<Relay> {
        let hello = ClientId::Domain(
            settings
                .hello_name
                .clone()
                .unwrap_or_else(|| sender_domain.to_owned()),
        );
        let credentials = match (&settings.username, password) {
            (Some(user), Some(password)) => Some(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            (Some(_), None) => anyhow::bail!(t!("dispatch-no-password")),
            (None, _) => None,
        };
        let tls = match settings.security {
            Security::None => None,
            Security::Starttls | Security::Tls => {
                let mut builder = TlsParameters::builder(settings.host.clone());
                if let Some(ca) = &settings.ca_file {
                    let pem = std::fs::read(ca)
                        .with_context(|| t!("dispatch-cannot-read-ca", file = ca.display()))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        anyhow::anyhow!(t!(
                            "dispatch-ca-not-pem",
                            file = ca.display(),
                            error = e.to_string()
                        ))
                    })?;
                    builder = builder.add_root_certificate(cert);
                }
                Some(builder.build().map_err(|e| {
                    anyhow::anyhow!(t!("dispatch-cannot-set-up-tls", error = e.to_string()))
                })?)
            }
        };
        Ok(Relay {
            settings,
            hello,
            credentials,
            tls,
            opened: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// `host:port (security)` for messages.
    pub fn describe(&self) -> String {
        format!(
            "{}:{} ({})",
            self.settings.host, self.settings.port, self.settings.security
        )
    }

    /// Opens a connection ready for transactions: connected, greeted, encrypted as configured
    /// and authenticated. Any failure here concerns the relay, not a recipient.
    pub async fn connect(&self) -> Result<Connection, Failure> {
        let id = 1 + self
            .opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let connected = self.open(id).await;
        if let Err(failure) = &connected {
            // At AUTH only that it failed: the exchange itself is never shown.
            if failure.stage == Stage::Auth {
                tracing::debug!(
                    connection = id,
                    "authentication failed (the exchange is not shown)"
                );
            } else {
                tracing::debug!(connection = id, "could not connect: {failure}");
            }
        }
        connected
    }

    async fn open(&self, id: u32) -> Result<Connection, Failure> {
        let timeout = self.settings.timeout;
        let address = (self.settings.host.as_str(), self.settings.port);
        let mut conn = match self.settings.security {
            Security::Tls => {
                // lettre does TCP, the TLS handshake, the greeting and EHLO in one call; give it
                // the deadlines of those four steps.
                let tls = self.tls.clone();
                let connect = AsyncSmtpConnection::connect_tokio1(
                    address,
                    Some(timeout),
                    &self.hello,
                    tls,
                    None,
                );
                step(Stage::Connect, timeout * 4, connect).await?
            }
            Security::Starttls | Security::None => {
                let tcp = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address))
                    .await
                    .map_err(|_| Failure::timeout(Stage::Connect, timeout))?
                    .map_err(|e| Failure {
                        stage: Stage::Connect,
                        reply: None,
                        error: Some(format!(
                            "cannot connect to {}:{}: {e}",
                            self.settings.host, self.settings.port
                        )),
                        kind: FailureKind::Network,
                    })?;
                let _ = tcp.set_nodelay(true);
                let greet = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello);
                step(Stage::Greeting, timeout * 2, greet).await?
            }
        };
        if self.settings.security == Security::Starttls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(Failure::client(
                    Stage::Starttls,
                    "the server does not offer STARTTLS, which is required ([smtp] security = \"starttls\"); \
                     nothing was sent",
                ));
            }
            let tls = self.tls.clone().expect("built for starttls");
            step(
                Stage::Starttls,
                timeout * 3,
                conn.starttls(tls, &self.hello),
            )
            .await?;
        }
        // lettre keeps only the EHLO keywords it knows, and DSN is not one of them: ask again
        // (EHLO may be repeated; before AUTH, which some servers do not let it follow).
        let ehlo = step(
            Stage::Greeting,
            timeout,
            conn.command(Ehlo::new(self.hello.clone())),
        )
        .await?;
        // Only the first line: the others list the extensions, among them the AUTH methods.
        let greeted = Reply::from(&ehlo);
        let first = greeted.text.lines().next().unwrap_or_default();
        tracing::debug!(connection = id, "ehlo: {} {first}", greeted.code);
        let dsn = ehlo
            .message()
            .skip(1)
            .any(|line| line.split_whitespace().next() == Some("DSN"));
        if let Some(credentials) = &self.credentials {
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            step(
                Stage::Auth,
                timeout * 2,
                conn.auth(&mechanisms, credentials),
            )
            .await?;
            // That it worked, and as whom; never the exchange (it carries the password).
            let user = self.settings.username.as_deref().unwrap_or_default();
            tracing::debug!(connection = id, "authenticated as {user}");
        }
        // lettre does not say which TLS version its session negotiated: only whether it has one.
        let protection = if conn.is_encrypted() { "TLS" } else { "no TLS" };
        tracing::info!(
            connection = id,
            "connected to {}:{}, {protection} (security {}), server {}, {}",
            self.settings.host,
            self.settings.port,
            self.settings.security,
            conn.server_info().name(),
            if dsn { "offers DSN" } else { "no DSN" }
        );
        Ok(Connection {
            conn,
            timeout,
            dsn,
            id,
        })
    }
}

/// An open, authenticated SMTP session. Dropped (closed) after any failure that leaves its state
/// unknown; `reset` it after a clean negative reply to use it again.
pub struct Connection {
    conn: AsyncSmtpConnection,
    timeout: Duration,
    /// Whether the server offers delivery status notifications (RFC 3461).
    dsn: bool,
    /// Its number in the diagnostics.
    id: u32,
}

impl Connection {
    /// MAIL FROM, one RCPT TO per address, DATA: up to the server's 354. Every address must be
    /// accepted; the first refusal ends the transaction.
    pub async fn begin(
        &mut self,
        from: &Address,
        to: &[Address],
        envelope_id: Option<&str>,
    ) -> Result<(), Failure> {
        let t = self.timeout;
        // Delivery reports (RFC 3461) only from a server that offers them: the headers of the
        // letter back (not the whole letter), the envelope id that names it, and for every
        // address a report of success, failure and delay, naming the address as written.
        let dsn = envelope_id.filter(|_| self.dsn);
        let param = |keyword: &str, value: String| (keyword.to_owned(), Some(value));
        let mail: Vec<MailParameter> = dsn
            .map(|id| [param("RET", "HDRS".into()), param("ENVID", xtext(id))])
            .into_iter()
            .flatten()
            .map(|(keyword, value)| MailParameter::Other { keyword, value })
            .collect();
        let reply = step(
            Stage::Mail,
            t,
            self.conn.command(Mail::new(Some(from.clone()), mail)),
        )
        .await;
        self.said(Stage::Mail, Some(from), &reply);
        reply?;
        for address in to {
            let rcpt: Vec<RcptParameter> = dsn
                .map(|_| {
                    [
                        param("NOTIFY", "SUCCESS,FAILURE,DELAY".into()),
                        param("ORCPT", format!("rfc822;{}", xtext(address.as_ref()))),
                    ]
                })
                .into_iter()
                .flatten()
                .map(|(keyword, value)| RcptParameter::Other { keyword, value })
                .collect();
            let reply = step(
                Stage::Rcpt,
                t,
                self.conn.command(Rcpt::new(address.clone(), rcpt)),
            )
            .await;
            self.said(Stage::Rcpt, Some(address), &reply);
            reply?;
        }
        let reply = step(Stage::Data, t, self.conn.command(Data)).await;
        self.said(Stage::Data, None, &reply);
        reply?;
        Ok(())
    }

    /// Sends the message and its final dot, and reads the verdict. A message with a line that
    /// starts with a dot goes through lettre's dot-stuffing codec; any other goes out as it is in
    /// one write (stuffing would change nothing, and the codec works byte by byte).
    pub async fn finish(&mut self, letter: &Letter) -> Result<Reply, Failure> {
        let t = self.timeout;
        let plain = std::str::from_utf8(&letter.bytes)
            .ok()
            .filter(|text| !needs_dot_stuffing(text.as_bytes()));
        let response = match plain {
            Some(text) => step(Stage::Message, t, self.conn.command(Content(text))).await,
            None => step(Stage::Message, t, self.conn.message(&letter.bytes)).await,
        };
        self.said(Stage::Message, None, &response);
        Ok(Reply::from(&response?))
    }

    /// The server's reply to one step, or what went wrong, at DEBUG (`-vv`): code, enhanced
    /// code and text, and the address a RCPT named.
    fn said(
        &self,
        stage: Stage,
        address: Option<&Address>,
        reply: &Result<lettre::transport::smtp::response::Response, Failure>,
    ) {
        let to = address.map(|a| format!(" <{a}>")).unwrap_or_default();
        match reply {
            Ok(response) => {
                let reply = Reply::from(response);
                tracing::debug!(connection = self.id, "{stage}{to}: {reply}");
            }
            Err(failure) => match (&failure.reply, &failure.error) {
                (Some(reply), _) => tracing::debug!(connection = self.id, "{stage}{to}: {reply}"),
                (None, Some(error)) => {
                    tracing::debug!(connection = self.id, "{stage}{to}: {error}")
                }
                (None, None) => tracing::debug!(connection = self.id, "{stage}{to}: failed"),
            },
        }
    }

    /// Whether the server offered delivery status notifications (DSN) in its EHLO.
    pub fn offers_dsn(&self) -> bool {
        self.dsn
    }

    /// RSET after a clean negative reply, so the session can carry the next letter. Returns the
    /// connection only if the server confirmed.
    pub async fn reset(mut self) -> Option<Connection> {
        match tokio::time::timeout(self.timeout, self.conn.command(Rset)).await {
            Ok(Ok(response)) => {
                let reply = Reply::from(&response);
                tracing::debug!(connection = self.id, "rset: {reply}");
                Some(self)
            }
            _ => {
                tracing::debug!(connection = self.id, "rset: no confirmation; closing");
                self.close().await;
                None
            }
        }
    }

    /// QUIT, politely but within the deadline.
    pub async fn close(mut self) {
        let quit = tokio::time::timeout(self.timeout, self.conn.quit()).await;
        match quit {
            Ok(Ok(response)) => {
                let reply = Reply::from(&response);
                tracing::debug!(connection = self.id, "quit: {reply}");
            }
            _ => tracing::debug!(connection = self.id, "quit: no reply; connection dropped"),
        }
    }
}

/// Whether SMTP would change the message: a line that starts with a dot must get another one.
fn needs_dot_stuffing(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'.') || memchr::memmem::find(bytes, b"\n.").is_some()
}

/// A message that needs no dot-stuffing, with the end-of-data line, exactly as lettre's
/// `message()` puts it on the wire (the content, CRLF, `.`, CRLF); lettre's `command()` writes
/// it and reads the reply to the final dot.
struct Content<'a>(&'a str);

impl fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str("\r\n.\r\n")
    }
}

/// Runs one SMTP step under its deadline and turns every failure into a `Failure` at `stage`.
async fn step<T>(
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

// ---------------------------------------------------------------------------------------------
// The dry-run outbox

/// `outbox/<campaign>/`: one `.eml` per letter and `manifest.jsonl`, written into a fresh folder
/// beside it and put in place only when every letter is there, so a failed dry run leaves the
/// previous outbox as it was and never a half-written one. Letters may be written from several
/// threads in any order; the manifest keeps the order of the list.
///
/// The folder is the operator's to read, not letterpost's to empty: a commit removes only what
/// an earlier dry run wrote there (`manifest.jsonl` and the letters it names). If anything else
/// is in it, or `outbox/<campaign>` is a file or a link, `create` refuses before writing
/// anything, naming what is in the way. Files are 0600 and folders 0700 (`private_fs`), and the
/// staging folder is removed on every path but a successful commit (on drop).
pub struct Directory {
    staging: PathBuf,
    target: PathBuf,
    order: InOrder<String>,
    /// Taken by `commit`; `None` only then.
    manifest: Mutex<Option<(BufWriter<File>, usize)>>,
    committed: bool,
}

#[derive(Serialize)]
struct ManifestLine<'a> {
    key: &'a str,
    row: u64,
    to: Vec<String>,
    message_id: &'a str,
    sha256: &'a str,
    file: String,
}

/// The manifest's name in an outbox.
const MANIFEST: &str = "manifest.jsonl";

impl Directory {
    pub fn create(target: &Path) -> anyhow::Result<Directory> {
        let parent = target
            .parent()
            .with_context(|| t!("dispatch-outbox-no-parent"))?;
        // Before anything is written: what is in the way is named now, not after the letters.
        previous_outbox(target)?;
        private_fs::create_dir_all(parent)
            .with_context(|| t!("dispatch-cannot-create", file = parent.display()))?;
        let name = target
            .file_name()
            .with_context(|| t!("dispatch-outbox-no-name"))?
            .to_string_lossy();
        // A name nothing else has: a staging folder left by a killed run whose process id came
        // round again is not ours to empty.
        let mut n = 0u32;
        let staging = loop {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            let staging = parent.join(format!(".{name}.partial-{}{suffix}", std::process::id()));
            match private_fs::create_dir(&staging) {
                Ok(()) => break staging,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => {
                    return Err(e)
                        .with_context(|| t!("dispatch-cannot-create", file = staging.display()));
                }
            }
        };
        let directory = Directory {
            staging,
            target: target.to_path_buf(),
            order: InOrder::new(),
            manifest: Mutex::new(None),
            committed: false,
        };
        // From here on, dropping `directory` on an error removes the staging folder.
        let out = private_fs::create_new(&directory.staging.join(MANIFEST))
            .with_context(|| t!("dispatch-cannot-create-manifest"))?;
        *directory.manifest.lock().expect("manifest") = Some((BufWriter::new(out), 0));
        Ok(directory)
    }

    /// Settles position `index` of the list: writes `letter` as `<key>.eml` with its manifest
    /// line, or, with `None`, records that this position has no letter.
    pub fn record(&self, index: usize, letter: Option<&Letter>) -> anyhow::Result<()> {
        let line = match letter {
            None => None,
            Some(letter) => {
                let file = format!("{}.eml", crate::message::file_stem(&letter.key));
                private_fs::create_new(&self.staging.join(&file))
                    .and_then(|mut out| out.write_all(&letter.bytes))
                    .with_context(|| t!("dispatch-cannot-write", file = &file))?;
                let line = ManifestLine {
                    key: &letter.key,
                    row: letter.line,
                    to: letter.envelope.iter().map(ToString::to_string).collect(),
                    message_id: &letter.message_id,
                    sha256: &letter.sha256,
                    file,
                };
                let json = serde_json::to_string(&line)
                    .with_context(|| t!("dispatch-cannot-write-manifest"))?;
                Some(json)
            }
        };
        self.order.settle(index, line, |line| {
            let mut manifest = self.manifest.lock().expect("manifest");
            let (out, written) = manifest
                .as_mut()
                .expect("the manifest is open until commit");
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .with_context(|| t!("dispatch-cannot-write-manifest"))?;
            *written += 1;
            Ok(())
        })
    }

    /// Puts the finished outbox in place of the previous one, removing only the files the
    /// previous dry run wrote (checked again now: a file put there during the run is kept, and
    /// the new outbox is not put in place).
    pub fn commit(mut self) -> anyhow::Result<usize> {
        let (mut out, written) = self
            .manifest
            .get_mut()
            .expect("manifest")
            .take()
            .expect("commit runs once");
        out.flush()
            .with_context(|| t!("dispatch-cannot-write-manifest"))?;
        drop(out);
        if let Some(ours) = previous_outbox(&self.target)? {
            for name in &ours {
                let path = self.target.join(name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e)
                            .with_context(|| t!("dispatch-cannot-remove", file = path.display()));
                    }
                    _ => {}
                }
            }
            // Not remove_dir_all: whatever is left was not written by letterpost.
            std::fs::remove_dir(&self.target).with_context(|| {
                t!(
                    "dispatch-cannot-replace-outbox",
                    outbox = self.target.display()
                )
            })?;
        }
        std::fs::rename(&self.staging, &self.target).with_context(|| {
            t!(
                "dispatch-cannot-move-outbox",
                outbox = self.target.display()
            )
        })?;
        self.committed = true;
        Ok(written)
    }

    /// Removes the unfinished outbox.
    pub fn discard(self) {
        drop(self);
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        if !self.committed {
            // Created by this process under a name nothing else had: all of it is ours.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// What a dry run may remove from the outbox folder `target`: `None` if there is no folder yet,
/// else `manifest.jsonl` and the letters it names, when they are regular files. Refuses a
/// `target` that is a link or not a folder, and a folder holding anything else, naming it.
fn previous_outbox(target: &Path) -> anyhow::Result<Option<Vec<std::ffi::OsString>>> {
    use std::collections::HashSet;
    use std::ffi::OsString;
    use std::io::BufRead;
    let shown = target.display().to_string();
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| t!("dispatch-cannot-read", file = &shown)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        anyhow::bail!(t!("dispatch-outbox-is-a-link", outbox = &shown));
    }
    if !meta.is_dir() {
        anyhow::bail!(t!("dispatch-outbox-not-a-folder", outbox = &shown));
    }
    let mut ours: HashSet<OsString> = HashSet::new();
    match private_fs::read_only(&target.join(MANIFEST)) {
        Ok(manifest) => {
            ours.insert(MANIFEST.into());
            for line in std::io::BufReader::new(manifest).lines() {
                let line = line.with_context(|| {
                    t!("dispatch-cannot-read", file = format!("{shown}/{MANIFEST}"))
                })?;
                let file = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("file")?.as_str().map(str::to_owned));
                // Only what letterpost names its letters: one plain `.eml` name, no path.
                if let Some(file) = file.filter(|f| {
                    f.ends_with(".eml") && !f.starts_with('.') && !f.contains(['/', '\0'])
                }) {
                    ours.insert(file.into());
                }
            }
        }
        // No manifest (or a link or a folder by that name): none of the files there are ours.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || crate::private_fs::Refused::of(&e).is_some() => {}
        Err(e) => {
            return Err(e)
                .with_context(|| t!("dispatch-cannot-read", file = format!("{shown}/{MANIFEST}")));
        }
    }
    let mut owned = Vec::new();
    let mut foreign = Vec::new();
    for entry in
        std::fs::read_dir(target).with_context(|| t!("dispatch-cannot-read", file = &shown))?
    {
        let entry = entry.with_context(|| t!("dispatch-cannot-read", file = &shown))?;
        let name = entry.file_name();
        // `file_type` does not follow links: a link named like a letter is not a letter.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && ours.contains(&name) {
            owned.push(name);
        } else {
            foreign.push(name.to_string_lossy().into_owned());
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        let more = foreign.len().saturating_sub(5);
        foreign.truncate(5);
        let names = foreign.join(", ");
        anyhow::bail!(t!(
            "dispatch-outbox-not-ours",
            outbox = &shown,
            names = names,
            more = more
        ));
    }
    Ok(Some(owned))
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Lang, text_in};

    #[test]
    fn files_in_the_way_are_named_with_how_many_more_in_both_languages() {
        let said = |lang, more: usize| {
            let args = vec![
                ("outbox", "outbox".into()),
                ("names", "a.txt, b.txt".into()),
                ("more", more.into()),
            ];
            text_in(lang, "dispatch-outbox-not-ours", args)
        };
        assert!(said(Lang::En, 0).contains("did not write: a.txt, b.txt. A dry run replaces"));
        assert!(said(Lang::En, 3).contains("did not write: a.txt, b.txt and 3 more. A dry run"));
        assert!(said(Lang::Vi, 0).contains(": a.txt, b.txt. Chạy thử"));
        assert!(said(Lang::Vi, 3).contains(": a.txt, b.txt và 3 tệp khác. Chạy thử"));
    }

    #[test]
    fn only_a_line_that_starts_with_a_dot_needs_stuffing() {
        assert!(super::needs_dot_stuffing(b".hidden"));
        assert!(super::needs_dot_stuffing(b"a\r\n.\r\nMAIL FROM"));
        assert!(!super::needs_dot_stuffing(b"a.b\r\nc. d\r\n"));
    }
}
