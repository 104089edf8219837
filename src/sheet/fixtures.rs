//! `read_sheet` against real workbooks made by openpyxl, odfpy, xlwt and LibreOffice
//! (tests/fixtures/sheets/make_fixtures.py says how each was made).

use std::io::{Cursor, Read, Write};

use super::{Format, Sheet, SheetError, read_sheet};

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/sheets/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str, sheet: Option<&str>) -> Result<Sheet, SheetError> {
    let extension = name.rsplit('.').next().unwrap();
    read_sheet(&fixture(name), extension, sheet)
}

/// Every full workbook fixture: the list on `Danh sách` is the same in each.
const LISTS: &[&str] = &[
    "recipients.xlsx",
    "recipients.xls",
    "recipients.ods",
    "recipients_lo.xlsx",
    "recipients_lo.xls",
    "recipients_lo.ods",
];

const NFC_NAME: &str = "S\u{1edf} Y t\u{1ebf} t\u{1ec9}nh B\u{ec}nh D\u{1b0}\u{1a1}ng";
const NFD_NAME: &str =
    "So\u{31b}\u{309} Gia\u{301}o du\u{323}c va\u{300} \u{110}a\u{300}o ta\u{323}o";

#[test]
fn header_is_the_first_non_empty_row_and_columns_start_at_the_first_used_one() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        assert_eq!(sheet.name, "Danh sách", "{name}");
        // Rows 1-2 are empty (row 2 has a styled empty cell in the .xlsx), column A is empty.
        assert_eq!(sheet.header.number, 3, "{name}");
        assert_eq!(sheet.header.first_column, 1, "{name}");
        assert_eq!(sheet.header.cell_ref(0), "B3", "{name}");
        assert_eq!(
            sheet.header.cells,
            [
                "id",
                "organisation",
                "email",
                "phone",
                "staff",
                "ratio",
                "founded",
                "updated",
                "total",
                "active",
                "note",
                "opens"
            ],
            "{name}"
        );
        // Trailing styled cells (Z4, C20 in the .xlsx; 20 repeated empty rows in the .ods) are
        // dropped: the last row is 9, the last column M.
        let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [4, 5, 6, 7, 8, 9], "{name}");
        assert!(sheet.rows.iter().all(|r| r.cells.len() == 12), "{name}");
        assert_eq!(sheet.rows[0].cell_ref(11), "M4", "{name}");
    }
}

#[test]
fn blank_rows_in_the_middle_are_reported_as_blank() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        let blank: Vec<u32> = sheet
            .rows
            .iter()
            .filter(|r| r.is_blank())
            .map(|r| r.number)
            .collect();
        assert_eq!(blank, [6, 8], "{name}");
    }
}

#[test]
fn vietnamese_text_is_kept_as_stored_nfc_and_nfd() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        assert_eq!(sheet.rows[0].cells[1], NFC_NAME, "{name}");
        // NFD stays NFD: normalising is the recipients stage's job, as for a CSV.
        assert_eq!(sheet.rows[1].cells[1], NFD_NAME, "{name}");
        assert_ne!(NFC_NAME.len(), NFD_NAME.len());
        assert_eq!(
            sheet.rows[2 + 1].cells[1],
            "Ủy ban nhân dân huyện Dầu Tiếng",
            "{name}"
        );
    }
}

#[test]
fn text_cells_keep_leading_zeros_and_formula_looking_text() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        assert_eq!(sheet.rows[0].cells[3], "0274", "{name}");
        assert_eq!(sheet.rows[1].cells[3], "0912345678", "{name}");
        assert_eq!(
            sheet.rows[0].cells[10], "=HYPERLINK(\"http://evil.example\",\"bấm vào đây\")",
            "{name}"
        );
    }
}

#[test]
fn numbers_show_whole_or_shortest() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        let row = |i: usize| &sheet.rows[i].cells;
        assert_eq!(
            (row(0)[4].as_str(), row(0)[5].as_str()),
            ("42", "0.3"),
            "{name}"
        );
        // 7.0 stored as a float is shown as 7.
        assert_eq!(
            (row(1)[4].as_str(), row(1)[5].as_str()),
            ("7", "2.5"),
            "{name}"
        );
        assert_eq!(
            (row(5)[4].as_str(), row(5)[5].as_str()),
            ("1234567890123", "-0.125"),
            "{name}"
        );
    }
}

#[test]
fn dates_and_date_times_in_vietnamese_order() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        assert_eq!(sheet.rows[0].cells[6], "15/01/2004", "{name}");
        assert_eq!(sheet.rows[0].cells[7], "07/03/2022 14:30", "{name}");
        if *name == "recipients.xls" {
            continue; // xlwt's file has no second row of dates and no time of day
        }
        assert_eq!(sheet.rows[1].cells[6], "31/12/1999", "{name}");
        assert_eq!(sheet.rows[1].cells[7], "30/11/2023 08:05:09", "{name}");
        // A time of day alone (0.4375 in Excel, PT10H30M00S in OpenDocument).
        assert_eq!(sheet.rows[0].cells[11], "10:30", "{name}");
    }
}

#[test]
fn the_1904_date_system() {
    let sheet = read("date1904.xlsx", None).unwrap();
    assert_eq!(sheet.header.cells, ["ngày", "lúc"]);
    assert_eq!(sheet.rows[0].cells, ["29/02/2024", "29/02/2024 23:59"]);
}

#[test]
fn booleans() {
    for name in LISTS {
        let sheet = read(name, Some("Danh sách")).unwrap();
        let (yes, no) = (&sheet.rows[0].cells[9], &sheet.rows[1].cells[9]);
        if *name == "recipients_lo.ods" {
            // LibreOffice 7.4 turned the .xlsx booleans into =TRUE()/=FALSE() formulas with
            // number values 1/0 and a boolean number format, which is not applied.
            assert_eq!((yes.as_str(), no.as_str()), ("1", "0"));
        } else {
            assert_eq!((yes.as_str(), no.as_str()), ("TRUE", "FALSE"), "{name}");
        }
    }
}

#[test]
fn formulas_give_their_cached_values() {
    // recipients.xlsx: openpyxl's formulas with cached values patched into the sheet XML;
    // recipients.ods: OpenDocument formulas with their values; *_lo.*: computed and saved by
    // LibreOffice from an input with no cached values at all.
    for name in LISTS {
        if *name == "recipients.xls" {
            continue; // xlwt cannot store a formula's value
        }
        let sheet = read(name, Some("Danh sách")).unwrap();
        assert_eq!(sheet.rows[0].cells[8], "84", "{name}");
        assert_eq!(sheet.rows[1].cells[8], "14", "{name}");
        assert_eq!(sheet.rows[5].cells[8], "Công an", "{name}");
    }
}

#[test]
fn error_cells_are_problems_located_like_the_spreadsheet() {
    for name in LISTS {
        if *name == "recipients.ods" {
            continue; // odfpy's file has no error cells
        }
        let sheet = read(name, Some("Danh sách")).unwrap();
        let problems: Vec<String> = sheet.problems().map(|p| p.to_string()).collect();
        let na = "Danh sách!E7: the cell shows the error #N/A instead of a value; correct it (or the \
                  cells its formula uses) in the spreadsheet";
        let div0 = "Danh sách!J7: the cell shows the error #DIV/0! instead of a value; correct it (or \
                    the cells its formula uses) in the spreadsheet";
        if *name == "recipients.xls" {
            assert_eq!(problems, [na], "{name}"); // no formulas in xlwt's file
        } else {
            assert_eq!(problems, [na, div0], "{name}");
        }
        let row7 = &sheet.rows[3];
        assert_eq!(row7.number, 7);
        assert_eq!(
            row7.cells[3], "#N/A",
            "{name}: the cell shows its error, never \"\""
        );
        assert_eq!(row7.problems[0].reference(), "E7");
        assert!(!row7.is_blank());
    }
}

#[test]
fn the_first_visible_sheet_unless_one_is_named() {
    for name in LISTS {
        let sheet = read(name, None).unwrap();
        assert_eq!(sheet.name, "Hướng dẫn", "{name}");
        assert_eq!(sheet.header.cells, ["bước", "nội dung"], "{name}");
        assert_eq!(
            sheet.rows[0].cells,
            ["1", "Điền danh sách ở trang Danh sách"],
            "{name}"
        );
    }
}

#[test]
fn sheet_names_match_without_regard_to_case_or_normalisation() {
    let nfd = "Danh sa\u{301}ch".to_uppercase();
    let sheet = read("recipients.xlsx", Some(&nfd)).unwrap();
    assert_eq!(sheet.name, "Danh sách");
}

#[test]
fn an_unknown_sheet_lists_the_sheets_found() {
    for name in LISTS {
        let err = read(name, Some("Danh sach 2024")).unwrap_err();
        assert_eq!(
            err,
            SheetError::NoSuchSheet {
                wanted: "Danh sach 2024".into(),
                found: vec!["Hướng dẫn".into(), "Danh sách".into()],
            },
            "{name}"
        );
        assert_eq!(
            err.to_string(),
            "the workbook has no sheet named \"Danh sach 2024\"; its sheets are \"Hướng dẫn\", \"Danh sách\""
        );
    }
}

#[test]
fn a_truncated_workbook_is_not_readable() {
    let err = read("truncated.xlsx", None).unwrap_err();
    assert!(
        matches!(&err, SheetError::NotAWorkbook { format: Format::Xlsx, reason, looks_like: None }
            if reason.contains("Zip")),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "the file is not a readable workbook: it should be an Excel (.xlsx) workbook ("
        ),
        "{err}"
    );
}

#[test]
fn a_file_of_another_kind_says_what_it_looks_like() {
    let xls = fixture("recipients.xls");
    let err = read_sheet(&xls, "xlsx", None).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("its content looks like an Excel 97-2003 (.xls) workbook, or a workbook protected with a password (save it without one)"),
        "{err}"
    );
    let err = read_sheet(&fixture("recipients.ods"), "xlsx", None).unwrap_err();
    assert!(err.to_string().contains("an OpenDocument (.ods)"), "{err}");
    let csv = "organisation;email\nSở Y tế;vanthu@soyte.example\n".as_bytes();
    let err = read_sheet(csv, "xlsx", None).unwrap_err();
    assert!(
        err.to_string().ends_with("plain text, such as a CSV file"),
        "{err}"
    );
    let html = b"<html><body><table><tr><td>x</td></tr></table></body></html>";
    let err = read_sheet(html, "xls", None).unwrap_err();
    assert!(err.to_string().contains("an HTML or XML page"), "{err}");
    let err = read_sheet(b"", "ods", None).unwrap_err();
    assert!(
        matches!(
            err,
            SheetError::NotAWorkbook {
                format: Format::Ods,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_extensions_are_refused() {
    let err = read_sheet(b"x", "numbers", None).unwrap_err();
    assert_eq!(err, SheetError::UnknownExtension("numbers".into()));
}

/// Every prefix and some bit flips of every fixture: `read_sheet` returns, never panics.
/// (Damaged .xls files make calamine 0.38 panic, and abort on absurd sizes without the guard;
/// a longer run of the same mutations is `cargo run --release --example fuzz_probe`.)
#[test]
fn damaged_files_are_errors_not_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in LISTS.iter().chain(&["date1904.xlsx"]) {
        let bytes = fixture(name);
        let extension = name.rsplit('.').next().unwrap();
        let mut cases: Vec<Vec<u8>> = (0..bytes.len())
            .step_by(61)
            .map(|n| bytes[..n].to_vec())
            .collect();
        for _ in 0..150 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let r = next();
                let i = (r as usize) % b.len();
                b[i] ^= 1 << (r >> 61);
            }
            cases.push(b);
        }
        for case in &cases {
            let _ = read_sheet(case, extension, Some("Danh sách"));
        }
    }
}

/// A copy of a zip archive with one entry's text changed.
fn patched_zip(bytes: &[u8], entry: &str, from: &str, to: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut body = Vec::new();
        file.read_to_end(&mut body).unwrap();
        if name == entry {
            let text = String::from_utf8(body).unwrap();
            assert!(text.contains(from), "{entry} has no {from}");
            body = text.replace(from, to).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn an_absurd_shared_string_count_is_refused_before_calamine_allocates_for_it() {
    // calamine 0.38 reserves room for `uniqueCount` strings before reading one; this many would
    // abort the process.
    let bytes = patched_zip(
        &fixture("recipients_lo.xlsx"),
        "xl/sharedStrings.xml",
        "uniqueCount=\"30\"",
        "uniqueCount=\"99999999999999\"",
    );
    let err = read_sheet(&bytes, "xlsx", None).unwrap_err();
    assert!(
        err.to_string().contains(
            "xl/sharedStrings.xml declares 99999999999999 distinct strings, more than the 16777216 read"
        ),
        "{err}"
    );
    // A count that fits is read as before.
    let bytes = patched_zip(
        &fixture("recipients_lo.xlsx"),
        "xl/sharedStrings.xml",
        "uniqueCount=\"30\"",
        "uniqueCount=\"31\"",
    );
    assert_eq!(read_sheet(&bytes, "xlsx", None).unwrap().name, "Hướng dẫn");
}

#[test]
fn an_absurd_xls_sheet_size_is_refused_before_calamine_allocates_for_it() {
    // The BIFF8 DIMENSIONS record: type 0x0200, 14 bytes: first row, last row + 1 (u32), first
    // column, last column + 1 (u16), reserved. calamine 0.38 reserves rows x columns cells.
    let mut bytes = fixture("recipients.xls");
    let record = [0x00, 0x02, 0x0E, 0x00];
    let at: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == record)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 2, "one DIMENSIONS record per sheet");
    let last_row = at[1] + 4 + 4;
    bytes[last_row..last_row + 4].copy_from_slice(&0xFFFF_FFF0_u32.to_le_bytes());
    let err = read_sheet(&bytes, "xls", Some("Danh sách")).unwrap_err();
    assert!(
        err.to_string()
            .contains("a sheet declares 4294967278 rows by 12 columns, which no .xls sheet holds"),
        "{err}"
    );
}

#[test]
fn xls_cells_spread_beyond_an_xls_sheet_are_refused_before_calamine_lays_them_out() {
    // calamine 0.38 lays every .xls sheet out as a dense grid when it opens the file: a LabelSst
    // cell moved to row 65536, column 16384 would cost 65,535 x 16,383 cells (34 GB).
    let mut bytes = fixture("recipients.xls");
    let label_sst = [0xFD, 0x00, 0x0A, 0x00];
    let at = bytes
        .windows(4)
        .rposition(|w| w == label_sst)
        .expect("a LabelSst record");
    bytes[at + 4..at + 8].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0x3F]); // row 65535, column 16383
    let err = read_sheet(&bytes, "xls", None).unwrap_err();
    assert!(
        err.to_string()
            .contains("a sheet has cells from B3 to XFD65536, more than an .xls sheet holds"),
        "{err}"
    );
}

/// An .ods of one row of one value repeated `columns` times, repeated `rows` times, then the
/// repeated empty rows LibreOffice writes at the end of a sheet.
fn repeated_ods(rows: u32, columns: u32) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Danh sách"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{columns}" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    out.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    out.write_all(content.as_bytes()).unwrap();
    out.start_file(
        "META-INF/manifest.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    out.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
    )
    .unwrap();
    out.finish().unwrap().into_inner()
}

#[test]
fn an_ods_whose_repeated_cells_span_too_much_is_refused_before_calamine_expands_them() {
    // Without the guard calamine 0.38 takes about 40 s and 9 GB to expand this (measured with
    // the dump example), before the sheet's own cap can refuse it.
    let bytes = repeated_ods(6_000, 16_384);
    assert!(bytes.len() < 2048, "{} bytes", bytes.len());
    let started = std::time::Instant::now();
    let err = read_sheet(&bytes, "ods", None).unwrap_err();
    assert_eq!(
        err,
        SheetError::TooManyCells {
            sheet: "Danh sách".into(),
            cells: 6_000 * 16_384
        }
    );
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // The same shape, small: read, with the trailing repeated empty rows dropped.
    let sheet = read_sheet(&repeated_ods(3, 4), "ods", None).unwrap();
    assert_eq!(sheet.header.cells, ["1", "1", "1", "1"]);
    assert_eq!(sheet.rows.len(), 2);
}

#[test]
fn a_cell_over_64_kib_is_a_problem_and_a_row_past_the_cap_an_error() {
    use rust_xlsxwriter::Workbook;
    // Excel allows 32,767 characters in a cell: in Vietnamese that can be 96 KiB of UTF-8.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "organisation").unwrap();
    sheet.write_string(1, 0, "ệ".repeat(30_000)).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let read = read_sheet(&bytes, "xlsx", None).unwrap();
    assert_eq!(read.rows[0].cells, [""]);
    let problems: Vec<String> = read.problems().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        ["Sheet1!A2: this cell holds 88 KiB of text; a cell may hold at most 64 KiB"]
    );

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "organisation").unwrap();
    sheet.write_string(1_000_000, 0, "one too far").unwrap(); // row 1,000,001
    let bytes = book.save_to_buffer().unwrap();
    let err = read_sheet(&bytes, "xlsx", None).unwrap_err();
    assert_eq!(
        err,
        SheetError::TooManyRows {
            sheet: "Sheet1".into(),
            row: 1_000_001
        }
    );
}
