//! One open, authenticated SMTP session: a transaction in two halves (`begin` up to the
//! server's 354, `finish` for the message and its final reply) so the caller can record that
//! the message is about to go, RSET after a clean negative reply, QUIT.
//!
//! Every step runs under the session's deadline. It decides nothing after a failure: the caller
//! drops a connection whose state is unknown (`Failure::connection_usable`) and `reset`s one
//! that had a clean negative reply.

use std::fmt;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{MailParameter, RcptParameter};

use super::failure::{Failure, step};
use crate::message::Letter;
use crate::smtp::{Reply, Stage, xtext};

/// An open, authenticated SMTP session. Dropped (closed) after any failure that leaves its state
/// unknown; `reset` it after a clean negative reply to use it again.
pub struct Connection {
    pub(super) conn: AsyncSmtpConnection,
    pub(super) timeout: Duration,
    /// Whether the server offers delivery status notifications (RFC 3461).
    pub(super) dsn: bool,
    /// The server's `SIZE` (RFC 1870) when its EHLO names the extension: the largest message it
    /// takes, `0` for no stated limit.
    pub(super) size: Option<usize>,
    /// Its number in the diagnostics.
    pub(super) id: u32,
}

impl Connection {
    /// MAIL FROM, one RCPT TO per address, DATA: up to the server's 354. Every address must be
    /// accepted; the first refusal ends the transaction. A message of `size` bytes larger than
    /// the server's SIZE is refused here, before MAIL FROM; a server with SIZE is told the size.
    pub async fn begin(
        &mut self,
        from: &Address,
        to: &[Address],
        envelope_id: Option<&str>,
        size: usize,
    ) -> Result<(), Failure> {
        let t = self.timeout;
        if let Some(limit) = self.size.filter(|&limit| limit > 0 && size > limit) {
            return Err(Failure::too_large(size, limit));
        }
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
            .chain(self.size.map(|_| MailParameter::Size(size)))
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_line_that_starts_with_a_dot_needs_stuffing() {
        assert!(super::needs_dot_stuffing(b".hidden"));
        assert!(super::needs_dot_stuffing(b"a\r\n.\r\nMAIL FROM"));
        assert!(!super::needs_dot_stuffing(b"a.b\r\nc. d\r\n"));
    }
}
