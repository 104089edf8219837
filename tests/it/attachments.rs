//! `[[attachments]]` and `[document]`: files attached in order with their names and types, read
//! once and hashed into the log, refused when missing, empty, changed, too large or not the PDF
//! they claim to be; and a `[document]` still a placeholder stops a real send.

use mail_parser::{MessageParser, MimeHeaders};

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Terminal, csv, sha256};

/// Two organisations, `a` (line 2) and `b` (line 3), with these `[[attachments]]` tables.
fn campaign(attachments: &str) -> Campaign {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    let toml = c.read("campaign.toml");
    c.write("campaign.toml", format!("{toml}\n{attachments}"));
    c
}

/// The two organisations, with `[document]` saying this number and date.
fn document(number: &str, date: &str) -> Campaign {
    let mut c = campaign("");
    c.set_toml("document", "number", &format!("{number:?}"));
    c.set_toml("document", "date", &format!("{date:?}"));
    c
}

const SHARED_AND_PER_ROW: &str = r#"
[[attachments]]
file = "dinh-kem/cong-van-125.pdf"
name = "Công văn 125-STTTT-TTBCXB.pdf"

[[attachments]]
file = "dinh-kem/{{ id }}.xlsx"
"#;

/// A small PDF, with a signature dictionary (`/Type /Sig`) naming `signer` when given.
fn pdf(signer: Option<&str>) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [] /Count 0 >>".to_owned(),
    ];
    if let Some(signer) = signer {
        let utf16: String = std::iter::once(0xFEFFu16)
            .chain(signer.encode_utf16())
            .map(|u| format!("{u:04X}"))
            .collect();
        objects.push(format!(
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached \
             /Name <{utf16}> /M (D:20261207093000+07'00') /ByteRange [0 0 0 0] /Contents <00> >>"
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

/// The same-for-all PDF and one workbook per organisation, each different.
fn write_files(c: &Campaign) {
    c.write("dinh-kem/cong-van-125.pdf", pdf(Some("Nguyễn Văn A")));
    c.write("dinh-kem/a.xlsx", b"PK\x03\x04 bang tinh cua A\r\n\x00\xff");
    c.write("dinh-kem/b.xlsx", b"PK\x03\x04 bang tinh cua B");
}

#[test]
fn a_file_for_all_and_a_file_per_row_go_in_order_with_their_names_and_types() {
    let c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.run(&["send", "--dry-run"]).code(0);
    let eml = std::fs::read(c.path("outbox/fanpage-2022/a.eml")).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    let parts: Vec<(String, String, Vec<u8>)> = m
        .attachments()
        .map(|a| {
            let ct = a.content_type().unwrap();
            let mime = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
            (
                a.attachment_name().unwrap().to_owned(),
                mime,
                a.contents().to_vec(),
            )
        })
        .collect();
    let names: Vec<(&str, &str)> = parts
        .iter()
        .map(|(n, t, _)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "Phụ lục hướng dẫn truy cập Fanpage Bình Dương.html",
                "text/html"
            ),
            ("Công văn 125-STTTT-TTBCXB.pdf", "application/pdf"),
            (
                "a.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        ]
    );
    assert_eq!(parts[1].2, pdf(Some("Nguyễn Văn A")));
    assert_eq!(parts[2].2, b"PK\x03\x04 bang tinh cua A\r\n\x00\xff");
    let b = std::fs::read(c.path("outbox/fanpage-2022/b.eml")).unwrap();
    let m = MessageParser::default().parse(&b).unwrap();
    assert_eq!(
        m.attachment(2).unwrap().contents(),
        b"PK\x03\x04 bang tinh cua B"
    );
}

#[test]
fn a_vietnamese_file_name_is_written_both_as_filename_star_and_as_name() {
    let c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.run(&["send", "--dry-run"]).code(0);
    let eml = c.read("outbox/fanpage-2022/a.eml");
    // The appendix and the công văn: RFC 2231 pieces on Content-Disposition, and an RFC 2047
    // name= on Content-Type for Outlook.
    assert_eq!(eml.matches("filename*0*=utf-8''").count(), 2, "{eml}");
    assert_eq!(eml.matches("name=\"=?utf-8?b?").count(), 2, "{eml}");
    assert!(eml.contains("name=\"a.xlsx\""), "{eml}");
    // The name= form alone decodes to the name (a reader that ignores filename*).
    let without_disposition: String = eml
        .replace("Content-Disposition: attachment;", "X-Removed: x;")
        .replace("filename*", "x-filename*");
    let m = MessageParser::default()
        .parse(without_disposition.as_bytes())
        .unwrap();
    assert_eq!(
        m.attachment(1).unwrap().attachment_name(),
        Some("Công văn 125-STTTT-TTBCXB.pdf")
    );
    // The appendix's name is long enough to be folded into two encoded words.
    assert_eq!(
        m.attachment(0).unwrap().attachment_name(),
        Some("Phụ lục hướng dẫn truy cập Fanpage Bình Dương.html")
    );
}

#[test]
fn a_missing_file_of_one_row_is_named_by_its_line_and_path_and_nothing_is_sent() {
    let server = SmtpServer::start(Script::default());
    let mut c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    std::fs::remove_file(c.path("dinh-kem/b.xlsx")).unwrap();
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:3: attachment dinh-kem/b.xlsx does not exist");
    c.relay(server.port);
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("dinh-kem/b.xlsx does not exist");
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

#[test]
fn an_empty_file_is_refused() {
    let c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.write("dinh-kem/a.xlsx", b"");
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:2: attachment dinh-kem/a.xlsx is empty");
    c.run(&["send", "--dry-run"]).code(2);
    assert!(!c.exists("outbox/fanpage-2022/a.eml"));
}

#[test]
fn a_file_changed_between_the_check_and_the_first_letter_stops_the_run() {
    let server = SmtpServer::start(Script::default());
    let mut c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.relay(server.port);
    let mut terminal = Terminal::start(&c, "send");
    terminal.wait_for("Type yes to send");
    c.write("dinh-kem/cong-van-125.pdf", pdf(Some("Người khác")));
    terminal.type_keys("yes\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 3, "{screen}");
    assert!(
        screen.contains("dinh-kem/cong-van-125.pdf changed after it was checked; nothing was sent"),
        "{screen}"
    );
    assert!(server.received().is_empty());
}

#[test]
fn the_recorded_hashes_are_those_of_the_attachments_in_the_archived_messages() {
    let server = SmtpServer::start(Script::default());
    let mut c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    let started = &log[0];
    let shared = started
        .attachments
        .as_ref()
        .expect("run_started lists them");
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["file"], "dinh-kem/cong-van-125.pdf");
    assert_eq!(shared[0]["name"], "Công văn 125-STTTT-TTBCXB.pdf");
    for attempt in log.iter().filter(|r| r.kind == "attempt") {
        let archived = std::fs::read(c.path(attempt.archive.as_ref().unwrap())).unwrap();
        assert_eq!(sha256(&archived), *attempt.sha256.as_ref().unwrap());
        let m = MessageParser::default().parse(&archived).unwrap();
        assert_eq!(
            shared[0]["sha256"].as_str().unwrap(),
            sha256(m.attachment(1).unwrap().contents())
        );
        let own = attempt
            .attachments
            .as_ref()
            .expect("the attempt lists its own");
        assert_eq!(own.len(), 1);
        let key = attempt.key.as_deref().unwrap();
        assert_eq!(own[0]["file"], format!("dinh-kem/{key}.xlsx"));
        assert_eq!(
            own[0]["sha256"].as_str().unwrap(),
            sha256(m.attachment(2).unwrap().contents())
        );
    }
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_message_over_max_message_size_is_refused_by_check() {
    let mut c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.write("dinh-kem/b.xlsx", vec![7u8; 40_000]);
    c.set_toml("sending", "max_message_size", "30000");
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:3: the message is ")
        .stderr_has("more than [sending] max_message_size (30000 bytes)");
    c.set_toml("sending", "max_message_size", "100000");
    c.run(&["check"]).code(0);
}

#[test]
fn a_letter_larger_than_the_relays_size_is_not_sent_and_recorded_rejected() {
    let mails = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = mails.clone();
    let server = Scripted::start(move |event| match event {
        Event::Command(c) if c.starts_with("EHLO") => {
            Action::Reply("250-scripted.test\r\n250-8BITMIME\r\n250 SIZE 100000".to_owned())
        }
        Event::Command(c) if c.starts_with("MAIL") => {
            seen.lock().unwrap().push(c.clone());
            Action::Default
        }
        _ => Action::Default,
    });
    let mut c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.write("dinh-kem/b.xlsx", vec![7u8; 150_000]);
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(1);
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "only a's letter is sent");
    // The relay is told the size (RFC 1870), and b's letter never reached MAIL FROM.
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let log = c.log();
    let a = log
        .iter()
        .find(|r| r.kind == "accepted")
        .expect("a accepted");
    let archived = std::fs::read(c.path(a.archive.as_ref().unwrap())).unwrap();
    assert!(
        mails[0].ends_with(&format!(" SIZE={}", archived.len())),
        "{mails:?}"
    );
    let log = c.log();
    let b = log
        .iter()
        .find(|r| r.kind == "rejected" && r.key.as_deref() == Some("b"))
        .expect("b rejected");
    let error = b.error.as_deref().unwrap();
    assert!(
        error.contains("larger than the 100000 bytes the relay accepts"),
        "{error}"
    );
    assert!(
        log.iter()
            .any(|r| r.kind == "accepted" && r.key.as_deref() == Some("a"))
    );
}

#[test]
fn check_lists_a_pdfs_signatures_and_refuses_a_damaged_one_or_one_that_is_not_a_pdf() {
    let c = campaign(SHARED_AND_PER_ROW);
    write_files(&c);
    c.run(&["check"]).code(0).stdout_has(
        "dinh-kem/cong-van-125.pdf: signed by Nguyễn Văn A at 07/12/2026 09:30:00 +07:00",
    );
    c.write("dinh-kem/cong-van-125.pdf", pdf(None));
    c.run(&["check"])
        .code(0)
        .stdout_has("dinh-kem/cong-van-125.pdf: no signature");
    let mut damaged = pdf(Some("Nguyễn Văn A"));
    damaged.truncate(40);
    c.write("dinh-kem/cong-van-125.pdf", damaged);
    c.run(&["check"]).code(2).stderr_has(
        "campaign.toml [[attachments]] 1 file: attachment dinh-kem/cong-van-125.pdf is a damaged PDF",
    );
    c.write("dinh-kem/cong-van-125.pdf", b"<html>not a pdf</html>");
    c.run(&["check"])
        .code(2)
        .stderr_has("attachment dinh-kem/cong-van-125.pdf is not a PDF");
}

#[test]
fn document_number_and_date_reach_the_templates_in_parts() {
    let mut c = document("125/STTTT-TTBCXB", "07/12/2026");
    c.set_toml(
        "campaign",
        "subject",
        r#""Số {{ document.number }}, ngày {{ document.day }} tháng {{ document.month }} năm {{ document.year }} ({{ document.date }})""#,
    );
    c.run(&["send", "--dry-run"]).code(0);
    let eml = std::fs::read(c.path("outbox/fanpage-2022/a.eml")).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(
        m.subject(),
        Some("Số 125/STTTT-TTBCXB, ngày 07 tháng 12 năm 2026 (07/12/2026)")
    );
}

#[test]
fn a_document_date_that_is_not_a_real_date_names_campaign_toml_and_the_key() {
    let c = document("125/STTTT-TTBCXB", "31/02/2026");
    c.run(&["check"])
        .code(2)
        .stderr_has("campaign.toml: [document] date `31/02/2026` is not a real date");
}

#[test]
fn a_placeholder_document_stops_a_real_send_and_only_warns_a_dry_run() {
    let server = SmtpServer::start(Script::default());
    let mut c = document("      /STTTT-TTBCXB", "dd/mm/yyyy");
    c.relay(server.port);
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("[document] number, date is still empty or a placeholder");
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
    c.env("LETTERPOST_LANG", "vi");
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("[document] number, date vẫn còn trống hoặc chưa điền");
    c.env("LETTERPOST_LANG", "en");
    c.run(&["send", "--dry-run"]).code(0).stderr_has(
        "warning: campaign.toml: [document] number, date is still empty or a placeholder",
    );
    c.run(&["send", "--yes", "--redirect-to", "thu@test.example"])
        .code(0)
        .stderr_has("a real send will refuse it");
    assert_eq!(server.received().len(), 2, "the test send went");
}
