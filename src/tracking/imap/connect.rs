//! The connection's steps around the read: connecting under a deadline, TLS from the first byte
//! or after `STARTTLS` (which the server must offer; never downgraded), the greeting, the
//! capabilities, and LOGOUT. Logging in is `login.rs`, reading the folder `folder.rs`.

use std::collections::HashSet;

use async_imap::imap_proto::{Response, ResponseCode, Status};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::tls::{Stream, TlsSetup, tls_error};
use super::wire::{Session, brief, caps_set, deadline, expect_ok, lost, text};
use super::{Error, ImapSettings, Step};
use crate::dispatch::Security;

impl<'a> Session<'a> {
    /// Connects, secures and reads the greeting; returns the session and whether the server
    /// pre-authenticated it.
    pub(super) async fn open(
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
    pub(super) async fn greeting(&mut self) -> Result<bool, Error> {
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

    pub(super) async fn capability(&mut self) -> Result<(), Error> {
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
    pub(super) async fn starttls(mut self, tls: &TlsSetup) -> Result<Session<'a>, Error> {
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

    /// LOGOUT and close, within the deadline.
    pub(super) async fn logout(mut self) -> Result<(), Error> {
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
}
