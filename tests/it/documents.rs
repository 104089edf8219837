//! The official document: the bundled campaign's công văn and phụ lục typeset as PDF, read back
//! with poppler-utils (never with letterpost's reader): A4, every font embedded, the decree's
//! sizes and margins, the text in NFC, no value ever becoming markup, the same bytes twice, and
//! the hashes the log records equal to the bytes each organisation received.

use mail_parser::{MessageParser, MimeHeaders};
use unicode_normalization::UnicodeNormalization;

use crate::support::pdf::{self, run_with};
use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, csv, sha256};

/// The campaign as shipped, with this recipient list.
fn official_with_csv(list: &str) -> Campaign {
    let c = Campaign::official();
    c.write("recipients/organisations.csv", list);
    c
}

const CONG_VAN: &str = "Công văn 125-STTTT-TTBCXB.pdf";
const PHU_LUC: &str = "Phụ lục Công văn 125-STTTT-TTBCXB.pdf";

/// A dry run of `c` with the date fixed.
fn dry_run(c: &mut Campaign) {
    c.env("SOURCE_DATE_EPOCH", "1765065600");
    c.run(&["send", "--dry-run"]).code(0);
}

/// The attachments of a message: (file name, MIME type, bytes), in order.
fn attachments(eml: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let m = MessageParser::default().parse(eml).expect("parses");
    m.attachments()
        .map(|a| {
            let ct = a.content_type().expect("a type");
            let mime = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
            (
                a.attachment_name().unwrap_or("").to_owned(),
                mime,
                a.contents().to_vec(),
            )
        })
        .collect()
}

#[test]
fn the_bundled_campaign_is_a_covering_note_with_the_cong_van_and_phu_luc_as_pdfs() {
    let mut c = Campaign::official();
    dry_run(&mut c);
    let outbox = "outbox/fanpage-2022";
    let eml = std::fs::read(c.path(&format!("{outbox}/mttq-tinh.eml"))).unwrap();
    let m = MessageParser::default().parse(&eml[..]).unwrap();
    assert_eq!(
        m.subject().unwrap(),
        "Công văn số 125/STTTT-TTBCXB V/v giới thiệu, quảng bá Fanpage Bình Dương trên mạng xã hội Facebook"
    );
    let note = m.body_text(0).unwrap();
    assert!(note.contains("Công văn số 125/STTTT-TTBCXB"), "{note}");
    assert!(note.contains("Kính gửi: Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Bình Dương"));
    let parts = attachments(&eml);
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, [CONG_VAN, PHU_LUC]);
    assert!(parts.iter().all(|p| p.1 == "application/pdf"), "{parts:?}");
    // The documents beside the message are the bytes in it, named in the manifest.
    let line = c
        .manifest()
        .into_iter()
        .find(|l| l.key == "mttq-tinh")
        .unwrap();
    assert_eq!(
        line.documents,
        [
            format!("mttq-tinh.{CONG_VAN}"),
            format!("mttq-tinh.{PHU_LUC}")
        ]
    );
    for (name, _, bytes) in &parts {
        let beside = std::fs::read(c.path(&format!("{outbox}/mttq-tinh.{name}"))).unwrap();
        assert_eq!(&beside, bytes, "{name}");
    }
    let cong_van = c.path(&format!("{outbox}/mttq-tinh.{CONG_VAN}"));
    let phu_luc = c.path(&format!("{outbox}/mttq-tinh.{PHU_LUC}"));
    for file in [&cong_van, &phu_luc] {
        assert!(pdf::field(file, "Page size").ends_with("(A4)"), "{file:?}");
        let fonts = pdf::fonts(file);
        assert!(!fonts.is_empty());
        assert!(fonts.iter().all(|(_, embedded)| *embedded), "{fonts:?}");
    }
    let text = pdf::text(&cong_van);
    assert_eq!(
        text,
        text.nfc().collect::<String>(),
        "the text extracts in NFC"
    );
    for needed in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 125/STTTT-TTBCXB",
        "Bình Dương, ngày 07 tháng 12 năm 2026",
        "Kính gửi: Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Bình Dương",
        "./.",
        "Nơi nhận:",
        "Lê Tuấn Anh",
    ] {
        assert!(text.contains(needed), "{needed:?} not in:\n{text}");
    }
    let appendix = pdf::text(&phu_luc);
    assert!(appendix.starts_with("Phụ lục"), "{appendix}");
    assert!(appendix.contains("(Kèm theo Công văn số 125/STTTT-TTBCXB ngày 07/12/2026"));
    assert!(!appendix.contains("Gửi:"), "a phụ lục names no addressee");
    // The phụ lục is the same file for everyone; the công văn is each organisation's own.
    let other = std::fs::read(c.path(&format!("{outbox}/tinh-doan.eml"))).unwrap();
    let theirs = attachments(&other);
    assert_eq!(theirs[1].2, parts[1].2);
    assert_ne!(theirs[0].2, parts[0].2);
    assert!(
        pdf::text(&c.path(&format!("{outbox}/tinh-doan.{CONG_VAN}")))
            .contains("Kính gửi: Tỉnh Đoàn Bình Dương")
    );
}

#[test]
fn the_cong_van_has_the_decrees_page_sizes_and_margins() {
    let mut c = Campaign::official();
    dry_run(&mut c);
    let file = c.path(&format!("outbox/fanpage-2022/mttq-tinh.{CONG_VAN}"));
    let runs = pdf::runs(&file);
    let check = |needle: &str, size: f64, bold: bool, italic: bool| {
        let run = run_with(&runs, needle);
        assert_eq!(
            (run.size, run.bold, run.italic),
            (size, bold, italic),
            "{needle:?}: {run:?}"
        );
    };
    // Quốc hiệu 12–13 pt bold capitals; tiêu ngữ 13–14 pt bold.
    check("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13.0, true, false);
    check("Độc lập - Tự do - Hạnh phúc", 14.0, true, false);
    check("Số: 125/STTTT-TTBCXB", 13.0, false, false);
    check("V/v giới thiệu", 12.0, false, false);
    check("Bình Dương, ngày 07 tháng 12 năm 2026", 14.0, false, true);
    // The body 13–14 pt.
    check("Ngày 15/8/2019", 14.0, false, false);
    // Nơi nhận: the label 12 pt bold italic, the entries 11 pt.
    check("Nơi nhận:", 12.0, true, true);
    check("Như trên;", 11.0, false, false);
    // The title and the signer 13–14 pt bold.
    check("GIÁM ĐỐC", 14.0, true, false);
    check("Lê Tuấn Anh", 14.0, true, false);
    // Margins: left 30–35 mm, right 15–20 mm, top and bottom 20–25 mm (A4 is 595.3 × 841.9 pt;
    // 1 mm is 2.835 pt), measured on the words' own boxes.
    let mm = 72.0 / 25.4;
    let words = pdf::words(&file);
    let left = words.iter().map(|w| w.0).fold(f64::MAX, f64::min);
    let top = words.iter().map(|w| w.1).fold(f64::MAX, f64::min);
    let right = words.iter().map(|w| w.2).fold(0.0, f64::max);
    let bottom = words.iter().map(|w| w.3).fold(0.0, f64::max);
    assert!((30.0 * mm - 0.5..=35.0 * mm).contains(&left), "left {left}");
    assert!(
        (595.3 - 20.0 * mm..=595.3 - 15.0 * mm + 0.5).contains(&right),
        "right {right}"
    );
    // A word's box starts at its accents, a little above the line.
    assert!(
        (20.0 * mm - 1.5..=25.0 * mm + 5.0).contains(&top),
        "top {top}"
    );
    assert!(bottom <= 841.9 - 20.0 * mm + 0.5, "bottom {bottom}");
}

#[test]
fn an_organisation_named_like_typst_markup_appears_literally() {
    let name = r"#set page(width: 1cm) *đậm* $x$ \ ]";
    let mut c = official_with_csv(&csv(&[&format!(
        "hostile,\"{name}\",vanthu@hostile.example,,"
    )]));
    dry_run(&mut c);
    let file = c.path(&format!("outbox/fanpage-2022/hostile.{CONG_VAN}"));
    assert!(pdf::field(&file, "Page size").ends_with("(A4)"));
    let text = pdf::text(&file);
    assert!(text.contains(&format!("Kính gửi: {name}")), "{text}");
}

#[test]
fn the_same_inputs_and_source_date_epoch_give_the_same_pdf_bytes() {
    let mut c = official_with_csv(&csv(&["a,Sở Y tế,vanthu@syt.example,,"]));
    dry_run(&mut c);
    let file = format!("outbox/fanpage-2022/a.{CONG_VAN}");
    let first = std::fs::read(c.path(&file)).unwrap();
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(
        sha256(&first),
        sha256(&std::fs::read(c.path(&file)).unwrap())
    );
    assert!(pdf::field(&c.path(&file), "CreationDate").contains("2025"));
}

#[test]
fn a_template_written_in_nfd_extracts_in_nfc() {
    let mut c = official_with_csv(&csv(&["a,Sở Y tế,vanthu@syt.example,,"]));
    let template = c.read("templates/cong-van.typ");
    let decomposed: String = template.nfd().collect();
    assert_ne!(decomposed, template);
    c.write("templates/cong-van.typ", decomposed);
    dry_run(&mut c);
    let text = pdf::text(&c.path(&format!("outbox/fanpage-2022/a.{CONG_VAN}")));
    assert!(
        text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        "{text}"
    );
    assert_eq!(text, text.nfc().collect::<String>());
}

#[test]
fn preview_pdf_writes_the_rows_documents() {
    let c = Campaign::official();
    c.run(&["preview", "tinh-doan", "--pdf", "cv.pdf"])
        .code(0)
        .stderr_has("cv.pdf")
        .stderr_has("cv-2.pdf");
    assert!(pdf::text(&c.path("cv.pdf")).contains("Kính gửi: Tỉnh Đoàn Bình Dương"));
    assert!(pdf::text(&c.path("cv-2.pdf")).starts_with("Phụ lục"));
}

#[test]
fn a_typst_error_names_the_template_and_its_line_and_nothing_is_sent() {
    let server = SmtpServer::start(Script::default());
    let mut c = official_with_csv(&csv(&["a,Sở Y tế,vanthu@syt.example,,"]));
    let template = c.read("templates/cong-van.typ");
    c.write(
        "templates/cong-van.typ",
        template.replace("#v(1.2em)", "#v(1.2em)\n#unknown-function()"),
    );
    c.relay(server.port);
    let line = template
        .lines()
        .position(|l| l == "#v(1.2em)")
        .expect("the template has it")
        + 2;
    c.run(&["check"])
        .code(2)
        .stderr_has("templates/cong-van.typ")
        .stderr_has(&format!("line {line}, position 2"))
        .stderr_has("unknown variable: unknown-function");
    c.run(&["send", "--yes"]).code(2);
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

#[test]
fn check_typesets_every_row_and_names_the_one_that_fails() {
    let mut c = official_with_csv(&csv(&[
        "a,Sở Y tế,vanthu@syt.example,,",
        "b,Sở Tài chính,vanthu@stc.example,,",
        "c,Sở Nội vụ,vanthu@snv.example,,",
    ]));
    // Each organisation's own logo, beside the template; one is missing.
    c.write("templates/logo/a.png", PNG);
    c.write("templates/logo/c.png", PNG);
    let template = c.read("templates/cong-van.typ");
    c.write(
        "templates/cong-van.typ",
        template.replace(
            "#v(1.2em)",
            "#image({{ (\"logo/\" ~ id ~ \".png\") | typst_str }}, width: 1cm)\n#v(1.2em)",
        ),
    );
    c.run(&["check"])
        .code(2)
        .stderr_has("recipients/organisations.csv:3:")
        .stderr_has("templates/cong-van.typ");
    c.write("templates/logo/b.png", PNG);
    c.run(&["check"]).code(0);
    dry_run(&mut c);
}

#[test]
fn the_log_records_the_hash_of_each_document_each_organisation_received() {
    let server = SmtpServer::start(Script::default());
    let mut c = official_with_csv(&csv(&[
        "a,Sở Y tế,vanthu@syt.example,,",
        "b,Sở Tài chính,vanthu@stc.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let log = c.log();
    let shared = log[0]
        .attachments
        .as_ref()
        .expect("run_started lists the phụ lục");
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["file"], "templates/phu-luc.typ");
    assert_eq!(shared[0]["name"], PHU_LUC);
    let mut received = Vec::new();
    for attempt in log.iter().filter(|r| r.kind == "attempt") {
        let archived = std::fs::read(c.path(attempt.archive.as_ref().unwrap())).unwrap();
        let parts = attachments(&archived);
        let own = attempt
            .attachments
            .as_ref()
            .expect("the attempt lists its công văn");
        assert_eq!(own.len(), 1);
        assert_eq!(own[0]["file"], "templates/cong-van.typ");
        assert_eq!(own[0]["sha256"].as_str().unwrap(), sha256(&parts[0].2));
        assert_eq!(shared[0]["sha256"].as_str().unwrap(), sha256(&parts[1].2));
        received.push(sha256(&parts[0].2));
    }
    assert_eq!(received.len(), 2);
    assert_ne!(received[0], received[1], "each organisation's own công văn");
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_document_reads_no_file_outside_the_templates_folder() {
    let c = official_with_csv(&csv(&["a,Sở Y tế,vanthu@syt.example,,"]));
    c.write("secret.png", PNG);
    let template = c.read("templates/cong-van.typ");
    c.write(
        "templates/cong-van.typ",
        template.replace("#v(1.2em)", "#image(\"../secret.png\")\n#v(1.2em)"),
    );
    c.run(&["check"])
        .code(2)
        .stderr_has("cannot typeset templates/cong-van.typ");
    c.write("templates/secret.png", PNG);
    let inside = template.replace("#v(1.2em)", "#image(\"secret.png\")\n#v(1.2em)");
    c.write("templates/cong-van.typ", inside);
    c.run(&["check"]).code(0);
}

#[test]
fn an_offices_own_font_files_are_read_and_a_file_that_is_no_font_is_refused() {
    let mut c = official_with_csv(&csv(&["a,Sở Y tế,vanthu@syt.example,,"]));
    c.write("fonts/times.ttf", "not a font");
    c.set_toml("document", "fonts", r#"["fonts/times.ttf"]"#);
    c.run(&["check"])
        .code(2)
        .stderr_has("fonts/times.ttf: not a font file letterpost can use");
    let tinos = std::fs::read(crate::support::repo().join("assets/fonts/Tinos-Regular.ttf"));
    c.write("fonts/times.ttf", tinos.unwrap());
    c.run(&["check"]).code(0);
}
