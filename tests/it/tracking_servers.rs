//! The harness for "proof of arrival", proved through the real protocols: a letter goes into
//! Postfix by SMTP with DSN parameters, Postfix delivers one copy and bounces the other, its
//! reports arrive in the return path's Maildir, and Dovecot serves them over IMAP and IMAPS.
//! Raw SMTP and IMAP over `TcpStream`, so that what is checked is the servers, not a client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mail_parser::MimeHeaders;

use crate::support::mailservers::MailServers;

const ENVID: &str = "letterpost-test-1";

/// An SMTP session, one command and one (possibly multi-line) reply at a time.
struct Smtp {
    input: BufReader<TcpStream>,
    output: TcpStream,
}

impl Smtp {
    fn connect(port: u16) -> (Smtp, String) {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("Postfix is listening");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut smtp = Smtp {
            input: BufReader::new(stream.try_clone().unwrap()),
            output: stream,
        };
        let (code, lines) = smtp.reply();
        assert_eq!(code, 220, "{lines:?}");
        (smtp, lines.join("\n"))
    }

    fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.input.read_line(&mut line).expect("a reply");
            assert!(line.len() >= 4, "a short reply: {line:?} after {lines:?}");
            let last = line.as_bytes()[3] == b' ';
            lines.push(line.trim_end().to_owned());
            if last {
                let code = lines[0][..3].parse().expect("a reply code");
                return (code, lines);
            }
        }
    }

    /// Sends a command and expects this reply code.
    #[track_caller]
    fn expect(&mut self, command: &str, code: u16) -> Vec<String> {
        self.output
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        let (got, lines) = self.reply();
        assert_eq!(got, code, "{command} → {lines:?}");
        lines
    }

    /// Sends a message after DATA's 354: CRLF lines, dot-stuffed, then the final dot.
    fn data(&mut self, message: &str) -> Vec<String> {
        let mut wire = String::new();
        for line in message.lines() {
            if line.starts_with('.') {
                wire.push('.');
            }
            wire.push_str(line);
            wire.push_str("\r\n");
        }
        wire.push_str(".\r\n");
        self.output.write_all(wire.as_bytes()).unwrap();
        let (code, lines) = self.reply();
        assert_eq!(code, 250, "the final dot → {lines:?}");
        lines
    }
}

/// An IMAP session over any stream (plain or TLS).
struct Imap<S: Read + Write> {
    stream: BufReader<S>,
    tag: u32,
}

impl<S: Read + Write> Imap<S> {
    fn new(stream: S) -> (Imap<S>, String) {
        let mut imap = Imap {
            stream: BufReader::new(stream),
            tag: 0,
        };
        let mut greeting = String::new();
        imap.stream.read_line(&mut greeting).expect("a greeting");
        assert!(greeting.starts_with("* OK"), "{greeting:?}");
        (imap, greeting)
    }

    /// Sends a command, reads up to its tagged OK: the untagged lines, with every literal's
    /// bytes in order.
    #[track_caller]
    fn command(&mut self, command: &str) -> (Vec<String>, Vec<Vec<u8>>) {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.stream
            .get_mut()
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .unwrap();
        self.stream.get_mut().flush().unwrap();
        let mut lines = Vec::new();
        let mut literals = Vec::new();
        loop {
            let mut raw = Vec::new();
            self.stream.read_until(b'\n', &mut raw).expect("a response");
            assert!(!raw.is_empty(), "the server closed after {lines:?}");
            let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            // A literal: "{N}" at the end of the line, then N bytes.
            if let Some(n) = line
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut bytes = vec![0; n];
                self.stream.read_exact(&mut bytes).unwrap();
                literals.push(bytes);
            }
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                assert!(status.starts_with("OK"), "{command} → {line}");
                return (lines, literals);
            }
            lines.push(line);
        }
    }
}

/// Fields of the `message/delivery-status` part of a report: the per-message fields, then
/// each recipient's, as "Name: value" lines.
fn delivery_status(report: &str) -> Vec<String> {
    let start = report
        .find("Content-Type: message/delivery-status")
        .unwrap_or_else(|| panic!("no delivery-status part:\n{report}"));
    let part = &report[start..];
    let body = &part[part.find("\n\n").expect("part headers end") + 2..];
    let end = body.find("\n--").unwrap_or(body.len());
    body[..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Maildir files have LF line ends; IMAP sends CRLF.
fn lf(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

#[test]
fn postfix_delivers_bounces_and_reports_and_dovecot_serves_the_reports() {
    let clock = Instant::now();
    let servers = MailServers::start();
    let started = clock.elapsed();
    let delivered = "vanthu@mttq.binhduong.example";
    let unknown = "khong-co-ai@mttq.binhduong.example";
    let mailboxes = servers.mailboxes();
    assert!(mailboxes.iter().any(|m| m == delivered), "{mailboxes:?}");
    assert!(mailboxes.iter().any(|m| m == servers.return_path()));
    assert!(!mailboxes.iter().any(|m| m == unknown));

    let (mut smtp, greeting) = Smtp::connect(servers.smtp_port());
    assert!(greeting.contains("ESMTP"), "{greeting}");
    let ehlo = smtp.expect("EHLO letterpost.test", 250);
    assert!(
        ehlo.iter().any(|l| &l[4..] == "DSN"),
        "EHLO lacks DSN: {ehlo:?}"
    );
    let rp = servers.return_path().to_owned();
    smtp.expect(&format!("MAIL FROM:<{rp}> RET=HDRS ENVID={ENVID}"), 250);
    for to in [delivered, unknown] {
        // An unknown user is taken here: it bounces later, as at a remote MTA.
        smtp.expect(
            &format!("RCPT TO:<{to}> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;{to}"),
            250,
        );
    }
    smtp.expect("DATA", 354);
    let queued = smtp.data(&format!(
        "From: <{rp}>\nTo: <{delivered}>, <{unknown}>\nSubject: proof of arrival\n\
         Message-ID: <{ENVID}@letterpost.test>\n\n\
         Kinh gui Quy co quan.\n.a line that starts with a dot\n"
    ));
    smtp.expect("QUIT", 221);
    let sent = clock.elapsed();

    // Both reports arrive by themselves: no queue run is forced.
    let reports = servers.wait_for_return_path(2);
    let reported = clock.elapsed();
    assert_eq!(reports.len(), 2, "more reports than expected");

    let copies = servers.wait_for_messages(delivered, 1);
    let copy = lf(&copies[0]);
    assert!(copy.contains("Subject: proof of arrival"), "{copy}");
    assert!(
        copy.contains("\n.a line that starts with a dot\n"),
        "{copy}"
    );
    assert!(copy.contains(&format!("Return-Path: <{rp}>")), "{copy}");
    assert!(
        !servers.maildir(unknown).exists(),
        "no mailbox for an unknown user"
    );

    // The reports, as Dovecot serves them.
    let stream = TcpStream::connect(("127.0.0.1", servers.imap_port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (mut imap, _) = Imap::new(stream);
    imap.command(&format!(
        "LOGIN \"{}\" \"{}\"",
        servers.imap_user(),
        servers.imap_password()
    ));
    let (selected, _) = imap.command("SELECT INBOX");
    assert!(selected.iter().any(|l| l == "* 2 EXISTS"), "{selected:?}");
    let (_, bodies) = imap.command("UID FETCH 1:* (BODY.PEEK[])");
    imap.command("LOGOUT");
    let fetched = clock.elapsed();
    assert_eq!(bodies.len(), 2);
    let mut from_disk: Vec<String> = reports.iter().map(|r| lf(r)).collect();
    let mut from_imap: Vec<String> = bodies.iter().map(|b| lf(b)).collect();
    from_disk.sort();
    from_imap.sort();
    assert_eq!(from_imap, from_disk, "IMAP serves the Maildir's messages");

    let mut success = None;
    let mut failure = None;
    for report in &from_imap {
        let parsed = mail_parser::MessageParser::default()
            .parse(report.as_bytes())
            .expect("a report parses");
        let ctype = parsed.content_type().expect("a Content-Type");
        assert_eq!(
            (ctype.ctype(), ctype.subtype()),
            ("multipart", Some("report")),
            "{report}"
        );
        assert_eq!(ctype.attribute("report-type"), Some("delivery-status"));
        let fields = delivery_status(report);
        assert!(
            fields.contains(&format!("Original-Envelope-Id: {ENVID}")),
            "{fields:#?}"
        );
        if fields.iter().any(|f| f == "Action: delivered") {
            assert!(success.replace(fields).is_none(), "two success reports");
        } else if fields.iter().any(|f| f == "Action: failed") {
            assert!(failure.replace(fields).is_none(), "two failure reports");
        } else {
            panic!("neither delivered nor failed: {fields:#?}");
        }
    }
    let success = success.expect("a success DSN");
    let failure = failure.expect("a failure DSN (bounce)");
    assert!(success.contains(&format!("Final-Recipient: rfc822; {delivered}")));
    assert!(success.contains(&format!("Original-Recipient: rfc822;{delivered}")));
    assert!(success.iter().any(|f| f.starts_with("Status: 2.")));
    assert!(failure.contains(&format!("Final-Recipient: rfc822; {unknown}")));
    assert!(failure.contains(&format!("Original-Recipient: rfc822;{unknown}")));
    assert!(
        failure.contains(&"Status: 5.1.1".to_owned()),
        "{failure:#?}"
    );
    // Postfix's own account: the bounce happened at delivery, after the message was queued.
    let told = |log: &str| {
        log.contains(&format!("to=<{unknown}>, relay=virtual"))
            && log.contains("dsn=5.1.1, status=bounced")
            && log.contains("sender non-delivery notification")
            && log.contains("sender delivery status notification")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut log = servers.postfix_log();
    while !told(&log) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        log = servers.postfix_log();
    }
    assert!(
        log.contains(&format!("to=<{unknown}>, relay=virtual"))
            && log.contains("dsn=5.1.1, status=bounced"),
        "{log}"
    );
    assert!(log.contains("sender non-delivery notification"), "{log}");
    assert!(log.contains("sender delivery status notification"), "{log}");
    // "Login: user=<…>, method=PLAIN" (Dovecot 2.3), "Logged in: user=<…>, …" (2.4).
    // Dovecot writes its log on its own time: wait for the line rather than race it.
    let login = format!("user=<{rp}>, method=PLAIN");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut log = servers.dovecot_log();
    while !log.contains(&login) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        log = servers.dovecot_log();
    }
    assert!(log.contains(&login), "{log}");

    eprintln!(
        "started {started:?}, sent {sent:?} ({}), both reports {reported:?}, fetched {fetched:?}",
        queued.join(" ")
    );
}

#[test]
fn dovecot_serves_imaps_with_the_certificate_made_at_start() {
    use rustls::pki_types::{CertificateDer, ServerName};
    let servers = MailServers::start_with(&["vanthu@mttq.binhduong.example"]);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(servers.certificate_der().to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", servers.imaps_port())).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (mut imap, greeting) = Imap::new(rustls::StreamOwned::new(tls, tcp));
    assert!(greeting.contains("ready"), "{greeting}");
    imap.command(&format!(
        "LOGIN \"{}\" \"{}\"",
        servers.imap_user(),
        servers.imap_password()
    ));
    let (selected, _) = imap.command("SELECT INBOX");
    assert!(selected.iter().any(|l| l == "* 0 EXISTS"), "{selected:?}");
    imap.command("LOGOUT");
    assert_eq!(
        servers.mailboxes(),
        [servers.return_path(), "vanthu@mttq.binhduong.example"]
    );
}

/// The PID namespace of a process, as the kernel names it.
fn pid_namespace(pid: &str) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// The processes of the machine in these PID namespaces.
fn processes_in(namespaces: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_err() {
            continue;
        }
        if let Some(ns) = pid_namespace(&pid)
            && namespaces.contains(&ns)
        {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            found.push(format!("{pid} {}", lf(&cmdline).replace('\0', " ")));
        }
    }
    found
}

#[test]
fn dropping_the_servers_ends_every_process_and_removes_the_folder() {
    let servers = MailServers::start_with::<&str>(&[]);
    let dir = servers.dir().to_owned();
    // The servers' namespaces: those of the processes whose command line names our folder.
    let mut namespaces = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if lf(&cmdline).contains(&dir.to_string_lossy().into_owned())
            && let Some(ns) = pid_namespace(&pid)
            && Some(&ns) != pid_namespace("self").as_ref()
            && !namespaces.contains(&ns)
        {
            namespaces.push(ns);
        }
    }
    assert_eq!(
        namespaces.len(),
        2,
        "Postfix's and Dovecot's own namespaces"
    );
    let running = processes_in(&namespaces);
    assert!(
        running.iter().any(|p| p.contains("qmgr")) && running.iter().any(|p| p.contains("dovecot")),
        "{running:#?}"
    );
    let clock = Instant::now();
    drop(servers);
    let stopped = clock.elapsed();
    let left = processes_in(&namespaces);
    assert!(left.is_empty(), "still running after drop: {left:#?}");
    assert!(!dir.exists(), "{} is left", dir.display());
    eprintln!("{} processes ended in {stopped:?}", running.len());
}
