//! The three promises under a clerk's ordinary mistakes: a letter is never sent twice, `check`
//! passing means the send will not stop on the input, and the log records exactly what was sent.

use std::collections::HashMap;

use mail_parser::MessageParser;

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Record, Terminal, csv, ports};

/// How many messages each envelope address received.
fn deliveries(server: &SmtpServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in server.received() {
        for to in m.to {
            *counts.entry(to.to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

fn accepted(log: &[Record]) -> Vec<String> {
    log.iter()
        .filter(|r| r.kind == "accepted")
        .map(|r| r.key.clone().unwrap())
        .collect()
}

fn first_line(c: &Campaign) -> String {
    c.read("recipients/organisations.csv")
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

/// Replaces the header line of the list.
fn set_header(c: &Campaign, header: &str) {
    let text = c.read("recipients/organisations.csv");
    let (_, rest) = text.split_once('\n').unwrap();
    c.write("recipients/organisations.csv", format!("{header}\n{rest}"));
}

#[test]
fn a_renamed_or_doubled_bom_id_header_never_resends() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::bundled();
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "3"]).code(1);
    assert_eq!(accepted(&c.log()), ["mttq-tinh", "tinh-doan", "hoi-lhpn"]);
    assert_eq!(c.log()[0].key_source.as_deref(), Some("id"));

    // What a spreadsheet does to a header: another case, spaces, a second byte-order mark.
    set_header(&c, &first_line(&c).replacen("id,", "ID ,", 1));
    c.run(&["send", "--yes", "--limit", "3"]).code(1);
    let mut header = String::from("\u{feff}\u{feff}");
    header.push_str(&first_line(&c).replacen("ID ,", "Id,", 1));
    set_header(&c, &header);
    c.run(&["send", "--yes", "--limit", "3"])
        .code(1)
        .stdout_has("9 of 56 recipients accepted");

    let keys = accepted(&c.log());
    assert_eq!(keys.len(), 9);
    assert_eq!(keys[3..6], ["hoi-nong-dan", "hoi-ccb", "ldld-tinh"]);
    assert!(deliveries(&server).values().all(|&n| n == 1));
    assert_eq!(server.received().len(), 9);
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_deleted_id_column_stops_before_sending_and_names_both_key_sources() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "2"]).code(1);
    c.write(
        "recipients/organisations.csv",
        "organisation,email\nSở A,a@a.example\nSở B,b@b.example\nSở C,c@c.example\n",
    );
    for args in [
        &["send", "--yes"][..],
        &["send", "--yes", "--only", "c@c.example"],
    ] {
        c.run(args)
            .code(2)
            .stderr_has("the delivery log knows each organisation by the column `id`")
            .stderr_has("so each row's key would be its first address")
            .stderr_has("nothing was sent")
            .stderr_has("put the column `id` back");
    }
    assert_eq!(server.received().len(), 2);
    assert!(
        c.log()
            .iter()
            .all(|r| r.kind != "attempt" || r.run == c.log()[1].run)
    );
}

#[test]
fn a_list_without_ids_stops_when_an_id_column_appears() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv("organisation,email\nSở A,a@a.example\nSở B,b@b.example\n");
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "1"]).code(1);
    assert_eq!(c.log()[0].key_source.as_deref(), Some("first address"));
    c.write(
        "recipients/organisations.csv",
        "Mã,organisation,email\nA,Sở A,a@a.example\nB,Sở B,b@b.example\n",
    );
    c.write(
        "campaign.toml",
        c.read("campaign.toml") + "\n[recipients.columns]\nid = \"Mã\"\n",
    );
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("by each row's first address")
        .stderr_has("takes its keys from the column `Mã`");
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_letter_to_an_address_accepted_under_another_key_is_refused_unless_named() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,vanphong@tinh.example,",
        "b,Sở B,b@b.example,vanphong@tinh.example,",
        "c,Sở C,c@c.example,vanphong@tinh.example,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "1"]).code(1);
    // A Cc every row shares says nothing about who a row is: b and c still go.
    c.run(&["send", "--yes", "--only", "b"]).code(0);
    // The clerk "corrects" a's key: a2 is the organisation that already has the letter.
    c.write(
        "recipients/organisations.csv",
        csv(&[
            "a2,Sở A,A@a.example,vanphong@tinh.example,",
            "b,Sở B,b@b.example,vanphong@tinh.example,",
            "c,Sở C,c@c.example,vanphong@tinh.example,",
        ]),
    );
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("1 letter would go to an address that already has this campaign's letter")
        .stderr_has("line 2 (key `a2`): a@a.example already accepted the letter under the key `a`")
        .stderr_has("give it back its old key")
        .stderr_has("`letterpost send --only KEY`");
    assert_eq!(server.received().len(), 2, "neither a2 nor c was sent");
    // Named on purpose, it goes.
    c.run(&["send", "--yes", "--only", "a2"]).code(0);
    assert_eq!(server.received().len(), 3);
}

#[test]
fn an_outlook_address_with_a_comma_in_its_name_is_one_address() {
    let c = Campaign::with_csv(&csv(&[
        r#"a,Sở A,"""Nguyễn, Văn A"" <a@a.example>; ""Phòng; Tổ chức"" <to-chuc@a.example>",,"#,
    ]));
    c.run(&["check"]).code(0);
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(c.manifest()[0].to, ["a@a.example", "to-chuc@a.example"]);
}

#[test]
fn a_quoted_local_part_is_refused_by_check_with_its_line() {
    let c = Campaign::bundled();
    let text = c.read("recipients/organisations.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[40] = lines[40].replacen(",vanthu@", r#","""van thu""@"#, 1);
    c.write("recipients/organisations.csv", lines.join("\n") + "\n");
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:41: column `email`: `\"van thu\"@")
        .stderr_has("write the address without quotes");
}

#[test]
fn a_long_vietnamese_id_gets_a_short_readable_file_name_and_is_sent() {
    let server = SmtpServer::start(Script::default());
    let id = "Ủy-ban-nhân-dân-thành-phố-Thủ-Dầu-Một-tỉnh-Bình-Dương-phòng-văn-hóa-thông-tin-số-1";
    assert!(id.chars().count() >= 81);
    let mut c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        &format!("{id},Sở B,b@b.example,,"),
    ]));
    c.relay(server.port);
    c.run(&["check"]).code(0);
    c.run(&["send", "--dry-run"]).code(0);
    let file = &c.manifest()[1].file;
    assert!(file.len() <= 100, "{file}");
    assert!(
        file.starts_with("Uy-ban-nhan-dan-thanh-pho-Thu-Dau-Mot-ti~"),
        "{file}"
    );
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    let archive = log
        .iter()
        .find(|r| r.kind == "accepted" && r.key.as_deref() == Some(id))
        .and_then(|r| r.archive.clone())
        .expect("accepted");
    assert!(c.exists(&archive));
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn many_cc_addresses_are_folded_one_per_line() {
    let cc: Vec<String> = (0..1000)
        .map(|i| format!("phong-ban-so-{i:04}@co-quan-rat-dai.example"))
        .collect();
    let c = Campaign::with_csv(&csv(&[&format!("a,Sở A,a@a.example,{},", cc.join("; "))]));
    c.run(&["check"]).code(0);
    c.run(&["send", "--dry-run"]).code(0);
    let eml = std::fs::read(c.path("outbox/fanpage-2022/a.eml")).unwrap();
    let longest = eml.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap();
    assert!(longest <= 999, "a line of {longest} octets");
    let m = MessageParser::default().parse(&eml).unwrap();
    let parsed: Vec<&str> = m.cc().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(parsed, cc);
}

#[test]
fn an_edit_made_at_the_prompt_stops_the_run_before_anything_is_sent() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.relay(server.port);
    let mut terminal = Terminal::start(&c, "send");
    terminal.wait_for("Type yes to send");
    c.write(
        "recipients/organisations.csv",
        csv(&["a,Sở A,a@a.example,,", "b,Sở B,khac@b.example,,"]),
    );
    terminal.type_keys("yes\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 3, "{screen}");
    assert!(
        screen.contains(
            "recipients/organisations.csv changed after it was checked; nothing was sent"
        ),
        "{screen}"
    );
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

#[test]
fn the_summary_states_the_whole_campaign_after_a_retry_of_one() {
    let mut script = Script::default();
    for bad in [
        "vanthu@soyte.binhduong.example",
        "vanthu@stp.binhduong.example",
    ] {
        script
            .rcpt
            .insert(bad.into(), (550, "5.1.1 no such user".into()));
    }
    let server = SmtpServer::start(script);
    let mut c = Campaign::bundled();
    c.relay(server.port);
    c.run(&["send", "--yes"])
        .code(1)
        .stdout_has("54 of 56 recipients accepted, 2 not accepted, 0 not sent yet");
    server.script.lock().unwrap().rcpt.clear();
    c.run(&["send", "--yes", "--retry-failed", "--only", "so-y-te"])
        .code(0)
        .stdout_has("55 of 56 recipients accepted, 1 not accepted, 0 not sent yet")
        .stdout_has("This run: 1 accepted, 0 rejected, 0 deferred, 0 unknown.")
        .stdout_has("so-tu-phap (line");
}

#[test]
fn a_stopped_test_send_resumes_exactly_its_own_selection() {
    let down = ports::refused();
    let mut c = Campaign::bundled();
    c.relay(down.port);
    c.run(&[
        "send",
        "--yes",
        "--redirect-to",
        "me@example.org",
        "--limit",
        "2",
    ])
    .code(3)
    .stderr_has(
        "To resume, run: letterpost send --redirect-to me@example.org --only mttq-tinh tinh-doan \
             --concurrency 1 --rate unlimited",
    );
    // Run as printed, the command is read back into the same options: the run records exactly
    // those flags, and stopping again it prints the same command.
    let flags = "--redirect-to me@example.org --only mttq-tinh tinh-doan --concurrency 1 \
                 --rate unlimited";
    let mut again: Vec<&str> = flags.split(' ').collect();
    again.splice(0..0, ["send", "--yes"]);
    c.run(&again)
        .code(3)
        .stderr_has(&format!("To resume, run: letterpost send {flags}"));
    let recorded: Vec<String> = c
        .log()
        .into_iter()
        .filter(|r| r.kind == "run_started")
        .filter_map(|r| r.options)
        .collect();
    assert_eq!(
        recorded.last().map(String::as_str),
        Some(flags),
        "{recorded:?}"
    );
}

#[test]
fn line_numbers_match_an_editor_whatever_the_line_ends() {
    for end in ["\n", "\r\n", "\r"] {
        let rows = [
            "id,organisation,email,cc,group",
            "a,\"Sở A,\nhai dòng\",a@a.example,,",
            "b,Sở B,b@b.example,,",
            "c,Sở C,sai,,",
        ];
        let c = Campaign::with_csv(&(rows.join(end) + end));
        c.run(&["check"]).code(2).stderr_has(
            "recipients/organisations.csv:5: column `email`: `sai` is not an email address",
        );
    }
}

#[test]
fn a_header_of_many_columns_is_checked_at_once() {
    let mut header = String::from("id,organisation,email");
    for i in 0..200_000 {
        header.push_str(&format!(",c{i}"));
    }
    header.push_str(",C7");
    let c = Campaign::with_csv(&format!("{header}\n"));
    c.run(&["check"])
        .code(2)
        .stderr_has("the same column twice: `c7` and `C7` (columns 11 and 200004");
}

#[test]
fn an_oversized_cell_is_refused_with_its_place() {
    let big = "x".repeat(100 * 1024);
    let c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        &format!("b,Sở B,b@b.example,,{big}"),
    ]));
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:3: column `group`: this cell holds 100 KiB of text; a cell may hold at most 64 KiB");
}

#[test]
fn a_fifo_is_read_once_and_whole() {
    let c = Campaign::with_csv("");
    let fifo = c.path("recipients/list.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(
                fifo,
                csv(&[
                    "mot-khoa-rat-dai-de-vuot-qua-64-byte-dau-tien,Sở A,a@a.example,,",
                    "b,Sở B,b@b.example,,",
                ]),
            )
            .unwrap();
        })
    };
    c.run(&["--recipients", "recipients/list.fifo", "send", "--dry-run"])
        .code(0);
    writer.join().unwrap();
    let keys: Vec<String> = c.manifest().into_iter().map(|l| l.key).collect();
    assert_eq!(keys, ["mot-khoa-rat-dai-de-vuot-qua-64-byte-dau-tien", "b"]);
}

#[test]
fn an_endless_device_is_refused_not_read_forever() {
    let c = Campaign::bundled();
    c.run(&["--recipients", "/dev/zero", "check"])
        .code(2)
        .stderr_has("the file is larger than 256 MiB");
}

#[test]
fn a_utf8_list_labelled_windows_1258_is_refused_with_the_fix() {
    let mut c = Campaign::bundled();
    c.set_toml("recipients", "encoding", r#""windows-1258""#);
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:2: the file is UTF-8 text, but campaign.toml says `encoding = \"windows-1258\"`")
        .stderr_has("Remove the `encoding` line");
}

#[test]
fn source_date_epoch_out_of_range_is_refused_and_a_send_records_it() {
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,"]));
    c.env("SOURCE_DATE_EPOCH", "99999999999999999");
    c.run(&["send", "--dry-run"]).code(2).stderr_has(
        "SOURCE_DATE_EPOCH `99999999999999999` is not a date letterpost can put on a letter",
    );
    let server = SmtpServer::start(Script::default());
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--yes"]).code(0).stderr_has(
        "note: SOURCE_DATE_EPOCH is set: every letter is dated 2023-11-14T22:13:20.000Z",
    );
    assert_eq!(c.log()[0].source_date_epoch, Some(1_700_000_000));
    let received = server.received();
    let m = MessageParser::default().parse(&received[0].data).unwrap();
    assert_eq!(m.date().unwrap().to_timestamp(), 1_700_000_000);
}

mod property {
    use proptest::prelude::*;

    use super::*;

    /// What a spreadsheet or a clerk may do to the header between two runs.
    #[derive(Debug, Clone)]
    enum Edit {
        /// Each header in upper, lower or title case, with spaces around it.
        Case { upper: Vec<bool>, spaces: bool },
        /// One or two byte-order marks before the first header.
        Boms(usize),
        /// The `id` column deleted.
        DeleteId,
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (prop::collection::vec(any::<bool>(), 5), any::<bool>())
                .prop_map(|(upper, spaces)| Edit::Case { upper, spaces }),
            (1usize..=2).prop_map(Edit::Boms),
            Just(Edit::DeleteId),
        ]
    }

    fn list(edit: Option<&Edit>) -> String {
        let names = ["id", "organisation", "email", "cc", "group"];
        let rows = (1..=4).map(|i| {
            vec![
                format!("org-{i}"),
                format!("Cơ quan {i}"),
                format!("vanthu{i}@co-quan.example"),
                "vanphong@tinh.example".to_owned(),
                "nhóm".to_owned(),
            ]
        });
        let mut header: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut rows: Vec<Vec<String>> = rows.collect();
        let mut prefix = String::new();
        match edit {
            None => {}
            Some(Edit::Case { upper, spaces }) => {
                for (h, up) in header.iter_mut().zip(upper) {
                    *h = if *up {
                        h.to_uppercase()
                    } else {
                        h.to_lowercase()
                    };
                    if *spaces {
                        *h = format!(" {h} ");
                    }
                }
            }
            Some(Edit::Boms(n)) => prefix = "\u{feff}".repeat(*n),
            Some(Edit::DeleteId) => {
                header.remove(0);
                for row in &mut rows {
                    row.remove(0);
                }
            }
        }
        let mut text = prefix + &header.join(",") + "\n";
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever is done to the header between two runs, no address receives two letters.
        #[test]
        fn no_address_receives_two_accepted_letters(first in 1usize..=4, edit in edit()) {
            let server = SmtpServer::start(Script::default());
            let mut c = Campaign::with_csv(&list(None));
            c.relay(server.port);
            let limit = first.to_string();
            c.run(&["send", "--yes", "--limit", &limit]);
            c.write("recipients/organisations.csv", list(Some(&edit)));
            let second = c.run(&["send", "--yes"]);
            prop_assert!([0, 1, 2].contains(&second.code), "{second:?}");
            let counts = deliveries(&server);
            for (address, n) in &counts {
                if address != "vanphong@tinh.example" {
                    prop_assert_eq!(*n, 1, "{} got {} letters", address, n);
                }
            }
            let log = c.log();
            let mut accepted_to: HashMap<String, usize> = HashMap::new();
            for r in log.iter().filter(|r| r.kind == "accepted") {
                let first = r.to.as_ref().unwrap()[0].to_lowercase();
                *accepted_to.entry(first).or_default() += 1;
            }
            prop_assert!(accepted_to.values().all(|&n| n == 1), "{:?}", accepted_to);
        }
    }
}
