//! The connection under the IMAP client: TLS set up once (rustls with ring, the OS trust store
//! through `rustls-platform-verifier`, plus the `ca_file`'s certificates), a TLS failure worded
//! with a hint, and `Stream`, plain TCP or TLS over it. Knows nothing of IMAP.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Error, ImapSettings, Step};

pub(super) struct TlsSetup {
    pub(super) connector: TlsConnector,
    pub(super) name: ServerName<'static>,
}

pub(super) fn tls_setup(settings: &ImapSettings) -> Result<TlsSetup, Error> {
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
pub(super) fn tls_error(step: Step, host: &str, e: &std::io::Error) -> Error {
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
pub(super) enum Stream {
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
