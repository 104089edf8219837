use mail_parser::{MessageParser, MimeHeaders};

use crate::support::scripted::{Action, Scripted};
use crate::support::{Campaign, csv, sha256};

#[test]
fn bundled_campaign_dry_run_writes_one_correct_letter_per_organisation() {
    let c = Campaign::bundled();
    let run = c.run(&["send", "--dry-run"]);
    run.code(0).stdout_has("wrote 56 letters");
    let manifest = c.manifest();
    assert_eq!(manifest.len(), 56);
    let csv_rows = c.read("recipients/organisations.csv").lines().count() - 1;
    assert_eq!(manifest.len(), csv_rows, "one letter per CSV row");
    let mut ids = std::collections::HashSet::new();
    for line in &manifest {
        let bytes = std::fs::read(c.path(&format!("outbox/fanpage-2022/{}", line.file))).unwrap();
        assert_eq!(sha256(&bytes), line.sha256, "{}", line.file);
        assert!(
            ids.insert(line.message_id.clone()),
            "Message-IDs are unique"
        );
        let message = MessageParser::default().parse(&bytes).expect("parses");
        assert_eq!(
            message.subject(),
            Some("V/v giới thiệu, quảng bá Fanpage Bình Dương trên mạng xã hội Facebook")
        );
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(
            from.name(),
            Some("Sở Thông tin và Truyền thông tỉnh Bình Dương")
        );
        assert_eq!(from.address(), Some("vanthu@stttt.binhduong.example"));
        let to: Vec<&str> = message
            .to()
            .unwrap()
            .iter()
            .filter_map(|a| a.address())
            .collect();
        assert_eq!(
            to,
            line.to[..to.len()]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        assert_eq!(
            message.message_id(),
            Some(line.message_id.trim_matches(['<', '>']))
        );
        let text = message.body_text(0).unwrap();
        let organisation = message
            .to()
            .unwrap()
            .first()
            .unwrap()
            .name()
            .unwrap()
            .to_owned();
        assert!(
            text.contains(&format!("Kính gửi: {organisation}")),
            "{}",
            line.key
        );
        assert!(text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(text.contains("Độc lập - Tự do - Hạnh phúc"));
        assert!(text.contains("Lê Tuấn Anh"));
        let html = message.body_html(0).unwrap();
        assert!(html.contains("Kính gửi"));
        let attachment = message.attachment(0).expect("the appendix is attached");
        assert_eq!(
            attachment.attachment_name(),
            Some("Phụ lục hướng dẫn truy cập Fanpage Bình Dương.html")
        );
        let appendix = attachment.text_contents().unwrap();
        assert!(appendix.contains("https://www.facebook.com/websitetinhBinhDuong"));
        // A phụ lục names the công văn it goes with, never an addressee.
        assert!(appendix.contains("Kèm theo Công văn số 125/STTTT-TTBCXB ngày 07/12/2026"));
        assert!(!appendix.contains("Gửi:"), "a phụ lục has no Gửi: line");
        for raw in bytes.split(|&b| b == b'\n') {
            assert!(raw.len() <= 999, "no line over 998 octets");
        }
        let bare_lf = bytes
            .windows(2)
            .filter(|w| w[1] == b'\n' && w[0] != b'\r')
            .count();
        assert_eq!(bare_lf, 0, "CRLF line ends only");
        assert!(bytes.is_ascii(), "headers and bodies are 7-bit encoded");
    }
    assert!(
        !c.exists("logs/fanpage-2022.jsonl"),
        "a dry run never writes the delivery log"
    );
}

#[test]
fn dry_run_is_repeatable_and_replaces_the_outbox() {
    let mut c = Campaign::bundled();
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--dry-run"]).code(0);
    let first = c.read("outbox/fanpage-2022/manifest.jsonl");
    c.write(
        "recipients/organisations.csv",
        csv(&["a,Sở A,a@a.example,,"]),
    );
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(
        c.files("outbox/fanpage-2022"),
        ["a.eml", "manifest.jsonl"],
        "the old outbox is replaced"
    );
    c.write(
        "recipients/organisations.csv",
        std::fs::read(crate::support::repo().join("recipients/organisations.csv")).unwrap(),
    );
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(
        c.read("outbox/fanpage-2022/manifest.jsonl"),
        first,
        "same inputs, same Date: same bytes"
    );
}

#[test]
fn csv_values_are_data_not_templates_and_are_escaped_in_html() {
    let c = Campaign::with_csv(&csv(&[
        "script,<script>alert(1)</script>,s@x.example,,",
        "curly,{{ 7*7 }} {% include \"letter.txt\" %},c@x.example,,",
        "amp,\"Phòng Hợp tác, Quốc tế & Dự án\",p@x.example,,",
    ]));
    c.run(&["send", "--dry-run"]).code(0);
    let parse =
        |key: &str| std::fs::read(c.path(&format!("outbox/fanpage-2022/{key}.eml"))).unwrap();
    let bytes = parse("script");
    let m = MessageParser::default().parse(&bytes).unwrap();
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    assert!(
        m.body_text(0)
            .unwrap()
            .contains("Kính gửi: <script>alert(1)</script>"),
        "plain text is not escaped"
    );
    assert_eq!(
        m.to().unwrap().first().unwrap().name(),
        Some("<script>alert(1)</script>")
    );
    let bytes = parse("curly");
    let m = MessageParser::default().parse(&bytes).unwrap();
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("{{ 7*7 }} {% include \"letter.txt\" %}"),
        "template syntax in a value stays literal"
    );
    assert!(!text.contains("49"));
    let bytes = parse("amp");
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        m.to().unwrap().first().unwrap().name(),
        Some("Phòng Hợp tác, Quốc tế & Dự án")
    );
    assert!(m.body_html(0).unwrap().contains("Quốc tế &amp; Dự án"));
}

#[test]
fn vietnamese_in_every_field_survives_and_nfd_input_is_normalised() {
    // "Sở Y tế" typed with combining marks (NFD) in the CSV.
    let nfd = "So\u{31b}\u{309} Y te\u{302}\u{301}";
    let c = Campaign::with_csv(&format!(
        "id,organisation,email,cc,group,ghi_chú\nsở-y-tế,{nfd},vanthu@sởytế.việtnam.example,,Sở ngành,Ghi chú: đã gửi bản giấy\n"
    ));
    c.run(&["send", "--dry-run"]).code(0);
    let manifest = c.manifest();
    assert_eq!(manifest[0].key, "sở-y-tế");
    assert_eq!(
        manifest[0].to,
        ["vanthu@xn--syt-9jz5g.xn--vitnam-jk8b.example"]
    );
    let bytes =
        std::fs::read(c.path(&format!("outbox/fanpage-2022/{}", manifest[0].file))).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().name(), Some("Sở Y tế"));
    assert!(m.body_text(0).unwrap().contains("Kính gửi: Sở Y tế"));
}

#[test]
fn a_failed_dry_run_leaves_the_previous_outbox_as_it_was() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.run(&["send", "--dry-run"]).code(0);
    let before = c.read("outbox/fanpage-2022/manifest.jsonl");
    c.write(
        "recipients/organisations.csv",
        csv(&["a,Sở A,a@a.example,,", "c,Sở C,không-hợp-lệ,,"]),
    );
    c.run(&["send", "--dry-run"]).code(2);
    assert_eq!(
        c.files("outbox/fanpage-2022"),
        ["a.eml", "b.eml", "manifest.jsonl"]
    );
    assert_eq!(c.read("outbox/fanpage-2022/manifest.jsonl"), before);
    assert_eq!(
        c.files("outbox"),
        ["fanpage-2022"],
        "no staging folder is left behind"
    );
}

/// README: a dry run "never opens a network connection" (and ARCHITECTURE: nor do `check` and
/// `preview`). The campaign is pointed at a listening SMTP server that counts connections, as a
/// real send would be. Afterwards the test connects itself and reads the greeting: the server
/// counts connections in the order it accepts them, so once the greeting arrived every earlier
/// connection has been counted, and the count must be exactly this one.
#[test]
fn a_dry_run_check_and_preview_never_connect_to_the_relay() {
    use std::io::{BufRead, BufReader};
    use std::sync::atomic::Ordering;
    let server = Scripted::start(|_| Action::Default);
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.relay(server.port);
    c.run(&["check"]).code(0);
    c.run(&["preview", "a"]).code(0);
    c.run(&["send", "--dry-run"])
        .code(0)
        .stdout_has("wrote 2 letters");
    assert_eq!(c.manifest().len(), 2);
    assert!(
        !c.exists("logs/fanpage-2022.jsonl"),
        "a dry run writes no delivery log"
    );

    let probe = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut greeting = String::new();
    BufReader::new(probe).read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "only the test's own connection reached the relay"
    );
}
