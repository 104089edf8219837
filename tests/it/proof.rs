//! A report counts only where it can be proof, against an attacker who has nothing but an email
//! account and the campaign id: reports served by a scripted IMAP server, after a send to a
//! scripted relay that refuses one address at RCPT. After every attack `log verify` passes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Record, csv};

/// One message in the scripted folder: its UID, the size the listing claims (its length unless
/// said), and its bytes.
struct Message {
    uid: u32,
    size: Option<u64>,
    bytes: Vec<u8>,
}

/// A folder served read-only over plain IMAP, once per connection, as long as the test runs.
fn imap_server(messages: Vec<Message>, uid_next: u32) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = std::sync::Arc::new(messages);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let messages = messages.clone();
            std::thread::spawn(move || serve(stream, &messages, uid_next));
        }
    });
    port
}

fn serve(stream: std::net::TcpStream, messages: &[Message], uid_next: u32) {
    let mut out = stream.try_clone().unwrap();
    let mut lines = BufReader::new(stream);
    out.write_all(b"* OK IMAP4rev1 scripted\r\n").unwrap();
    let mut line = String::new();
    while {
        line.clear();
        lines.read_line(&mut line).unwrap_or(0) > 0
    } {
        let mut words = line.trim_end().splitn(3, ' ');
        let tag = words.next().unwrap_or("*").to_owned();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        let rest = words.next().unwrap_or("").to_owned();
        let mut reply = Vec::new();
        match command.as_str() {
            "CAPABILITY" => reply.extend_from_slice(b"* CAPABILITY IMAP4rev1\r\n"),
            "LOGIN" | "NOOP" => {}
            "EXAMINE" => reply.extend_from_slice(
                format!(
                    "* {} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT {uid_next}] ok\r\n",
                    messages.len()
                )
                .as_bytes(),
            ),
            "LOGOUT" => reply.extend_from_slice(b"* BYE bye\r\n"),
            "UID" if rest.contains("RFC822.SIZE") => {
                for (i, m) in messages.iter().enumerate() {
                    let size = m.size.unwrap_or(m.bytes.len() as u64);
                    reply.extend_from_slice(
                        format!("* {} FETCH (UID {} RFC822.SIZE {size})\r\n", i + 1, m.uid)
                            .as_bytes(),
                    );
                }
            }
            "UID" => {
                let set = rest.split(' ').nth(1).unwrap_or("");
                for (i, m) in messages.iter().enumerate() {
                    if !in_set(set, m.uid) {
                        continue;
                    }
                    reply.extend_from_slice(
                        format!(
                            "* {} FETCH (UID {} BODY[] {{{}}}\r\n",
                            i + 1,
                            m.uid,
                            m.bytes.len()
                        )
                        .as_bytes(),
                    );
                    reply.extend_from_slice(&m.bytes);
                    reply.extend_from_slice(b")\r\n");
                }
            }
            _ => {
                reply.extend_from_slice(format!("{tag} BAD what\r\n").as_bytes());
                out.write_all(&reply).unwrap();
                continue;
            }
        }
        let ok = if command == "EXAMINE" {
            "OK [READ-ONLY] done"
        } else {
            "OK done"
        };
        reply.extend_from_slice(format!("{tag} {ok}\r\n").as_bytes());
        if out.write_all(&reply).is_err() || command == "LOGOUT" {
            return;
        }
    }
}

fn in_set(set: &str, uid: u32) -> bool {
    set.split(',').any(|part| match part.split_once(':') {
        Some((a, b)) => {
            let a: u32 = a.parse().unwrap_or(0);
            let b: u32 = if b == "*" {
                u32::MAX
            } else {
                b.parse().unwrap_or(0)
            };
            (a.min(b)..=a.max(b)).contains(&uid)
        }
        None => part.parse() == Ok(uid),
    })
}

/// A campaign of two: `ok` accepted, `rejd` refused at RCPT; sent; its folder on `imap_port`.
fn sent() -> (Campaign, SmtpServer) {
    let relay = SmtpServer::start(Script::refusing("rejd@b.example"));
    let mut c = Campaign::with_csv(&csv(&[
        "ok,Sở A,VanThu@A.example,,",
        "rejd,Sở B,rejd@b.example,,",
    ]));
    c.set_toml(
        "tracking",
        "return_path",
        "\"baocao@stttt.binhduong.example\"",
    );
    c.relay(relay.port);
    c.run(&["send", "--yes"]);
    (c, relay)
}

fn reading(c: &mut Campaign, port: u16) {
    c.env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &port.to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", "baocao")
        .env("LETTERPOST_IMAP_PASSWORD", "secret");
}

fn message_id(log: &[Record], key: &str) -> String {
    log.iter()
        .find(|r| r.kind == "attempt" && r.key.as_deref() == Some(key))
        .and_then(|r| r.message_id.clone())
        .expect("an attempt")
}

/// A DSN about the letter `id`, one block per address given, each with `action`.
fn dsn(id: &str, blocks: &[&str], action: &str) -> Vec<u8> {
    let envid = id.trim_matches(['<', '>']);
    let mut groups = String::new();
    for address in blocks {
        groups.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: 2.0.0\r\n"
        ));
    }
    format!(
        "From: MAILER-DAEMON@evil.example\r\nTo: baocao@stttt.binhduong.example\r\n\
Subject: Delivery report\r\nDate: Wed, 30 Nov 2022 09:14:30 +0700\r\n\
Message-ID: <r{}@evil.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; evil.example\r\nOriginal-Envelope-Id: {envid}\r\n{groups}\r\n\
--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {id}\r\n\r\n--b--\r\n",
        blocks.len()
    )
    .into_bytes()
}

fn reports(log: &[Record]) -> Vec<(String, String, String)> {
    log.iter()
        .filter(|r| r.report.is_some())
        .map(|r| {
            (
                r.kind.clone(),
                r.key.clone().unwrap(),
                r.recipient.clone().unwrap(),
            )
        })
        .collect()
}

/// Item 1: a forged "delivered" for the letter refused at RCPT is listed, never recorded, and
/// the log keeps passing `log verify`.
#[test]
fn a_delivered_report_for_a_letter_never_handed_over_is_not_recorded() {
    let (mut c, _relay) = sent();
    let id = message_id(&c.log(), "rejd");
    let port = imap_server(
        vec![Message {
            uid: 1,
            size: None,
            bytes: dsn(&id, &["rejd@b.example"], "delivered"),
        }],
        2,
    );
    reading(&mut c, port);
    c.run(&["track"])
        .code(0)
        .stdout_has("not recorded: UID 1")
        .stdout_has("never handed to a server");
    assert_eq!(reports(&c.log()), []);
    c.run(&["log", "verify"]).code(0);
}

/// Item 2: a DSN about a stranger's address proves nothing about the letter; of 10,000 blocks
/// only the letter's own address (written in another case) makes a record.
#[test]
fn a_report_counts_only_for_an_address_of_its_letter_once() {
    let (mut c, _relay) = sent();
    let id = message_id(&c.log(), "ok");
    let mut many: Vec<String> = (0..10_000).map(|i| format!("x{i}@evil.example")).collect();
    many.push("vanthu@a.example".into());
    many.push("VANTHU@a.example".into());
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let port = imap_server(
        vec![
            Message {
                uid: 1,
                size: None,
                bytes: dsn(&id, &["stranger@evil.example"], "delivered"),
            },
            Message {
                uid: 2,
                size: None,
                bytes: dsn(&id, &many, "delivered"),
            },
        ],
        3,
    );
    reading(&mut c, port);
    c.run(&["track"])
        .code(0)
        .stdout_has("not recorded: UID 1")
        .stdout_has("\"stranger@evil.example\", which is not an address the letter `ok` went to");
    assert_eq!(
        reports(&c.log()),
        [("delivered".into(), "ok".into(), "vanthu@a.example".into())]
    );
    c.run(&["log", "verify"]).code(0);
}

/// Item 5: a report over the size limit is named with its UID, recorded in `run_finished`, exit
/// 1, and tried again next time: the cursor stops before it.
#[test]
fn a_report_too_large_to_read_is_named_recorded_and_tried_again() {
    let (mut c, _relay) = sent();
    let id = message_id(&c.log(), "ok");
    let port = imap_server(
        vec![
            Message {
                uid: 1,
                size: Some(50 << 20),
                bytes: dsn(&id, &["vanthu@a.example"], "delivered"),
            },
            Message {
                uid: 2,
                size: None,
                bytes: dsn(&id, &["vanthu@a.example"], "delayed"),
            },
        ],
        3,
    );
    reading(&mut c, port);
    for _ in 0..2 {
        c.run(&["track"])
            .code(1)
            .stdout_has("not read: UID 1 is 52428800 bytes");
        let log = c.log();
        let finished = c.read("logs/fanpage-2022.jsonl");
        let last = finished.lines().last().unwrap();
        assert!(last.contains("\"run_finished\""), "{last}");
        assert!(
            last.contains("\"last_uid\":0")
                && last.contains("\"unread\":[{\"uid\":1,\"size\":52428800}]"),
            "{last}"
        );
        assert_eq!(
            reports(&log),
            [("delayed".into(), "ok".into(), "vanthu@a.example".into())],
            "the report after it is recorded once"
        );
    }
    c.run(&["log", "verify"]).code(0);
}

/// Item 7: a UID at or above the folder's UIDNEXT is ignored with a warning, and the reports that
/// come after are still read.
#[test]
fn a_uid_at_or_above_uidnext_does_not_carry_the_cursor_away() {
    let (mut c, _relay) = sent();
    let id = message_id(&c.log(), "ok");
    let port = imap_server(
        vec![
            Message {
                uid: 1,
                size: None,
                bytes: dsn(&id, &["vanthu@a.example"], "delayed"),
            },
            Message {
                uid: u32::MAX,
                size: None,
                bytes: dsn(&id, &["vanthu@a.example"], "delivered"),
            },
        ],
        2,
    );
    reading(&mut c, port);
    c.run(&["track"])
        .code(0)
        .stderr_has("UID 4294967295")
        .stderr_has("UIDNEXT");
    let last = c.read("logs/fanpage-2022.jsonl");
    let last = last.lines().last().unwrap();
    assert!(last.contains("\"last_uid\":1"), "{last}");
    assert_eq!(
        reports(&c.log()),
        [("delayed".into(), "ok".into(), "vanthu@a.example".into())]
    );
    c.run(&["log", "verify"]).code(0);
}
