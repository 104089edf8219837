//! "Maybe delivered" is never forgotten: a letter that may have reached the organisation stays
//! `unknown` through later tries that never handed it over again (deferred, stopped before their
//! `data`), so that only another `--resend-unknown` sends it; and a report about such a letter
//! leaves its open attempt for the next send to close, so the log still verifies.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::mailservers::{MailServers, RETURN_PATH};
use crate::support::scripted::{Action, Event, Scripted};
use crate::support::{Campaign, csv, repo};

fn is(event: &Event, prefix: &str) -> bool {
    matches!(event, Event::Command(c) if c.to_ascii_uppercase().starts_with(prefix))
}

/// A relay that reads every message and answers its final dot only after 4 s.
fn late_at_the_dot() -> Scripted {
    Scripted::start(|e| match e {
        Event::Dot(_) => Action::Delay(Duration::from_secs(4)),
        _ => Action::Default,
    })
}

/// Two organisations, a 1 s step timeout, no retries: a late reply leaves each letter `unknown`.
fn two(relay: &Scripted) -> Campaign {
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.set_toml("sending", "retries", "0");
    c.relay(relay.port).env("LETTERPOST_SMTP_TIMEOUT", "1");
    c
}

fn both_unknown(c: &Campaign) {
    c.run(&["log", "list", "--status", "unknown"])
        .code(0)
        .stdout_has(" a ")
        .stdout_has(" b ");
}

#[test]
fn a_resend_deferred_at_rcpt_leaves_the_letters_unknown_and_a_plain_send_leaves_them_alone() {
    let first = late_at_the_dot();
    let mut c = two(&first);
    c.run(&["send", "--yes"]).stdout_has("no reply within 1 s");
    let started = Instant::now();
    while first.messages().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the sink has both"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    both_unknown(&c);

    let deferring = Scripted::start(|e| {
        if is(e, "RCPT") {
            Action::Reply("451 4.7.1 Try again later".into())
        } else {
            Action::Default
        }
    });
    c.relay(deferring.port);
    c.run(&["send", "--yes", "--resend-unknown", "a", "b"])
        .stdout_has("2 deferred");
    // A resend that never handed the letter over says nothing of the first copy.
    both_unknown(&c);

    let third = Scripted::start(|_| Action::Default);
    c.relay(third.port);
    // Exit 1: letters wait for the operator's decision.
    c.run(&["send", "--yes"]).code(1);
    assert!(third.messages().is_empty(), "no organisation gets it twice");
    both_unknown(&c);
    c.run(&["log", "summary"]).code(0).stdout_has("unknown");
    c.run(&["log", "verify"]).code(0);

    // Only the operator's word sends it again.
    c.run(&["send", "--yes", "--resend-unknown", "a"])
        .code(0)
        .stdout_has("This run: 1 accepted");
    assert_eq!(third.messages().len(), 1);
    c.run(&["log", "list", "--status", "unknown"])
        .code(0)
        .stdout_has(" b ");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_resend_killed_before_its_data_leaves_the_letter_unknown() {
    let first = late_at_the_dot();
    let mut c = two(&first);
    c.run(&["send", "--yes"]).stdout_has("no reply within 1 s");
    both_unknown(&c);

    // The resend's relay never answers MAIL FROM: the run is killed after its `attempt`.
    let stalling = Scripted::start(|e| {
        if is(e, "MAIL") {
            Action::Stall
        } else {
            Action::Default
        }
    });
    c.relay(stalling.port).env("LETTERPOST_SMTP_TIMEOUT", "60");
    let mut child = c
        .command(&["send", "--yes", "--resend-unknown", "a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while c
        .log_if_any()
        .iter()
        .filter(|r| r.kind == "attempt")
        .count()
        < 3
    {
        assert!(started.elapsed() < Duration::from_secs(20), "no resend");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(c.log().last().unwrap().kind, "attempt");

    let third = Scripted::start(|_| Action::Default);
    c.relay(third.port);
    // Exit 1: letters wait for the operator's decision.
    c.run(&["send", "--yes"]).code(1);
    assert!(third.messages().is_empty(), "a plain send does not send it");
    both_unknown(&c);
    c.run(&["log", "verify"]).code(0);
}

const LETTER_IN_FIXTURES: &str = "fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example";

#[test]
fn a_report_for_a_letter_left_open_then_a_retry_writes_a_log_that_verifies() {
    // The relay hangs after the final dot; the run is killed: the log ends `attempt`, `data`.
    let hanging = Scripted::start(|e| {
        if matches!(e, Event::Dot(_)) {
            Action::Stall
        } else {
            Action::Default
        }
    });
    let servers = MailServers::start_with(&["vanthu@a.example"]);
    let mut c = Campaign::with_csv(&csv(&["so-y-te,Sở Y tế,vanthu@soyte.example,,"]));
    c.set_toml("tracking", "return_path", &format!("\"{RETURN_PATH}\""));
    c.relay(hanging.port)
        .env("LETTERPOST_SMTP_TIMEOUT", "60")
        .env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &servers.imap_port().to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", servers.imap_user())
        .env("LETTERPOST_IMAP_PASSWORD", servers.imap_password());
    let mut child = c
        .command(&["send", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while hanging.messages().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no message");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kinds: Vec<String> = c.log().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds[kinds.len() - 2..], ["attempt", "data"]);
    let message_id = c
        .log()
        .into_iter()
        .find_map(|r| r.message_id)
        .expect("a Message-ID");

    // A bounce comes back for it.
    let bounce = std::fs::read_to_string(repo().join("tests/fixtures/reports/postfix-failed.eml"))
        .unwrap()
        .replace(LETTER_IN_FIXTURES, message_id.trim_matches(['<', '>']));
    servers.deliver_to_return_path(&bounce);
    c.run(&["track"]).code(1).stdout_has("bounced");
    c.run(&["log", "verify"]).code(0);

    let relay = Scripted::start(|_| Action::Default);
    c.relay(relay.port);
    c.run(&["send", "--yes", "--retry-failed", "--only", "so-y-te"])
        .code(0);
    assert_eq!(relay.messages().len(), 1);
    c.run(&["log", "verify"]).code(0);
}
