use mail_parser::MessageParser;

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::smtp::{Script, SmtpServer, Tls};
use crate::support::{Campaign, Terminal, csv, outcomes, ports, sha256};

fn three() -> String {
    csv(&[
        "a,Sở A,a@a.example,,",
        "b,\"Sở B, Phòng Hợp tác\",b1@b.example; b2@b.example,gd@b.example,",
        "c,Sở C,c@c.example,,",
    ])
}

/// A relay that offers STARTTLS with its own CA and accepts only `vanthu` / `password`, and a
/// campaign of three pointed at it that trusts that CA (no credentials given yet).
fn authenticating_relay(password: &str) -> (Tls, SmtpServer, Campaign) {
    let tls = Tls::new();
    let script = Script {
        credentials: Some(("vanthu".into(), password.into())),
        ..Script::default()
    };
    let server = SmtpServer::start_with(script, Some(&tls));
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &server.port.to_string())
        .env("LETTERPOST_SMTP_CA_FILE", &tls.cert());
    (tls, server, c)
}

#[test]
fn sends_each_letter_once_logs_it_and_a_second_send_sends_nothing() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::bundled();
    c.relay(server.port);
    let run = c.run(&["send", "--yes"]);
    run.code(0)
        .stdout_has("56 of 56 recipients accepted")
        .stdout_has("Log head: ");
    let received = server.received();
    assert_eq!(received.len(), 56);

    let log = c.log();
    assert_eq!(log.first().unwrap().kind, "run_started");
    assert_eq!(log.last().unwrap().kind, "run_finished");
    let accepted: Vec<_> = log.iter().filter(|r| r.kind == "accepted").collect();
    assert_eq!(accepted.len(), 56);
    for (seq, r) in log.iter().enumerate() {
        assert_eq!(r.seq, seq as u64);
        assert_eq!(r.v, 1);
    }
    // Each archived message hashes to its record and is exactly what the server received.
    for record in &accepted {
        let archived = std::fs::read(c.path(record.archive.as_ref().unwrap())).unwrap();
        assert_eq!(sha256(&archived), *record.sha256.as_ref().unwrap());
        let got = received
            .iter()
            .find(|m| m.to == *record.to.as_ref().unwrap())
            .expect("received");
        assert_eq!(
            got.data.strip_suffix(b"\r\n").unwrap_or(&got.data),
            &archived[..]
        );
        assert_eq!(record.smtp.as_ref().unwrap().code, 250);
    }
    c.run(&["log", "verify"]).code(0).stdout_has("OK");

    let again = c.run(&["send", "--yes"]);
    again
        .code(0)
        .stdout_has("Nothing to send: 56 of 56 recipients already accepted");
    assert_eq!(server.received().len(), 56, "nothing was sent twice");
}

#[test]
fn one_envelope_per_organisation_with_to_and_cc() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let received = server.received();
    assert_eq!(received.len(), 3);
    let b = received
        .iter()
        .find(|m| m.to.len() == 3)
        .expect("Sở B's letter");
    assert_eq!(b.to, ["b1@b.example", "b2@b.example", "gd@b.example"]);
    assert_eq!(b.from, "vanthu@stttt.binhduong.example");
    let m = MessageParser::default().parse(&b.data).unwrap();
    let to: Vec<_> = m
        .to()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a.name().unwrap().to_owned(),
                a.address().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        to,
        [
            ("Sở B, Phòng Hợp tác".to_owned(), "b1@b.example".to_owned()),
            ("Sở B, Phòng Hợp tác".to_owned(), "b2@b.example".to_owned()),
        ]
    );
    assert_eq!(
        m.cc().unwrap().first().unwrap().address(),
        Some("gd@b.example")
    );
}

#[test]
fn the_bytes_sent_are_the_dry_run_bytes() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--dry-run"]).code(0);
    c.run(&["send", "--yes"]).code(0);
    for line in c.manifest() {
        let dry = std::fs::read(c.path(&format!("outbox/fanpage-2022/{}", line.file))).unwrap();
        let got = server
            .received()
            .into_iter()
            .find(|m| m.to == line.to)
            .unwrap();
        assert_eq!(
            got.data.strip_suffix(b"\r\n").unwrap_or(&got.data),
            &dry[..],
            "{}",
            line.key
        );
    }
}

#[test]
fn rejected_and_deferred_recipients_are_recorded_and_the_exit_code_says_so() {
    let mut script = Script::default();
    script.rcpt.insert(
        "b2@b.example".into(),
        (
            550,
            "5.1.1 <b2@b.example>: Recipient address rejected".into(),
        ),
    );
    script
        .rcpt
        .insert("c@c.example".into(), (451, "4.3.0 Try again later".into()));
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&three());
    c.set_toml("sending", "retries", "1");
    c.relay(server.port);
    let run = c.run(&["send", "--yes"]);
    run.code(1)
        .stdout_has("1 of 3 recipients accepted")
        .stdout_has("b (line 3, Sở B, Phòng Hợp tác): rejected — 550 5.1.1 <b2@b.example>: Recipient address rejected")
        .stdout_has("--retry-failed --only b")
        .stdout_has("c (line 4, Sở C): deferred — 451 4.3.0 Try again later");
    assert_eq!(
        server.received().len(),
        1,
        "nothing goes to an organisation with a refused address"
    );
    let log = c.log();
    let b = log.iter().find(|r| r.kind == "rejected").unwrap();
    let smtp = b.smtp.as_ref().unwrap();
    assert_eq!(
        (smtp.code, smtp.enhanced.as_deref(), b.stage.as_deref()),
        (550, Some("5.1.1"), Some("rcpt"))
    );
    let deferred: Vec<_> = log.iter().filter(|r| r.kind == "deferred").collect();
    assert_eq!(deferred.len(), 2, "the 4xx was retried once within the run");
    assert_eq!(
        deferred
            .iter()
            .map(|r| r.attempt.unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );

    // Next run: the deferred one is tried again, the rejected one is not.
    server.script.lock().unwrap().rcpt.remove("c@c.example");
    let run = c.run(&["send", "--yes"]);
    run.code(1).stdout_has("2 of 3 recipients accepted");
    assert_eq!(server.received().len(), 2);
    let last_run: Vec<_> = outcomes(&c.log()).into_iter().skip(4).collect();
    assert_eq!(last_run, [("c".to_owned(), "accepted".to_owned())]);

    // --retry-failed after the address was fixed.
    server.script.lock().unwrap().rcpt.clear();
    c.run(&["send", "--yes", "--retry-failed"])
        .code(0)
        .stdout_has("3 of 3 recipients accepted");
    let retried = c
        .log()
        .into_iter()
        .find(|r| r.kind == "attempt" && r.reason.as_deref() == Some("retry_failed"));
    assert_eq!(retried.unwrap().key.as_deref(), Some("b"));
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_real_send_without_a_terminal_needs_yes() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    c.run(&["send"])
        .code(2)
        .stderr_has("add --yes")
        .stderr_has("nothing was sent");
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

#[test]
fn limit_and_only_choose_what_is_sent() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    // Exit 1: not every recipient is accepted yet, and the summary says how many are left.
    c.run(&["send", "--yes", "--limit", "1"])
        .code(1)
        .stdout_has("1 of 3 recipients accepted, 0 not accepted, 2 not sent yet");
    c.run(&["send", "--yes", "--only", "c"]).code(0);
    assert_eq!(
        outcomes(&c.log()),
        [
            ("a".into(), "accepted".into()),
            ("c".into(), "accepted".into())
        ]
    );
    c.run(&["send", "--yes", "--only", "zzz"])
        .code(2)
        .stderr_has("--only: no recipient has the key `zzz`");
    // The mistake is named with the flag that was typed.
    c.run(&["send", "--yes", "--resend-unknown", "zzz"])
        .code(2)
        .stderr_has("--resend-unknown: no recipient has the key `zzz`");
}

#[test]
fn starttls_with_a_custom_ca_and_auth_password_from_the_environment() {
    let (_tls, server, mut c) = authenticating_relay("mật-khẩu-bí-mật");
    c.env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD", "mật-khẩu-bí-mật");
    let run = c.run(&["-vv", "send", "--yes"]);
    run.code(0);
    assert_eq!(server.received().len(), 3);
    assert_eq!(
        server.auth_seen.lock().unwrap()[0],
        ("vanthu".to_owned(), "mật-khẩu-bí-mật".to_owned())
    );
    for text in [&run.stdout, &run.stderr, &c.read("logs/fanpage-2022.jsonl")] {
        assert!(!text.contains("mật-khẩu-bí-mật"), "the password leaked");
    }
}

/// `-vv` tells what happened on the wire and in the log, and never the password: not at `-vv`,
/// not with `RUST_LOG=trace` on top.
#[test]
fn very_verbose_shows_the_connection_the_replies_and_the_records_but_never_the_password() {
    let (_tls, server, mut c) = authenticating_relay("lộ-ra-là-hỏng");
    c.env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD", "lộ-ra-là-hỏng");
    let run = c.run(&["-vv", "send", "--yes"]);
    run.code(0);
    assert_eq!(server.received().len(), 3);
    let campaign = c.dir.path().join("campaign.toml");
    run.stderr_has(&format!("campaign fanpage-2022: {}", campaign.display()))
        // The connection, its protection and the security setting (lettre does not tell the
        // TLS version).
        .stderr_has(&format!(
            "connected to 127.0.0.1:{}, TLS (security starttls)",
            server.port
        ))
        .stderr_has("authenticated as vanthu")
        // Every reply: code, enhanced code, text.
        .stderr_has("rcpt <b1@b.example>: 250")
        .stderr_has("message: 250 2.0.0 Ok: queued")
        .stderr_has("accepted: 250 2.0.0 Ok: queued")
        // Every record, once on disk: seq, type, key.
        .stderr_has("record 0 written: run_started")
        .stderr_has("record 1 written: attempt a")
        .stderr_has("record 2 written: data a")
        .stderr_has("written: run_finished");
    // Only letterpost's own events: none of lettre's, rustls's or tokio's.
    for line in run.stderr.lines() {
        let level = line.split_whitespace().next().unwrap_or_default();
        if ["TRACE", "DEBUG", "INFO", "WARN"].contains(&level) {
            let target = line.split_whitespace().nth(1).unwrap_or_default();
            assert!(target.starts_with("letterpost::"), "{line}");
        }
    }
    // A test send connects again, with every directive at its most talkative.
    c.env("RUST_LOG", "trace");
    let again = c.run(&[
        "-vv",
        "send",
        "--yes",
        "--redirect-to",
        "me@test.example",
        "--limit",
        "1",
    ]);
    again.code(0).stderr_has("authenticated as vanthu");
    for text in [&run.stdout, &run.stderr, &again.stdout, &again.stderr] {
        assert!(
            !text.contains("lộ-ra-là-hỏng"),
            "the password leaked:\n{text}"
        );
        assert!(
            !text.contains("AUTH"),
            "the AUTH exchange was shown:\n{text}"
        );
    }
}

#[test]
fn a_wrong_password_stops_before_any_message_and_never_shows_the_password() {
    let (_tls, server, mut c) = authenticating_relay("right");
    c.env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD", "wrong-sesame");
    let run = c.run(&["send", "--yes"]);
    run.code(3)
        .stderr_has("authentication failed")
        .stderr_has("535");
    assert!(server.received().is_empty());
    assert!(
        c.log().iter().all(|r| r.kind != "attempt"),
        "no letter was attempted"
    );
    for text in [&run.stdout, &run.stderr, &c.read("logs/fanpage-2022.jsonl")] {
        assert!(!text.contains("wrong-sesame"));
    }
}

#[test]
fn starttls_is_required_unless_security_none_is_configured() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &server.port.to_string());
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("does not offer STARTTLS");
    assert!(server.received().is_empty());
}

#[test]
fn an_unreachable_relay_stops_the_run_with_exit_3() {
    let down = ports::refused();
    let mut c = Campaign::with_csv(&three());
    c.relay(down.port);
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("the relay cannot be reached")
        .stderr_has("To resume, run: letterpost send");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_second_run_is_refused_while_the_campaign_is_locked() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    std::fs::create_dir_all(c.path("logs")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(c.path("logs/fanpage-2022.lock"))
        .unwrap();
    lock.lock().unwrap();
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("campaign fanpage-2022 is in use by another letterpost run");
    assert!(server.received().is_empty());
    drop(lock);
    c.run(&["send", "--yes"]).code(0);
}

#[test]
fn implicit_tls_with_a_custom_ca() {
    let tls = Tls::new();
    let server = SmtpServer::start(Script::default());
    let port = crate::support::smtp::implicit_tls(server.port, &tls);
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &port.to_string())
        .env("LETTERPOST_SMTP_SECURITY", "tls")
        .env("LETTERPOST_SMTP_CA_FILE", &tls.cert());
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(server.received().len(), 3);
}

#[test]
fn implicit_tls_refuses_a_certificate_it_cannot_verify() {
    let tls = Tls::new();
    let server = SmtpServer::start(Script::default());
    let port = crate::support::smtp::implicit_tls(server.port, &tls);
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &port.to_string())
        .env("LETTERPOST_SMTP_SECURITY", "tls");
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("TLS could not be set up")
        .stderr_has("certificate");
    assert!(server.received().is_empty());
}

#[test]
fn starttls_refuses_an_unknown_certificate_before_any_mail_command() {
    let tls = Tls::new();
    let server = SmtpServer::start_with(Script::default(), Some(&tls));
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &server.port.to_string());
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("TLS could not be set up");
    assert!(server.received().is_empty());
}

#[test]
fn the_password_can_come_from_a_file_and_never_shows_even_at_trace_level() {
    let (_tls, server, mut c) = authenticating_relay("tệp-mật-khẩu");
    c.write("secret/password", "tệp-mật-khẩu\n");
    c.set_toml("smtp", "password_file", "\"secret/password\"");
    c.set_toml("smtp", "username", "\"vanthu\"");
    c.env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("RUST_LOG", "trace");
    let run = c.run(&["send", "--yes"]);
    run.code(0);
    assert_eq!(server.received().len(), 3);
    // AUTH PLAIN carries base64("\0vanthu\0password"): neither form may appear.
    let b64 = {
        use std::io::Write;
        let mut out = Vec::new();
        let mut child = std::process::Command::new("base64")
            .arg("-w0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all("\0vanthu\0tệp-mật-khẩu".as_bytes())
            .unwrap();
        child.wait().unwrap();
        std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    for text in [&run.stdout, &run.stderr, &c.read("logs/fanpage-2022.jsonl")] {
        assert!(
            !text.contains("tệp-mật-khẩu") && !text.contains(&b64),
            "the password leaked"
        );
    }
}

/// Runs letterpost under a pseudo-terminal (util-linux `script`), typing `answer` once it had
/// time to ask.
/// Runs `letterpost ARGS` at a terminal, types `answer` once it asks (for a password or for
/// confirmation), and returns the exit code and the screen.
fn at_a_terminal(c: &Campaign, args: &str, answer: &str) -> (i32, String) {
    let mut terminal = Terminal::start(c, args);
    let asks = if answer.lines().count() > 1 {
        "SMTP password for"
    } else {
        "Type yes to send"
    };
    terminal.wait_for(asks);
    terminal.type_keys(answer);
    terminal.finish()
}

#[test]
fn at_a_terminal_the_operator_is_asked_before_anything_is_sent() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    let (code, screen) = at_a_terminal(&c, "send", "no\n");
    assert_eq!(code, 2, "{screen}");
    assert!(
        screen.contains("Send 3 letters through 127.0.0.1:"),
        "{screen}"
    );
    assert!(screen.contains("Nothing was sent."), "{screen}");
    assert!(server.received().is_empty());

    let (code, screen) = at_a_terminal(&c, "send", "yes\n");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(server.received().len(), 3);
    assert!(screen.contains("3 of 3 recipients accepted"), "{screen}");
}

#[test]
fn without_a_password_in_the_environment_it_asks_at_the_terminal_without_echo() {
    let (_tls, server, mut c) = authenticating_relay("gõ-tay");
    c.env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("LETTERPOST_SMTP_USERNAME", "vanthu");
    let (code, screen) = at_a_terminal(&c, "send", "gõ-tay\nyes\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("SMTP password for vanthu at 127.0.0.1:"),
        "{screen}"
    );
    assert!(
        !screen.contains("gõ-tay"),
        "the password was echoed: {screen}"
    );
    assert_eq!(server.received().len(), 3);
}

#[test]
fn a_relay_that_demands_authentication_at_mail_stops_the_run_and_defers_the_letter() {
    let server = Scripted::start(|e| match e {
        Event::Command(c) if c.starts_with("MAIL") => {
            Action::Reply("530 5.7.0 Authentication required".into())
        }
        _ => Action::Default,
    });
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("the relay refused to accept mail from us")
        .stderr_has("530");
    let log = c.log();
    assert!(
        log.iter().all(|r| r.kind != "rejected"),
        "a 530 says nothing about the recipient"
    );
    assert_eq!(log.iter().filter(|r| r.kind == "deferred").count(), 1);
    assert!(server.messages().is_empty());
}

#[test]
fn no_rust_log_directive_can_make_lettre_print_the_password() {
    let (_tls, server, mut c) = authenticating_relay("không-được-lộ");
    c.env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD", "không-được-lộ")
        .env(
            "RUST_LOG",
            "lettre::transport::smtp::client=trace,lettre=trace,trace",
        );
    let run = c.run(&["send", "--yes"]);
    run.code(0);
    assert_eq!(server.received().len(), 3);
    assert!(
        !run.stderr.contains("AUTH"),
        "lettre's protocol trace was printed: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("không-được-lộ"));
}
