//! The auditor's export as an Excel workbook: a header and rows of typed cells in, the bytes of
//! one `.xlsx` sheet out, through any writer. (`init --xlsx` writes its example recipient list
//! the same way: text cells only.)
//!
//! It owns how each kind of value is stored: text always as a string, never as a formula, even
//! when it starts with `=`, `+`, `-` or `@` (an organisation named `=HYPERLINK(…)` must not
//! become a link or a calculation when the auditor opens the file); numbers as numbers, except
//! integers too long for Excel's 15 significant digits, which are stored as text so no digit is
//! lost; times as real Excel date-times in UTC, to the millisecond (the delivery log records
//! RFC 3339 UTC times with milliseconds, and the CSV export shows them as they are: the workbook
//! holds the same instants, with no time-zone database involved), shown as `dd/mm/yyyy hh:mm:ss`
//! under a header that says `(UTC)`. It also owns the look of the sheet: a bold header row that stays in view when
//! scrolling, and column widths from the longest value (capped), computed here rather than by
//! rust_xlsxwriter's autofit so that they do not depend on its font tables.
//!
//! The output is deterministic: the same header, rows and `created` time give the same bytes
//! (rust_xlsxwriter stamps its zip entries with a fixed date, and the only clock it would read,
//! the document's creation time, is set from `created`). Choosing `created` (for example the time
//! of the last log record exported) is the caller's: this module reads no clock and opens no
//! file; the caller hands it a writer (the file named with `-o`, or a buffer).
//!
//! A text longer than an Excel cell holds (32,767 UTF-16 units: a very long organisation name or
//! server reply) is cut there, ends with a visible marker, and carries a note that says how long
//! it was and that the CSV and JSON exports hold it whole; the workbook is never refused for it.
//!
//! Its errors are worded in `locales/*/export.ftl`; the sheet's name, headers and cells are the
//! caller's and are never translated here.

use std::fmt;
use std::io::Write;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Note, Workbook, Worksheet, XlsxError};

/// The sheet's name (what the tab shows).
pub const SHEET_NAME: &str = "Delivery log";

/// How times are shown: the Vietnamese day-month order, to the second.
pub const TIME_FORMAT: &str = "dd/mm/yyyy hh:mm:ss";

/// The widest column, in Excel's character units: a long organisation name wraps off-screen
/// rather than pushing every other column out of view.
pub const MAX_WIDTH: usize = 60;

const MIN_WIDTH: usize = 8;

/// Integers from this size on have more digits than Excel keeps (15 significant digits), so
/// they are written as text.
const EXCEL_EXACT_LIMIT: i64 = 1_000_000_000_000_000;

/// One cell of the export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Written as a string, whatever it starts with.
    Text(String),
    /// Must be finite. (No column of the delivery-log export holds a fraction yet; the tests
    /// keep its writing right for when one does.)
    #[cfg_attr(not(test), allow(dead_code))]
    Number(f64),
    Integer(i64),
    /// A moment, written as an Excel date-time in UTC (to the millisecond).
    Time(Timestamp),
    Empty,
}

impl Cell {
    /// A time from its RFC 3339 text, as the delivery log records it (`2024-05-01T08:30:00Z`).
    pub fn time(rfc3339: &str) -> Result<Cell, ExportError> {
        rfc3339
            .parse::<Timestamp>()
            .map(Cell::Time)
            .map_err(|e| ExportError::BadTime {
                text: rfc3339.to_owned(),
                reason: e.to_string(),
            })
    }
}

/// Why the export could not be written.
#[derive(Debug)]
pub enum ExportError {
    /// A row has a different number of cells from the header. `row` is 1-based among the rows.
    RowWidth {
        row: usize,
        cells: usize,
        headers: usize,
    },
    /// A number is NaN or infinite, which a workbook cannot hold.
    NotFinite { row: usize, column: usize },
    /// A time outside the years 1900-9999, which Excel cannot show.
    TimeOutOfRange(Timestamp),
    /// A time's text is not RFC 3339.
    BadTime { text: String, reason: String },
    /// rust_xlsxwriter refused something (more than 1,048,575
    /// rows) or the writer failed. `what` says where.
    Xlsx { what: Place, source: XlsxError },
}

/// Where in the workbook rust_xlsxwriter refused something. Columns and rows are 1-based, as
/// a person counts them, except `Cell`'s row, which is the sheet row under the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    SheetName,
    Header(usize),
    ColumnWidth(usize),
    FreezingTheHeader,
    Saving,
    Column(usize),
    Row(usize),
    Cell { row: usize, column: usize },
    Time(Timestamp),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match *self {
            Place::SheetName => t!("export-place-sheet-name"),
            Place::Header(column) => t!("export-place-header", column = column),
            Place::ColumnWidth(column) => t!("export-place-column-width", column = column),
            Place::FreezingTheHeader => t!("export-place-freezing-the-header"),
            Place::Saving => t!("export-place-saving"),
            Place::Column(column) => t!("export-place-column", column = column),
            Place::Row(row) => t!("export-place-row", row = row),
            Place::Cell { row, column } => t!("export-place-cell", row = row, column = column),
            Place::Time(t) => t!("export-place-time", time = t.to_string()),
        })
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::RowWidth {
                row,
                cells,
                headers,
            } => f.write_str(&t!(
                "export-row-width",
                row = *row,
                cells = *cells,
                headers = *headers
            )),
            ExportError::NotFinite { row, column } => {
                f.write_str(&t!("export-not-finite", row = *row, column = *column))
            }
            ExportError::TimeOutOfRange(time) => {
                f.write_str(&t!("export-time-out-of-range", time = time.to_string()))
            }
            ExportError::BadTime { text, reason } => {
                f.write_str(&t!("export-bad-time", text = text, reason = reason))
            }
            ExportError::Xlsx { what, source } => f.write_str(&t!(
                "export-cannot-write",
                what = what.to_string(),
                error = source.to_string()
            )),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Xlsx { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn xlsx(what: Place) -> impl FnOnce(XlsxError) -> ExportError {
    move |source| ExportError::Xlsx { what, source }
}

/// Writes a workbook of one sheet named `name` to `out`. `created` becomes the document's
/// creation time (in its properties), and is the only thing besides the data that the bytes
/// depend on.
pub fn write_sheet<W: Write + Send>(
    out: W,
    name: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
    created: Timestamp,
) -> Result<(), ExportError> {
    let mut workbook = Workbook::new();
    let properties = DocProperties::new().set_creation_datetime(&excel_time(created, false)?);
    workbook.set_properties(&properties);
    let sheet = workbook.add_worksheet();
    sheet.set_name(name).map_err(xlsx(Place::SheetName))?;
    let headers = headers_saying_utc(headers, rows);
    let bold = Format::new().set_bold();
    for (column, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col(column)?, header.as_str(), &bold)
            .map_err(xlsx(Place::Header(column + 1)))?;
    }
    let time_format = Format::new().set_num_format(TIME_FORMAT);
    for (index, row) in rows.iter().enumerate() {
        if row.len() != headers.len() {
            return Err(ExportError::RowWidth {
                row: index + 1,
                cells: row.len(),
                headers: headers.len(),
            });
        }
        for (column, cell) in row.iter().enumerate() {
            write_cell(sheet, index + 1, column, cell, &time_format)?;
        }
    }
    for (column, width) in widths(&headers, rows).into_iter().enumerate() {
        sheet
            .set_column_width(col(column)?, width as f64)
            .map_err(xlsx(Place::ColumnWidth(column + 1)))?;
    }
    sheet
        .set_freeze_panes(1, 0)
        .map_err(xlsx(Place::FreezingTheHeader))?;
    workbook.save_to_writer(out).map_err(xlsx(Place::Saving))
}

/// The export (a sheet named `SHEET_NAME`) as bytes, for a caller that writes them itself.
pub fn export_bytes(
    headers: &[&str],
    rows: &[Vec<Cell>],
    created: Timestamp,
) -> Result<Vec<u8>, ExportError> {
    sheet_bytes(SHEET_NAME, headers, rows, created)
}

/// A workbook of one sheet named `name`, as bytes (`init --xlsx`'s recipient list).
pub fn sheet_bytes(
    name: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
    created: Timestamp,
) -> Result<Vec<u8>, ExportError> {
    let mut bytes = Vec::new();
    write_sheet(&mut bytes, name, headers, rows, created)?;
    Ok(bytes)
}

fn col(column: usize) -> Result<u16, ExportError> {
    u16::try_from(column).map_err(|_| ExportError::Xlsx {
        what: Place::Column(column + 1),
        source: XlsxError::RowColumnLimitError,
    })
}

/// `row` is the sheet row, 0-based (the header is row 0).
fn write_cell(
    sheet: &mut Worksheet,
    row: usize,
    column: usize,
    cell: &Cell,
    time_format: &Format,
) -> Result<(), ExportError> {
    let (r, c) = (
        u32::try_from(row).map_err(|_| ExportError::Xlsx {
            what: Place::Row(row),
            source: XlsxError::RowColumnLimitError,
        })?,
        col(column)?,
    );
    let at = || {
        xlsx(Place::Cell {
            row,
            column: column + 1,
        })
    };
    match cell {
        // `write_string` stores a shared string: Excel and LibreOffice never evaluate it.
        Cell::Text(text) => match cut_to_excel(text) {
            None => sheet.write_string(r, c, text.as_str()).map_err(at())?,
            Some(cut) => {
                sheet.write_string(r, c, cut).map_err(at())?;
                let note = Note::new(cut_note(text))
                    .set_author("letterpost")
                    .add_author_prefix(false);
                sheet.insert_note(r, c, &note).map_err(at())?
            }
        },
        Cell::Number(n) if !n.is_finite() => {
            return Err(ExportError::NotFinite {
                row,
                column: column + 1,
            });
        }
        Cell::Number(n) => sheet.write_number(r, c, *n).map_err(at())?,
        Cell::Integer(i) if i.unsigned_abs() < EXCEL_EXACT_LIMIT as u64 => {
            sheet.write_number(r, c, *i as f64).map_err(at())?
        }
        Cell::Integer(i) => sheet.write_string(r, c, i.to_string()).map_err(at())?,
        Cell::Time(t) => sheet
            .write_datetime_with_format(r, c, excel_time(*t, true)?, time_format)
            .map_err(at())?,
        Cell::Empty => sheet,
    };
    Ok(())
}

/// Excel keeps at most this many UTF-16 code units in a cell (rust_xlsxwriter refuses more).
pub const EXCEL_CELL_LIMIT: usize = 32_767;

/// What ends a text cut at Excel's limit, so that nobody reads the cut text as whole.
pub const CUT_MARKER: &str = " […cut: see the CSV or JSON export]";

/// A text too long for one Excel cell, cut at a character boundary so that the text plus
/// `CUT_MARKER` fits; `None` when it fits as it is. (An organisation's name or a server's reply
/// can be longer than Excel allows; the export must still be written, and say where the rest is.)
fn cut_to_excel(text: &str) -> Option<String> {
    if text.encode_utf16().count() <= EXCEL_CELL_LIMIT {
        return None;
    }
    let room = EXCEL_CELL_LIMIT - CUT_MARKER.encode_utf16().count();
    let mut units = 0;
    let end = text
        .char_indices()
        .find(|(_, ch)| {
            units += ch.len_utf16();
            units > room
        })
        .map_or(text.len(), |(at, _)| at);
    Some(format!("{}{CUT_MARKER}", &text[..end]))
}

/// The note on a cut cell: how long the text was and which exports hold all of it.
fn cut_note(text: &str) -> String {
    format!(
        "This text has {} characters, more than the {EXCEL_CELL_LIMIT} an Excel cell holds, \
         so the cell shows its beginning. `letterpost log export --csv` and `--json` have the \
         whole text.",
        text.chars().count()
    )
}

/// A moment as an Excel date-time in UTC. Cell values keep the milliseconds (Excel's
/// precision, truncated so that a time never rounds into the next second); the document's
/// creation time (`with_millis` false) has whole seconds, as its XML wants.
fn excel_time(t: Timestamp, with_millis: bool) -> Result<ExcelDateTime, ExportError> {
    let utc = TimeZone::UTC.to_datetime(t);
    if !(1900..=9999).contains(&utc.year()) {
        return Err(ExportError::TimeOutOfRange(t));
    }
    let milli = if with_millis {
        (utc.subsec_nanosecond() / 1_000_000) as u16
    } else {
        0
    };
    // The ranges of jiff's civil fields fit the narrower integers rust_xlsxwriter takes.
    ExcelDateTime::from_ymd(utc.year() as u16, utc.month() as u8, utc.day() as u8)
        .and_then(|d| {
            d.and_hms_milli(
                utc.hour() as u16,
                utc.minute() as u8,
                utc.second() as u8,
                milli,
            )
        })
        .map_err(xlsx(Place::Time(t)))
}

/// The headers, with ` (UTC)` added to those of columns holding times, unless they already say
/// `UTC`: a time in the sheet never appears without its zone.
fn headers_saying_utc(headers: &[&str], rows: &[Vec<Cell>]) -> Vec<String> {
    headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let holds_times = rows
                .iter()
                .any(|row| matches!(row.get(column), Some(Cell::Time(_))));
            if holds_times && !header.contains("UTC") {
                format!("{header} (UTC)")
            } else {
                (*header).to_owned()
            }
        })
        .collect()
}

/// Each column's width: its longest value in characters (the longest line of a text), plus room
/// for the bold header and the cell margins, between `MIN_WIDTH` and `MAX_WIDTH`.
fn widths(headers: &[String], rows: &[Vec<Cell>]) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let longest = rows
                .iter()
                .filter_map(|row| row.get(column))
                .map(shown_length)
                .max()
                .unwrap_or(0)
                .max(header.chars().count() + 1);
            (longest + 2).clamp(MIN_WIDTH, MAX_WIDTH)
        })
        .collect()
}

fn shown_length(cell: &Cell) -> usize {
    match cell {
        Cell::Text(text) => text.lines().map(|l| l.chars().count()).max().unwrap_or(0),
        Cell::Number(n) => format!("{n}").len(),
        Cell::Integer(i) => i.to_string().len(),
        Cell::Time(_) => TIME_FORMAT.len(),
        Cell::Empty => 0,
    }
}

#[cfg(test)]
mod read_back;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_time_columns_say_utc() {
        let t = Cell::time("2024-05-01T08:30:00Z").unwrap();
        let rows = vec![vec![Cell::Text("a".into()), t.clone(), t]];
        assert_eq!(
            headers_saying_utc(&["organisation", "time", "sent (UTC)"], &rows),
            ["organisation", "time (UTC)", "sent (UTC)"]
        );
    }

    #[test]
    fn widths_follow_the_longest_value_and_are_capped() {
        let rows = vec![vec![
            Cell::Text("Sở Y tế tỉnh Bình Dương".into()),
            Cell::Text("x".repeat(200)),
            Cell::Integer(1),
            Cell::Time(Timestamp::UNIX_EPOCH),
        ]];
        let headers: Vec<String> = ["organisation", "note", "n", "t (UTC)"]
            .map(String::from)
            .to_vec();
        // 23 characters (not 30 bytes) + 2; 200 capped at 60; at least 8; 19 + 2.
        assert_eq!(widths(&headers, &rows), [25, 60, 8, 21]);
    }

    #[test]
    fn times_are_utc_to_the_millisecond() {
        let t: Timestamp = "2024-05-01T15:30:00.999999+07:00".parse().unwrap();
        let excel = excel_time(t, true).unwrap();
        // 2024-05-01 08:30:00.999 UTC: 45413 days, then the fraction of the day.
        let expected = 45413.0 + (8.0 * 3600.0 + 30.0 * 60.0 + 0.999) / 86400.0;
        assert!((excel.to_excel() - expected).abs() < 1e-9);
        let early: Timestamp = "1899-12-31T23:59:59Z".parse().unwrap();
        assert!(matches!(
            excel_time(early, true),
            Err(ExportError::TimeOutOfRange(_))
        ));
        assert!(matches!(
            Cell::time("yesterday"),
            Err(ExportError::BadTime { .. })
        ));
    }
}
