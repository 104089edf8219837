//! What the auditor's exports do with cells that a spreadsheet would misread or refuse: a text
//! longer than an Excel cell holds, and formula starts in their full-width forms.

use calamine::{Data, Reader, Xlsx};

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, zip_part};

/// An organisation of 33,600 characters passes `check` and is sent: its export must be written
/// all the same, cut at Excel's limit with a visible marker and a note saying where the rest is.
#[test]
fn the_xlsx_export_cuts_a_cell_longer_than_excel_allows_and_says_so() {
    let server = SmtpServer::start(Script::default());
    let long = format!("Sở {}", "a".repeat(33_597));
    let mut c = Campaign::with_csv(&crate::support::csv(&[&format!("a,{long},a@a.example,,")]));
    c.relay(server.port);
    c.run(&["check"]).code(0);
    c.run(&["send", "--yes"]).code(0);
    let out = c.path("export.xlsx");
    c.run(&["log", "export", "--xlsx", "-o", out.to_str().unwrap()])
        .code(0);
    let bytes = std::fs::read(&out).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = book.worksheet_range("Delivery log").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    let column = header.iter().position(|h| h == "organisation").unwrap();
    let Data::String(cell) = &range.rows().nth(1).unwrap()[column] else {
        panic!("the organisation is a text cell");
    };
    assert!(cell.encode_utf16().count() <= 32_767, "{}", cell.len());
    assert!(
        cell.ends_with(" […cut: see the CSV or JSON export]"),
        "{}",
        &cell[cell.len() - 80..]
    );
    assert!(
        long.starts_with(
            cell.strip_suffix(" […cut: see the CSV or JSON export]")
                .unwrap()
        )
    );
    let comments = zip_part(&bytes, "xl/comments1.xml");
    assert!(
        comments.contains("33600 characters, more than the 32767"),
        "{comments}"
    );
    assert!(comments.contains("--csv"), "{comments}");
    // The CSV export keeps the whole name.
    let csv_out = c.path("export.csv");
    c.run(&["log", "export", "--csv", "-o", csv_out.to_str().unwrap()])
        .code(0);
    assert!(std::fs::read_to_string(&csv_out).unwrap().contains(&long));
}

/// A name that starts with a full-width `＝` (or another look-alike a spreadsheet folds into a
/// formula start) is neutralised in the CSV export like one starting with `=`.
#[test]
fn the_csv_export_neutralises_full_width_formula_starts() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&crate::support::csv(&[
        "a,＝HYPERLINK(\"\"http://x\"\"),a@a.example,,",
        "b,－1+2,b@b.example,,",
    ]));
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let out = c.path("export.csv");
    c.run(&["log", "export", "--csv", "-o", out.to_str().unwrap()])
        .code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    for start in ["\"'＝HYPERLINK(", "\"'－1+2\""] {
        assert!(text.contains(start), "{start} in {text}");
    }
}
