use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Record, csv, feed, interrupt, outcomes, ports};

fn list(n: usize) -> String {
    let rows: Vec<String> = (1..=n)
        .map(|i| format!("org-{i:03},Cơ quan số {i},vanthu{i}@co-quan.example,,"))
        .collect();
    csv(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

fn slow(delay_ms: u64) -> Scripted {
    Scripted::start(move |e| {
        if matches!(e, Event::Dot(_)) {
            Action::Delay(Duration::from_millis(delay_ms))
        } else {
            Action::Default
        }
    })
}

/// Starts `letterpost send --yes` in the background and returns once the log shows `accepted`
/// letters accepted.
fn start_and_wait_for(c: &Campaign, accepted: usize) -> std::process::Child {
    start_with_and_wait_for(c, &["send", "--yes"], accepted)
}

/// Starts letterpost with `args` and waits until the log holds `accepted` acceptances.
fn start_with_and_wait_for(c: &Campaign, args: &[&str], accepted: usize) -> std::process::Child {
    let child = c
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    child
}

/// Per key: how many times the server received its letter, by Message-ID from the log.
fn received_per_key(server: &Scripted, log: &[Record]) -> HashMap<String, usize> {
    let by_id = server.count_by_message_id();
    let mut per_key = HashMap::new();
    for r in log
        .iter()
        .filter(|r| r.kind == "attempt" && r.test.is_none())
    {
        let count = by_id
            .get(r.message_id.as_ref().unwrap())
            .copied()
            .unwrap_or(0);
        per_key.insert(r.key.clone().unwrap(), count);
    }
    per_key
}

/// The state of each key after the whole log: the last outcome (or `open`).
fn final_states(log: &[Record]) -> HashMap<String, String> {
    let mut states = HashMap::new();
    for r in log.iter().filter(|r| r.key.is_some() && r.test.is_none()) {
        let state = match r.kind.as_str() {
            "attempt" | "data" => "open".to_owned(),
            other => other.to_owned(),
        };
        states.insert(r.key.clone().unwrap(), state);
    }
    states
}

#[test]
fn workers_send_in_parallel_up_to_the_concurrency_and_the_log_stays_one_chain() {
    let server = slow(30);
    let mut c = Campaign::with_csv(&list(40));
    c.relay(server.port);
    c.run(&["send", "--yes", "--concurrency", "4"])
        .code(0)
        .stdout_has("40 of 40 recipients accepted");
    let max = server.max_active.load(Ordering::SeqCst);
    assert!((2..=4).contains(&max), "{max} sessions at once");
    assert_eq!(server.messages().len(), 40);
    let log = c.log();
    assert!(
        log.windows(2)
            .all(|w| w[1].seq == w[0].seq + 1 && w[1].prev == w[0].hash)
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn the_rate_limit_holds_across_restarts() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&list(6));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "3", "--rate", "3/second"])
        .code(1);
    c.run(&["send", "--yes", "--rate", "3/second"]).code(0);
    let times: Vec<Duration> = c
        .log()
        .iter()
        .filter(|r| r.kind == "data")
        .map(|r| {
            let t: jiff::Timestamp = r.time.parse().unwrap();
            Duration::from_millis(t.as_millisecond() as u64)
        })
        .collect();
    assert_eq!(times.len(), 6);
    for i in 3..6 {
        assert!(
            times[i] - times[i - 3] >= Duration::from_millis(990),
            "message {i} came too soon: {times:?}"
        );
    }
}

#[test]
fn ctrl_c_settles_the_letter_in_flight_and_prints_the_resume_command() {
    let server = slow(150);
    let mut c = Campaign::with_csv(&list(30));
    c.relay(server.port);
    let child = start_and_wait_for(&c, 2);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Stopping: finishing the letters in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains("To resume, run: letterpost send --concurrency 1"),
        "{stderr}"
    );
    let log = c.log();
    let finished = log.last().unwrap();
    assert_eq!(finished.kind, "run_finished");
    assert_eq!(
        finished.stopped.as_deref(),
        Some("interrupted by the operator")
    );
    assert!(log.iter().filter(|r| r.kind == "attempt").count() < 30);
    assert_eq!(
        final_states(&log).values().filter(|s| *s == "open").count(),
        0,
        "the letter in flight settled"
    );
    for closed in log.iter().filter(|r| r.kind == "deferred") {
        assert_eq!(
            closed.stage.as_deref(),
            Some("interrupted"),
            "only a letter never sent is deferred here"
        );
    }
    c.run(&["log", "verify"]).code(0);

    c.run(&["send", "--yes", "--concurrency", "1"])
        .code(0)
        .stdout_has("30 of 30 recipients accepted");
    let per_key = received_per_key(&server, &c.log());
    assert_eq!(per_key.len(), 30);
    assert!(per_key.values().all(|&n| n == 1), "{per_key:?}");
}

#[test]
fn ctrl_c_in_a_limited_selection_reports_the_campaign_and_resumes_only_what_is_left() {
    let server = slow(150);
    let mut c = Campaign::with_csv(&list(30));
    c.relay(server.port);
    let only = [
        "org-002", "org-004", "org-006", "org-008", "org-010", "org-012",
    ];
    let mut args = vec!["send", "--yes", "--limit", "5", "--only"];
    args.extend(only);
    let child = start_with_and_wait_for(&c, &args, 2);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let done: Vec<String> = outcomes(&c.log()).into_iter().map(|(k, _)| k).collect();
    let n = done.len();
    assert!((2..5).contains(&n), "{done:?}");
    assert!(
        stdout.contains(&format!(
            "Campaign fanpage-2022: {n} of 30 recipients accepted, 0 not accepted, {} not sent yet.",
            30 - n
        )),
        "the whole campaign, not the selection:\n{stdout}"
    );
    // The resume sends exactly the rest of this run's five, never the sixth key.
    let rest: Vec<&str> = only[..5]
        .iter()
        .copied()
        .filter(|k| !done.iter().any(|d| d == k))
        .collect();
    let resume = format!(
        "To resume, run: letterpost send --only {} --concurrency 1 --rate unlimited",
        rest.join(" ")
    );
    assert!(stderr.contains(&resume), "{resume}\n{stderr}");
    // The command round-trips: run as printed (confirmed with --yes, which it leaves to the
    // operator), it sends exactly those letters, and the run records the same flags.
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("To resume, run: "))
        .unwrap();
    let words = shlex::split(line).unwrap();
    assert_eq!(words[0], "letterpost");
    let mut again: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    again.push("--yes");
    c.run(&again).code(0);
    let now: Vec<String> = outcomes(&c.log()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(&now[..n], &done[..]);
    let mut resent = now[n..].to_vec();
    resent.sort();
    assert_eq!(resent, rest);
    let flags = line.strip_prefix("letterpost send ").unwrap();
    let recorded: Vec<String> = c
        .log()
        .iter()
        .filter(|r| r.kind == "run_started")
        .filter_map(|r| r.options.clone())
        .collect();
    assert_eq!(
        recorded.last().map(String::as_str),
        Some(flags),
        "{recorded:?}"
    );
}

/// README: "A second Ctrl-C (or SIGTERM) quits at once." The relay holds its reply to the first
/// letter for a minute (the SMTP timeout is longer). The first Ctrl-C, sent once that letter's
/// message reached the server, stops the run taking letters but waits for the reply; the second,
/// sent once the run said `Stopping:`, ends it within seconds with exit 3, the letter still open
/// in the log. The next run closes it as `unknown` (its message was sent) and sends the rest.
#[test]
fn a_second_ctrl_c_quits_at_once_without_waiting_for_the_letter_in_flight() {
    use std::io::{BufRead, BufReader, Read};
    const REPLY_AFTER: Duration = Duration::from_secs(60);
    let (reached, message_reached) = std::sync::mpsc::channel();
    let reached = std::sync::Mutex::new(reached);
    let server = Scripted::start(move |e| match e {
        Event::Dot(1) => {
            let _ = reached.lock().unwrap().send(());
            Action::Delay(REPLY_AFTER)
        }
        _ => Action::Default,
    });
    let mut c = Campaign::with_csv(&list(3));
    c.set_toml("smtp", "timeout", "120");
    c.relay(server.port);
    let mut child = c
        .command(&["send", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    message_reached
        .recv_timeout(Duration::from_secs(60))
        .expect("the first letter's message reached the relay");
    interrupt(&child);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the run ended without saying Stopping:\n{printed}"
        );
        printed.push_str(&line);
        if line.starts_with("Stopping: ") {
            break;
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "one Ctrl-C waits for the letter in flight:\n{printed}"
    );

    let second = Instant::now();
    interrupt(&child);
    stderr.read_to_string(&mut printed).unwrap();
    let out = child.wait_with_output().unwrap();
    let took = second.elapsed();
    assert_eq!(out.status.code(), Some(3), "{printed}");
    assert!(
        took < Duration::from_secs(15),
        "the second Ctrl-C took {took:?}; the relay replies after {REPLY_AFTER:?}"
    );
    assert!(
        printed.contains(
            "Quitting at once; the next run will sort out the letters that were in flight."
        ),
        "{printed}"
    );
    let open: Vec<(String, String)> = c
        .log()
        .iter()
        .filter(|r| r.key.is_some())
        .map(|r| (r.kind.clone(), r.key.clone().unwrap()))
        .collect();
    assert_eq!(
        open,
        [
            ("attempt".to_owned(), "org-001".to_owned()),
            ("data".to_owned(), "org-001".to_owned())
        ],
        "the letter in flight has no outcome"
    );
    c.run(&["log", "verify"]).code(0);

    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("2 of 3 recipients accepted")
        .stdout_has("org-001 (line 2, Cơ quan số 1): unknown");
    assert_eq!(
        outcomes(&c.log()),
        [
            ("org-001".to_owned(), "unknown".to_owned()),
            ("org-002".to_owned(), "accepted".to_owned()),
            ("org-003".to_owned(), "accepted".to_owned())
        ]
    );
    assert_eq!(server.messages().len(), 3, "org-001 was not sent again");
}

#[test]
fn sigterm_stops_the_same_way() {
    let server = slow(150);
    let mut c = Campaign::with_csv(&list(20));
    c.relay(server.port);
    let child = start_and_wait_for(&c, 1);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    c.run(&["log", "verify"]).code(0);
}

/// The kill schedule's seed when `LETTERPOST_KILL_SEED` is not set.
const KILL_SEED: u64 = 20_261_130;

/// Kill -9 at pseudo-random moments, a dozen times, then let it finish: no letter twice, every
/// organisation accepted or unknown and listed, and the log verifies after every kill.
///
/// The moments come from a seed, printed first (`kill schedule seed N`, shown when the test
/// fails). It is `KILL_SEED` unless `LETTERPOST_KILL_SEED=N` names another; to replay a failure
/// or try other schedules:
/// `LETTERPOST_KILL_SEED=N cargo test --test it killed_at_random`. (The same seed gives the same
/// delays; where in the run each kill lands still depends on the machine's speed.)
#[test]
fn killed_at_random_a_dozen_times_it_never_sends_twice_and_the_log_always_verifies() {
    let server = slow(8);
    let mut c = Campaign::with_csv(&list(60));
    c.relay(server.port);
    let mut seed = match std::env::var("LETTERPOST_KILL_SEED") {
        Ok(text) => text
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("LETTERPOST_KILL_SEED={text:?}: {e}")),
        Err(_) => KILL_SEED,
    };
    eprintln!("kill schedule seed {seed} (replay: LETTERPOST_KILL_SEED={seed})");
    for kill in 1..=12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(40 + (seed >> 33) % 400);
        eprintln!("kill {kill} after {delay:?}");
        let mut child = c
            .command(&["send", "--yes", "--concurrency", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        if c.exists("logs/fanpage-2022.jsonl") {
            c.run(&["log", "verify"]).code(0);
        }
    }
    let run = c.run(&["send", "--yes"]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let log = c.log();
    let states = final_states(&log);
    let per_key = received_per_key(&server, &log);
    assert_eq!(states.len(), 60, "every organisation was attempted");
    for (key, state) in &states {
        let n = per_key[key];
        match state.as_str() {
            "accepted" => assert_eq!(n, 1, "{key} accepted but received {n} times"),
            "unknown" => {
                assert!(n <= 1, "{key} unknown but received {n} times");
                assert!(
                    run.stdout.contains(&format!("{key} (line")),
                    "{key} is listed for the operator"
                );
            }
            other => panic!("{key} ended {other}"),
        }
    }
    assert_eq!(
        server.messages().len(),
        per_key.values().sum::<usize>(),
        "nothing else arrived"
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_hostile_relay_of_two_hundred_organisations_ends_with_each_accepted_once_or_rejected() {
    // Refuses some addresses, greylists others once, and drops the connection every 37th RCPT.
    let rcpts = AtomicUsize::new(0);
    let greylisted = std::sync::Mutex::new(std::collections::HashSet::new());
    let server = Scripted::start(move |e| {
        let Event::Command(cmd) = e else {
            return Action::Default;
        };
        if !cmd.to_ascii_uppercase().starts_with("RCPT") {
            return Action::Default;
        }
        if rcpts.fetch_add(1, Ordering::SeqCst) % 37 == 36 {
            return Action::Drop;
        }
        if cmd.contains("reject") {
            return Action::Reply("550 5.1.1 User unknown".into());
        }
        if cmd.contains("grey") && greylisted.lock().unwrap().insert(cmd.clone()) {
            return Action::Reply("451 4.7.1 Greylisted, come back later".into());
        }
        Action::Default
    });
    let rows: Vec<String> = (1..=200)
        .map(|i| {
            let local = match i % 20 {
                0 => "reject",
                3 | 11 => "grey",
                _ => "vanthu",
            };
            format!("org-{i:03},Cơ quan số {i},{local}{i}@co-quan.example,,")
        })
        .collect();
    let mut c = Campaign::with_csv(&csv(&rows.iter().map(String::as_str).collect::<Vec<_>>()));
    c.relay(server.port);
    let run = c.run(&["send", "--yes", "--concurrency", "4"]);
    run.code(1)
        .stdout_has("190 of 200 recipients accepted, 10 not accepted");
    let log = c.log();
    let states = final_states(&log);
    let per_key = received_per_key(&server, &log);
    for (key, state) in &states {
        match state.as_str() {
            "accepted" => assert_eq!(per_key[key], 1, "{key}"),
            "rejected" => {
                assert_eq!(per_key[key], 0, "{key}");
                assert!(
                    run.stdout.contains(&format!("{key} (line"))
                        && run.stdout.contains("User unknown")
                );
            }
            other => panic!("{key} ended {other}"),
        }
    }
    assert_eq!(states.values().filter(|s| *s == "rejected").count(), 10);
    assert!(
        run.stdout.contains("--retry-failed"),
        "the summary says what to do"
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_test_send_goes_to_the_test_mailbox_and_never_counts_as_delivered() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    c.run(&[
        "send",
        "--yes",
        "--redirect-to",
        "thu-nghiem@test.example",
        "--limit",
        "2",
    ])
    .code(0)
    .stdout_has("Test send: 2 of 2 test letters accepted by the relay");
    let received = server.received();
    assert_eq!(received.len(), 2);
    for m in &received {
        assert_eq!(m.to, ["thu-nghiem@test.example"]);
        let parsed = mail_parser::MessageParser::default()
            .parse(&m.data)
            .unwrap();
        assert!(
            parsed
                .subject()
                .unwrap()
                .starts_with("[THỬ NGHIỆM / TEST] V/v")
        );
        let header = parsed.header_raw("X-Letterpost-Test").unwrap();
        assert!(header.contains("redirected from vanthu"), "{header}");
    }
    let log = c.log();
    assert_eq!(log[0].mode.as_deref(), Some("test"));
    assert!(
        log.iter()
            .filter(|r| r.key.is_some())
            .all(|r| r.test == Some(true))
    );
    c.run(&["send", "--yes"])
        .code(0)
        .stdout_has("3 of 3 recipients accepted");
    assert_eq!(
        server.received().len(),
        5,
        "every real letter went out after the test"
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn edited_or_moved_rows_are_not_sent_again_and_the_change_is_named() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "1"])
        .code(1)
        .stdout_has("2 not sent yet");
    c.write(
        "recipients/organisations.csv",
        csv(&[
            "org-003,Cơ quan số 3,vanthu3@co-quan.example,,",
            "org-002,Cơ quan số 2,vanthu2@co-quan.example,,",
            "org-001,Cơ quan số 1 (đã đổi tên),vanthu1@co-quan.example,,",
        ]),
    );
    let run = c.run(&["send", "--yes"]);
    run.code(0)
        .stderr_has("recipients/organisations.csv changed since the last run");
    assert_eq!(server.received().len(), 3, "org-001 was not sent again");
    assert_eq!(
        outcomes(&c.log())
            .iter()
            .filter(|(k, _)| k == "org-001")
            .count(),
        1
    );
}

#[test]
fn dot_lines_and_bare_line_ends_in_values_cannot_end_the_message_early() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,\".\n..\n.\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@x.example>\r\n.\r\nQUIT\rbare cr\nbare lf\"",
    ]));
    c.write(
        "templates/letter.txt",
        "Kính gửi: {{ organisation }}\n{{ group }}\n.\nkết thúc\n",
    );
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let received = server.received();
    assert_eq!(received.len(), 1, "one transaction");
    assert_eq!(received[0].to, ["a@a.example"]);
    let archive = c
        .log()
        .into_iter()
        .find(|r| r.kind == "accepted")
        .unwrap()
        .archive
        .unwrap();
    let archived = std::fs::read(c.path(&archive)).unwrap();
    assert_eq!(
        received[0].data.strip_suffix(b"\r\n").unwrap(),
        &archived[..],
        "the server got every byte"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&received[0].data)
        .unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("MAIL FROM:<evil@x.example>") && text.contains("kết thúc"),
        "{text}"
    );
}

#[test]
fn a_five_thousand_character_name_is_folded_not_refused() {
    let long = "Sở".repeat(2500);
    let c = Campaign::with_csv(&csv(&[&format!("a,{long},a@a.example,,")]));
    c.run(&["send", "--dry-run"]).code(0);
    let bytes = std::fs::read(c.path("outbox/fanpage-2022/a.eml")).unwrap();
    assert!(bytes.split(|&b| b == b'\n').all(|l| l.len() <= 999));
    let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        parsed.to().unwrap().first().unwrap().name(),
        Some(long.as_str())
    );
}

#[test]
fn a_log_that_cannot_be_written_stops_the_run_and_no_letter_goes_without_its_record() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::bundled();
    c.relay(server.port);
    // 64 KiB per file: each archived message fits, the log does not; SIGXFSZ ignored, so the
    // write fails with EFBIG instead of killing the process.
    let script = "trap '' XFSZ; ulimit -f 64; exec \"$LETTERPOST_BIN\" send --yes";
    feed(c.other("bash", &["-c", script]), "")
        .code(3)
        .stderr_has("cannot write the delivery log");
    let log = c.log();
    let data_records = log.iter().filter(|r| r.kind == "data").count();
    assert!(data_records > 0 && data_records < 56);
    assert_eq!(
        server.received().len(),
        data_records,
        "every message sent has its durable data record"
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_second_run_names_the_run_that_holds_the_campaign() {
    let server = slow(200);
    let mut c = Campaign::with_csv(&list(10));
    c.relay(server.port);
    let mut first = c
        .command(&["send", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while c.log_if_any().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = c.run(&["send", "--yes"]);
    second.code(3).stderr_has(&format!(
        "in use by another letterpost run (pid {} on ",
        first.id()
    ));
    first.kill().unwrap();
    first.wait().unwrap();
    // The kernel freed the lock with the process: the next run resumes at once.
    c.run(&["send", "--yes"])
        .code(0)
        .stdout_has("10 of 10 recipients accepted");
}

#[test]
fn a_torn_last_line_is_reported_then_set_aside_by_the_next_run() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&list(4));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "2"]).code(1);
    let whole = c.read("logs/fanpage-2022.jsonl");
    let torn = "{\"v\":1,\"seq\":99,\"time\":\"2026-11-2";
    c.write("logs/fanpage-2022.jsonl", format!("{whole}{torn}"));
    let lines = whole.lines().count() + 1;
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has(&format!("line {lines}: torn last line"));
    c.run(&["send", "--yes"])
        .code(0)
        .stderr_has("was never finished")
        .stdout_has("4 of 4 recipients accepted");
    let offset = whole.len();
    assert_eq!(
        c.read(&format!("logs/fanpage-2022.jsonl.torn-{offset}")),
        torn,
        "the fragment is kept"
    );
    c.run(&["log", "verify"]).code(0);
    assert_eq!(server.received().len(), 4);
}

#[test]
fn a_killed_test_send_is_closed_by_the_next_run_and_the_log_still_verifies() {
    let server = slow(300);
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    let mut child = c
        .command(&["send", "--yes", "--redirect-to", "thu@test.example"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while c.log_if_any().iter().all(|r| r.kind != "data") {
        assert!(started.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    c.run(&["send", "--yes", "--redirect-to", "thu@test.example"])
        .code(0);
    let closed = c
        .log()
        .into_iter()
        .find(|r| r.stage.as_deref() == Some("interrupted"))
        .expect("closed");
    assert_eq!((closed.kind.as_str(), closed.test), ("unknown", Some(true)));
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_test_send_the_relay_refuses_exits_1() {
    let server = SmtpServer::start(Script::refusing("thu@test.example"));
    let mut c = Campaign::with_csv(&list(2));
    c.relay(server.port);
    c.run(&["send", "--yes", "--redirect-to", "thu@test.example"])
        .code(1)
        .stdout_has("Test send: 0 of 2 test letters accepted by the relay (2 rejected");
}

#[test]
fn a_changed_sender_keeps_each_letters_message_id() {
    let mut script = Script::default();
    script
        .rcpt_transient_times
        .insert("vanthu1@co-quan.example".into(), 1);
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&list(1));
    c.set_toml("sending", "retries", "0");
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(1);
    let first = c
        .log()
        .into_iter()
        .find(|r| r.kind == "attempt")
        .unwrap()
        .message_id
        .unwrap();
    c.set_toml(
        "campaign",
        "from",
        r#""Sở Thông tin và Truyền thông <vanthu@stttt-moi.example>""#,
    );
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    let attempts: Vec<_> = log.iter().filter(|r| r.kind == "attempt").collect();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[1].message_id.as_deref(),
        Some(first.as_str()),
        "a retry keeps its Message-ID"
    );
    let received = server.received();
    assert_eq!(
        received[0].from, "vanthu@stttt-moi.example",
        "the new sender is used"
    );
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn resend_unknown_sends_only_the_letters_named() {
    let server = Scripted::start(|e| {
        if matches!(e, Event::Dot(1)) {
            Action::Drop
        } else {
            Action::Default
        }
    });
    let mut c = Campaign::with_csv(&list(3));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "1"]).code(1);
    assert_eq!(outcomes(&c.log()), [("org-001".into(), "unknown".into())]);
    c.run(&["send", "--yes", "--resend-unknown", "org-001"])
        .code(0);
    let sent: Vec<_> = outcomes(&c.log()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        sent,
        ["org-001", "org-001"],
        "org-002 and org-003 wait for a plain send"
    );
}

#[test]
fn the_resume_command_keeps_the_rate() {
    let down = ports::refused();
    let mut c = Campaign::with_csv(&list(2));
    c.relay(down.port);
    c.run(&["send", "--yes", "--rate", "30/minute", "--retry-failed"])
        .code(3)
        .stderr_has(
            "To resume, run: letterpost send --retry-failed --concurrency 1 --rate 30/minute",
        );
}

/// The records about one key, in log order.
fn history<'a>(log: &'a [Record], key: &str) -> Vec<&'a Record> {
    log.iter()
        .filter(|r| r.key.as_deref() == Some(key))
        .collect()
}

/// The issue's greylisting case: at concurrency 1, one address answered 451 kept the only
/// worker in its backoff. Now the letter waits for its retry without the worker: with a retry
/// delay of 3 s (2.25-3.75 s with jitter), every other letter is accepted before the greylisted
/// one's second attempt, and the run ends when that retry is accepted.
#[test]
fn a_greylisted_letter_waits_for_its_retry_while_the_others_go_out() {
    let mut script = Script::default();
    script
        .rcpt_transient_times
        .insert("vanthu1@co-quan.example".into(), 1);
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&list(20));
    c.set_toml("sending", "retry_delay", "3");
    c.relay(server.port);
    let run = c.run(&["send", "--yes", "--concurrency", "1"]);
    run.code(0).stdout_has("20 of 20 recipients accepted");

    let log = c.log();
    let grey = history(&log, "org-001");
    let kinds: Vec<(&str, u32)> = grey
        .iter()
        .map(|r| (r.kind.as_str(), r.attempt.unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("attempt", 1),
            ("deferred", 1),
            ("attempt", 2),
            ("data", 2),
            ("accepted", 2)
        ]
    );
    let deferred = grey[1];
    assert_eq!(deferred.stage.as_deref(), Some("rcpt"));
    assert_eq!(deferred.smtp.as_ref().unwrap().code, 451);
    assert_eq!(
        grey[2].message_id, grey[0].message_id,
        "the retry keeps its Message-ID"
    );
    let second_attempt = grey[2].seq;
    for i in 2..=20 {
        let key = format!("org-{i:03}");
        let accepted: Vec<_> = history(&log, &key)
            .into_iter()
            .filter(|r| r.kind == "accepted")
            .collect();
        assert_eq!(accepted.len(), 1, "{key}");
        assert_eq!(accepted[0].attempt, Some(1), "{key}");
        assert!(
            accepted[0].seq < second_attempt,
            "{key} was accepted (seq {}) after the greylisted letter's retry began (seq {second_attempt})",
            accepted[0].seq
        );
    }
    let counts = log.last().unwrap().counts.clone().unwrap();
    assert_eq!(counts["accepted"], 20);
    assert_eq!(counts["deferred"], 0);
    assert_eq!(server.received().len(), 20, "each letter arrived once");
    // Once the others were out, the run said what it was waiting for.
    run.stderr_has("waiting: 1 letter deferred by the relay, next retry in ");
    c.run(&["log", "verify"]).code(0);
}

/// Ctrl-C while the only thing left is a retry a minute away: the run ends at once (the wait is
/// interrupted, the retry is not made), exit 3 with the resume command, the letter stays
/// `deferred` and is counted so, and the log verifies. The next run (with `-q`: no progress or
/// waiting lines) carries on with attempt 2.
#[test]
fn ctrl_c_while_only_a_retry_waits_ends_the_run_at_once_and_the_letter_stays_deferred() {
    use std::io::{BufRead, BufReader, Read};
    let mut script = Script::default();
    script
        .rcpt_transient_times
        .insert("vanthu1@co-quan.example".into(), 2);
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&list(5));
    c.set_toml("sending", "retry_delay", "60");
    // Were the wait not interrupted, the run would still end after one retry.
    c.set_toml("sending", "retries", "1");
    c.relay(server.port);
    let mut child = c
        .command(&["send", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the run ended before it waited:\n{printed}"
        );
        printed.push_str(&line);
        if line.starts_with("waiting: 1 letter deferred by the relay, next retry in ") {
            break;
        }
    }
    interrupt(&child);
    stderr.read_to_string(&mut printed).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{printed}");
    assert!(
        printed.contains("Stopping: finishing the letters in flight"),
        "{printed}"
    );
    assert!(
        printed.contains("To resume, run: letterpost send --concurrency 1"),
        "{printed}"
    );
    assert!(
        stdout.contains("org-001 (line 2, Cơ quan số 1): deferred — 451 4.7.1 Greylisted"),
        "{stdout}"
    );

    let log = c.log();
    let grey: Vec<(&str, u32)> = history(&log, "org-001")
        .iter()
        .map(|r| (r.kind.as_str(), r.attempt.unwrap()))
        .collect();
    assert_eq!(grey, [("attempt", 1), ("deferred", 1)], "no retry was made");
    let finished = log.last().unwrap();
    assert_eq!(finished.kind, "run_finished");
    assert_eq!(
        finished.stopped.as_deref(),
        Some("interrupted by the operator")
    );
    let counts = finished.counts.clone().unwrap();
    assert_eq!(
        (&counts["accepted"], &counts["deferred"], &counts["pending"]),
        (&4.into(), &1.into(), &0.into())
    );
    c.run(&["log", "verify"]).code(0);

    c.set_toml("sending", "retry_delay", "0.05");
    let resumed = c.run(&["-q", "send", "--yes"]);
    resumed.code(0).stdout_has("5 of 5 recipients accepted");
    assert!(
        !resumed.stderr.contains("waiting:") && !resumed.stderr.contains("progress:"),
        "-q prints no progress:\n{}",
        resumed.stderr
    );
    let attempts: Vec<(String, u32)> = history(&c.log(), "org-001")
        .iter()
        .filter(|r| r.kind != "attempt" && r.kind != "data")
        .map(|r| (r.kind.clone(), r.attempt.unwrap()))
        .collect();
    assert_eq!(
        attempts,
        [
            ("deferred".to_owned(), 1),
            ("deferred".to_owned(), 2),
            ("accepted".to_owned(), 3)
        ]
    );
    c.run(&["log", "verify"]).code(0);
}
