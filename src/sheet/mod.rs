//! A recipient list kept in a workbook: `.xlsx`/`.xlsm`, `.xls` or `.ods` bytes in, one sheet out
//! as rows of text, each cell shown the way the spreadsheet shows it and located the way the
//! spreadsheet names it (`Danh sách!C14`).
//!
//! It owns: choosing the reader from the file's extension; choosing the sheet (the first visible
//! worksheet, or one named by the caller, matched as Excel matches sheet names: without regard to
//! letter case, and here also without regard to Unicode normalisation); turning each cell's value
//! into text (whole numbers without `.0`, other numbers in their shortest round-trip form, text as
//! typed, `TRUE`/`FALSE`, dates as `dd/mm/yyyy` and date-times as `dd/mm/yyyy HH:MM` (`:SS` when
//! the seconds are not zero), in either date system, and a formula's cached value); finding the header (the first row that is not
//! empty) and trimming empty rows and columns around the data; and the caps (64 KiB per cell,
//! 1,000,000 rows, 16 Mi cells in the used area).
//!
//! An error value in a cell (`#N/A`, `#REF!`, `#DIV/0!`, …) is a problem on that cell, kept with
//! the row, never an empty string. A file that cannot be read is an error that says which format
//! was expected, calamine's reason, and what the bytes look like when they are another format.
//! Damaged files are calamine's to judge, with two defences around it: a panic inside calamine
//! is caught and reported as damage, and the two sizes calamine 0.38 would allocate for without
//! checking them (an .xlsx shared-string count, an .xls sheet's dimensions), where an absurd
//! value aborts the process, are checked first (`guards.rs`). `cells.rs` shows a cell's value.
//!
//! It does not: read files (the caller reads each input once and hands over the bytes), apply
//! number formats other than dates and times (a number formatted `0000` or as a percentage comes
//! out as the bare number, `274` or `0.05`; only a text cell keeps leading zeros), normalise text
//! to NFC, check control characters or give columns their roles: the rows it returns go through
//! the same checks as CSV rows, in `recipients`.
//!
//! Its messages for the clerk are in `locales/{en,vi}/recipients.ftl` (`recipients-sheet-…`), the
//! guards' reasons for refusing a damaged file too; calamine's own reasons stay in English.

use std::fmt;
use std::io::{Cursor, Read};

use calamine::{Data, ExcelDateTime, Ods, Range, Reader, SheetType, SheetVisible, Xls, Xlsx};
use unicode_normalization::UnicodeNormalization;

mod cells;
mod guards;

use cells::*;
use guards::*;

/// The largest cell, in bytes of UTF-8: the same cap as a CSV cell in `recipients`.
pub const CELL_CAP: usize = 64 * 1024;

/// The last spreadsheet row that may hold anything: about a million organisations, as for a CSV.
pub const ROW_CAP: u32 = 1_000_000;

/// The most cells the used area (from the first to the last row and column that hold anything)
/// may span: as many as the largest .xls sheet, 65,536 rows by 256 columns. Every row is
/// returned with the sheet's full width, and calamine lays out .xls and .ods sheets as dense
/// grids (about 90 bytes a cell for .ods), so this bounds memory whatever stray cell sits far
/// to the right or below; a million rows of 16 columns fit.
pub const AREA_CAP: u64 = 65_536 * 256;

/// The workbook formats read, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Excel 2007 and later: `.xlsx`, and `.xlsm` (the same with macros, which are not run).
    Xlsx,
    /// Excel 97-2003: `.xls`.
    Xls,
    /// OpenDocument (LibreOffice, and Excel's "OpenDocument Spreadsheet"): `.ods`.
    Ods,
}

impl Format {
    /// The format for a file extension, with or without its dot, in any letter case.
    pub fn from_extension(extension: &str) -> Option<Format> {
        let extension = extension.strip_prefix('.').unwrap_or(extension);
        match extension.to_ascii_lowercase().as_str() {
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }

    /// The format as a message chooses its words by (`$format`): `xlsx`, `xls` or `ods`.
    fn kind(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }
}

/// One sheet of a workbook, from its header row to its last row that is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The sheet's name as the workbook spells it.
    pub name: String,
    /// The first row that is not empty. Its cells are the column names, as typed.
    pub header: Row,
    /// The rows below the header, in order, up to the last row that is not empty. Blank rows in
    /// between are kept (`Row::is_blank`) so that row numbers stay those of the spreadsheet.
    pub rows: Vec<Row>,
}

#[cfg(test)]
impl Sheet {
    /// Every problem on the sheet, header first, in row order.
    pub fn problems(&self) -> impl Iterator<Item = &CellProblem> {
        std::iter::once(&self.header)
            .chain(&self.rows)
            .flat_map(|row| &row.problems)
    }
}

/// One spreadsheet row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row number the spreadsheet shows (1-based).
    pub number: u32,
    /// The 0-based spreadsheet column of `cells[0]`: the first column that holds anything on the
    /// sheet (empty columns on the left are dropped, as empty rows above the header are).
    pub first_column: usize,
    /// The cells as the spreadsheet shows them, one per column from `first_column` to the
    /// sheet's last column that holds anything; every row of a sheet has the same number. An
    /// empty cell is `""`; a cell with a problem holds what the spreadsheet shows (`#N/A`), or
    /// `""` when it is over the size cap.
    pub cells: Vec<String>,
    /// The problems of this row's cells, in column order.
    pub problems: Vec<CellProblem>,
}

impl Row {
    /// Whether the row holds nothing but empty cells (or cells of spaces): the caller skips it.
    pub fn is_blank(&self) -> bool {
        self.problems.is_empty() && self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// The spreadsheet reference of `cells[index]`, such as `C14`.
    #[cfg(test)]
    pub fn cell_ref(&self, index: usize) -> String {
        cell_ref(self.first_column + index, self.number)
    }
}

/// Something wrong with one cell, located as the spreadsheet names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub sheet: String,
    /// 0-based column.
    pub column: usize,
    /// 1-based row.
    pub row: u32,
    pub message: String,
}

impl CellProblem {
    /// The cell's reference, such as `C14`.
    pub fn reference(&self) -> String {
        cell_ref(self.column, self.row)
    }
}

impl fmt::Display for CellProblem {
    /// `Danh sách!C14: message`: the sheet name is written as the clerk sees it on its tab, not
    /// quoted as in a formula.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}!{}: {}", self.sheet, self.reference(), self.message)
    }
}

/// Why a workbook gave no sheet to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// The extension is not one of the formats read.
    UnknownExtension(String),
    /// The bytes are not a workbook of the expected format (corrupt, truncated, encrypted or of
    /// another kind). `reason` is calamine's; `looks_like` says what the bytes seem to be when
    /// that is not the expected format (`ods`, `zip`, `ole2`, `html` or `text`, as the message
    /// `recipients-sheet-looks-like` words them).
    NotAWorkbook {
        format: Format,
        reason: String,
        looks_like: Option<&'static str>,
    },
    /// No sheet has the name asked for. `found` lists the workbook's sheets, in order.
    NoSuchSheet { wanted: String, found: Vec<String> },
    /// The workbook has no visible worksheet to take as the first one.
    NoWorksheet { found: Vec<String> },
    /// Every cell of the sheet is empty.
    Empty { sheet: String },
    /// Something is written below row `ROW_CAP`.
    TooManyRows { sheet: String, row: u64 },
    /// The used area spans more than `AREA_CAP` cells (`cells` is its size, or a lower bound).
    TooManyCells { sheet: String, cells: u64 },
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetError::UnknownExtension(ext) => {
                f.write_str(&t!("recipients-sheet-unknown-extension", extension = ext))
            }
            SheetError::NotAWorkbook {
                format,
                reason,
                looks_like,
            } => f.write_str(&match looks_like {
                None => t!(
                    "recipients-sheet-not-a-workbook",
                    format = format.kind(),
                    reason = reason
                ),
                Some(kind) => t!(
                    "recipients-sheet-looks-like",
                    format = format.kind(),
                    reason = reason,
                    kind = *kind
                ),
            }),
            SheetError::NoSuchSheet { wanted, found } => f.write_str(&t!(
                "recipients-sheet-not-found",
                wanted = wanted,
                sheets = quoted_list(found)
            )),
            SheetError::NoWorksheet { found } => f.write_str(&t!(
                "recipients-sheet-no-worksheet",
                sheets = quoted_list(found)
            )),
            SheetError::Empty { sheet } => {
                f.write_str(&t!("recipients-sheet-empty", sheet = sheet))
            }
            SheetError::TooManyRows { sheet, row } => f.write_str(&t!(
                "recipients-sheet-too-many-rows",
                sheet = sheet,
                row = *row,
                cap = ROW_CAP
            )),
            SheetError::TooManyCells { sheet, cells } => f.write_str(&t!(
                "recipients-sheet-too-many-cells",
                sheet = sheet,
                cells = *cells,
                cap = AREA_CAP
            )),
        }
    }
}

impl std::error::Error for SheetError {}

fn quoted_list(names: &[String]) -> String {
    if names.is_empty() {
        return t!("recipients-sheet-none");
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    quoted.join(", ")
}

/// The spreadsheet reference of a cell: `cell_ref(0, 1)` is `A1`, `cell_ref(26, 14)` is `AA14`.
pub fn cell_ref(column: usize, row: u32) -> String {
    let mut reference = column_letters(column);
    reference.push_str(&row.to_string());
    reference
}

/// The letters of a 0-based column: `A`, …, `Z`, `AA`. Columns are numbered as Excel does
/// (bijective base 26: Z is followed by AA).
pub fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Reads one sheet of a workbook held in memory. `extension` is the file's (`xlsx`, `.ODS`, …);
/// `sheet` names the sheet to read, or `None` for the first visible worksheet.
pub fn read_sheet(bytes: &[u8], extension: &str, sheet: Option<&str>) -> Result<Sheet, SheetError> {
    let format = Format::from_extension(extension)
        .ok_or_else(|| SheetError::UnknownExtension(extension.to_owned()))?;
    guard(format, bytes)?;
    // calamine indexes into the file's structures without checking every bound, so a damaged
    // file can make it panic (the fuzz test finds such .xls files). A panic there means "not a
    // readable workbook", like any other damage, rather than the end of letterpost.
    READING.with(|reading| reading.set(true));
    let read = std::panic::catch_unwind(|| match format {
        Format::Xlsx => read_xlsx(bytes, sheet),
        Format::Xls => read_xls(bytes, sheet),
        Format::Ods => read_ods(bytes, sheet),
    });
    READING.with(|reading| reading.set(false));
    match read {
        Ok(collector) => collector?.finish(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(not_readable(format, bytes)(t!(
                "recipients-sheet-reader-stopped",
                error = what
            )))
        }
    }
}

thread_local! {
    /// Set while calamine reads a workbook on this thread, where a panic is caught and reported
    /// as damage.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wraps the process's panic hook so that a panic inside calamine, which `read_sheet` catches
/// and reports as a damaged file, does not also print Rust's panic message (and a backtrace)
/// above that report. Any other panic, on any thread, is printed as before. Called once by
/// `main`.
pub fn quiet_caught_panics() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !READING.with(std::cell::Cell::get) {
            hook(info);
        }
    }));
}

fn not_readable<E: fmt::Display>(format: Format, bytes: &[u8]) -> impl FnOnce(E) -> SheetError {
    move |e| SheetError::NotAWorkbook {
        format,
        reason: e.to_string(),
        looks_like: looks_like(bytes, format),
    }
}

/// What the bytes seem to be, when that is not `expected` (`ods`, `zip`, `ole2`, `html`, `text`):
/// the commonest mistakes are a file renamed to another extension and a workbook saved with a
/// password (an encrypted `.xlsx` is an OLE2 file, like an `.xls`).
fn looks_like(bytes: &[u8], expected: Format) -> Option<&'static str> {
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let (kind, format) = if bytes.starts_with(b"PK\x03\x04") {
        // An OpenDocument file starts with its uncompressed `mimetype` entry.
        let head = &bytes[..bytes.len().min(100)];
        if head
            .windows(46)
            .any(|w| w == b"application/vnd.oasis.opendocument.spreadsheet")
        {
            ("ods", Some(Format::Ods))
        } else {
            ("zip", Some(Format::Xlsx))
        }
    } else if bytes.starts_with(OLE2) {
        ("ole2", Some(Format::Xls))
    } else if let Ok(text) = std::str::from_utf8(&bytes[..bytes.len().min(4096)]) {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('<')
        {
            ("html", None)
        } else {
            ("text", None)
        }
    } else {
        return None;
    };
    (format != Some(expected)).then_some(kind)
}

/// The sheet to read: the one named (exactly, or else without regard to letter case and Unicode
/// normalisation, as a name typed in campaign.toml may differ from the tab's), or the first
/// visible worksheet (a hidden sheet is not what the clerk sees first).
fn choose(sheets: &[calamine::Sheet], wanted: Option<&str>) -> Result<String, SheetError> {
    let names = || sheets.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let Some(wanted) = wanted else {
        return sheets
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .ok_or_else(|| SheetError::NoWorksheet { found: names() });
    };
    let key = |name: &str| name.trim().nfc().collect::<String>().to_lowercase();
    sheets
        .iter()
        .find(|s| s.name == wanted)
        .or_else(|| sheets.iter().find(|s| key(&s.name) == key(wanted)))
        .map(|s| s.name.clone())
        .ok_or_else(|| SheetError::NoSuchSheet {
            wanted: wanted.to_owned(),
            found: names(),
        })
}

/// `.xlsx` cells are streamed one by one rather than read as a calamine `Range`: a `Range` is
/// dense, so two cells at A1 and XFD1048576 would ask for 17 billion cells. Streaming lets the
/// caps stop a hostile or damaged sheet before it fills memory.
fn read_xlsx(bytes: &[u8], wanted: Option<&str>) -> Result<Collector, SheetError> {
    let failed = || not_readable(Format::Xlsx, bytes);
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(failed())?;
    let name = choose(book.sheets_metadata(), wanted)?;
    let mut collector = Collector::new(name.clone());
    let mut cells = book.worksheet_cells_reader(&name).map_err(failed())?;
    while let Some(cell) = cells.next_cell().map_err(failed())? {
        let (row, column) = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        collector.push(row, column, shown(&value))?;
    }
    Ok(collector)
}

/// `.xls` is read whole: calamine reads every sheet of the workbook when it opens it, as dense
/// grids whose sizes `guard_xls_sizes` has checked.
fn read_xls(bytes: &[u8], wanted: Option<&str>) -> Result<Collector, SheetError> {
    let failed = || not_readable(Format::Xls, bytes);
    let mut book = Xls::new(Cursor::new(bytes)).map_err(failed())?;
    let name = choose(book.sheets_metadata(), wanted)?;
    let range = book.worksheet_range(&name).map_err(failed())?;
    let mut collector = Collector::new(name);
    for (row, column, value) in absolute_cells(&range) {
        collector.push(row, column, shown(value))?;
    }
    Ok(collector)
}

/// `.ods` is read whole, like `.xls` (`guard_ods_extent` has checked the sheets' spans).
/// LibreOffice stores an error result as the text of the error, so a formula cell whose text is
/// an error code is taken for the error it is.
fn read_ods(bytes: &[u8], wanted: Option<&str>) -> Result<Collector, SheetError> {
    let failed = || not_readable(Format::Ods, bytes);
    let mut book = Ods::new(Cursor::new(bytes)).map_err(failed())?;
    let name = choose(book.sheets_metadata(), wanted)?;
    let range = book.worksheet_range(&name).map_err(failed())?;
    let formulas = book.worksheet_formula(&name).map_err(failed())?;
    let mut collector = Collector::new(name);
    for (row, column, value) in absolute_cells(&range) {
        let mut value = shown(value);
        if let Some(Shown::Text(text)) = &value
            && is_error_text(text)
            && formulas
                .get_value((row, column))
                .is_some_and(|f| !f.is_empty())
        {
            value = Some(Shown::Error(text.clone()));
        }
        collector.push(row, column, value)?;
    }
    Ok(collector)
}

/// Gathers a sheet's non-empty cells as they are read, enforcing the caps on the way, then lays
/// them out as rows.
struct Collector {
    sheet: String,
    /// (row, column, text, problem), 0-based positions, in the order read.
    cells: Vec<(u32, u32, String, Option<String>)>,
}

impl Collector {
    fn new(sheet: String) -> Collector {
        Collector {
            sheet,
            cells: Vec::new(),
        }
    }

    fn push(&mut self, row: u32, column: u32, value: Option<Shown>) -> Result<(), SheetError> {
        let (text, problem) = match value {
            None => return Ok(()),
            Some(Shown::Text(text)) if text.trim().is_empty() => return Ok(()),
            Some(Shown::Text(text)) if text.len() > CELL_CAP => (
                String::new(),
                Some(t!(
                    "recipients-sheet-cell-too-large",
                    kib = text.len().div_ceil(1024),
                    cap = CELL_CAP / 1024
                )),
            ),
            Some(Shown::Text(text)) => (text, None),
            Some(Shown::Error(error)) => {
                let message = t!("recipients-sheet-cell-error", error = &error);
                (error, Some(message))
            }
        };
        if row >= ROW_CAP {
            return Err(SheetError::TooManyRows {
                sheet: self.sheet.clone(),
                row: u64::from(row) + 1,
            });
        }
        if self.cells.len() as u64 >= AREA_CAP {
            return Err(SheetError::TooManyCells {
                sheet: self.sheet.clone(),
                cells: AREA_CAP + 1,
            });
        }
        self.cells.push((row, column, text, problem));
        Ok(())
    }

    fn finish(mut self) -> Result<Sheet, SheetError> {
        self.cells.sort_by_key(|&(row, column, ..)| (row, column));
        let (Some(first), Some(last)) = (self.cells.first(), self.cells.last()) else {
            return Err(SheetError::Empty { sheet: self.sheet });
        };
        let (top, bottom) = (first.0, last.0);
        let left = self.cells.iter().map(|c| c.1).min().unwrap_or(0);
        let right = self.cells.iter().map(|c| c.1).max().unwrap_or(0);
        let width = (right - left + 1) as usize;
        let area = u64::from(bottom - top + 1) * width as u64;
        if area > AREA_CAP {
            return Err(SheetError::TooManyCells {
                sheet: self.sheet,
                cells: area,
            });
        }
        let mut rows: Vec<Row> = (top..=bottom)
            .map(|row| Row {
                number: row + 1,
                first_column: left as usize,
                cells: vec![String::new(); width],
                problems: Vec::new(),
            })
            .collect();
        for (row, column, text, problem) in self.cells {
            let target = &mut rows[(row - top) as usize];
            if let Some(message) = problem {
                target.problems.push(CellProblem {
                    sheet: self.sheet.clone(),
                    column: column as usize,
                    row: row + 1,
                    message,
                });
            }
            target.cells[(column - left) as usize] = text;
        }
        let mut rows = rows.into_iter();
        let header = rows.next().expect("the first row holds the first cell");
        Ok(Sheet {
            name: self.sheet,
            header,
            rows: rows.collect(),
        })
    }
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn cell_refs_count_columns_like_excel() {
        assert_eq!(cell_ref(0, 1), "A1");
        assert_eq!(cell_ref(2, 14), "C14");
        assert_eq!(cell_ref(25, 1), "Z1");
        assert_eq!(cell_ref(26, 1), "AA1");
        assert_eq!(cell_ref(27, 2), "AB2");
        assert_eq!(cell_ref(51, 3), "AZ3");
        assert_eq!(cell_ref(52, 3), "BA3");
        assert_eq!(cell_ref(701, 9), "ZZ9");
        assert_eq!(cell_ref(702, 9), "AAA9");
        assert_eq!(cell_ref(16_383, 1_048_576), "XFD1048576");
    }

    #[test]
    fn numbers_show_as_in_general_format() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(0.3), "0.3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(-0.125), "-0.125");
        assert_eq!(number(1_234_567_890_123.0), "1234567890123");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004"); // a computed value, shown exactly
    }

    fn excel(value: f64, is_1904: bool) -> String {
        excel_datetime(&ExcelDateTime::new(
            value,
            ExcelDateTimeType::DateTime,
            is_1904,
        ))
    }

    #[test]
    fn excel_dates_in_both_date_systems() {
        assert_eq!(excel(38001.0, false), "15/01/2004");
        assert_eq!(excel(44627.604166666664, false), "07/03/2022 14:30");
        assert_eq!(excel(45260.33690972222, false), "30/11/2023 08:05:09");
        assert_eq!(excel(0.4375, false), "10:30");
        // The same day is 1462 days smaller in the 1904 system.
        assert_eq!(excel(38001.0 - 1462.0, true), "15/01/2004");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(excel_datetime(&duration), "36:00");
    }

    #[test]
    fn iso_dates_and_durations() {
        assert_eq!(iso_datetime("2004-01-15"), "15/01/2004");
        assert_eq!(iso_datetime("2022-03-07T14:30:00"), "07/03/2022 14:30");
        assert_eq!(iso_datetime("2022-03-07T00:00:00"), "07/03/2022");
        assert_eq!(
            iso_datetime("2023-11-30T08:05:09.25"),
            "30/11/2023 08:05:09"
        );
        assert_eq!(iso_datetime("not a date"), "not a date");
        assert_eq!(iso_duration("PT10H30M00S"), "10:30");
        assert_eq!(iso_duration("PT36H00M05S"), "36:00:05");
        assert_eq!(iso_duration("P1DT1H"), "25:00");
        assert_eq!(iso_duration("-PT1H30M"), "-01:30");
        assert_eq!(iso_duration("garbage"), "garbage");
    }

    #[test]
    fn error_texts() {
        for text in ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "Err:502"] {
            assert!(is_error_text(text), "{text}");
        }
        for text in ["#1", "Err:", "Err:x", "N/A", "#n/a "] {
            assert!(!is_error_text(text), "{text}");
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(Format::from_extension("xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_extension(".XLSM"), Some(Format::Xlsx));
        assert_eq!(Format::from_extension("Xls"), Some(Format::Xls));
        assert_eq!(Format::from_extension("ods"), Some(Format::Ods));
        assert_eq!(Format::from_extension("csv"), None);
        assert_eq!(Format::from_extension("xlsb"), None);
    }

    #[test]
    fn cells_over_the_caps() {
        let mut c = Collector::new("S".into());
        c.push(0, 0, Some(Shown::Text("x".repeat(CELL_CAP + 1))))
            .unwrap();
        c.push(ROW_CAP - 1, 0, Some(Shown::Text("last".into())))
            .unwrap();
        let err = c.push(ROW_CAP, 0, Some(Shown::Text("y".into())));
        assert!(
            matches!(err, Err(SheetError::TooManyRows { row, .. }) if row == u64::from(ROW_CAP) + 1)
        );
        // An empty cell that far down is not data, and is not refused.
        c.push(ROW_CAP + 5, 0, None).unwrap();
        let sheet = c.finish().unwrap();
        assert_eq!(sheet.header.cells, vec![String::new()]);
        assert_eq!(
            sheet.header.problems[0].to_string(),
            "S!A1: this cell holds 65 KiB of text; a cell may hold at most 64 KiB"
        );
        assert_eq!(sheet.rows.len() as u32, ROW_CAP - 1);

        // Two cells far apart span too many cells.
        let mut c = Collector::new("S".into());
        c.push(0, 0, Some(Shown::Text("a".into()))).unwrap();
        c.push(999_999, 16_383, Some(Shown::Text("b".into())))
            .unwrap();
        assert!(matches!(
            c.finish(),
            Err(SheetError::TooManyCells { cells, .. }) if cells == 1_000_000 * 16_384
        ));
    }
}
