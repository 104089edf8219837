//! Proof of arrival, end to end: letterpost sends to a real Postfix that advertises DSN, Postfix
//! delivers to existing mailboxes and bounces unknown users, and `letterpost track` reads the
//! reports back through a real Dovecot and records what they prove.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::mailservers::{MailServers, RETURN_PATH};
use crate::support::{Campaign, Record, csv, interrupt, repo};

const LETTER_IN_FIXTURES: &str = "<fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example>";

/// A campaign of three: two mailboxes that exist, one user that does not.
fn campaign(servers: &MailServers) -> Campaign {
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,vanthu@a.example,,",
        "b,Sở B,vanthu@b.example,,",
        "c,Sở C,khong-co-ai@c.example,,",
    ]));
    c.set_toml("tracking", "return_path", &format!("\"{RETURN_PATH}\""));
    c.set_toml("tracking", "mdn", "true");
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &servers.smtp_port().to_string())
        .env("LETTERPOST_SMTP_SECURITY", "none")
        .env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &servers.imap_port().to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", servers.imap_user())
        .env("LETTERPOST_IMAP_PASSWORD", servers.imap_password());
    c
}

fn servers() -> MailServers {
    MailServers::start_with(&["vanthu@a.example", "vanthu@b.example"])
}

/// The report records of the log: (type, key, recipient, status).
fn reports(log: &[Record]) -> Vec<(String, String, String, Option<String>)> {
    log.iter()
        .filter_map(|r| {
            let report = r.report.as_ref()?;
            let status = report
                .get("status")
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            Some((
                r.kind.clone(),
                r.key.clone().unwrap(),
                r.recipient.clone().unwrap(),
                status,
            ))
        })
        .collect()
}

fn message_id(log: &[Record], key: &str) -> String {
    log.iter()
        .find(|r| r.kind == "attempt" && r.key.as_deref() == Some(key))
        .and_then(|r| r.message_id.clone())
        .expect("an attempt")
}

#[test]
fn track_records_delivery_and_a_5_1_1_bounce_from_real_servers_once() {
    let servers = servers();
    let c = campaign(&servers);
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    assert_eq!(log[0].dsn, Some(true), "Postfix offers DSN");
    // Two success reports and one bounce come back to the return path.
    servers.wait_for_return_path(3);
    servers.wait_for_messages("vanthu@a.example", 1);
    let a = &servers.messages("vanthu@a.example")[0];
    let a = String::from_utf8_lossy(a);
    assert!(
        a.contains(&format!("Disposition-Notification-To: <{RETURN_PATH}>")),
        "a read receipt is asked for"
    );

    let track = c.run(&["track"]);
    track.code(1).stdout_has("bounced").stdout_has("5.1.1");
    let mut found = reports(&c.log());
    found.sort();
    assert_eq!(
        found,
        [
            (
                "bounced".into(),
                "c".into(),
                "khong-co-ai@c.example".into(),
                Some("5.1.1".into())
            ),
            (
                "delivered".into(),
                "a".into(),
                "vanthu@a.example".into(),
                Some("2.0.0".into())
            ),
            (
                "delivered".into(),
                "b".into(),
                "vanthu@b.example".into(),
                Some("2.0.0".into())
            ),
        ]
    );
    // Each report's exact bytes are archived and hash to the record.
    for r in c.log().iter().filter(|r| r.report.is_some()) {
        let report = r.report.as_ref().unwrap();
        let archive = report["archive"].as_str().unwrap();
        assert!(
            archive.starts_with("archive/fanpage-2022/reports/"),
            "{archive}"
        );
        let bytes = std::fs::read(c.path(archive)).unwrap();
        assert_eq!(
            crate::support::sha256(&bytes),
            report["sha256"].as_str().unwrap()
        );
    }
    c.run(&["log", "verify"]).code(0).stdout_has(": OK:");

    // Nothing new: nothing is appended.
    let before = c.read("logs/fanpage-2022.jsonl");
    c.run(&["track"])
        .code(0)
        .stdout_has("No new messages in INBOX");
    assert_eq!(c.read("logs/fanpage-2022.jsonl"), before);

    c.run(&["log", "summary"])
        .code(0)
        .stdout_has("delivered 2")
        .stdout_has("bounced 1")
        .stdout_has("does not exist (5.1.1)");
    let bounced = c.run(&["log", "list", "--status", "bounced"]);
    assert!(bounced.stdout.contains(" c "), "{}", bounced.stdout);
    assert!(!bounced.stdout.contains(" a "), "{}", bounced.stdout);
    // The export says when each letter was delivered or bounced, and why.
    let export = c.run(&["log", "export", "--csv"]);
    let mut rows =
        csv::Reader::from_reader(export.stdout.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_owned).collect();
    for column in [
        "delivered_at",
        "bounced_at",
        "bounce_status",
        "bounce_diagnostic",
        "read_at",
    ] {
        assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
    }
    let cell = |row: &csv::StringRecord, name: &str| {
        row[header.iter().position(|h| h == name).unwrap()].to_owned()
    };
    for row in rows.records().map(Result::unwrap) {
        match &cell(&row, "key")[..] {
            "c" => {
                assert_eq!(cell(&row, "state"), "bounced");
                assert_eq!(cell(&row, "bounce_status"), "5.1.1");
                assert!(!cell(&row, "bounced_at").is_empty());
            }
            _ => {
                assert_eq!(cell(&row, "state"), "delivered");
                assert!(!cell(&row, "delivered_at").is_empty());
            }
        }
    }
    // A letter whose address does not exist is not sent again by --retry-failed alone.
    c.run(&["send", "--yes", "--retry-failed"])
        .stdout_has("Nothing to send");
}

#[test]
fn read_receipts_auto_replies_and_old_bounces_are_recorded_strangers_only_listed() {
    let servers = servers();
    let c = campaign(&servers);
    c.run(&["send", "--yes"]).code(0);
    servers.wait_for_return_path(3);
    c.run(&["track"]).code(1);
    let log = c.log();
    // The fixtures' addresses become the letters' own: a report counts only for an address of
    // its letter.
    let fixture = |name: &str, key: &str| {
        let bytes = std::fs::read(repo().join("tests/fixtures/reports").join(name)).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let address = match key {
            "a" => "vanthu@a.example",
            "b" => "vanthu@b.example",
            _ => "khong-co-ai@c.example",
        };
        text.replace(LETTER_IN_FIXTURES, &message_id(&log, key))
            .replace("vanthu@soyte.example", address)
            .replace("gd@soyte.example", address)
    };
    servers.deliver_to_return_path(&fixture("rfc8098-displayed.eml", "a"));
    servers.deliver_to_return_path(&fixture("autoreply-rfc3834.eml", "b"));
    servers.deliver_to_return_path(&fixture("qmail.eml", "c"));
    // About a letter this campaign never sent, and a broken one: listed, never recorded.
    servers.deliver_to_return_path(&fixture("postfix-failed.eml", "a").replace(
        &message_id(&log, "a"),
        "<other-campaign.0000@stttt.binhduong.example>",
    ));
    servers.deliver_to_return_path(&fixture("malformed-report.eml", "a"));

    let track = c.run(&["track"]);
    track
        .code(1)
        .stdout_has("not recorded: UID 7")
        .stdout_has("not recorded: UID 8")
        .stdout_has("read ")
        .stdout_has("auto_reply ");
    let kinds: Vec<(String, String)> = reports(&c.log())
        .into_iter()
        .skip(3)
        .map(|(kind, key, ..)| (kind, key))
        .collect();
    assert_eq!(
        kinds,
        [
            ("read".into(), "a".into()),
            ("auto_reply".into(), "b".into()),
            // The qmail bounce names two addresses: only the letter's own makes a record.
            ("bounced".into(), "c".into()),
        ]
    );
    c.run(&["log", "verify"]).code(0);
    c.run(&["log", "list", "--status", "read"])
        .stdout_has(" a ");
    let shown = c.run(&["log", "show", "a"]);
    shown.code(0).stdout_has("read").stdout_has("(matches)");
}

#[test]
fn a_wrong_imap_password_stops_with_exit_3_and_the_password_shows_nowhere() {
    let servers = servers();
    let mut c = campaign(&servers);
    c.env("LETTERPOST_IMAP_PASSWORD", "sai-mat-khau-bi-mat");
    let run = c.run(&["track", "-vv"]);
    run.code(3).stderr_has("refused the login");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("sai-mat-khau-bi-mat"), "{text}");
    }
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

/// A campaign whose IMAP server accepts connections and then never says a word; each IMAP step
/// has `timeout` seconds.
fn campaign_with_a_silent_mailbox(timeout: &str) -> Campaign {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,vanthu@a.example,,"]));
    c.env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &port.to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", "baocao")
        .env("LETTERPOST_IMAP_PASSWORD", "x")
        .env("LETTERPOST_IMAP_TIMEOUT", timeout);
    c
}

#[test]
fn an_imap_server_that_stalls_is_cut_off_at_the_deadline() {
    let c = campaign_with_a_silent_mailbox("1");
    let started = Instant::now();
    c.run(&["track"]).code(3).stderr_has("greeting");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn track_without_a_mailbox_is_a_configuration_problem() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,vanthu@a.example,,"]));
    c.run(&["track"])
        .code(2)
        .stderr_has("there is no mailbox to read reports from");
}

#[test]
fn a_delivery_report_settles_a_letter_whose_delivery_was_unknown() {
    use crate::support::scripted::{Action, Event, Scripted};
    // The relay drops the connection after the first letter's final dot: it is `unknown`.
    let relay = Scripted::start(|e| {
        if matches!(e, Event::Dot(1)) {
            Action::Drop
        } else {
            Action::Default
        }
    });
    let servers = servers();
    let mut c = campaign(&servers);
    c.env("LETTERPOST_SMTP_PORT", &relay.port.to_string());
    c.run(&["send", "--yes"]).code(1);
    let log = c.log();
    assert!(
        log.iter()
            .any(|r| r.kind == "unknown" && r.key.as_deref() == Some("a"))
    );
    // The relay had it after all: its delivery report comes back.
    let dsn = std::fs::read_to_string(repo().join("tests/fixtures/reports/postfix-delivered.eml"))
        .unwrap()
        .replace(LETTER_IN_FIXTURES, &message_id(&log, "a"))
        .replace(
            "fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example",
            message_id(&log, "a").trim_matches(['<', '>']),
        )
        .replace("vanthu@soyte.example", "vanthu@a.example");
    servers.deliver_to_return_path(&dsn);
    c.run(&["track"]).code(0).stdout_has("delivered ");
    c.run(&["log", "list", "--status", "delivered"])
        .stdout_has(" a ");
    c.run(&["log", "summary"])
        .code(0)
        .stdout_has("unknown letters settled by a report: 1");
    c.run(&["send", "--yes", "--resend-unknown", "a"])
        .code(2)
        .stderr_has("its delivery is not unknown (it is delivered)");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn track_killed_while_it_appends_loses_nothing_and_repeats_nothing() {
    let servers = servers();
    let c = campaign(&servers);
    c.run(&["send", "--yes"]).code(0);
    servers.wait_for_return_path(3);
    let log = c.log();
    // Many reports, so that a kill can land while they are being recorded.
    let read = std::fs::read_to_string(repo().join("tests/fixtures/reports/rfc8098-displayed.eml"))
        .unwrap()
        .replace(LETTER_IN_FIXTURES, &message_id(&log, "a"))
        .replace("vanthu@soyte.example", "vanthu@a.example");
    for i in 0..300 {
        // Each a message of its own bytes, as the receipts of 300 readers would be.
        servers.deliver_to_return_path(&format!("X-Test-Serial: {i}\r\n{read}"));
    }
    for delay_ms in [40, 80, 160] {
        let mut child = c.command(&["track"]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        c.run(&["log", "verify"]).code(0);
    }
    c.run(&["track"]);
    c.run(&["track"]).stdout_has("No new messages");
    c.run(&["log", "verify"]).code(0);
    // Every report recorded exactly once, whatever the kills interrupted.
    let mut seen = std::collections::HashMap::new();
    for r in c.log().iter().filter(|r| r.report.is_some()) {
        let report = r.report.as_ref().unwrap();
        let id = (
            report["sha256"].as_str().unwrap().to_owned(),
            r.recipient.clone(),
        );
        *seen.entry(id).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 303, "3 DSNs and 300 read receipts");
    assert!(seen.values().all(|&n| n == 1), "recorded twice: {seen:?}");
}

/// The benchmark of `track` (run by `bench/run.sh`, or alone with
/// `cargo test --release --test it -- --ignored --nocapture track_over_many_reports`): a campaign
/// of N letters (`LETTERPOST_BENCH_REPORTS`, 10,000) sent to Postfix's smtp-sink, one delivery report
/// per letter dropped into the real Dovecot's return-path mailbox, then one `letterpost track`
/// timed as a whole process, with its peak RSS from GNU time.
#[test]
#[ignore = "a benchmark, not a test: see its doc comment"]
fn track_over_many_reports() {
    let n: usize = std::env::var("LETTERPOST_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let servers = servers();
    // Postfix's smtp-sink takes the letters as fast as they come.
    let relay = crate::sink::Sink::start(&[]);
    let rows: Vec<String> = (0..n)
        .map(|i| format!("org-{i:05},Cơ quan {i},vanthu{i}@co-quan.example,,"))
        .collect();
    let mut c = Campaign::with_csv(&csv(&rows.iter().map(String::as_str).collect::<Vec<_>>()));
    c.set_toml("tracking", "return_path", &format!("\"{RETURN_PATH}\""));
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &relay.port.to_string())
        .env("LETTERPOST_SMTP_SECURITY", "none")
        .env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &servers.imap_port().to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", servers.imap_user())
        .env("LETTERPOST_IMAP_PASSWORD", servers.imap_password());
    c.run(&["send", "--yes", "--concurrency", "4", "--rate", "unlimited"])
        .code(0);
    let dsn = std::fs::read_to_string(repo().join("tests/fixtures/reports/postfix-delivered.eml"))
        .unwrap();
    for r in c.log().iter().filter(|r| r.kind == "attempt") {
        let id = r.message_id.clone().unwrap();
        let to = &r.to.as_ref().unwrap()[0];
        let report = dsn
            .replace(LETTER_IN_FIXTURES, &id)
            .replace(
                "fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example",
                id.trim_matches(['<', '>']),
            )
            .replace("vanthu@soyte.example", to);
        servers.deliver_to_return_path(&report);
    }
    let mut timed = c.other(
        "/usr/bin/time",
        &[
            "-f",
            "peak RSS %M KiB, %e s",
            env!("CARGO_BIN_EXE_letterpost"),
            "track",
        ],
    );
    let started = Instant::now();
    let out = timed.output().unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let delivered = c.log().iter().filter(|r| r.kind == "delivered").count();
    println!(
        "track over {n} reports: {:.2} s, {} ({delivered} delivered records)",
        took.as_secs_f64(),
        stderr.lines().last().unwrap_or("")
    );
    assert!(delivered >= n, "{delivered} of {n}\n{stderr}");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn track_reads_over_imaps_trusting_the_configured_ca() {
    let servers = servers();
    let mut c = campaign(&servers);
    c.run(&["send", "--yes"]).code(0);
    servers.wait_for_return_path(3);
    let ca = servers.dir().join("dovecot/cert.pem");
    c.env("LETTERPOST_IMAP_PORT", &servers.imaps_port().to_string())
        .env("LETTERPOST_IMAP_SECURITY", "tls");
    // Without the CA, the server's certificate is not trusted: nothing is read.
    c.run(&["track"]).code(3).stderr_has("ca_file");
    c.env("LETTERPOST_IMAP_CA_FILE", ca.to_str().unwrap());
    c.run(&["track"]).code(1).stdout_has("bounced");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_watch_outlives_a_mailbox_that_stops_answering_and_ends_at_ctrl_c() {
    use std::io::BufRead;
    let mut c = campaign_with_a_silent_mailbox("0.5");
    c.set_toml("tracking", "poll", "0.2");
    let mut child = c
        .command(&["track", "--watch"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut warnings = 0;
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("looking again") {
            warnings += 1;
            if warnings == 2 {
                break; // It tried twice and is still watching.
            }
        }
    }
    assert_eq!(warnings, 2);
    assert!(child.try_wait().unwrap().is_none(), "still watching");
    interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn while_a_send_holds_the_campaign_track_waits_then_leaves_the_reports_for_later() {
    use crate::support::scripted::{Action, Event, Scripted};
    let servers = servers();
    let c = campaign(&servers);
    c.run(&["send", "--yes", "--only", "a"]).code(0);
    servers.wait_for_return_path(1);
    // A second send to a relay that takes 4 s per letter holds the campaign longer than the
    // 5 s a track run waits for it.
    let slow = Scripted::start(|e| match e {
        Event::Dot(_) => Action::Delay(Duration::from_secs(4)),
        _ => Action::Default,
    });
    let mut sending = c
        .command(&["send", "--yes"])
        .env("LETTERPOST_SMTP_PORT", slow.port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until that send is under way (its attempt is in the log).
    let started = Instant::now();
    while !c
        .log()
        .iter()
        .any(|r| r.kind == "attempt" && r.key.as_deref() == Some("b"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the send never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = c.read("logs/fanpage-2022.jsonl");
    c.run(&["track"])
        .code(0)
        .stdout_has("A send holds campaign fanpage-2022")
        .stdout_has("run `letterpost track` again");
    assert!(
        !c.read("logs/fanpage-2022.jsonl")[before.len()..].contains("\"type\":\"delivered\""),
        "nothing recorded while the send held the campaign"
    );
    sending.wait().unwrap();
    c.run(&["track"]).stdout_has("delivered ");
    c.run(&["log", "verify"]).code(0);
}
