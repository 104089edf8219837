//! The relay and how to reach it (`Relay`): TLS parameters and credentials prepared once per
//! run, then `connect` per connection: TCP (or TLS from the first byte), the greeting and EHLO,
//! STARTTLS, AUTH, each under its own deadline.
//!
//! The password is handed to lettre's `Credentials` and never shown: at AUTH only that it
//! failed is traced. The errors a person reads when a relay cannot be set up are worded in
//! `locales/*/dispatch.ftl`.

use anyhow::Context;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use secrecy::{ExposeSecret, SecretString};

use super::connection::Connection;
use super::failure::{Failure, FailureKind, step};
use super::{Security, SmtpSettings};
use crate::smtp::{Reply, Stage};

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
        // RFC 1870: `SIZE` alone, or with the largest message it takes (0: no fixed limit).
        let size = ehlo.message().skip(1).find_map(|line| {
            let mut words = line.split_whitespace();
            words
                .next()
                .filter(|w| w.eq_ignore_ascii_case("SIZE"))
                .map(|_| words.next().and_then(|n| n.parse().ok()).unwrap_or(0))
        });
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
            size,
            id,
        })
    }
}
