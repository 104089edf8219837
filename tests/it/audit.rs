use crate::support::chain::{hash_of, reseal, seal};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, csv, feed, letterpost_in, repo, sha256};

/// A campaign with a real log: three letters, one refused by the relay.
fn sent() -> (Campaign, SmtpServer) {
    let server = SmtpServer::start(Script::refusing("b@b.example"));
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,\"=HYPERLINK(\"\"http://x.example\"\",\"\"bấm\"\")\",b@b.example,,",
        "c,+84 Sở C,c@c.example,,",
        "d,-Sở D,d@d.example,,",
        "e,@Sở E,e@e.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(1);
    c.run(&["log", "verify"]).code(0).stdout_has("OK");
    (c, server)
}

fn lines(c: &Campaign) -> Vec<String> {
    c.read("logs/fanpage-2022.jsonl")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(c: &Campaign, lines: &[String]) {
    c.write(
        "logs/fanpage-2022.jsonl",
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    );
}

#[test]
fn verify_names_each_kind_of_tampering() {
    let (c, _server) = sent();
    let original = lines(&c);
    let n = original.len();
    assert!(n > 8);
    let check = |lines: Vec<String>, needle: &str| {
        write_lines(&c, &lines);
        c.run(&["log", "verify"])
            .code(1)
            .stdout_has("FAILED")
            .stdout_has(needle);
    };

    // A flipped byte: the attempt of `a` now claims another archive.
    let mut edited = original.clone();
    edited[1] = edited[1].replacen("\"row\":2", "\"row\":3", 1);
    check(edited, "line 2 (seq 1): edited");

    let mut deleted = original.clone();
    deleted.remove(3);
    check(deleted, "line 4 (seq 4): a gap in seq");

    let mut swapped = original.clone();
    swapped.swap(2, 3);
    check(
        swapped,
        "line 3 (seq 3): a gap in seq: the record with seq 2 should be here (deleted or moved); the record with seq 2 is further down, on line 4: the lines were reordered",
    );

    // A forged line inserted by someone who knows the rule, chained onto the line before it.
    let mut inserted = original.clone();
    let mut forged = original[3].replace("\"type\":\"accepted\"", "\"type\":\"rejected\"");
    inserted.insert(4, std::mem::take(&mut forged));
    let mut head = inserted[..5].to_vec();
    reseal(&mut head, 4);
    inserted.splice(..5, head);
    check(
        inserted,
        "line 6 (seq 4): seq goes back: seq 5 should be here (a line inserted, repeated or moved); seq 4 was already on line 5",
    );

    // A forged line with a made-up hash.
    let mut junk = original.clone();
    junk.insert(
        2,
        original[1].replace(&hash_of(&original[1]), &"a".repeat(64)),
    );
    check(junk, "line 3 (seq 1): edited");

    let mut torn = original.clone();
    let last = torn.pop().unwrap();
    let mut text: String = torn.iter().map(|l| format!("{l}\n")).collect();
    text.push_str(&last[..last.len() / 2]);
    c.write("logs/fanpage-2022.jsonl", text);
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has(&format!("line {n}: torn last line"));

    let mut future = original.clone();
    future[n - 1] = future[n - 1].replacen("\"v\":1", "\"v\":2", 1);
    check(future, "format version 2 is not known to this letterpost");

    // A whole rewrite that keeps the chain but drops `a`'s attempt: the per-key rules catch it.
    let mut rewritten = original.clone();
    rewritten.remove(1);
    reseal(&mut rewritten, 1);
    check(rewritten, "line 2 (seq 1): data for `a` without an attempt");

    write_lines(&c, &original);
    c.run(&["log", "verify"]).code(0);
}

/// The record on `line` (1-based) of the log, as JSON.
fn record(lines: &[String], line: usize) -> serde_json::Value {
    serde_json::from_str(&lines[line - 1]).unwrap()
}

/// README: `log verify` names "a broken link (a line replaced)". A forger replaces `a`'s
/// acceptance (line 4) with a record of their own whose hash is right for its content: chained
/// onto line 3, the break shows at line 5, whose `prev` still names the original; chained onto
/// another line, at line 4 itself. Re-chaining every later line too hides it from the chain, and
/// only the head hash kept from the run (`--checkpoint`) still catches it.
#[test]
fn verify_reports_a_line_replaced_by_a_forged_one_as_a_broken_link() {
    let (c, _server) = sent();
    let original = lines(&c);
    let head = hash_of(original.last().unwrap());
    assert_eq!(record(&original, 4)["type"], "accepted");
    assert_eq!(record(&original, 4)["key"], "a");
    let forged_content = original[3].replace("Ok: queued", "Ok: queued as FORGED");
    assert_ne!(forged_content, original[3]);

    let mut replaced = original.clone();
    replaced[3] = seal(&forged_content, &hash_of(&original[2]));
    write_lines(&c, &replaced);
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has("FAILED at line 5 (seq 4): replaced or forged: its prev is not the hash of the line before it");

    let mut misplaced = original.clone();
    misplaced[3] = seal(&forged_content, &hash_of(&original[1]));
    write_lines(&c, &misplaced);
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has("FAILED at line 4 (seq 3): replaced or forged: its prev is not the hash of the line before it");

    let mut rewritten = replaced;
    reseal(&mut rewritten, 4);
    write_lines(&c, &rewritten);
    c.run(&["log", "verify"]).code(0);
    c.run(&["log", "verify", "--checkpoint", &head])
        .code(1)
        .stdout_has(&format!("FAILED: no record has the checkpoint hash {head}"));
}

/// README: `log verify` checks "at most one acceptance unless a resend was asked for". The log is
/// given a second attempt, data and acceptance for `a` and re-chained with correct hashes, so the
/// chain holds and only that rule can fail: without a reason, and with `retry_failed` (a resend of
/// a rejected letter, not of an unknown one), it is reported at the second acceptance; with
/// `resend_unknown` the same history verifies.
#[test]
fn verify_reports_a_second_acceptance_unless_a_resend_was_asked_for() {
    let (c, _server) = sent();
    let original = lines(&c);
    let kinds: Vec<_> = (2..=4)
        .map(|n| {
            (
                record(&original, n)["type"].clone(),
                record(&original, n)["key"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("attempt".into(), "a".into()),
            ("data".into(), "a".into()),
            ("accepted".into(), "a".into())
        ]
    );
    let with_second_acceptance = |reason: Option<&str>| {
        let mut log = original.clone();
        let again: Vec<String> = original[1..4]
            .iter()
            .map(|line| {
                let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
                let map = value.as_object_mut().unwrap();
                map.insert("attempt".into(), 2.into());
                if let (Some(reason), Some("attempt")) = (reason, map["type"].as_str()) {
                    map.insert("reason".into(), reason.into());
                }
                serde_json::to_string(&value).unwrap()
            })
            .collect();
        log.splice(4..4, again);
        reseal(&mut log, 4);
        write_lines(&c, &log);
        c.run(&["log", "verify"])
    };

    for reason in [None, Some("retry_failed")] {
        with_second_acceptance(reason).code(1).stdout_has(
            "FAILED at line 7 (seq 6): `a` accepted a second time without a requested resend",
        );
    }
    with_second_acceptance(Some("resend_unknown"))
        .code(0)
        .stdout_has("every recipient's history is in order");
}

#[test]
fn verify_checks_every_archived_message() {
    let (c, _server) = sent();
    let log = c.log();
    let archive = log
        .iter()
        .find(|r| r.kind == "accepted")
        .unwrap()
        .archive
        .clone()
        .unwrap();
    let line = log
        .iter()
        .position(|r| r.kind == "attempt" && r.archive.as_deref() == Some(&archive))
        .unwrap()
        + 1;
    let original = c.read(&archive);
    c.write(&archive, format!("{original}X-Added: after the fact\r\n"));
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has(&format!("line {line} (seq {})", line - 1))
        .stdout_has("does not hash to its record's sha256");
    std::fs::remove_file(c.path(&archive)).unwrap();
    c.run(&["log", "verify"]).code(1).stdout_has("is missing");
    c.write(&archive, original);
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_checkpoint_catches_a_log_cut_short_or_rewritten() {
    let (c, _server) = sent();
    let head = c.log().last().unwrap().hash.clone();
    c.run(&["log", "verify", "--checkpoint", &head])
        .code(0)
        .stdout_has("0 records follow it");
    let mut cut = lines(&c);
    cut.truncate(cut.len() - 2);
    write_lines(&c, &cut);
    c.run(&["log", "verify"]).code(0);
    c.run(&["log", "verify", "--checkpoint", &head])
        .code(1)
        .stdout_has(&format!("no record has the checkpoint hash {head}"));
}

#[test]
fn export_is_safe_to_open_in_a_spreadsheet() {
    let (c, _server) = sent();
    let out = c.path("export.csv");
    c.run(&["log", "export", "--csv", "--output", out.to_str().unwrap()])
        .code(0);
    let bytes = std::fs::read(&out).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'),
        "RFC 4180 CRLF rows"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let organisations: Vec<&str> = rows.iter().map(|r| &r[column("organisation")]).collect();
    assert_eq!(
        organisations,
        [
            "Sở A",
            "'=HYPERLINK(\"http://x.example\",\"bấm\")",
            "'+84 Sở C",
            "'-Sở D",
            "'@Sở E"
        ]
    );
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']),
                "{cell}"
            );
        }
    }
    let b = rows.iter().find(|r| &r[column("key")] == "b").unwrap();
    assert_eq!(
        (
            &b[column("state")],
            &b[column("smtp_code")],
            &b[column("smtp_text")]
        ),
        ("rejected", "550", "User unknown")
    );
    let a = rows.iter().find(|r| &r[column("key")] == "a").unwrap();
    assert_eq!(&a[column("state")], "accepted");
    assert!(a[column("message_id")].starts_with("<fanpage-2022."));
    assert_eq!(&a[column("attempts")], "1");
    // Every cell is quoted, so a spreadsheet never splits or evaluates it.
    assert!(text.lines().skip(1).all(|l| l.starts_with('"')));
    // The log itself keeps the raw value.
    assert!(
        c.read("logs/fanpage-2022.jsonl")
            .contains("\"organisation\":\"=HYPERLINK(")
    );

    let json = c.run(&["log", "export", "--json"]);
    json.code(0);
    let first: serde_json::Value =
        serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["key"], "a");
    assert_eq!(first["organisation"], "Sở A");
}

#[test]
fn summary_list_and_show_answer_who_received_what() {
    let (c, _server) = sent();
    let summary = c.run(&["log", "summary"]);
    summary
        .code(0)
        .stdout_has("(send) by van-thu on ")
        .stdout_has("accepted 4, rejected 1, deferred 0, unknown 0")
        .stdout_has("inputs: campaign.toml ")
        .stdout_has("Recipients in the log: 5 — accepted 4, rejected 1")
        .stdout_has("b (=HYPERLINK(")
        .stdout_has("550 5.1.1 User unknown")
        .stdout_has("next: Fix the address");
    let json: serde_json::Value =
        serde_json::from_str(&c.run(&["log", "summary", "--json"]).stdout).unwrap();
    assert_eq!(json["states"]["accepted"], 4);
    assert_eq!(json["not_accepted"][0]["key"], "b");
    assert_eq!(json["runs"][0]["operator"], "van-thu");

    let list = c.run(&["log", "list", "--status", "rejected"]);
    list.code(0);
    assert_eq!(list.stdout.lines().count(), 1);
    assert!(list.stdout.starts_with("rejected"));
    c.run(&["log", "list", "--since", "2999-01-01"])
        .code(0)
        .stderr_has("0 of 5 recipients");
    c.run(&["log", "list", "--status", "lost"])
        .code(2)
        .stderr_has("is not one of");

    let show = c.run(&["log", "show", "a"]);
    show.code(0)
        .stdout_has("a: accepted")
        .stdout_has("attempt")
        .stdout_has("250 2.0.0 Ok: queued")
        .stdout_has("(matches)");
    c.run(&["log", "show", "nobody"])
        .code(2)
        .stderr_has("no record about `nobody`");
}

#[test]
fn an_auditor_needs_only_the_log_and_its_archive() {
    let (c, _server) = sent();
    let copy = tempfile::tempdir().unwrap();
    for dir in ["logs", "archive/fanpage-2022"] {
        std::fs::create_dir_all(copy.path().join(dir)).unwrap();
    }
    std::fs::copy(
        c.path("logs/fanpage-2022.jsonl"),
        copy.path().join("logs/fanpage-2022.jsonl"),
    )
    .unwrap();
    for f in c.files("archive/fanpage-2022") {
        std::fs::copy(
            c.path(&format!("archive/fanpage-2022/{f}")),
            copy.path().join("archive/fanpage-2022").join(&f),
        )
        .unwrap();
    }
    letterpost_in(
        copy.path(),
        &["log", "--log", "logs/fanpage-2022.jsonl", "verify"],
    )
    .code(0);
}

/// The golden log in tests/fixtures was written by letterpost; this test checks it with the
/// chain rule as README states it, implemented here independently of the program.
#[test]
fn the_golden_log_holds_under_the_documented_rule() {
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/golden/logs/fanpage-2022.jsonl"))
            .unwrap();
    let mut prev = "0".repeat(64);
    for (i, line) in text.lines().enumerate() {
        let at = line.rfind(",\"hash\":\"").expect("hash is the last member");
        let hash = &line[at + 9..at + 9 + 64];
        assert_eq!(&line[at + 9 + 64..], "\"}");
        let b = format!("{}}}", &line[..at]);
        assert!(
            b.contains(&format!("\"prev\":\"{prev}\"")),
            "line {} links to the one before",
            i + 1
        );
        assert!(
            b.starts_with(&format!("{{\"v\":1,\"seq\":{i},")),
            "line {}",
            i + 1
        );
        assert_eq!(
            sha256(format!("{prev}{b}").as_bytes()),
            hash,
            "line {}",
            i + 1
        );
        prev = hash.to_owned();
    }
    assert_eq!(
        prev,
        "ca5930758ead4f75208c20aee9716d6cfe8dfbc02634f295ca07de8d765e726c"
    );
    let golden = "tests/fixtures/golden/logs/fanpage-2022.jsonl";
    letterpost_in(
        &repo(),
        &["log", "--log", golden, "verify", "--checkpoint", &prev],
    )
    .code(0);
}

/// README's shell check, run as written, on the golden log and on a tampered copy.
#[test]
fn the_readme_shell_check_works_with_nothing_but_sha256sum() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("With nothing\nbut a shell and `sha256sum`:")
        .or_else(|| readme.find("nothing but a shell and `sha256sum`"))
        .expect("README section");
    let block = &readme[start..];
    let code = block
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let golden =
        std::fs::read_to_string(repo().join("tests/fixtures/golden/logs/fanpage-2022.jsonl"))
            .unwrap();
    let run = |log: &str| {
        std::fs::write(dir.path().join("logs/fanpage-2022.jsonl"), log).unwrap();
        let mut bash = std::process::Command::new("bash");
        bash.current_dir(dir.path());
        feed(bash, code).stdout
    };
    assert_eq!(
        run(&golden),
        "checked 7 lines; head ca5930758ead4f75208c20aee9716d6cfe8dfbc02634f295ca07de8d765e726c\n"
    );
    let tampered = golden.replacen("\"row\":3", "\"row\":4", 1);
    assert!(
        run(&tampered).starts_with("line 5: edited"),
        "{}",
        run(&tampered)
    );
}
