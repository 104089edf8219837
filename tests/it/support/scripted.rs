//! A small SMTP server driven by a script, for the faults no server crate produces: silence at
//! any step, a dropped connection before or after the final dot, 421 mid-session, late replies.
//! It keeps every message it read, whatever it then answered: the witness of what arrived.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the session is when the script is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A client connected (the n-th connection, from 1); the greeting is next.
    Connect(usize),
    /// A command line, without CRLF (e.g. `MAIL FROM:<a@b>`).
    Command(String),
    /// The final dot of the n-th message (from 1) was read.
    Dot(usize),
}

/// What the server does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The normal reply.
    Default,
    /// This reply line(s) instead (without the final CRLF).
    Reply(String),
    /// Say nothing ever again, but keep the connection open.
    Stall,
    /// Close the connection without replying.
    Drop,
    /// Wait, then give the normal reply.
    Delay(Duration),
}

pub struct Scripted {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Vec<u8>>>>,
    pub connections: Arc<AtomicUsize>,
    /// The most sessions that were open at once.
    pub max_active: Arc<AtomicUsize>,
}

impl Scripted {
    pub fn start(script: impl Fn(&Event) -> Action + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let max_active = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (m, c, max) = (messages.clone(), connections.clone(), max_active.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                let (m, script, active, max) =
                    (m.clone(), script.clone(), active.clone(), max.clone());
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = session(stream, n, &m, &*script);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Scripted {
            port,
            messages,
            connections,
            max_active,
        }
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    /// How many received messages carry each Message-ID.
    pub fn count_by_message_id(&self) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        for m in self.messages() {
            let parsed = mail_parser::MessageParser::default()
                .parse(&m)
                .expect("parses");
            let id = format!("<{}>", parsed.message_id().expect("has a Message-ID"));
            *counts.entry(id).or_insert(0) += 1;
        }
        counts
    }
}

fn session(
    stream: TcpStream,
    n: usize,
    messages: &Mutex<Vec<Vec<u8>>>,
    script: &(dyn Fn(&Event) -> Action + Send + Sync),
) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    if !answer(
        &mut out,
        &mut input,
        script(&Event::Connect(n)),
        "220 scripted.test ESMTP ready",
    )? {
        return Ok(());
    }
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let normal = match verb.as_str() {
            "EHLO" => {
                "250-scripted.test\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 52428800"
            }
            "HELO" => "250 scripted.test",
            "DATA" => "354 End data with <CR><LF>.<CR><LF>",
            "QUIT" => "221 2.0.0 Bye",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 2.1.0 Ok",
            _ => "502 5.5.2 Command not recognised",
        };
        let action = script(&Event::Command(command.clone()));
        let replied_354 = verb == "DATA" && matches!(action, Action::Default | Action::Delay(_));
        if !answer(&mut out, &mut input, action, normal)? {
            return Ok(());
        }
        if verb == "QUIT" {
            return Ok(());
        }
        if replied_354 {
            let mut message = Vec::new();
            loop {
                let mut raw = Vec::new();
                if input.read_until(b'\n', &mut raw)? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" {
                    break;
                }
                let unstuffed = if raw.starts_with(b"..") {
                    &raw[1..]
                } else {
                    &raw[..]
                };
                message.extend_from_slice(unstuffed);
            }
            let count = {
                let mut all = messages.lock().unwrap();
                all.push(message);
                all.len()
            };
            if !answer(
                &mut out,
                &mut input,
                script(&Event::Dot(count)),
                "250 2.0.0 Ok: queued",
            )? {
                return Ok(());
            }
        }
    }
}

/// Carries out an action; false when the session is over.
fn answer(
    out: &mut TcpStream,
    input: &mut BufReader<TcpStream>,
    action: Action,
    normal: &str,
) -> std::io::Result<bool> {
    let reply = match action {
        Action::Default => normal.to_owned(),
        Action::Reply(r) => r,
        Action::Delay(d) => {
            std::thread::sleep(d);
            normal.to_owned()
        }
        Action::Drop => {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return Ok(false);
        }
        Action::Stall => {
            // Read and ignore everything until the client gives up.
            let mut sink = Vec::new();
            while input.read_until(b'\n', &mut sink)? > 0 {
                sink.clear();
            }
            return Ok(false);
        }
    };
    out.write_all(reply.as_bytes())?;
    out.write_all(b"\r\n")?;
    out.flush()?;
    let closes = reply.starts_with("421");
    if closes {
        let _ = out.shutdown(std::net::Shutdown::Both);
    }
    Ok(!closes)
}
