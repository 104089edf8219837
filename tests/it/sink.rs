//! End to end against Postfix's own test server, `smtp-sink` (from Debian's postfix package,
//! unpacked by `scripts/postfix-tools.sh`), with its fault flags. smtp-sink dumps every message
//! it reads before it replies, so the dump is the witness of what arrived.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::ports::{self, HeldPort};
use crate::support::{Campaign, csv, outcomes, repo, sha256};

pub(crate) struct Sink {
    child: Child,
    pub(crate) port: u16,
    dump: tempfile::TempDir,
    /// Keeps the port ours (smtp-sink binds it with SO_REUSEADDR beside this socket).
    _held: HeldPort,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    /// Starts smtp-sink on a loopback port reserved for it, with these extra flags.
    pub(crate) fn start(flags: &[&str]) -> Sink {
        let root = std::env::var_os("POSTFIX_TOOLS")
            .map_or_else(|| repo().join("target/postfix"), PathBuf::from);
        let bin = root.join("usr/sbin/smtp-sink");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/postfix-tools.sh (scripts/test.sh does)",
            bin.display()
        );
        let dump = tempfile::tempdir().unwrap();
        let held = ports::reserved();
        let port = held.port;
        let mut cmd = Command::new(&bin);
        cmd.env("LD_LIBRARY_PATH", root.join("usr/lib/postfix"));
        let root_user = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
        if root_user {
            cmd.args(["-u", "root"]);
        }
        cmd.args(flags)
            .arg("-d")
            .arg(format!("{}/%M.", dump.path().display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("64")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("smtp-sink starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "smtp-sink did not start"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "smtp-sink exited: could it not bind 127.0.0.1:{port}?"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Sink {
            child,
            port,
            dump,
            _held: held,
        }
    }

    /// The messages smtp-sink dumped (each with its X-Mail-Args/X-Rcpt-Args lines first).
    fn dumped(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.dump.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect()
    }
}

fn campaign(sink: &Sink, rows: &str) -> Campaign {
    let mut c = Campaign::with_csv(rows);
    c.relay(sink.port).env("LETTERPOST_SMTP_TIMEOUT", "2");
    c.set_toml("sending", "retries", "1");
    c
}

fn three() -> String {
    csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,cc@b.example,",
        "c,Sở C,c@c.example,,",
    ])
}

#[test]
fn the_bundled_campaign_reaches_smtp_sink_once_per_organisation() {
    let sink = Sink::start(&[]);
    let c = campaign(
        &sink,
        &std::fs::read_to_string(repo().join("recipients/organisations.csv")).unwrap(),
    );
    c.run(&["send", "--yes", "--concurrency", "4"])
        .code(0)
        .stdout_has("56 of 56 recipients accepted");
    let dumped = sink.dumped();
    assert_eq!(dumped.len(), 56);
    let log = c.log();
    for record in log.iter().filter(|r| r.kind == "accepted") {
        let archived = std::fs::read(c.path(record.archive.as_ref().unwrap())).unwrap();
        assert_eq!(sha256(&archived), *record.sha256.as_ref().unwrap());
        // smtp-sink stores lines with LF and adds its own trace headers in front.
        let lf = String::from_utf8(archived).unwrap().replace("\r\n", "\n");
        let holds = |d: &&Vec<u8>| {
            String::from_utf8_lossy(d)
                .trim_end_matches('\n')
                .ends_with(lf.trim_end_matches('\n'))
        };
        let witness = dumped.iter().filter(holds).count();
        assert_eq!(
            witness,
            1,
            "{} arrived once, line for line",
            record.key.as_ref().unwrap()
        );
        let rcpts = dumped.iter().find(holds).unwrap();
        let rcpt_lines = String::from_utf8_lossy(rcpts)
            .lines()
            .filter(|l| l.starts_with("X-Rcpt-Args:"))
            .count();
        assert_eq!(
            rcpt_lines,
            record.to.as_ref().unwrap().len(),
            "one RCPT per address, none injected"
        );
    }
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn soft_rejected_recipients_are_deferred_and_retried_next_run() {
    let sink = Sink::start(&["-r", "RCPT"]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("0 of 3 recipients accepted, 3 not accepted");
    let states = outcomes(&c.log());
    assert_eq!(states.len(), 6, "each tried twice: {states:?}");
    assert!(states.iter().all(|(_, s)| s == "deferred"));
    assert!(sink.dumped().is_empty());
    let again = Sink::start(&[]);
    let mut c = c;
    c.relay(again.port);
    c.run(&["send", "--yes"])
        .code(0)
        .stdout_has("3 of 3 recipients accepted");
    assert_eq!(again.dumped().len(), 3);
}

#[test]
fn a_hard_reject_at_the_end_of_data_is_rejected_not_retried() {
    let sink = Sink::start(&["-f", "."]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("rejected — 500");
    let log = c.log();
    assert_eq!(outcomes(&log).len(), 3);
    assert!(
        log.iter()
            .filter(|r| r.kind == "rejected")
            .all(|r| r.stage.as_deref() == Some("message"))
    );
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("Nothing to send");
}

#[test]
fn a_disconnect_after_the_dot_is_unknown_and_the_run_reconnects() {
    let sink = Sink::start(&["-q", "."]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("0 of 3 recipients accepted, 3 not accepted");
    assert!(outcomes(&c.log()).iter().all(|(_, s)| s == "unknown"));
    assert_eq!(
        sink.dumped().len(),
        3,
        "smtp-sink did read every letter: they may have arrived"
    );
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("Nothing to send");
    assert_eq!(sink.dumped().len(), 3, "and none is sent again");
}

#[test]
fn a_421_at_rcpt_is_deferred_never_rejected() {
    let sink = Sink::start(&["-Q", "RCPT"]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"]).code(1);
    let log = c.log();
    assert!(outcomes(&log).iter().all(|(_, s)| s == "deferred"));
    assert!(
        log.iter()
            .filter(|r| r.kind == "deferred")
            .all(|r| r.smtp.as_ref().unwrap().code == 421)
    );
    assert!(sink.dumped().is_empty());
}

#[test]
fn a_relay_that_closes_at_once_stops_the_run() {
    let sink = Sink::start(&["-Q", "CONNECT"]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("the relay cannot be reached")
        .stderr_has("421");
    assert!(c.log().iter().all(|r| r.kind != "attempt"));
}

#[test]
fn a_relay_without_8bitmime_or_pipelining_still_gets_every_letter() {
    let sink = Sink::start(&["-8", "-p"]);
    let c = campaign(&sink, &three());
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(sink.dumped().len(), 3);
}
