//! `xlsx_export::write_sheet`: written, then read back with calamine, with `sheet::read_sheet`,
//! as XML out of the zip, and (when LibreOffice is installed) converted to CSV by LibreOffice.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use jiff::Timestamp;

use super::{Cell, ExportError, SHEET_NAME, export_bytes, write_sheet};
use crate::sheet::read_sheet;

const HEADERS: [&str; 6] = ["organisation", "email", "sent", "attempts", "size", "note"];

/// Text that a spreadsheet would take for a formula if it were not stored as a string.
const FORMULA_LIKE: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example\",\"bấm vào đây\")",
    "=1+2",
    "+1+2",
    "-1+2",
    "@SUM(1,2)",
];

fn created() -> Timestamp {
    "2024-05-01T09:00:00Z".parse().unwrap()
}

fn rows() -> Vec<Vec<Cell>> {
    let mut rows = vec![vec![
        Cell::Text("Sở Y tế tỉnh Bình Dương".into()),
        Cell::Text("vanthu@soyte.example".into()),
        Cell::time("2024-05-01T15:30:05.250+07:00").unwrap(),
        Cell::Integer(3),
        Cell::Number(2.5),
        Cell::Empty,
    ]];
    for (i, text) in FORMULA_LIKE.iter().enumerate() {
        rows.push(vec![
            Cell::Text((*text).into()),
            Cell::Text(format!("x{i}@example.org")),
            Cell::time("2024-05-01T08:31:00Z").unwrap(),
            Cell::Integer(1_234_567_890_123_456_789),
            Cell::Number(0.3),
            Cell::Text((*text).into()),
        ]);
    }
    rows
}

fn export() -> Vec<u8> {
    export_bytes(&HEADERS, &rows(), created()).unwrap()
}

fn part(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn calamine_reads_back_strings_as_strings_and_times_as_date_times() {
    let mut book = Xlsx::new(Cursor::new(export())).unwrap();
    assert_eq!(book.sheet_names(), ["Delivery log"]);
    let range = book.worksheet_range("Delivery log").unwrap();
    assert_eq!(range.get_size(), (7, 6));
    let header: Vec<&Data> = range.rows().next().unwrap().iter().collect();
    assert_eq!(header[2], &Data::String("sent (UTC)".into()));
    let first = &range.rows().nth(1).unwrap();
    assert_eq!(first[0], Data::String("Sở Y tế tỉnh Bình Dương".into()));
    let Data::DateTime(sent) = &first[2] else {
        panic!("not a date-time: {:?}", first[2]);
    };
    // 15:30:05.250 at +07:00 is 08:30:05.250 UTC on day 45413.
    assert_eq!(
        sent.to_ymd_hms_milli(),
        (2024, 5, 1, 8, 30, 5, 250),
        "written in UTC"
    );
    assert_eq!(first[3], Data::Float(3.0));
    assert_eq!(first[4], Data::Float(2.5));
    assert_eq!(first[5], Data::Empty);
    for (i, text) in FORMULA_LIKE.iter().enumerate() {
        let row = &range.rows().nth(i + 2).unwrap();
        assert_eq!(row[0], Data::String((*text).into()), "stays text: {text}");
        assert_eq!(row[5], Data::String((*text).into()));
        // Over Excel's 15 digits: text, so no digit is lost.
        assert_eq!(row[3], Data::String("1234567890123456789".into()));
    }
}

#[test]
fn the_reader_shows_the_export_as_excel_would() {
    let sheet = read_sheet(&export(), "xlsx", None).unwrap();
    assert_eq!(
        sheet.header.cells,
        [
            "organisation",
            "email",
            "sent (UTC)",
            "attempts",
            "size",
            "note"
        ]
    );
    assert_eq!(sheet.rows[0].cells[2], "01/05/2024 08:30:05");
    assert_eq!(sheet.rows[1].cells[2], "01/05/2024 08:31");
    assert_eq!(sheet.rows[1].cells[0], FORMULA_LIKE[0]);
    assert_eq!(sheet.problems().count(), 0);
}

#[test]
fn no_formula_in_the_sheet_xml_and_the_header_is_frozen_and_bold() {
    let xlsx = export();
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
    // Every text cell is a shared string (t="s"), never an inline string or a formula.
    assert!(!sheet.contains("t=\"str\"") && !sheet.contains("inlineStr"));
    assert!(
        sheet.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{sheet}"
    );
    let strings = part(&xlsx, "xl/sharedStrings.xml");
    assert!(
        strings.contains(r#"<t>=HYPERLINK("http://evil.example","bấm vào đây")</t>"#),
        "{strings}"
    );
    assert!(strings.contains("<t>@SUM(1,2)</t>"), "{strings}");
    // The header cells use a bold format; the times use the date-time format.
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "{styles}");
    assert!(
        styles.contains(r#"formatCode="dd/mm/yyyy hh:mm:ss""#),
        "{styles}"
    );
    // Widths in characters, from the longest value + 2 (rust_xlsxwriter adds its 0.71 of
    // padding): the 47-character HYPERLINK text, a 20-character address, the 19 characters of
    // a time and of the long integer, the 8 minimum (size), the HYPERLINK text again.
    assert!(
        sheet.contains(
            r#"<cols><col min="1" max="1" width="49.7109375" customWidth="1"/><col min="2" max="2" width="22.7109375" customWidth="1"/><col min="3" max="4" width="21.7109375" customWidth="1"/><col min="5" max="5" width="8.7109375" customWidth="1"/><col min="6" max="6" width="49.7109375" customWidth="1"/></cols>"#
        ),
        "{sheet}"
    );
    assert!(part(&xlsx, "xl/workbook.xml").contains(r#"<sheet name="Delivery log""#));
}

#[test]
fn the_same_export_gives_the_same_bytes() {
    let a = export();
    let b = export();
    assert_eq!(a, b);
    let core = part(&a, "docProps/core.xml");
    assert!(
        core.contains(
            r#"<dcterms:created xsi:type="dcterms:W3CDTF">2024-05-01T09:00:00Z</dcterms:created>"#
        ),
        "{core}"
    );
    assert!(core.contains(
        r#"<dcterms:modified xsi:type="dcterms:W3CDTF">2024-05-01T09:00:00Z</dcterms:modified>"#
    ));
    // Only `created` changes the bytes besides the data.
    let later = export_bytes(&HEADERS, &rows(), "2024-06-01T00:00:00Z".parse().unwrap()).unwrap();
    assert_ne!(a, later);
    assert_eq!(
        part(&a, "xl/worksheets/sheet1.xml"),
        part(&later, "xl/worksheets/sheet1.xml")
    );
}

#[test]
fn writes_to_any_writer() {
    let mut out = Vec::new();
    write_sheet(&mut out, SHEET_NAME, &HEADERS, &rows(), created()).unwrap();
    assert_eq!(out, export());
}

#[test]
fn bad_rows_are_errors() {
    let short = vec![vec![Cell::Text("a".into())]];
    let err = export_bytes(&HEADERS, &short, created()).unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::RowWidth {
                row: 1,
                cells: 1,
                headers: 6
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "row 1 of the export has 1 cells but the header has 6"
    );

    let nan = vec![vec![Cell::Number(f64::NAN)]];
    let err = export_bytes(&["n"], &nan, created()).unwrap_err();
    assert!(
        matches!(err, ExportError::NotFinite { row: 1, column: 1 }),
        "{err:?}"
    );

    let old = vec![vec![Cell::time("1899-12-31T00:00:00Z").unwrap()]];
    let err = export_bytes(&["t"], &old, created()).unwrap_err();
    assert!(matches!(err, ExportError::TimeOutOfRange(_)), "{err:?}");
}

/// Excel's own limit is 32,767 characters (UTF-16 units) in a cell: a longer text is cut at a
/// character boundary, ends with the marker, and the workbook is written all the same.
#[test]
fn a_text_longer_than_a_cell_is_cut_with_a_marker() {
    use calamine::{Data, Reader, Xlsx};
    // One character past the limit, with a two-unit character right at the cut.
    let text = format!("{}😀{}", "x".repeat(32_730), "y".repeat(100));
    let rows = vec![
        vec![Cell::Text(text.clone())],
        vec![Cell::Text("x".repeat(32_767))],
    ];
    let bytes = export_bytes(&["t"], &rows, created()).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(SHEET_NAME).unwrap();
    let cells: Vec<&Data> = range.rows().skip(1).map(|r| &r[0]).collect();
    let Data::String(cut) = cells[0] else {
        panic!("{:?}", cells[0])
    };
    assert!(cut.encode_utf16().count() <= super::EXCEL_CELL_LIMIT);
    let kept = cut.strip_suffix(super::CUT_MARKER).unwrap();
    assert!(
        text.starts_with(kept) && kept.len() > 32_000,
        "{}",
        kept.len()
    );
    assert_eq!(
        cells[1],
        &Data::String("x".repeat(32_767)),
        "a text that fits is whole"
    );
}

/// LibreOffice opens the export and writes it back as CSV: the organisation names that look
/// like formulas come out as the same text, not as a link text or a number. Skipped (with a
/// note) where LibreOffice is not installed, unless `LETTERPOST_TEST_SOFFICE=required` (as
/// scripts/test.sh sets it, having installed it).
#[test]
fn libreoffice_keeps_formula_looking_text_as_text() {
    let Ok(soffice) = which("soffice") else {
        assert!(
            std::env::var_os("LETTERPOST_TEST_SOFFICE").is_none_or(|v| v != "required"),
            "soffice not found, and LETTERPOST_TEST_SOFFICE=required"
        );
        eprintln!("soffice not found: LibreOffice check skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("sheets-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xlsx = dir.join("export.xlsx");
    std::fs::write(&xlsx, export()).unwrap();
    let started = std::time::Instant::now();
    let status = std::process::Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
        ])
        .arg("--outdir")
        .arg(&dir)
        .arg(&xlsx)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    eprintln!("LibreOffice conversion took {:?}", started.elapsed());
    let csv = std::fs::read_to_string(dir.join("export.csv")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // LibreOffice quotes the cells it holds as text and leaves numbers and dates bare.
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        r#""organisation","email","sent (UTC)","attempts","size","note""#
    );
    assert_eq!(
        lines[1],
        r#""Sở Y tế tỉnh Bình Dương","vanthu@soyte.example",01/05/2024 08:30:05,3,2.5,"#
    );
    let link = r#""=HYPERLINK(""http://evil.example"",""bấm vào đây"")""#;
    assert_eq!(
        lines[2],
        format!(r#"{link},"x0@example.org",01/05/2024 08:31:00,"1234567890123456789",0.3,{link}"#)
    );
    for (i, text) in FORMULA_LIKE.iter().enumerate().skip(1) {
        assert!(
            lines[i + 2].starts_with(&format!("\"{text}\",")),
            "{}",
            lines[i + 2]
        );
        assert!(
            lines[i + 2].ends_with(&format!(",\"{text}\"")),
            "{}",
            lines[i + 2]
        );
    }
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
