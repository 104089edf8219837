//! The IMAP session (`Session`: the client, the settings, the capabilities last announced, the
//! tag counter) and how a command goes on the wire and its answer comes back: a tag, the command's chunks
//! (waiting for the server's `+` between them), every untagged response handed to the caller,
//! the tagged completion as `Done`, all under one deadline; and the words commands are made of
//! (quoted strings, modified UTF-7 folder names) and errors are worded with (the server's text,
//! printable, bounded, the password masked).
//!
//! Commands are written here and not by async-imap's command encoder, because that encoder logs
//! every command it sends, `LOGIN` and its password included, at TRACE through the `log` crate,
//! which `tracing-subscriber`'s default `tracing-log` feature prints. async-imap frames and
//! parses the responses.

use std::collections::HashSet;
use std::time::Duration;

use async_imap::imap_proto::{Capability, Outcome, Response, ResponseCode, Status};
use base64::Engine as _;
use tokio::io::AsyncWriteExt;

use super::tls::Stream;
use super::{Error, ImapSettings, Step};

pub(super) type Client = async_imap::Client<Stream>;

pub(super) struct Session<'a> {
    pub(super) client: Client,
    pub(super) settings: &'a ImapSettings,
    /// The capabilities last announced, upper case (`IMAP4REV1`, `STARTTLS`, `AUTH=PLAIN`…).
    pub(super) caps: HashSet<String>,
    pub(super) tags: u32,
}

/// A tagged completion: the status and the server's text.
pub(super) struct Done {
    pub(super) status: Status,
    pub(super) text: String,
    pub(super) read_only: bool,
}

impl Session<'_> {
    pub(super) fn next_tag(&mut self) -> String {
        self.tags += 1;
        format!("L{}", self.tags)
    }

    /// One command (`chunks`, without the tag) under the step's deadline.
    pub(super) async fn run(
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
    pub(super) async fn run_tagged(
        &mut self,
        step: Step,
        tag: &str,
        chunks: &[&[u8]],
        untagged: impl FnMut(&Response<'_>),
    ) -> Result<Done, Error> {
        let t = self.settings.timeout;
        deadline(step, t, self.exchange(step, tag, chunks, untagged)).await?
    }

    pub(super) async fn exchange(
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
pub(super) async fn deadline<T>(
    step: Step,
    after: Duration,
    future: impl Future<Output = T>,
) -> Result<T, Error> {
    tokio::time::timeout(after, future)
        .await
        .map_err(|_| Error::Timeout { step, after })
}

pub(super) fn lost(step: Step, e: &std::io::Error) -> Error {
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

pub(super) fn closed(step: Step, bye: Option<&str>) -> Error {
    Error::Closed {
        step,
        bye: bye.map(str::to_owned),
    }
}

pub(super) fn expect_ok(step: Step, done: &Done) -> Result<(), Error> {
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

pub(super) fn caps_set(caps: &[Capability<'_>]) -> HashSet<String> {
    caps.iter()
        .map(|c| match c {
            Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
            Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect()
}

/// The server's text of a status response, printable and bounded.
pub(super) fn text(outcome: &Outcome<'_>) -> String {
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
pub(super) fn brief(response: &Response<'_>) -> String {
    printable(&format!("{response:?}"), 200)
}

/// Control characters replaced, cut to `max` characters.
pub(super) fn printable(s: &str, max: usize) -> String {
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
pub(super) fn mask(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "[password]")
    }
}

/// An IMAP quoted string (for printable ASCII).
pub(super) fn quoted(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    String::from_utf8(out).expect("quoting keeps UTF-8")
}

/// Appends `s` as an IMAP quoted string to `out` (which may be a zeroed-on-drop buffer).
pub(super) fn push_quoted(out: &mut Vec<u8>, s: &str) {
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
pub(super) fn mutf7(name: &str) -> String {
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
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
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
