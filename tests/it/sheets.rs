//! Recipient lists kept in workbooks, through the binary: workbooks written by openpyxl and saved
//! again by LibreOffice (tests/fixtures/sheets/make_lists.py), read as the same list as the CSV
//! they show, with problems named by sheet and cell.

use std::collections::BTreeMap;

use mail_parser::MessageParser;

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Terminal, repo, zip_part};

/// The bundled campaign with the fixture lists in recipients/.
fn campaign() -> Campaign {
    let c = Campaign::bundled();
    for name in [
        "organisations.xlsx",
        "organisations.ods",
        "organisations.xls",
        "organisations.csv",
        "problems.xlsx",
    ] {
        let bytes = std::fs::read(repo().join("tests/fixtures/sheets").join(name)).unwrap();
        c.write(&format!("recipients/{name}"), bytes);
    }
    c
}

/// A letter that also shows the four typed columns of organisations.* (a phone number kept as
/// text, a whole number, a decimal, a date).
fn show_typed_columns(c: &Campaign) {
    let text = c.read("templates/letter.txt");
    c.write(
        "templates/letter.txt",
        format!(
            "{text}\nĐiện thoại: {{{{ phone }}}}; biên chế: {{{{ staff }}}}; tỉ lệ: {{{{ ratio }}}}; \
             thành lập: {{{{ founded }}}}\n"
        ),
    );
}

/// Every letter of a dry run of `list` (with `SOURCE_DATE_EPOCH` fixed), by file name.
fn dry_run(c: &Campaign, list: &str) -> BTreeMap<String, Vec<u8>> {
    c.run(&["--recipients", list, "send", "--dry-run"]).code(0);
    c.files("outbox/fanpage-2022")
        .into_iter()
        .filter(|name| name.ends_with(".eml"))
        .map(|name| {
            let bytes = std::fs::read(c.path(&format!("outbox/fanpage-2022/{name}"))).unwrap();
            (name, bytes)
        })
        .collect()
}

fn text_part(eml: &[u8]) -> String {
    let message = MessageParser::default().parse(eml).unwrap();
    message.body_text(0).unwrap().into_owned()
}

#[test]
fn a_sheet_and_the_same_list_as_csv_give_byte_identical_letters() {
    let mut c = campaign();
    show_typed_columns(&c);
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    c.set_toml("recipients", "sheet", "\"Danh sách\"");
    let from_csv = dry_run(&c, "recipients/organisations.csv");
    assert_eq!(from_csv.len(), 56);
    // Values reach the letter as the spreadsheet shows them: text with its leading zero, whole
    // numbers without `.0`, dates day first.
    let tinh_doan = text_part(&from_csv["tinh-doan.eml"]);
    assert!(
        tinh_doan
            .contains("Điện thoại: 02743822001; biên chế: 11; tỉ lệ: 0.25; thành lập: 21/02/2004"),
        "{tinh_doan}"
    );
    assert!(text_part(&from_csv["hoi-ccb.eml"]).contains("tỉ lệ: 1; thành lập: 11/06/2004"));
    for workbook in [
        "recipients/organisations.xlsx",
        "recipients/organisations.ods",
        "recipients/organisations.xls",
    ] {
        let from_sheet = dry_run(&c, workbook);
        assert_eq!(
            from_sheet.keys().collect::<Vec<_>>(),
            from_csv.keys().collect::<Vec<_>>(),
            "{workbook}"
        );
        for (name, bytes) in &from_sheet {
            assert!(bytes == &from_csv[name], "{workbook}: {name} differs");
        }
        // The manifest's rows are the spreadsheet's: its header is on row 3, the CSV's on line 1.
        let manifest = c.manifest();
        assert_eq!(
            (manifest[0].key.as_str(), manifest[0].row),
            ("mttq-tinh", 4)
        );
        assert_eq!(manifest[55].row, 59);
    }
}

#[test]
fn check_names_the_sheet_and_cell_of_each_problem() {
    let mut c = campaign();
    c.set_toml("recipients", "file", "\"recipients/problems.xlsx\"");
    c.set_toml("recipients", "sheet", "\"Danh sách\"");
    let run = c.run(&["check"]);
    run.code(2);
    assert_eq!(
        run.stderr,
        "error: recipients/problems.xlsx: Danh sách!D5: column `email`: the cell shows the error #N/A \
         instead of a value; correct it (or the cells its formula uses) in the spreadsheet\n\
         error: recipients/problems.xlsx: Danh sách!D6: column `email`: `vanthu@soxd` is not an email \
         address: the part after the @ is not a complete domain name\n\
         error: recipients/problems.xlsx: Danh sách!B8: column `id`: the key `so-y-te` is already used \
         on row 3; every organisation needs its own\n\
         3 problems found; nothing was sent or written\n"
    );
    for dir in ["outbox", "logs", "archive"] {
        assert!(!c.exists(dir), "check wrote {dir}");
    }
    // A preview names the row by its number on the sheet, and shows a row without problems.
    c.run(&["preview", "4"])
        .code(0)
        .stdout_has("Kính gửi: Sở Tài chính tỉnh Bình Dương")
        .stdout_has("Row:        4 (key so-tc)");
    c.run(&["preview", "5"]).code(2).stderr_has(
        "recipients/problems.xlsx: Danh sách!D5: column `email`: the cell shows the error #N/A",
    );
    c.run(&["preview", "2"]).code(2).stderr_has(
        "no recipient in recipients/problems.xlsx (sheet \"Danh sách\") has row number or key `2`",
    );
}

#[test]
fn the_first_sheet_is_read_unless_campaign_toml_names_another() {
    let mut c = campaign();
    c.set_toml("recipients", "file", "\"recipients/organisations.xlsx\"");
    c.run(&["check"]).code(2).stderr_has(
        "error: recipients/organisations.xlsx: Hướng dẫn, row 1: the required column `organisation` \
         is missing from the header row (the first row that is not empty on \"Hướng dẫn\", the \
         workbook's first sheet; if the list is on another sheet, name it with `sheet = \"…\"` under \
         [recipients] in campaign.toml); it holds `bước`, `nội dung`",
    );
    // Named as the tab shows it, or in another letter case.
    for name in ["Danh sách", "DANH SÁCH"] {
        c.set_toml("recipients", "sheet", &format!("\"{name}\""));
        c.run(&["check"]).code(0).stdout_has(
            "recipients/organisations.xlsx (sheet \"Danh sách\"): 56 recipients; every letter and \
             appendix renders; no problems found",
        );
    }
}

#[test]
fn an_unknown_sheet_lists_the_sheets_found() {
    let mut c = campaign();
    c.set_toml("recipients", "file", "\"recipients/organisations.xlsx\"");
    c.set_toml("recipients", "sheet", "\"Danh sach 2024\"");
    let run = c.run(&["check"]);
    run.code(2);
    assert_eq!(
        run.stderr,
        "error: recipients/organisations.xlsx: the workbook has no sheet named \"Danh sach 2024\"; its \
         sheets are \"Hướng dẫn\", \"Danh sách\"; correct `sheet` under [recipients] in campaign.toml\n\
         1 problem found; nothing was sent or written\n"
    );
}

#[test]
fn a_damaged_workbook_is_one_problem_without_a_panic_message() {
    // calamine panics on this file; letterpost reports it as damage, once, and says nothing else.
    let c = campaign();
    let damaged = std::fs::read(repo().join("tests/fixtures/sheets/damaged.xls")).unwrap();
    c.write("recipients/damaged.xls", damaged);
    let mut cmd = c.command(&["--recipients", "recipients/damaged.xls", "check"]);
    cmd.env("RUST_BACKTRACE", "1");
    let run = crate::support::feed(cmd, "");
    run.code(2);
    assert_eq!(
        run.stderr,
        "error: recipients/damaged.xls: the file is not a readable workbook: it should be an Excel \
         97-2003 (.xls) workbook (the reader stopped on damaged data: range end index 16398 out of \
         range for slice of length 14)\n1 problem found; nothing was sent or written\n"
    );
}

#[test]
fn a_send_from_a_sheet_logs_the_spreadsheet_row_and_the_workbook_fingerprint() {
    let server = SmtpServer::start(Script::default());
    let mut c = campaign();
    c.relay(server.port);
    c.set_toml("recipients", "file", "\"recipients/organisations.xlsx\"");
    c.set_toml("recipients", "sheet", "\"Danh sách\"");
    c.run(&["send", "--yes"])
        .code(0)
        .stdout_has("56 of 56 recipients accepted");
    let log = c.log();
    let started = &log[0];
    let inputs = started.inputs.as_ref().unwrap();
    let bytes = std::fs::read(c.path("recipients/organisations.xlsx")).unwrap();
    assert_eq!(
        inputs["recipients"]["sha256"],
        crate::support::sha256(&bytes).as_str(),
        "the fingerprint is of the workbook's bytes"
    );
    assert_eq!(started.key_source.as_deref(), Some("id"));
    let attempt = log
        .iter()
        .find(|r| r.kind == "attempt" && r.key.as_deref() == Some("tinh-doan"))
        .unwrap();
    assert_eq!(attempt.row, Some(5), "the row the spreadsheet shows");
    assert_eq!(server.received().len(), 56);
}

#[test]
fn a_workbook_saved_again_at_the_prompt_stops_the_run_before_anything_is_sent() {
    // What was checked is what is sent: the same promise as for a CSV file, on the workbook's
    // bytes (here the clerk saves another version while the confirmation waits).
    let server = SmtpServer::start(Script::default());
    let mut c = campaign();
    c.relay(server.port);
    c.set_toml("recipients", "file", "\"recipients/organisations.xlsx\"");
    c.set_toml("recipients", "sheet", "\"Danh sách\"");
    let mut terminal = Terminal::start(&c, "send");
    terminal.wait_for("Type yes to send");
    let other = std::fs::read(c.path("recipients/problems.xlsx")).unwrap();
    c.write("recipients/organisations.xlsx", other);
    terminal.type_keys("yes\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 3, "{screen}");
    assert!(
        screen.contains(
            "recipients/organisations.xlsx changed after it was checked; nothing was sent"
        ),
        "{screen}"
    );
    assert!(server.received().is_empty());
}

/// A campaign sent to a loopback relay that refuses one address: organisations whose names a
/// spreadsheet would take for formulas, a key with leading zeros, two addresses in one cell.
fn sent_for_the_auditor() -> (Campaign, SmtpServer) {
    let server = SmtpServer::start(Script::refusing("b@b.example"));
    let mut c = Campaign::with_csv(&crate::support::csv(&[
        "0012,Sở A,a@a.example; a2@a.example,,",
        "b,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",b@b.example,,",
        "c,+84 Sở C,c@c.example,,",
        "d,=1+2,d@d.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(1);
    (c, server)
}

/// The CSV export as (header, rows), each cell as the log holds it (without the `'` the CSV puts
/// before a cell a spreadsheet would take for a formula).
fn csv_export(c: &Campaign) -> (Vec<String>, Vec<Vec<String>>) {
    let out = c.path("export.csv");
    c.run(&["log", "export", "--csv", "-o", out.to_str().unwrap()])
        .code(0);
    let bytes = std::fs::read(&out).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|cell| match cell.strip_prefix('\'') {
                    Some(raw) if raw.starts_with(['=', '+', '-', '@']) => raw.to_owned(),
                    _ => cell.to_owned(),
                })
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn the_xlsx_export_has_the_csv_exports_cells_with_text_as_text_and_times_as_date_times() {
    use calamine::{Data, Reader, Xlsx};
    let (c, _server) = sent_for_the_auditor();
    let (csv_header, csv_rows) = csv_export(&c);
    let out = c.path("export.xlsx");
    c.run(&["log", "export", "--xlsx", "-o", out.to_str().unwrap()])
        .code(0)
        .stderr_has("wrote 4 recipients to ");
    let bytes = std::fs::read(&out).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Delivery log"]);
    let range = book.worksheet_range("Delivery log").unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    let times = ["time", "delivered_at", "bounced_at", "read_at"];
    let expected: Vec<String> = csv_header
        .iter()
        .map(|h| match times.contains(&h.as_str()) {
            true => format!("{h} (UTC)"),
            false => h.clone(),
        })
        .collect();
    assert_eq!(
        header, expected,
        "the CSV export's columns, times marked UTC"
    );
    let rows: Vec<&[Data]> = rows.collect();
    assert_eq!(rows.len(), csv_rows.len());
    for (row, csv_row) in rows.iter().zip(&csv_rows) {
        for ((name, cell), csv_cell) in csv_header.iter().zip(row.iter()).zip(csv_row) {
            match cell {
                Data::Empty => assert_eq!(csv_cell, "", "{name}"),
                Data::String(text) => assert_eq!(text, csv_cell, "{name}"),
                Data::Float(n) => {
                    assert!(["smtp_code", "attempts"].contains(&name.as_str()), "{name}");
                    assert_eq!(n.to_string(), *csv_cell, "{name}");
                }
                Data::DateTime(t) => {
                    assert!(times.contains(&name.as_str()), "{name}");
                    let logged: jiff::Timestamp = csv_cell.parse().unwrap();
                    let utc = jiff::tz::TimeZone::UTC.to_datetime(logged);
                    assert_eq!(
                        t.to_ymd_hms_milli(),
                        (
                            utc.year() as u16,
                            utc.month() as u8,
                            utc.day() as u8,
                            utc.hour() as u8,
                            utc.minute() as u8,
                            utc.second() as u8,
                            (utc.subsec_nanosecond() / 1_000_000) as u16
                        ),
                        "{name}: the same instant, in UTC"
                    );
                }
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
    }
    // Text stays text: the formula-looking names, and a key with leading zeros.
    let organisations: Vec<&Data> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(
        organisations,
        [
            &Data::String("Sở A".into()),
            &Data::String("=HYPERLINK(\"http://x\",\"y\")".into()),
            &Data::String("+84 Sở C".into()),
            &Data::String("=1+2".into()),
        ]
    );
    assert_eq!(rows[0][0], Data::String("0012".into()));
    assert!(matches!(rows[0][4], Data::DateTime(_)), "{:?}", rows[0][4]);
    // No formula anywhere, the header row frozen and bold, columns as wide as their values.
    let sheet = zip_part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
    assert!(sheet.contains(r#"state="frozen""#) && sheet.contains(r#"ySplit="1""#));
    assert!(sheet.contains(r#"customWidth="1""#));
    assert!(zip_part(&bytes, "xl/styles.xml").contains("<b/>"));
    // The same log gives the same bytes.
    c.run(&["log", "export", "--xlsx", "-o", out.to_str().unwrap()])
        .code(0);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}

#[test]
fn the_xlsx_export_needs_a_file() {
    let (c, _server) = sent_for_the_auditor();
    let run = c.run(&["log", "export", "--xlsx"]);
    run.code(2).stderr_has("--output <FILE>");
    assert!(run.stdout.is_empty(), "no workbook on standard output");
}

/// LibreOffice opens the export and saves it as CSV: the organisation named like a formula comes
/// out as the same text (a formula would come out as its result, `y`). Skipped, saying so, where
/// LibreOffice is not installed (`apt-get install --no-install-recommends libreoffice-calc-nogui`),
/// unless `LETTERPOST_TEST_SOFFICE=required` (as scripts/test.sh sets it, having installed it).
#[test]
fn libreoffice_reads_the_xlsx_exports_formula_looking_names_as_text() {
    let Some(soffice) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("soffice"))
            .find(|p| p.is_file())
    }) else {
        assert!(
            std::env::var_os("LETTERPOST_TEST_SOFFICE").is_none_or(|v| v != "required"),
            "soffice not found, and LETTERPOST_TEST_SOFFICE=required"
        );
        eprintln!("soffice not found: the LibreOffice check of the xlsx export is skipped");
        return;
    };
    let (c, _server) = sent_for_the_auditor();
    let out = c.path("export.xlsx");
    c.run(&["log", "export", "--xlsx", "-o", out.to_str().unwrap()])
        .code(0);
    let status = std::process::Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            c.path("lo-profile").display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
        ])
        .arg(c.path("lo"))
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let csv = c.read("lo/export.csv");
    let line = csv
        .lines()
        .find(|l| l.starts_with("\"b\","))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        line.starts_with(r#""b","=HYPERLINK(""http://x"",""y"")","b@b.example","rejected","#),
        "{line}"
    );
    let d = csv.lines().find(|l| l.starts_with("\"d\",")).unwrap();
    assert!(d.starts_with(r#""d","=1+2","#), "{d}");
}

#[test]
fn init_xlsx_gives_a_workbook_that_checks_clean_and_sends_the_same_letters_as_the_csv() {
    use calamine::{Data, Reader, Xlsx};
    let mut c = Campaign::bundled();
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    let (sheet_dir, csv_dir) = (c.path("from-sheet"), c.path("from-csv"));
    let (sheet_dir, csv_dir) = (sheet_dir.to_str().unwrap(), csv_dir.to_str().unwrap());
    c.run(&["init", sheet_dir, "--xlsx"])
        .code(0)
        .stdout_has("Next: edit campaign.toml and recipients/organisations.xlsx");
    c.run(&["init", csv_dir]).code(0);
    assert!(!c.exists("from-sheet/recipients/organisations.csv"));
    assert!(
        c.read("from-sheet/campaign.toml")
            .contains("\nfile = \"recipients/organisations.xlsx\"\n")
    );
    c.run(&["--campaign", sheet_dir, "check"])
        .code(0)
        .stdout_has(
            "recipients/organisations.xlsx (sheet \"Danh sách\"): 56 recipients; every letter and \
         appendix renders; no problems found",
        );
    // Every cell the clerk starts from is a text cell, never a number, a date or a formula.
    let bytes = std::fs::read(c.path("from-sheet/recipients/organisations.xlsx")).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = book.worksheet_range("Danh sách").unwrap();
    assert_eq!(range.get_size(), (57, 5));
    assert!(
        range
            .used_cells()
            .all(|(_, _, cell)| matches!(cell, Data::String(_))),
        "only strings"
    );
    assert!(zip_part(&bytes, "xl/worksheets/sheet1.xml").contains(r#"state="frozen""#));
    for dir in [sheet_dir, csv_dir] {
        c.run(&["--campaign", dir, "send", "--dry-run"]).code(0);
    }
    let letters = |dir: &str| {
        let names = c.files(&format!("{dir}/outbox/fanpage-2022"));
        assert_eq!(
            names.len(),
            56 * 3 + 1,
            "56 letters, the công văn and phụ lục beside each, and the manifest"
        );
        names
            .into_iter()
            .map(|name| {
                let bytes = std::fs::read(c.path(&format!("{dir}/outbox/fanpage-2022/{name}")));
                (name, bytes.unwrap())
            })
            .collect::<BTreeMap<_, _>>()
    };
    assert!(
        letters("from-sheet") == letters("from-csv"),
        "the same letters and manifest, byte for byte"
    );
}
