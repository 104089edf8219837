//! Snapshots of what people read, in English and (module `vietnamese`) in Vietnamese: `check`'s
//! problem lists, `log summary` after a real send, `log verify`'s damage reports, and `--help`.
//! Each snapshot is the exit code, stdout and stderr
//! of the real binary, with what differs between machines and runs redacted (see `redacted`).
//!
//! A change to any of these texts fails the test with a diff. If the change is meant, review the
//! new text as its reader would and accept it: `INSTA_UPDATE=always cargo test --test it shown`
//! (or `cargo insta review`), then commit the `.snap` files under `tests/it/snapshots/`. With
//! `CI=true`, insta writes nothing and fails on any difference or missing snapshot.

use crate::support::chain::{hash_of, reseal, seal};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Run, csv};

/// Escapes `text` for use as a literal in a regular expression.
fn literal(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Snapshot settings whose filters redact what differs between machines and runs.
fn redacted(c: &Campaign) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    // The campaign's temp folder, as given and as the kernel resolves it.
    let dir = c.dir.path();
    let real = dir.canonicalize().unwrap();
    for path in [real.as_path(), dir] {
        settings.add_filter(&literal(&path.to_string_lossy()), "[CAMPAIGN]");
    }
    // Run ids: the start time and 6 random hex digits (`20261130T195012-b808a3`).
    settings.add_filter(r"\b\d{8}T\d{6}-[0-9a-f]{6}\b", "[RUN]");
    // RFC 3339 time stamps.
    settings.add_filter(
        r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    );
    // SHA-256 hashes: chain hashes, message hashes, checkpoints.
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[HASH]");
    // Archived file names carry 16 hex digits of the message's hash (which holds its Date:).
    settings.add_filter(r"\.[0-9a-f]{16}\.eml\b", ".[SHA16].eml");
    // Input fingerprints in `log summary`: the first 12 hex digits of each input's hash.
    settings.add_filter(
        r"(\.(?:toml|csv|html|txt|typ)) [0-9a-f]{12}\b",
        "${1} [SHA12]",
    );
    // The relay's port.
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    // The machine's name, where a run is described (`by van-thu on HOST, letterpost 0.1.0`).
    settings.add_filter(r"( by \S+ on )\S+,", "${1}[HOST],");
    settings.add_filter(r"( thực hiện trên máy )\S+,", "${1}[HOST],");
    // Byte offsets into the log (they follow the host name's length).
    settings.add_filter(r"\bat byte \d+\b", "at byte [OFFSET]");
    // Durations and rates.
    settings.add_filter(r"\b\d+(\.\d+)? ?(ms|s)\b", "[DURATION]");
    settings.add_filter(r"\b\d+(\.\d+)?/s\b", "[RATE]/s");
    // The same, in Vietnamese.
    settings.add_filter(r"\b\d+(\.\d+)? thư/giây", "[RATE] thư/giây");
    settings.add_filter(r"\b\d+ giây\b", "[DURATION]");
    settings
}

/// What one run showed: exit code, stdout, stderr.
fn shown(run: &Run) -> String {
    format!(
        "exit code: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// Snapshots what `letterpost ARGS` shows in campaign `c`, under `name`.
#[track_caller]
fn snapshot(c: &Campaign, name: &str, args: &[&str]) {
    snapshot_with(redacted(c), c, name, args);
}

#[track_caller]
fn snapshot_with(settings: insta::Settings, c: &Campaign, name: &str, args: &[&str]) {
    let run = c.run(args);
    settings.bind(|| insta::assert_snapshot!(name, shown(&run)));
}

#[test]
fn check_lists_every_problem_in_the_rows_at_once() {
    let c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,vanthu@soyte,,",
        "a,Sở A (bản sao),a2@a.example,,",
        "c,Sở C,c@c.example,kế toán@c.example,",
        "d,,d@d.example,,",
        "e,Sở E,e@e.example,,,thừa",
        "f,\"Sở\nF\",f@f.example,,",
        "g,Sở G,không-phải-địa-chỉ,,",
    ]));
    snapshot(&c, "check_row_problems", &["check"]);
}

/// A header that lacks the `email` column, names one column twice and leaves one blank. (The
/// header is checked before any row: these are all the problems found.)
#[test]
fn check_lists_every_problem_in_the_header_at_once() {
    let c = Campaign::with_csv("id,organisation,mail,organisation, \na,Sở A,a@a.example,x,y\n");
    // The missing `email` column is reported once, with the names the header holds.
    snapshot(&c, "check_header_problems", &["check"]);
}

#[test]
fn check_names_a_template_that_uses_an_unknown_name() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,"]));
    let text = c.read("templates/letter.txt");
    c.write(
        "templates/letter.txt",
        format!("{text}\nNgười liên hệ: {{{{ contact_person }}}}\n"),
    );
    snapshot(&c, "check_template_problem", &["check"]);
}

/// A misspelled name where it is written (file, line, position), with the name meant; an
/// unknown filter in another template, as its own problem, with one `error:`.
#[test]
fn check_places_a_misspelled_template_name_and_suggests_the_right_one() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,"]));
    let text = c.read("templates/letter.txt");
    c.write(
        "templates/letter.txt",
        format!("{text}\nKính gửi: {{{{ organsation }}}}\n{{% if not emial %}}-{{% endif %}}\n"),
    );
    let motto = c.read("templates/partials/motto.html");
    c.write(
        "templates/partials/motto.html",
        format!("{motto}\n<p>{{{{ fanpage_ur }}}}</p>\n"),
    );
    snapshot(&c, "check_template_misspelled", &["check"]);
    c.write("templates/partials/motto.html", motto);
    c.write(
        "templates/letter.txt",
        format!("{text}\n{{{{ organisation | upper | nope }}}}\n"),
    );
    snapshot(&c, "check_template_unknown_filter", &["check"]);
}

/// Five letters: two accepted, one refused for good (550), one deferred (451, no retry left),
/// one refused at the end of DATA (554).
fn sent_with_failures() -> (Campaign, SmtpServer) {
    let mut script = Script::default();
    script.rcpt.insert(
        "b@b.example".into(),
        (
            550,
            "5.1.1 <b@b.example>: Recipient address rejected: User unknown".into(),
        ),
    );
    script.rcpt.insert(
        "c@c.example".into(),
        (
            451,
            "4.7.1 <c@c.example>: Recipient address rejected: Greylisted".into(),
        ),
    );
    script.data_end.insert(
        "e@e.example".into(),
        (554, "5.7.1 Message rejected as spam".into()),
    );
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
        "d,Sở D,d@d.example,,",
        "e,Sở E,e@e.example,,",
    ]));
    c.set_toml("sending", "retries", "0");
    c.relay(server.port);
    (c, server)
}

#[test]
fn send_and_log_summary_after_a_send_with_refused_and_deferred_letters() {
    let (c, _server) = sent_with_failures();
    let mut settings = redacted(&c);
    // A progress line comes every 5 s, so a slow machine may print one before the last.
    settings.add_filter(r"(?m)^progress: [0-4]/5 letters.*\n", "");
    snapshot_with(settings, &c, "send_with_failures", &["send", "--yes"]);
    snapshot(&c, "log_summary_with_failures", &["log", "summary"]);
}

/// A real log to damage: three letters, one refused, in one run.
fn logged() -> (Campaign, SmtpServer, Vec<String>) {
    let server = SmtpServer::start(Script::refusing("b@b.example"));
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(1);
    let lines: Vec<String> = c
        .read("logs/fanpage-2022.jsonl")
        .lines()
        .map(str::to_owned)
        .collect();
    // run_started; a: attempt, data, accepted; b: attempt, rejected; c: attempt, data,
    // accepted; run_finished.
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds.join(" "),
        r#""run_started" "attempt" "data" "accepted" "attempt" "rejected" "attempt" "data" "accepted" "run_finished""#
    );
    (c, server, lines)
}

fn write_log(c: &Campaign, text: &str) {
    c.write("logs/fanpage-2022.jsonl", text);
}

fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Every kind of damage README promises `log verify` names, one snapshot each.
#[test]
fn log_verify_names_each_kind_of_damage() {
    let (c, _server, original) = logged();
    snapshot(&c, "verify_intact", &["log", "verify"]);
    let damaged = |name: &str, lines: Vec<String>| {
        write_log(&c, &joined(&lines));
        snapshot(&c, name, &["log", "verify"]);
    };

    let mut edited = original.clone();
    edited[5] = edited[5].replace("User unknown", "Mailbox full");
    damaged("verify_edited_line", edited);

    let mut deleted = original.clone();
    deleted.remove(5);
    damaged("verify_deleted_line", deleted);

    let mut reordered = original.clone();
    reordered.swap(4, 5);
    damaged("verify_reordered_lines", reordered);

    let mut repeated = original.clone();
    repeated.insert(4, original[3].clone());
    damaged("verify_repeated_line", repeated);

    // b's refusal replaced by a forged acceptance, sealed onto the line before it.
    let mut replaced = original.clone();
    let forged = original[5]
        .replace("\"type\":\"rejected\"", "\"type\":\"accepted\"")
        .replace("User unknown", "Ok: queued");
    replaced[5] = seal(&forged, &hash_of(&original[4]));
    write_log(&c, &joined(&replaced));
    // Line 6 is the forged one: the break shows at line 7, and only the records before line
    // 6 are said to hold.
    snapshot(&c, "verify_replaced_line", &["log", "verify"]);

    let mut unreadable = original.clone();
    unreadable[4] = "{\"v\":1,\"seq\":4,\"note\":\"written by hand\"}".to_owned();
    damaged("verify_unreadable_line", unreadable);

    let mut torn = joined(&original[..original.len() - 1]);
    let last = original.last().unwrap();
    torn.push_str(&last[..last.len() / 2]);
    write_log(&c, &torn);
    snapshot(&c, "verify_torn_last_line", &["log", "verify"]);

    let mut unknown_version = original.clone();
    unknown_version[7] = unknown_version[7].replacen("{\"v\":1,", "{\"v\":2,", 1);
    damaged("verify_unknown_version", unknown_version);

    // A whole rewrite: c's lines removed and the rest re-chained. The chain holds; the per-key
    // rules hold; only the head hash kept from the run shows it.
    let head = hash_of(original.last().unwrap());
    let mut rewritten: Vec<String> = original[..6].to_vec();
    rewritten.push(original.last().unwrap().clone());
    reseal(&mut rewritten, 6);
    write_log(&c, &joined(&rewritten));
    snapshot(
        &c,
        "verify_rewritten_against_checkpoint",
        &["log", "verify", "--checkpoint", &head],
    );

    write_log(&c, &joined(&original));
    let accepted: serde_json::Value = serde_json::from_str(&original[3]).unwrap();
    let archive = accepted["archive"].as_str().unwrap().to_owned();
    let mut message = std::fs::read(c.path(&archive)).unwrap();
    message.extend_from_slice(b"X-Added: after the fact\r\n");
    c.write(&archive, message);
    snapshot(&c, "verify_archived_message_changed", &["log", "verify"]);
    std::fs::remove_file(c.path(&archive)).unwrap();
    snapshot(&c, "verify_archived_message_missing", &["log", "verify"]);
}

#[test]
fn help_texts() {
    let mut c = Campaign::bundled();
    // clap wraps help to the terminal's width; there is none here, so it reads COLUMNS.
    c.env("COLUMNS", "100");
    snapshot(&c, "help", &["--help"]);
    snapshot(&c, "help_send", &["send", "--help"]);
    snapshot(&c, "help_log", &["log", "--help"]);
}

/// What a Vietnamese clerk reads (`LANG=vi_VN.UTF-8`): the same outputs as above, in their words.
mod vietnamese {
    use super::{logged, redacted, sent_with_failures, snapshot, snapshot_with, write_log};
    use crate::support::{Campaign, csv};

    fn in_vietnamese(c: &mut Campaign) {
        c.env("LANG", "vi_VN.UTF-8");
    }

    #[test]
    fn check_problems() {
        let mut c = Campaign::with_csv(&csv(&[
            "a,Sở A,a@a.example,,",
            "b,Sở B,vanthu@soyte,,",
            "a,Sở A (bản sao),a2@a.example,,",
            "d,,d@d.example,,",
            "e,Sở E,e@e.example,,,thừa",
        ]));
        in_vietnamese(&mut c);
        snapshot(&c, "vi_check_row_problems", &["check"]);
        c.write(
            "recipients/organisations.csv",
            "id,organisation,mail\na,Sở A,a@a.example\n",
        );
        snapshot(&c, "vi_check_header_problems", &["check"]);
    }

    #[test]
    fn check_template_problems() {
        let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,"]));
        in_vietnamese(&mut c);
        let text = c.read("templates/letter.txt");
        c.write(
            "templates/letter.txt",
            format!("{text}\nKính gửi: {{{{ organsation }}}}\n"),
        );
        snapshot(&c, "vi_check_template_misspelled", &["check"]);
    }

    #[test]
    fn send_and_log_summary() {
        let (mut c, _server) = sent_with_failures();
        in_vietnamese(&mut c);
        let mut settings = redacted(&c);
        settings.add_filter(r"(?m)^tiến độ: [0-4]/5 thư.*\n", "");
        snapshot_with(settings, &c, "vi_send_with_failures", &["send", "--yes"]);
        snapshot(&c, "vi_log_summary_with_failures", &["log", "summary"]);
        snapshot(&c, "vi_log_list", &["log", "list"]);
        snapshot(&c, "vi_log_show", &["log", "show", "b"]);
    }

    #[test]
    fn dry_run() {
        let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
        in_vietnamese(&mut c);
        snapshot(&c, "vi_dry_run", &["send", "--dry-run"]);
    }

    #[test]
    fn log_verify() {
        let (mut c, _server, original) = logged();
        in_vietnamese(&mut c);
        snapshot(&c, "vi_verify_intact", &["log", "verify"]);
        let mut edited = original.clone();
        edited[5] = edited[5].replace("User unknown", "Mailbox full");
        write_log(&c, &super::joined(&edited));
        snapshot(&c, "vi_verify_edited_line", &["log", "verify"]);
    }

    #[test]
    fn help() {
        let mut c = Campaign::bundled();
        in_vietnamese(&mut c);
        c.env("COLUMNS", "100");
        snapshot(&c, "vi_help", &["--help"]);
        snapshot(&c, "vi_help_send", &["send", "--help"]);
    }
}
