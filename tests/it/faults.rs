use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::{Campaign, csv, outcomes};

fn three() -> String {
    csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
    ])
}

/// A campaign of three pointed at a scripted server, with a 1 s step timeout.
fn campaign(server: &Scripted) -> Campaign {
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port).env("LETTERPOST_SMTP_TIMEOUT", "1");
    c
}

fn is(event: &Event, prefix: &str) -> bool {
    matches!(event, Event::Command(c) if c.to_ascii_uppercase().starts_with(prefix))
}

#[test]
fn a_relay_that_never_greets_cannot_hang_the_run() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Connect(_)) {
            Action::Stall
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    let started = Instant::now();
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("the relay cannot be reached")
        .stderr_has("greeting");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(c.log().iter().all(|r| r.kind != "attempt"));
}

#[test]
fn silence_after_the_final_dot_is_unknown_and_never_resent_automatically() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Dot(2)) {
            Action::Stall
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    let run = c.run(&["send", "--yes"]);
    run.code(1)
        .stdout_has("b (line 3, Sở B): unknown")
        .stdout_has("letterpost send --resend-unknown b");
    assert_eq!(
        outcomes(&c.log()),
        [
            ("a".into(), "accepted".into()),
            ("b".into(), "unknown".into()),
            ("c".into(), "accepted".into())
        ]
    );
    let unknown = c.log().into_iter().find(|r| r.kind == "unknown").unwrap();
    assert_eq!(unknown.stage.as_deref(), Some("message"));
    assert_eq!(
        server.messages().len(),
        3,
        "the server did receive b's letter"
    );

    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("Nothing to send");
    assert_eq!(
        server.messages().len(),
        3,
        "an unknown letter is not resent by a plain send"
    );

    c.run(&["send", "--yes", "--resend-unknown", "c"])
        .code(2)
        .stderr_has("its delivery is not unknown (it is accepted)");
    c.run(&["send", "--yes", "--resend-unknown", "b"]).code(0);
    let log = c.log();
    let resend = log.iter().rfind(|r| r.kind == "attempt").unwrap();
    assert_eq!(resend.reason.as_deref(), Some("resend_unknown"));
    assert_eq!(
        resend.message_id, unknown.message_id,
        "a resend keeps the Message-ID"
    );
    assert_eq!(resend.attempt, Some(2));
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_connection_dropped_after_the_dot_is_unknown() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Dot(1)) {
            Action::Drop
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    c.run(&["send", "--yes"])
        .code(1)
        .stderr_has("it may have arrived");
    assert_eq!(
        outcomes(&c.log()),
        [
            ("a".into(), "unknown".into()),
            ("b".into(), "accepted".into()),
            ("c".into(), "accepted".into())
        ]
    );
}

#[test]
fn a_connection_dropped_before_the_dot_is_retried_on_a_new_connection() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let server = Scripted::start(move |e| {
        if is(e, "DATA") && d.fetch_add(1, Ordering::SeqCst) == 1 {
            Action::Drop
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    // b's retry waits for its delay without holding the worker, so c may go out before it: the
    // history of each letter is fixed, not how they interleave.
    let history = |key: &str| -> Vec<String> {
        outcomes(&log)
            .into_iter()
            .filter(|(k, _)| k == key)
            .map(|(_, outcome)| outcome)
            .collect()
    };
    assert_eq!(history("a"), ["accepted"]);
    assert_eq!(history("b"), ["deferred", "accepted"]);
    assert_eq!(history("c"), ["accepted"]);
    let deferred = log.iter().find(|r| r.kind == "deferred").unwrap();
    assert_eq!(deferred.stage.as_deref(), Some("data"));
    assert_eq!(server.messages().len(), 3, "each letter arrived once");
    assert!(
        server.connections.load(Ordering::SeqCst) >= 2,
        "it reconnected"
    );
}

#[test]
fn a_stalled_rcpt_times_out_and_is_retried() {
    let stalls = Arc::new(AtomicUsize::new(0));
    let s = stalls.clone();
    let server = Scripted::start(move |e| {
        if is(e, "RCPT") && s.fetch_add(1, Ordering::SeqCst) == 0 {
            Action::Stall
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    let started = Instant::now();
    c.run(&["send", "--yes"]).code(0);
    assert!(started.elapsed() < Duration::from_secs(15));
    let log = c.log();
    let deferred = log.iter().find(|r| r.kind == "deferred").unwrap();
    assert_eq!(deferred.stage.as_deref(), Some("rcpt"));
    assert!(
        deferred.error.as_ref().unwrap().contains("no reply within"),
        "{:?}",
        deferred.error
    );
    assert_eq!(server.messages().len(), 3);
}

#[test]
fn a_421_mid_session_defers_reconnects_and_carries_on() {
    let server = Scripted::start(|e| {
        if is(e, "MAIL")
            && matches!(e, Event::Command(c) if c.contains("stttt"))
            && COUNT.fetch_add(1, Ordering::SeqCst) == 1
        {
            Action::Reply("421 4.3.2 Service shutting down".into())
        } else {
            Action::Default
        }
    });
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let c = campaign(&server);
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    let deferred = log.iter().find(|r| r.kind == "deferred").unwrap();
    assert_eq!(deferred.smtp.as_ref().unwrap().code, 421);
    assert_eq!(server.messages().len(), 3);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn a_permanent_reply_to_the_dot_is_rejected_and_not_retried() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Dot(1)) {
            Action::Reply("554 5.7.1 Message refused by policy".into())
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("a (line 2, Sở A): rejected — 554 5.7.1 Message refused by policy");
    assert_eq!(outcomes(&c.log())[0], ("a".into(), "rejected".into()));
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("Nothing to send");
}

#[test]
fn a_slow_final_reply_within_the_timeout_is_accepted() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Dot(_)) {
            Action::Delay(Duration::from_millis(600))
        } else {
            Action::Default
        }
    });
    let c = campaign(&server);
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(
        outcomes(&c.log())
            .iter()
            .filter(|(_, o)| o == "accepted")
            .count(),
        3
    );
}

#[test]
fn a_stall_at_mail_or_data_is_deferred_and_retried() {
    for verb in ["MAIL", "DATA"] {
        static STALLS: AtomicUsize = AtomicUsize::new(0);
        STALLS.store(0, Ordering::SeqCst);
        let server = Scripted::start(move |e| {
            if is(e, verb) && STALLS.fetch_add(1, Ordering::SeqCst) == 0 {
                Action::Stall
            } else {
                Action::Default
            }
        });
        let c = campaign(&server);
        c.run(&["send", "--yes"]).code(0);
        let deferred = c
            .log()
            .into_iter()
            .find(|r| r.kind == "deferred")
            .expect("one deferral");
        assert_eq!(
            deferred.stage.as_deref(),
            Some(verb.to_lowercase().as_str())
        );
        assert_eq!(
            server.messages().len(),
            3,
            "after a {verb} stall every letter arrived once"
        );
    }
}

#[test]
fn a_relay_that_goes_silent_during_auth_stops_the_run_without_blaming_the_password() {
    let server = Scripted::start(|e| match e {
        Event::Command(c) if c.to_ascii_uppercase().starts_with("EHLO") => {
            Action::Reply("250-scripted.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".into())
        }
        Event::Command(c) if c.to_ascii_uppercase().starts_with("AUTH") => Action::Stall,
        _ => Action::Default,
    });
    let mut c = campaign(&server);
    c.env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD", "bí-mật");
    let started = Instant::now();
    let run = c.run(&["send", "--yes"]);
    run.code(3)
        .stderr_has("the relay cannot be reached")
        .stderr_has("at auth: no reply within");
    assert!(!run.stderr.contains("authentication failed"));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(server.messages().is_empty());
}

#[test]
fn progress_lines_and_the_hello_name_without_a_terminal() {
    let greeted = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = greeted.clone();
    let server = Scripted::start(move |e| {
        if let Event::Command(c) = e
            && c.to_ascii_uppercase().starts_with("EHLO")
        {
            seen.lock().unwrap().push(c.clone());
        }
        Action::Default
    });
    let mut c = campaign(&server);
    c.env("LETTERPOST_SMTP_HELLO_NAME", "may-gui.stttt.example");
    c.run(&["send", "--yes"])
        .code(0)
        .stderr_has("progress: 3/3 letters");
    // Twice on the one connection: lettre's EHLO, then letterpost's, which learns whether the
    // relay offers delivery reports (DSN).
    assert_eq!(
        *greeted.lock().unwrap(),
        ["EHLO may-gui.stttt.example", "EHLO may-gui.stttt.example"]
    );
}
