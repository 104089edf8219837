//! A real SMTP server on loopback (mailin-embedded) that records every message it accepts and
//! can be told to refuse chosen addresses, with optional STARTTLS and AUTH.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{AUTH_OK, INVALID_CREDENTIALS, OK};
use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig};

/// A message the server took: the envelope and the bytes after DATA (un-stuffed).
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// What the server answers, per address.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// RCPT TO:<address> → this reply (e.g. 550 or 451), every time.
    pub rcpt: HashMap<String, (u16, String)>,
    /// RCPT TO:<address> → 451 this many times, then OK (greylisting).
    pub rcpt_transient_times: HashMap<String, u32>,
    /// The reply to the final dot of a message to this address.
    pub data_end: HashMap<String, (u16, String)>,
    /// Accept AUTH only with this user and password.
    pub credentials: Option<(String, String)>,
}

impl Script {
    /// A relay that refuses `address` at RCPT for good: `550 5.1.1 User unknown`.
    pub fn refusing(address: &str) -> Script {
        let mut script = Script::default();
        script
            .rcpt
            .insert(address.into(), (550, "5.1.1 User unknown".into()));
        script
    }
}

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    pub script: Arc<Mutex<Script>>,
    pub auth_seen: Arc<Mutex<Vec<(String, String)>>>,
}

#[derive(Clone)]
struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Script>>,
    auth_seen: Arc<Mutex<Vec<(String, String)>>>,
    current: Option<Received>,
}

impl Handler for Recorder {
    fn rcpt(&mut self, to: &str) -> Response {
        let mut script = self.script.lock().unwrap();
        if let Some((code, text)) = script.rcpt.get(to) {
            return Response::custom(*code, text.clone());
        }
        if let Some(n) = script.rcpt_transient_times.get_mut(to)
            && *n > 0
        {
            *n -= 1;
            return Response::custom(451, "4.7.1 Greylisted, try again later".into());
        }
        OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(c) = &mut self.current {
            c.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let Some(message) = self.current.take() else {
            return OK;
        };
        let script = self.script.lock().unwrap();
        for to in &message.to {
            if let Some((code, text)) = script.data_end.get(to) {
                return Response::custom(*code, text.clone());
            }
        }
        drop(script);
        self.received.lock().unwrap().push(message);
        Response::custom(250, "2.0.0 Ok: queued".into())
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.auth(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.auth(user, password)
    }
}

impl Recorder {
    fn auth(&mut self, user: &str, password: &str) -> Response {
        self.auth_seen
            .lock()
            .unwrap()
            .push((user.to_owned(), password.to_owned()));
        match &self.script.lock().unwrap().credentials {
            Some((u, p)) if u == user && p == password => AUTH_OK,
            _ => INVALID_CREDENTIALS,
        }
    }
}

/// TLS material for a server on 127.0.0.1: the certificate is its own CA.
pub struct Tls {
    pub dir: tempfile::TempDir,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl Tls {
    pub fn new() -> Tls {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        std::fs::write(dir.path().join("cert.pem"), key.cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.signing_key.serialize_pem()).unwrap();
        Tls {
            dir,
            cert_der: key.cert.der().to_vec(),
            key_der: key.signing_key.serialize_der(),
        }
    }

    pub fn cert(&self) -> String {
        self.dir
            .path()
            .join("cert.pem")
            .to_string_lossy()
            .into_owned()
    }

    fn key(&self) -> String {
        self.dir
            .path()
            .join("key.pem")
            .to_string_lossy()
            .into_owned()
    }
}

impl SmtpServer {
    pub fn start(script: Script) -> SmtpServer {
        SmtpServer::start_with(script, None)
    }

    /// With `tls`, the server offers STARTTLS (and AUTH, which it offers only over TLS).
    pub fn start_with(script: Script, tls: Option<&Tls>) -> SmtpServer {
        // The server's TLS needs a process-wide rustls provider; the client brings its own.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let auth_seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder {
            received: received.clone(),
            script: script.clone(),
            auth_seen: auth_seen.clone(),
            current: None,
        };
        let mut server = Server::new(recorder);
        server
            .with_name("relay.test")
            .with_num_threads(4)
            .with_tcp_listener(listener);
        if let Some(tls) = tls {
            server
                .with_ssl(SslConfig::SelfSigned {
                    cert_path: tls.cert(),
                    key_path: tls.key(),
                })
                .unwrap()
                .with_auth(AuthMechanism::Plain)
                .with_auth(AuthMechanism::Login);
        }
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer {
            port,
            received,
            script,
            auth_seen,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Implicit TLS in front of a plain server: every connection to the returned port is a TLS
/// session (as on port 465) whose plaintext is relayed to `plain_port`.
pub fn implicit_tls(plain_port: u16, tls: &Tls) -> u16 {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(tls.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(tls.key_der.clone())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", plain_port)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
    });
    port
}
