//! Every stop is recorded: a terminal that went away (SIGHUP), an unwritable stderr, a reader of
//! stdout that left, a log being appended to while it is read. None of them may cost the log its
//! last record, turn the exit code into a lie, or make a reader call a line being written damage.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Record, csv, interrupt};

fn list(n: usize) -> String {
    let rows: Vec<String> = (1..=n)
        .map(|i| format!("org-{i:03},Cơ quan số {i},vanthu{i}@co-quan.example,,"))
        .collect();
    csv(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A relay that answers each final dot after `delay_ms`: a letter is in flight long enough to be
/// caught by a signal.
fn slow(delay_ms: u64) -> Scripted {
    Scripted::start(move |e| {
        if matches!(e, Event::Dot(_)) {
            Action::Delay(Duration::from_millis(delay_ms))
        } else {
            Action::Default
        }
    })
}

/// A pipe whose reader is already gone: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    writer.into()
}

/// Waits until the log holds `accepted` acceptances.
fn wait_for_accepted(c: &Campaign, accepted: usize) {
    let started = Instant::now();
    while c
        .log_if_any()
        .iter()
        .filter(|r| r.kind == "accepted")
        .count()
        < accepted
    {
        assert!(started.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {}", child.id());
}

fn last(log: &[Record]) -> &Record {
    log.last().expect("a log")
}

/// README: "A failed write to the terminal never costs the log its last record." With stderr
/// unwritable (`2>/dev/full`) the progress line at the end used to panic inside a worker, and
/// the run ended with exit 101 and no `run_finished`.
#[test]
fn an_unwritable_stderr_neither_panics_nor_costs_the_log_its_run_finished() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let out = c
        .command(&["send", "--yes"])
        .stdout(Stdio::piped())
        .stderr(full)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("3 of 3 recipients accepted"), "{stdout}");
    let log = c.log();
    assert_eq!(last(&log).kind, "run_finished");
    assert_eq!(last(&log).stopped, None);
    c.run(&["log", "verify"]).code(0);
}

/// README: "Closing the terminal (SIGHUP) stops a send as Ctrl-C does." It used to end the run
/// like kill -9: exit 129, no `run_finished`, the letter in flight left `unknown`.
#[test]
fn sighup_stops_like_ctrl_c_records_why_and_leaves_no_letter_unknown() {
    let server = slow(300);
    let mut c = Campaign::with_csv(&list(20));
    c.relay(server.port);
    let child = c
        .command(&["send", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_accepted(&c, 1);
    signal(&child, "HUP");
    // A second hang-up (a shell passes its own on after the kernel's) is not a second Ctrl-C:
    // the run still settles the letter in flight.
    std::thread::sleep(Duration::from_millis(50));
    signal(&child, "HUP");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Stopping: finishing the letters in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Stopped early: the terminal was closed (SIGHUP)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("To resume, run: letterpost send"),
        "{stderr}"
    );
    let log = c.log();
    assert_eq!(last(&log).kind, "run_finished");
    assert_eq!(
        last(&log).stopped.as_deref(),
        Some("the terminal was closed (SIGHUP)")
    );
    assert!(
        !log.iter().any(|r| r.kind == "unknown"),
        "the letter in flight settled: {:?}",
        log.iter().map(|r| &r.kind).collect::<Vec<_>>()
    );
    c.run(&["log", "verify"]).code(0);
    c.run(&["send", "--yes"])
        .code(0)
        .stdout_has("20 of 20 recipients accepted");
}

/// A reader of stdout that went away (`| true`) stops the printing, not the truth: one 550 is
/// exit 1, as it is with the summary read. It used to be exit 0.
#[test]
fn a_closed_stdout_keeps_the_exit_code_of_a_rejection() {
    let server = SmtpServer::start(Script::refusing("vanthu2@co-quan.example"));
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    let out = c
        .command(&["send", "--yes"])
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let log = c.log();
    assert_eq!(last(&log).kind, "run_finished");
    assert_eq!(log.iter().filter(|r| r.kind == "rejected").count(), 1);
}

/// Ctrl-C while the reader of stdout is gone: still exit 3, "Stopped early" and the resume
/// command on stderr. It used to be exit 0 with neither.
#[test]
fn ctrl_c_with_a_closed_stdout_still_says_stopped_early_and_how_to_resume() {
    let server = slow(200);
    let mut c = Campaign::with_csv(&list(20));
    c.relay(server.port);
    let child = c
        .command(&["send", "--yes"])
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_accepted(&c, 1);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Stopped early"), "{stderr}");
    assert!(
        stderr.contains("To resume, run: letterpost send"),
        "{stderr}"
    );
    assert_eq!(last(&c.log()).kind, "run_finished");
}

/// A log whose last line has no line end yet, as a reader sees it while a send appends.
fn a_log_with_a_line_being_written(c: &mut Campaign) -> (String, usize) {
    let server = SmtpServer::start(Script::default());
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "2"]).code(1);
    let whole = c.read("logs/fanpage-2022.jsonl");
    let partial = "{\"v\":1,\"seq\":99,\"time\":\"2026-11-2";
    c.write("logs/fanpage-2022.jsonl", format!("{whole}{partial}"));
    (whole.clone(), whole.lines().count())
}

/// Holds `logs/<id>.lock` as a send does (an OS lock on the file), from this process: for the
/// letterpost under test, another process holds the campaign.
fn hold_the_lock(c: &Campaign) -> std::fs::File {
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(c.path("logs/fanpage-2022.lock"))
        .unwrap();
    lock.try_lock().expect("the lock is free");
    lock
}

/// While another process holds the campaign, an unterminated last line is the record it is
/// writing: `log verify` and the views count the complete records and say the last line is being
/// written (exit 0). Once the lock is free, the same line is damage, as before.
#[test]
fn an_unterminated_last_line_is_being_written_while_the_campaign_is_held_and_damage_after() {
    let mut c = Campaign::with_csv(&list(4));
    let (_, complete) = a_log_with_a_line_being_written(&mut c);
    let held = hold_the_lock(&c);
    c.run(&["log", "verify"])
        .code(0)
        .stdout_has(&format!("{complete} records"))
        .stdout_has(&format!(
            "line {} is being written by the run that holds the campaign",
            complete + 1
        ));
    for view in [
        vec!["log", "summary"],
        vec!["log", "list"],
        vec!["log", "show", "org-001"],
        vec!["log", "export"],
    ] {
        let run = c.run(&view);
        run.code(0).stderr_has("is being written");
        assert!(!run.stderr.contains("damaged"), "{view:?}: {}", run.stderr);
    }
    drop(held);
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has(&format!("line {}: torn last line", complete + 1));
    c.run(&["log", "summary"]).code(1);
}

/// A last line that is complete but not a record is never "being written" (the writer puts a
/// line and its line end down in one write): damage even while the campaign is held.
#[test]
fn a_complete_but_broken_last_line_is_damage_even_while_the_campaign_is_held() {
    let mut c = Campaign::with_csv(&list(4));
    let (whole, _) = a_log_with_a_line_being_written(&mut c);
    c.write(
        "logs/fanpage-2022.jsonl",
        format!("{whole}{{\"v\":1,\"seq\":99\n"),
    );
    let _held = hold_the_lock(&c);
    c.run(&["log", "verify"]).code(1);
    c.run(&["log", "summary"]).code(1);
}
