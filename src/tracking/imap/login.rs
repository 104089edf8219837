//! `LOGIN`, or `AUTHENTICATE PLAIN` when the server disables LOGIN: the one place the password
//! is exposed, as the bytes of the command, in buffers zeroed when dropped and written straight
//! to the connection. Any echo of it in the server's answer is masked.

use async_imap::imap_proto::{Response, Status};
use base64::Engine as _;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use super::Error;
use super::Step;
use super::wire::{Session, caps_set, mask, push_quoted};

impl Session<'_> {
    pub(super) async fn login(&mut self, password: &SecretString) -> Result<(), Error> {
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
}
