//! The recipient list: a CSV file or a workbook's sheet in, one validated `Recipient` per row
//! out, or the problems that row has.
//!
//! It owns the input contract: encodings (UTF-8 with or without BOM, UTF-16 with a BOM, a
//! configured legacy encoding such as Windows-1258, and a clear refusal with a hint for anything
//! else, including a UTF-8 file wrongly labelled as legacy), the delimiter (`,`, `;` or tab),
//! header names (trimmed of spaces and byte-order marks, matched without regard to letter case),
//! column roles, the cell size cap, address lists (RFC 5322 items with quoted names, IDN domains
//! to ASCII), the stable recipient key and where it comes from, NFC normalisation and control
//! characters in header-bound fields. Line numbers are physical lines as an editor shows them,
//! whatever the line ends (LF, CRLF or CR) and however many line breaks quoted cells hold.
//!
//! The file is read once (`read`), into memory and hashed; every pass over the list (the check,
//! the dry run, the delivery) parses those same bytes, so a run delivers exactly what it checked
//! and fingerprinted, and a FIFO or a device works like a file. Rows are then parsed one at a
//! time and never all held. It never reads templates and never sends; a `Recipient` always has at
//! least one parsed address and the line it came from.
//!
//! A workbook (`.xlsx`, `.xlsm`, `.xls`, `.ods`, chosen by the file's extension) is read the same
//! once: `sheet` turns the chosen sheet into rows of cells as the spreadsheet shows them, held in
//! the `Source` in place of the CSV text (a workbook is compressed and indexed, so it cannot be
//! read one row at a time). From there a sheet's row goes through the same checks as a CSV row
//! (`Table::next_row` takes its cells from either): header names, roles, the key, addresses,
//! NFC, control characters, duplicates. Its line is the row number the spreadsheet shows, and a
//! problem names the sheet and the cell (`Danh sách!C14`); an error value in a cell (`#N/A`) is
//! a problem at that cell.
//!
//! What it says to the clerk is in `locales/{en,vi}/recipients.ftl`. The files: `source.rs`
//! reading, decoding and hashing; `table.rs` the rows; `header.rs` names and column roles;
//! `address.rs` address lists and control characters.

use std::collections::HashMap;
use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use lettre::Address;
use lettre::message::Mailbox;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

mod address;
mod header;
mod source;
mod table;

pub use address::*;
pub use header::*;
pub use source::*;
pub use table::*;

use crate::problem::Problem;
use crate::sheet::{self, Sheet, SheetError};

/// The largest recipient list read: about a million organisations. Larger (or endless, such as
/// `/dev/urandom`) input is refused instead of filling memory.
pub const FILE_CAP: u64 = 256 * 1024 * 1024;

/// The largest cell: far more than any name or address list, small enough that a stray
/// unclosed quote or a pasted document cannot turn one row into a letter of hundreds of MB.
pub const CELL_CAP: usize = 64 * 1024;

/// How to find and read the recipient list (the `[recipients]` table).
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    /// A legacy encoding named in campaign.toml; `None` means UTF-8 (or UTF-16 with a BOM).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `None` means: guess from the header line.
    pub delimiter: Option<u8>,
    pub columns: ColumnMap,
    /// Columns whose cells must not be empty.
    pub required: Vec<String>,
    /// The sheet to read when the file is a workbook; `None` means the first visible worksheet.
    /// (A CSV file has one table: this is not used for it, nor `encoding` and `delimiter` for a
    /// workbook.)
    pub sheet: Option<String>,
}

/// Other header names for the columns letterpost itself uses (`[recipients.columns]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub cc: Option<String>,
    pub id: Option<String>,
}

/// One organisation, ready to be merged.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The physical line where the row starts (the header is line 1).
    pub line: u64,
    /// The stable key: the `id` column, or else the first address, NFC and lowercase.
    pub key: String,
    /// The organisation's name, the display name in `To`.
    pub organisation: String,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Every column by its header name (and by its role name when mapped), NFC, for templates.
    pub fields: IndexMap<String, String>,
}

/// Where the keys of a list come from: a column, or each row's first address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The column with this header name (as the file writes it).
    Column(String),
    FirstAddress,
}

/// The text recorded in the delivery log's `run_started` for a key taken from the addresses.
pub const FIRST_ADDRESS: &str = "first address";

impl KeySource {
    /// Reads what `Display` writes (and what the log records).
    pub fn parse(text: &str) -> KeySource {
        if text == FIRST_ADDRESS {
            KeySource::FirstAddress
        } else {
            KeySource::Column(text.to_owned())
        }
    }

    /// Whether two key sources give the same keys: the same column, whatever the spaces, byte
    /// order marks or letter case of its header name.
    pub fn same_as(&self, other: &KeySource) -> bool {
        match (self, other) {
            (KeySource::Column(a), KeySource::Column(b)) => header_key(a) == header_key(b),
            (KeySource::FirstAddress, KeySource::FirstAddress) => true,
            _ => false,
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Column(header) => f.write_str(header),
            KeySource::FirstAddress => f.write_str(FIRST_ADDRESS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_parsed_and_punycoded() {
        let list = parse_addresses(" a@x.example ; Văn thư <b@x.example>, a@x.example;").unwrap();
        assert_eq!(
            list.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["a@x.example", "b@x.example"]
        );
        let idn = parse_addresses("vanthu@sởtttt.việtnam.example").unwrap();
        assert_eq!(
            idn[0].to_string(),
            "vanthu@xn--stttt-5c2b.xn--vitnam-jk8b.example"
        );
    }

    #[test]
    fn quoted_names_with_separators_are_one_address() {
        let list = parse_addresses(
            r#""Nguyễn, Văn A" <a@x.example>; "Phòng; Tổ chức" <b@x.example>, c@x.example"#,
        )
        .unwrap();
        assert_eq!(
            list.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["a@x.example", "b@x.example", "c@x.example"]
        );
        assert_eq!(
            parse_addresses("A@X.example, a@x.example").unwrap().len(),
            1,
            "the same address in another case is one address"
        );
    }

    #[test]
    fn bad_addresses_are_refused_with_a_reason() {
        for (cell, why) in [
            ("x.example", "no @"),
            ("@x.example", "missing"),
            ("văn@x.example", "accents"),
            ("a@localhost", "complete domain"),
            ("a@[127.0.0.1]", "IP address"),
            ("a b@x.example", "not written as an address"),
            (r#""van thu"@soyte.example"#, "quoted name before the @"),
            (r#"Nguyễn, Văn A <a@x.example>"#, "no @"),
        ] {
            let errors = parse_addresses(cell).unwrap_err();
            assert!(errors[0].contains(why), "{cell}: {errors:?}");
        }
        let long = format!("{}@x.example", "a".repeat(65));
        assert!(parse_addresses(&long).unwrap_err()[0].contains("64"));
    }

    #[test]
    fn the_missing_column_message_reads_whole_in_both_languages() {
        use crate::i18n::{Lang, text_in};
        let message = |lang, more: usize, sheet_hint: &str, near: &str| {
            let args = vec![
                ("name", "email".into()),
                ("where", "line".into()),
                ("sheet_hint", sheet_hint.into()),
                ("found", "`id`, `emial`".into()),
                ("more", more.into()),
                ("near", near.into()),
            ];
            text_in(lang, "recipients-column-missing", args)
        };
        assert_eq!(
            message(Lang::En, 0, "", ""),
            "the required column `email` is missing from the header line; it holds `id`, `emial`"
        );
        assert_eq!(
            message(Lang::En, 3, " (hint)", "; near"),
            "the required column `email` is missing from the header line (hint); it holds `id`, \
             `emial` and 3 more; near"
        );
        assert_eq!(
            message(Lang::Vi, 3, "", ""),
            "dòng tiêu đề thiếu cột bắt buộc `email`; các cột hiện có: `id`, `emial` và 3 cột khác"
        );
        let character = |lang| {
            let args = vec![("kind", "line-break".into()), ("code", "000A".into())];
            text_in(lang, "recipients-character", args)
        };
        assert_eq!(character(Lang::En), "a line break (U+000A)");
        assert_eq!(character(Lang::Vi), "dấu xuống dòng (U+000A)");
    }

    #[test]
    fn header_names_match_without_spaces_boms_or_case() {
        for name in ["id", "ID", " Id ", "\u{feff}id", "\u{feff}\u{feff} iD"] {
            assert_eq!(header_key(name), "id", "{name:?}");
        }
        assert_eq!(header_key(" Tên cơ quan "), "tên cơ quan");
        assert!(KeySource::Column("ID".into()).same_as(&KeySource::parse("id")));
        assert!(!KeySource::Column("id".into()).same_as(&KeySource::parse(FIRST_ADDRESS)));
    }

    #[test]
    fn line_numbers_follow_every_kind_of_line_end() {
        for (text, offsets_lines) in [
            ("a\nb\nc", &[(2usize, 2u64), (4, 3)][..]),
            ("a\r\nb\r\nc", &[(3, 2), (6, 3)]),
            ("a\r\nb\r\nc", &[(1, 2), (4, 3)]), // an offset pointing at the CRLF itself
            ("a\rb\rc", &[(2, 2), (4, 3)]),
            ("\"x\r\ny\"\r\nb", &[(8, 3)]),
        ] {
            let mut lines = LineCounter::new(text.as_bytes().into());
            for &(offset, line) in offsets_lines {
                assert_eq!(lines.line_of(offset as u64), line, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn control_characters_depend_on_the_field() {
        assert_eq!(first_control("Sở Y tế\r\nBcc: x", true), Some('\r'));
        assert_eq!(first_control("line one\nline two", false), None);
        assert_eq!(first_control("a\u{2028}b", true), Some('\u{2028}'));
        assert_eq!(first_control("a\u{2028}b", false), None);
        assert_eq!(first_control("nul\0", false), Some('\0'));
        assert_eq!(first_control("nel\u{85}", false), Some('\u{85}'));
    }

    #[test]
    fn delimiter_is_guessed_from_the_header() {
        assert_eq!(sniff_delimiter(b"id;organisation;email\n1;\"a,b\";c"), b';');
        assert_eq!(sniff_delimiter(b"id\torganisation\temail"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter(b"email"), b',');
        assert_eq!(sniff_delimiter(b"a;b\r\nc,d,e,f"), b';');
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let text: Vec<u8> = "id,email"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(looks_like_utf16_without_bom(&text));
        assert!(!looks_like_utf16_without_bom(b"id,email,organisation"));
    }

    /// A workbook written by rust_xlsxwriter: `cells` are (row, column, text), 0-based; a text
    /// starting with `#` is written as that error value's formula result.
    fn workbook(cells: &[(u32, u16, &str)]) -> tempfile::NamedTempFile {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Danh sách").unwrap();
        for &(row, column, text) in cells {
            if text.starts_with('#') {
                sheet
                    .write_formula(
                        row,
                        column,
                        rust_xlsxwriter::Formula::new("=NA()").set_result(text),
                    )
                    .unwrap();
            } else {
                sheet.write_string(row, column, text).unwrap();
            }
        }
        let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
        std::fs::write(file.path(), book.save_to_buffer().unwrap()).unwrap();
        file
    }

    fn settings(file: &Path) -> Settings {
        Settings {
            file: file.to_owned(),
            encoding: None,
            delimiter: None,
            columns: ColumnMap::default(),
            required: Vec::new(),
            sheet: None,
        }
    }

    fn rows(source: &Source, settings: &Settings) -> Vec<Result<Recipient, Vec<String>>> {
        let mut table = source
            .table(settings)
            .map_err(|p| p[0].to_string())
            .unwrap();
        std::iter::from_fn(|| table.next_row())
            .map(|r| r.map_err(|ps| ps.iter().map(ToString::to_string).collect()))
            .collect()
    }

    #[test]
    fn a_sheet_row_goes_through_the_same_checks_as_a_csv_row() {
        // The header on row 2 from column B, an empty spacer column D, a blank row 5.
        let file = workbook(&[
            (1, 1, " ID "),
            (1, 2, "organisation"),
            (1, 4, "Email"),
            (2, 1, "so-y-te"),
            (2, 2, "So\u{31b}\u{309} Y tê\u{301}"),
            (2, 4, "vanthu@soyte.example"),
            (3, 1, "so-tc"),
            (3, 2, "Sở Tài chính"),
            (3, 4, "#N/A"),
            (5, 1, "so-y-te"),
            (5, 2, "Sở Y tế (bản sao)"),
            (5, 4, "vanthu@soyte"),
        ]);
        let settings = settings(file.path());
        let source = read(&settings, "recipients/danh-sach.xlsx").unwrap();
        assert_eq!(
            source.describe(),
            "recipients/danh-sach.xlsx (sheet \"Danh sách\")"
        );
        assert_eq!(source.row_kind(), "row");
        let table = source.table(&settings).unwrap();
        assert_eq!(table.key_source(), KeySource::Column("ID".into()));
        assert_eq!(
            table.column_names(),
            ["ID", "organisation", "Email", "email", "cc", "id"]
        );
        let rows = rows(&source, &settings);
        let first = rows[0].as_ref().unwrap();
        assert_eq!((first.line, first.key.as_str()), (3, "so-y-te"));
        assert_eq!(first.organisation, "Sở Y tế", "NFC, as for a CSV cell");
        assert_eq!(
            rows[1].as_ref().unwrap_err(),
            &[
                "recipients/danh-sach.xlsx: Danh sách!E4: column `Email`: the cell shows the error #N/A \
               instead of a value; correct it (or the cells its formula uses) in the spreadsheet"
            ]
        );
        assert_eq!(
            rows[2].as_ref().unwrap_err(),
            &[
                "recipients/danh-sach.xlsx: Danh sách!E6: column `Email`: `vanthu@soyte` is not an \
                 email address: the part after the @ is not a complete domain name",
                "recipients/danh-sach.xlsx: Danh sách!B6: column `ID`: the key `so-y-te` is already \
                 used on row 3; every organisation needs its own",
            ]
        );
        assert_eq!(rows.len(), 3, "the blank row 5 carries no one");
    }

    #[test]
    fn a_sheet_header_names_its_cells() {
        let file = workbook(&[
            (0, 0, "organisation"),
            (0, 1, "email"),
            (0, 3, "Email"),
            (1, 0, "Sở A"),
            (1, 1, "a@a.example"),
            (1, 2, "a stray note under no header"),
            (1, 3, "b@a.example"),
        ]);
        let settings = settings(file.path());
        let source = read(&settings, "d.xlsx").unwrap();
        let problems: Vec<String> = match source.table(&settings) {
            Ok(_) => panic!("the header has problems"),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(
            problems,
            [
                "d.xlsx: Danh sách!C1: column C has no name in the header row",
                "d.xlsx: Danh sách!D1: the header names the same column twice: `email` and `Email` \
                 (columns B and D; letter case does not count); rename one of them",
            ]
        );
    }

    #[test]
    fn a_workbook_named_as_csv_is_recognised() {
        let file = workbook(&[(0, 0, "organisation")]);
        let csv = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::fs::copy(file.path(), csv.path()).unwrap();
        let problems = read(&settings(csv.path()), "list.csv").err().unwrap();
        assert!(
            problems[0].to_string().starts_with(
                "list.csv: the file is a zip archive, such as an .xlsx or .ods workbook, not CSV text"
            ),
            "{}",
            problems[0]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_cell_parses_or_is_refused_never_panics(cell in ".{0,200}") {
            if let Ok(list) = parse_addresses(&cell) {
                for a in list {
                    let text = a.to_string();
                    proptest::prop_assert!(text.is_ascii() && text.matches('@').count() == 1);
                    proptest::prop_assert!(!has_header_control(&text));
                }
            }
        }
    }
}
