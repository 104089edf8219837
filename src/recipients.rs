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
//! What it says to the clerk is in `locales/{en,vi}/recipients.ftl`.

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

/// The recipient list as read from disk, once. Cheap to clone: every pass shares the content.
#[derive(Clone)]
pub struct Source {
    /// The file as the operator sees it, for problems.
    display: String,
    /// SHA-256 of the file's bytes as read.
    sha256: String,
    content: Content,
}

/// What every pass over the list reads: CSV bytes, parsed one row at a time, or the rows of a
/// workbook's sheet, parsed once when the file was read.
#[derive(Clone)]
enum Content {
    Csv {
        /// The bytes the CSV reader parses: the file itself for UTF-8 (cells are validated one
        /// by one, so a problem names its line and column), or the file decoded to UTF-8.
        text: Arc<[u8]>,
        /// The raw bytes, kept only when they are not UTF-8, for the encoding guess in a problem.
        raw_for_guess: Option<Arc<[u8]>>,
    },
    Sheet(Arc<SheetList>),
}

/// A workbook's sheet as a list: its rows, and which of the sheet's columns are the list's.
struct SheetList {
    sheet: Sheet,
    /// The list's columns, as indexes into the sheet's `Row::cells`: every column except those
    /// with no header name and nothing below it (an empty spacer column between two others).
    columns: Vec<usize>,
}

impl SheetList {
    fn new(sheet: Sheet) -> SheetList {
        let used = |i: usize| {
            !sheet.header.cells[i].trim().is_empty()
                || std::iter::once(&sheet.header)
                    .chain(&sheet.rows)
                    .any(|row| {
                        !row.cells[i].is_empty()
                            || row
                                .problems
                                .iter()
                                .any(|p| p.column == row.first_column + i)
                    })
        };
        let columns = (0..sheet.header.cells.len()).filter(|&i| used(i)).collect();
        SheetList { sheet, columns }
    }

    /// The column letters (`C`) of the list's column `index`.
    fn letters(&self, index: usize) -> String {
        let cell = self.columns.get(index).copied().unwrap_or(index);
        sheet::column_letters(self.sheet.header.first_column + cell)
    }

    /// The list's column of a sheet column (0-based on the sheet).
    fn index_of(&self, sheet_column: usize) -> Option<usize> {
        let cell = sheet_column.checked_sub(self.sheet.header.first_column)?;
        self.columns.iter().position(|&c| c == cell)
    }

    /// A row's cells in the list's columns.
    fn cells<'a>(&'a self, row: &'a sheet::Row) -> impl Iterator<Item = &'a str> + 'a {
        self.columns.iter().map(|&i| row.cells[i].as_str())
    }
}

/// Reads the whole list once, checks its size, and decodes it: a workbook (by its extension) into
/// its sheet's rows, anything else as CSV text in its encoding.
pub fn read(settings: &Settings, display: &str) -> Result<Source, Vec<Problem>> {
    let problem = |message: String| vec![Problem::new(display, message)];
    let extension = settings
        .file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(
        extension.as_str(),
        "xlsb" | "numbers" | "fods" | "xltx" | "xltm"
    ) {
        return Err(problem(t!(
            "recipients-format-unreadable",
            extension = &extension
        )));
    }
    let file = std::fs::File::open(&settings.file)
        .map_err(|e| problem(t!("recipients-cannot-open", error = e.to_string())))?;
    let mut raw = Vec::new();
    file.take(FILE_CAP + 1)
        .read_to_end(&mut raw)
        .map_err(|e| problem(t!("recipients-cannot-read", error = e.to_string())))?;
    if raw.len() as u64 > FILE_CAP {
        return Err(problem(t!(
            "recipients-too-large",
            mib = FILE_CAP / (1024 * 1024)
        )));
    }
    if raw.is_empty() {
        return Err(problem(t!("recipients-file-empty")));
    }
    let sha256 = hex::encode(Sha256::digest(&raw));
    if sheet::Format::from_extension(&extension).is_some() {
        let sheet = read_workbook(&raw, &extension, settings.sheet.as_deref()).map_err(problem)?;
        return Ok(Source {
            display: display.to_owned(),
            sha256,
            content: Content::Sheet(Arc::new(SheetList::new(sheet))),
        });
    }
    let source = |text: Vec<u8>, raw_for_guess| Source {
        display: display.to_owned(),
        sha256: sha256.clone(),
        content: Content::Csv {
            text: text.into(),
            raw_for_guess,
        },
    };
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&raw) {
        if encoding == encoding_rs::UTF_8 {
            raw.drain(..bom);
            let guess = (std::str::from_utf8(&raw).is_err()).then(|| raw.clone().into());
            return Ok(source(raw, guess));
        }
        let (text, _) = encoding.decode_without_bom_handling(&raw[bom..]);
        return Ok(source(text.into_owned().into_bytes(), None));
    }
    if let Some(kind) = workbook_bytes(&raw) {
        return Err(problem(t!("recipients-workbook-as-csv", kind = kind)));
    }
    match settings.encoding {
        Some(encoding) if encoding != encoding_rs::UTF_8 => {
            if !raw.is_ascii() && std::str::from_utf8(&raw).is_ok() {
                return Err(vec![mislabelled(display, encoding, &raw)]);
            }
            let (text, _) = encoding.decode_without_bom_handling(&raw);
            Ok(source(text.into_owned().into_bytes(), None))
        }
        _ => {
            if looks_like_utf16_without_bom(&raw[..raw.len().min(64)]) {
                return Err(problem(t!("recipients-utf16-without-bom")));
            }
            let guess = (std::str::from_utf8(&raw).is_err()).then(|| raw.clone().into());
            Ok(source(raw, guess))
        }
    }
}

/// One sheet of a workbook, or why it cannot be read, said for the clerk.
fn read_workbook(raw: &[u8], extension: &str, wanted: Option<&str>) -> Result<Sheet, String> {
    sheet::read_sheet(raw, extension, wanted).map_err(|e| match e {
        SheetError::NoSuchSheet { .. } => {
            t!("recipients-no-such-sheet", error = e.to_string())
        }
        _ => e.to_string(),
    })
}

/// What a file named as CSV is when its bytes are a workbook: `zip`, a zip archive (.xlsx, .ods),
/// or `ole2`, an OLE2 compound file (.xls, or a workbook saved with a password).
fn workbook_bytes(raw: &[u8]) -> Option<&'static str> {
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if raw.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if raw.starts_with(OLE2) {
        Some("ole2")
    } else {
        None
    }
}

/// A UTF-8 file with `encoding = "windows-1258"` (or another legacy encoding) left in
/// campaign.toml: decoding it again would turn every accented letter into two or three wrong
/// ones (`Ủy ban` into `á»¦y ban`), so it is refused with the first such line.
fn mislabelled(display: &str, encoding: &'static encoding_rs::Encoding, raw: &[u8]) -> Problem {
    let first = raw.iter().position(|b| !b.is_ascii()).unwrap_or(0);
    let line = line_at(raw, first);
    Problem::new(
        display,
        t!(
            "recipients-mislabelled-utf8",
            encoding = encoding.name().to_ascii_lowercase()
        ),
    )
    .at_line(line)
}

impl Source {
    /// SHA-256 of the file's bytes, as read.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The list's rows from the start: checks the header and returns a table to read rows from.
    pub fn table(&self, settings: &Settings) -> Result<Table, Vec<Problem>> {
        open(self, settings)
    }

    /// The list as a person names it: the file, and for a workbook the sheet read
    /// (`recipients/danh-sach.xlsx (sheet "Danh sách")`).
    pub fn describe(&self) -> String {
        match &self.content {
            Content::Csv { .. } => self.display.clone(),
            Content::Sheet(list) => t!(
                "recipients-list-in-sheet",
                file = &self.display,
                sheet = &list.sheet.name
            ),
        }
    }

    /// What a row's number counts: `line` in a CSV file (as an editor shows it), `row` in a
    /// sheet. Not words: the selector that messages choose their words by (`$where`, `$unit`).
    pub fn row_kind(&self) -> &'static str {
        match self.content {
            Content::Csv { .. } => "line",
            Content::Sheet(_) => "row",
        }
    }

    /// A problem with the whole list (in a workbook: with its sheet).
    pub fn problem(&self, message: impl Into<String>) -> Problem {
        let problem = Problem::new(&self.display, message);
        match &self.content {
            Content::Csv { .. } => problem,
            Content::Sheet(list) => problem.in_sheet(&list.sheet.name, None),
        }
    }

    /// A problem with one row: `line` is the row's line in a CSV file, its number in a sheet.
    pub fn row_problem(&self, line: u64, message: impl Into<String>) -> Problem {
        self.problem(message).at_line(line)
    }

    /// A problem in one cell: the row, and the list's column `index` named `header` (in a
    /// workbook also its letters, so the problem reads `Danh sách!C14: column `email`: …`).
    fn cell_problem(
        &self,
        line: u64,
        index: usize,
        header: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        let mut problem = Problem::new(&self.display, message).at_line(line);
        if let Some(header) = header {
            problem = problem.in_column(header);
        }
        match &self.content {
            Content::Csv { .. } => problem,
            Content::Sheet(list) => problem.in_sheet(&list.sheet.name, Some(list.letters(index))),
        }
    }

    /// The line or row of the header.
    fn header_line(&self) -> u64 {
        match &self.content {
            Content::Csv { .. } => 1,
            Content::Sheet(list) => u64::from(list.sheet.header.number),
        }
    }

    /// When the sheet read is the workbook's first because campaign.toml names none, what to do
    /// if the list is on another sheet (the first is often a title page or instructions).
    fn other_sheet_hint(&self, settings: &Settings) -> Option<String> {
        match &self.content {
            Content::Sheet(list) if settings.sheet.is_none() => {
                Some(t!("recipients-other-sheet-hint", sheet = &list.sheet.name))
            }
            _ => None,
        }
    }

    /// The list's column `index` as a message names it: `3` in a CSV file, `C` in a sheet.
    fn column_label(&self, index: usize) -> String {
        match &self.content {
            Content::Csv { .. } => (index + 1).to_string(),
            Content::Sheet(list) => list.letters(index),
        }
    }
}

/// An open pass over the recipient list. Read it with `next_row` until `None`.
pub struct Table {
    source: Source,
    rows: Rows,
    headers: Vec<String>,
    roles: Roles,
    /// Keys seen so far, as 128-bit digests (16 bytes each, whatever the key's length), with
    /// the line they were first seen on.
    seen: HashMap<u128, u64>,
}

/// Where a pass takes its rows from.
enum Rows {
    Csv(CsvRows),
    /// The sheet's rows below the header, and the next one to read.
    Sheet {
        list: Arc<SheetList>,
        next: usize,
    },
}

/// A pass over CSV text: the reader, the line counter, and whether reading stopped at text that
/// is not UTF-8.
struct CsvRows {
    reader: csv::Reader<Cursor<Arc<[u8]>>>,
    lines: LineCounter,
    not_utf8: bool,
    record: csv::ByteRecord,
}

struct Roles {
    organisation: usize,
    email: usize,
    cc: Option<usize>,
    id: Option<usize>,
    required: Vec<usize>,
    /// Role names exposed to templates in addition to the header names: (role, column).
    aliases: Vec<(&'static str, Option<usize>)>,
}

/// A header name as it is matched: without surrounding spaces or byte-order marks, NFC, in
/// lower case. `ID`, ` id ` and `\u{feff}id` are all the column `id`.
pub fn header_key(name: &str) -> String {
    clean_header(name).to_lowercase()
}

/// A header name as it is shown and offered to templates: trimmed of spaces and byte-order marks
/// (a spreadsheet that saved a BOM twice leaves one in the first name), NFC.
fn clean_header(name: &str) -> String {
    name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .nfc()
        .collect()
}

fn open(source: &Source, settings: &Settings) -> Result<Table, Vec<Problem>> {
    let (rows, raw_headers) = match &source.content {
        Content::Csv { text, .. } => open_csv(source, text, settings)?,
        Content::Sheet(list) => open_sheet(source, list)?,
    };
    let (headers, mut problems) = header_names(source, &raw_headers);
    let first_of = distinct_headers(source, &headers, &mut problems);
    let roles = roles(source, settings, &headers, &first_of, &mut problems);
    match roles {
        Some(roles) if problems.is_empty() => Ok(Table {
            source: source.clone(),
            rows,
            headers,
            roles,
            seen: HashMap::new(),
        }),
        _ => Err(problems),
    }
}

/// A pass over CSV text, and its header line's names as text. A header line that is not UTF-8
/// stops here.
fn open_csv(
    source: &Source,
    text: &Arc<[u8]>,
    settings: &Settings,
) -> Result<(Rows, Vec<String>), Vec<Problem>> {
    let display = source.display.as_str();
    let delimiter = settings
        .delimiter
        .unwrap_or_else(|| sniff_delimiter(&text[..text.len().min(64 * 1024)]));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Cursor::new(text.clone()));
    let raw_headers = reader.byte_headers().map_err(|e| {
        vec![Problem::new(
            display,
            t!("recipients-cannot-read-header", error = e.to_string()),
        )]
    })?;
    let mut names = Vec::with_capacity(raw_headers.len());
    for raw in raw_headers {
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(vec![
                Problem::new(display, not_utf8_message(source)).at_line(1),
            ]);
        };
        names.push(name.to_owned());
    }
    if names.len() == 1 && clean_header(&names[0]).is_empty() {
        return Err(vec![Problem::new(display, t!("recipients-header-empty"))]);
    }
    let rows = Rows::Csv(CsvRows {
        reader,
        lines: LineCounter::new(text.clone()),
        not_utf8: false,
        record: csv::ByteRecord::new(),
    });
    Ok((rows, names))
}

/// A pass over a sheet's rows, and its header row's names. An error value in a header cell
/// (`#REF!`) stops here, with its cell.
fn open_sheet(source: &Source, list: &Arc<SheetList>) -> Result<(Rows, Vec<String>), Vec<Problem>> {
    let header = &list.sheet.header;
    if !header.problems.is_empty() {
        return Err(cell_problems(source, list, header, None));
    }
    let names = list.cells(header).map(str::to_owned).collect();
    let rows = Rows::Sheet {
        list: list.clone(),
        next: 0,
    };
    Ok((rows, names))
}

/// The problems a workbook reader found in a row's cells (an error value such as `#N/A`, a cell
/// over the cap), each at its cell and, below the header, in its column.
fn cell_problems(
    source: &Source,
    list: &SheetList,
    row: &sheet::Row,
    headers: Option<&[String]>,
) -> Vec<Problem> {
    row.problems
        .iter()
        .map(|p| {
            let index = list.index_of(p.column).unwrap_or(0);
            let header = headers.and_then(|h| h.get(index)).map(String::as_str);
            source.cell_problem(u64::from(p.row), index, header, p.message.clone())
        })
        .collect()
}

/// The header's names, cleaned, with what is wrong with each (too long, blank, a control
/// character).
fn header_names(source: &Source, raw_headers: &[String]) -> (Vec<String>, Vec<Problem>) {
    let line = source.header_line();
    let mut problems = Vec::new();
    let mut headers = Vec::with_capacity(raw_headers.len());
    for (i, raw) in raw_headers.iter().enumerate() {
        let at_header = |message: String| source.cell_problem(line, i, None, message);
        let header = clean_header(raw);
        let column = source.column_label(i);
        if header.len() > CELL_CAP {
            problems.push(at_header(t!(
                "recipients-header-name-too-long",
                column = &column
            )));
        } else if header.is_empty() {
            problems.push(at_header(t!(
                "recipients-header-name-missing",
                column = &column,
                where = source.row_kind()
            )));
        } else if let Some(c) = first_control(&header, true) {
            problems.push(at_header(t!(
                "recipients-header-name-control",
                character = describe(c)
            )));
        }
        headers.push(header);
    }
    (headers, problems)
}

/// Each header's matching name (`header_key`) and its column, with a problem for every name
/// given twice. One pass with a map: a million columns are checked as fast as five.
fn distinct_headers(
    source: &Source,
    headers: &[String],
    problems: &mut Vec<Problem>,
) -> HashMap<String, usize> {
    let mut first_of: HashMap<String, usize> = HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(&first) = first_of.get(&header_key(h)) {
            let (a, b) = (source.column_label(first), source.column_label(i));
            let message = if headers[first] == *h {
                t!(
                    "recipients-header-twice-same",
                    name = h,
                    first = a,
                    second = b
                )
            } else {
                t!(
                    "recipients-header-twice",
                    first_name = &headers[first],
                    name = h,
                    first = a,
                    second = b
                )
            };
            problems.push(source.cell_problem(source.header_line(), i, None, message));
        } else {
            first_of.insert(header_key(h), i);
        }
    }
    first_of
}

/// The columns letterpost itself uses, found by name (or by the names campaign.toml maps), with
/// a problem for each one that is required or mapped and missing.
fn roles(
    source: &Source,
    settings: &Settings,
    headers: &[String],
    first_of: &HashMap<String, usize>,
    problems: &mut Vec<Problem>,
) -> Option<Roles> {
    let find = |name: &str| first_of.get(&header_key(name)).copied();
    let missing = |message: String| source.row_problem(source.header_line(), message);
    let row_kind = source.row_kind();
    let mut reported = std::collections::HashSet::new();
    let mut missing_column = |name: &str, hint: &str, problems: &mut Vec<Problem>| {
        // Once per column, however many settings ask for it.
        if reported.insert(header_key(name)) {
            let message = missing_column_message(name, headers, row_kind, hint);
            problems.push(missing(message));
        }
    };
    let columns = &settings.columns;
    let role = |role: &'static str, mapped: &Option<String>| -> Option<usize> {
        find(mapped.as_deref().unwrap_or(role))
    };
    let organisation = role("organisation", &columns.organisation);
    let email = role("email", &columns.email);
    let cc = role("cc", &columns.cc);
    let id = role("id", &columns.id);
    let mut hint = source.other_sheet_hint(settings);
    for (name, mapped, found) in [
        ("organisation", &columns.organisation, organisation),
        ("email", &columns.email, email),
    ] {
        if found.is_none() {
            let header = mapped.as_deref().unwrap_or(name);
            missing_column(header, &hint.take().unwrap_or_default(), problems);
        }
    }
    for (name, mapped) in [("cc", &columns.cc), ("id", &columns.id)] {
        if let Some(header) = mapped
            && find(header).is_none()
        {
            problems.push(missing(t!(
                "recipients-mapped-column-missing",
                role = name,
                header = header
            )));
        }
    }
    let mut required = Vec::new();
    for name in &settings.required {
        let index = match header_key(name).as_str() {
            "organisation" => organisation,
            "email" => email,
            "cc" => cc,
            "id" => id,
            _ => find(name),
        };
        match index {
            Some(i) => required.push(i),
            // A missing organisation or email column was reported above, under its own name.
            None if matches!(header_key(name).as_str(), "organisation" | "email") => {}
            None => missing_column(name, "", problems),
        }
    }
    Some(Roles {
        organisation: organisation?,
        email: email?,
        cc,
        id,
        required,
        aliases: vec![
            ("organisation", organisation),
            ("email", email),
            ("cc", cc),
            ("id", id),
        ],
    })
}

/// A required column missing from the header: what the header holds (a misspelling shows there),
/// and the rename that would fix a near miss. `row_kind` is `line` in a CSV file, `row` in a
/// sheet.
fn missing_column_message(name: &str, headers: &[String], row_kind: &str, hint: &str) -> String {
    let found: Vec<String> = headers
        .iter()
        .filter(|h| !h.is_empty())
        .take(8)
        .map(|h| format!("`{h}`"))
        .collect();
    let near = crate::suggest::closest(name, headers.iter().map(String::as_str))
        .map(|h| t!("recipients-column-near", header = h, name = name))
        .unwrap_or_default();
    t!(
        "recipients-column-missing",
        name = name,
        where = row_kind,
        sheet_hint = hint,
        found = found.join(", "),
        more = headers.len().saturating_sub(8),
        near = near
    )
}

/// A row's cells as text, NFC, before any check of what they mean; or the problems that keep
/// them from being read.
type Values = Result<(u64, Vec<String>), Vec<Problem>>;

impl Table {
    /// Every name a template can use for a column: the header names and the role names.
    pub fn column_names(&self) -> Vec<String> {
        let mut names = self.headers.clone();
        for (role, _) in &self.roles.aliases {
            if !names.iter().any(|n| n == role) {
                names.push((*role).to_owned());
            }
        }
        names
    }

    /// Which column gives the keys, as recorded in the delivery log.
    pub fn key_source(&self) -> KeySource {
        match self.roles.id {
            Some(i) => KeySource::Column(self.headers[i].clone()),
            None => KeySource::FirstAddress,
        }
    }

    /// The next row, or the problems it has. `None` at the end of the list. A CSV file that is
    /// not UTF-8 is reported once, with a hint, and reading stops there. Blank rows are skipped.
    pub fn next_row(&mut self) -> Option<Result<Recipient, Vec<Problem>>> {
        let values = match &mut self.rows {
            Rows::Csv(rows) => rows.next(&self.source, &self.headers)?,
            Rows::Sheet { list, next } => next_sheet_row(&self.source, list, next, &self.headers)?,
        };
        Some(values.and_then(|(line, values)| self.parse_values(line, values)))
    }

    fn parse_values(&mut self, line: u64, values: Vec<String>) -> Result<Recipient, Vec<Problem>> {
        let source = self.source.clone();
        let headers = &self.headers;
        let problem = |column: usize, message: String| {
            source.cell_problem(line, column, Some(&headers[column]), message)
        };
        // Every problem of the row at once: a control character in one cell does not hide a bad
        // address in another. A cell already found wrong is not reported again for what follows
        // from it.
        let flagged = self
            .check_values(&values, &problem)
            .err()
            .unwrap_or_default();
        let (row_kind, seen) = (source.row_kind(), &mut self.seen);
        let result = recipient(&self.roles, headers, seen, row_kind, line, values, &problem);
        if flagged.is_empty() {
            return result;
        }
        let mut problems = flagged;
        if let Err(more) = result {
            for p in more {
                if !problems.iter().any(|q| q.column == p.column) {
                    problems.push(p);
                }
            }
        }
        Err(problems)
    }

    /// Control characters and empty required cells.
    fn check_values(
        &self,
        values: &[String],
        problem: &dyn Fn(usize, String) -> Problem,
    ) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let header_bound = |i: usize| {
            i == self.roles.organisation
                || i == self.roles.email
                || Some(i) == self.roles.cc
                || Some(i) == self.roles.id
        };
        for (i, value) in values.iter().enumerate() {
            if let Some(c) = first_control(value, header_bound(i)) {
                problems.push(problem(
                    i,
                    t!("recipients-cell-control", character = describe(c)),
                ));
            }
        }
        for &i in &self.roles.required {
            if values[i].trim().is_empty() {
                problems.push(problem(i, t!("recipients-cell-required-empty")));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl CsvRows {
    /// The next record that is not blank, as text.
    fn next(&mut self, source: &Source, headers: &[String]) -> Option<Values> {
        loop {
            if self.not_utf8 {
                return None;
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let mut p = Problem::new(
                        &source.display,
                        t!("recipients-csv-unreadable", error = e.to_string()),
                    );
                    p.line = e.position().map(|pos| self.lines.line_of(pos.byte()));
                    return Some(Err(vec![p]));
                }
            }
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue; // A blank row (Excel writes `;;;;` at the end of a sheet) carries no one.
            }
            return Some(self.values(source, headers));
        }
    }

    /// The record's cells: as many as the header has, each within the cell cap and UTF-8.
    fn values(&mut self, source: &Source, headers: &[String]) -> Values {
        let line = self
            .record
            .position()
            .map_or(0, |pos| self.lines.line_of(pos.byte()));
        if self.record.len() != headers.len() {
            return Err(vec![source.row_problem(
                line,
                t!(
                    "recipients-field-count",
                    fields = self.record.len(),
                    header_fields = headers.len()
                ),
            )]);
        }
        let problem =
            |i: usize, message: String| source.cell_problem(line, i, Some(&headers[i]), message);
        let mut values = Vec::with_capacity(headers.len());
        let mut problems = Vec::new();
        for (i, raw) in self.record.iter().enumerate() {
            if raw.len() > CELL_CAP {
                problems.push(problem(
                    i,
                    t!(
                        "recipients-cell-too-large",
                        kib = raw.len().div_ceil(1024),
                        cap = CELL_CAP / 1024
                    ),
                ));
                values.push(String::new());
                continue;
            }
            match std::str::from_utf8(raw) {
                Ok(text) => values.push(text.nfc().collect::<String>()),
                Err(_) => {
                    self.not_utf8 = true;
                    return Err(vec![problem(i, not_utf8_message(source))]);
                }
            }
        }
        if problems.is_empty() {
            Ok((line, values))
        } else {
            Err(problems)
        }
    }
}

/// The next row of a sheet that is not blank, as text: its cells as the spreadsheet shows them,
/// or the problems the workbook reader found in them (an error value such as `#N/A`, a cell over
/// the cap), each at its cell.
fn next_sheet_row(
    source: &Source,
    list: &SheetList,
    next: &mut usize,
    headers: &[String],
) -> Option<Values> {
    loop {
        let row = list.sheet.rows.get(*next)?;
        *next += 1;
        if row.is_blank() {
            continue; // As in a CSV file: an empty row between organisations carries no one.
        }
        if !row.problems.is_empty() {
            return Some(Err(cell_problems(source, list, row, Some(headers))));
        }
        let values = list.cells(row).map(|c| c.nfc().collect()).collect();
        return Some(Ok((u64::from(row.number), values)));
    }
}

/// The recipient a row of clean values describes: its addresses, its key. `seen` holds the keys
/// of the rows before it, and takes this row's.
fn recipient(
    roles: &Roles,
    headers: &[String],
    seen: &mut HashMap<u128, u64>,
    row_kind: &str,
    line: u64,
    values: Vec<String>,
    problem: &dyn Fn(usize, String) -> Problem,
) -> Result<Recipient, Vec<Problem>> {
    let mut problems = Vec::new();
    let organisation = values[roles.organisation].trim().to_owned();
    if organisation.is_empty() && !roles.required.contains(&roles.organisation) {
        problems.push(problem(
            roles.organisation,
            t!("recipients-organisation-empty"),
        ));
    }
    let to = match parse_addresses(&values[roles.email]) {
        Ok(list) if list.is_empty() => {
            if !roles.required.contains(&roles.email) {
                problems.push(problem(roles.email, t!("recipients-email-empty")));
            }
            list
        }
        Ok(list) => list,
        Err(messages) => {
            problems.extend(messages.into_iter().map(|m| problem(roles.email, m)));
            Vec::new()
        }
    };
    let mut cc = match roles.cc {
        Some(i) => parse_addresses(&values[i]).unwrap_or_else(|messages| {
            problems.extend(messages.into_iter().map(|m| problem(i, m)));
            Vec::new()
        }),
        None => Vec::new(),
    };
    cc.retain(|a| !to.iter().any(|t| same_address(t, a)));
    let key = match roles.id {
        Some(i) => {
            let id = values[i].trim().to_owned();
            if id.is_empty() {
                problems.push(problem(i, t!("recipients-id-empty")));
            }
            id
        }
        None => to.first().map(normalised).unwrap_or_default(),
    };
    if !key.is_empty() {
        let digest = u128::from_le_bytes(
            Sha256::digest(key.as_bytes())[..16]
                .try_into()
                .expect("16 bytes"),
        );
        if let Some(first) = seen.get(&digest) {
            let column = roles.id.unwrap_or(roles.email);
            problems.push(problem(
                column,
                t!(
                    "recipients-key-used",
                    key = &key,
                    where = row_kind,
                    first = *first
                ),
            ));
        } else {
            seen.insert(digest, line);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut fields: IndexMap<String, String> = headers.iter().cloned().zip(values).collect();
    for (role, column) in &roles.aliases {
        if !fields.contains_key(*role) {
            let value = column.map(|i| fields[i].clone()).unwrap_or_default();
            fields.insert((*role).to_owned(), value);
        }
    }
    Ok(Recipient {
        line,
        key,
        organisation,
        to,
        cc,
        fields,
    })
}

/// An address as compared with others: the whole address in lower case. (Strictly only the
/// domain is case-insensitive, but no mail system the campaign reaches treats `VanThu@` and
/// `vanthu@` as two people, and treating them as one is the side that never sends twice.)
pub fn normalised(address: &Address) -> String {
    address.to_string().to_lowercase()
}

fn same_address(a: &Address, b: &Address) -> bool {
    normalised(a) == normalised(b)
}

/// Physical line numbers from byte offsets, counted forwards as the rows are read: LF, CRLF and
/// a lone CR each end one line, as editors count them. (The csv crate's own line count is one
/// short after CRLF line ends.)
struct LineCounter {
    text: Arc<[u8]>,
    /// Bytes counted so far, and the line at that offset.
    offset: usize,
    line: u64,
}

impl LineCounter {
    fn new(text: Arc<[u8]>) -> LineCounter {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `byte` that is not a line end: where a record
    /// that the reader says begins at `byte` really begins.
    fn line_of(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.offset {
            // Never asked for in practice (rows come in order); count again from the start.
            self.offset = 0;
            self.line = 1;
        }
        self.line += count_line_ends(&self.text[self.offset..start], self.offset, &self.text);
        self.offset = start;
        self.line
    }
}

/// Line ends in `chunk`, which starts at `at` in `whole`: a CR followed by LF counts once (at
/// its LF), so a CRLF split across two chunks is not counted twice.
fn count_line_ends(chunk: &[u8], at: usize, whole: &[u8]) -> u64 {
    let mut n = 0;
    for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
        let cr_of_crlf = chunk[i] == b'\r' && whole.get(at + i + 1) == Some(&b'\n');
        if !cr_of_crlf {
            n += 1;
        }
    }
    n
}

/// The 1-based line of byte `at`.
fn line_at(text: &[u8], at: usize) -> u64 {
    1 + count_line_ends(&text[..at.min(text.len())], 0, text)
}

/// Parses a cell of addresses separated by `;` or `,`. Items may be written as Outlook and
/// Excel write them, `"Nguyễn, Văn A" <a@x.example>` (the address is taken), converts IDN
/// domains to ASCII, and refuses what a relay would refuse.
pub fn parse_addresses(cell: &str) -> Result<Vec<Address>, Vec<String>> {
    let mut addresses: Vec<Address> = Vec::new();
    let mut errors = Vec::new();
    for item in split_list(cell) {
        match parse_address(item) {
            Ok(a) if addresses.iter().any(|b| same_address(&a, b)) => {}
            Ok(a) => addresses.push(a),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(addresses)
    } else {
        Err(errors)
    }
}

/// The items of an address list: split at `,` and `;` outside quoted names and angle brackets. lettre's own list parser knows only `,`, and fails the whole cell without saying
/// which item is wrong; each item here still goes through lettre's RFC 5322 mailbox parser.
fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    let mut items = Vec::new();
    let (mut quoted, mut escaped, mut angle) = (false, false, false);
    let mut start = 0;
    for (i, c) in cell.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                items.push(&cell[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    items.push(&cell[start..]);
    items.into_iter().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_address(item: &str) -> Result<Address, String> {
    let (name, bare) = match (item.rfind('<'), item.strip_suffix('>')) {
        (Some(open), Some(rest)) => (item[..open].trim(), rest[open + 1..].trim()),
        _ => ("", item),
    };
    let Some((local, domain)) = bare.rsplit_once('@') else {
        return Err(t!("recipients-address-no-at", item = item));
    };
    if local.is_empty() || domain.is_empty() {
        return Err(t!("recipients-address-part-missing", item = item));
    }
    if local.starts_with('"') {
        return Err(t!("recipients-address-quoted-local", item = item));
    }
    if !local.is_ascii() {
        return Err(t!("recipients-address-accented-local", item = item));
    }
    if local.len() > 64 {
        return Err(t!("recipients-address-local-too-long", item = item));
    }
    if domain.starts_with('[') {
        return Err(t!("recipients-address-ip", item = item));
    }
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| t!("recipients-address-bad-domain", item = item))?;
    if !ascii.contains('.') || ascii.ends_with('.') || ascii.split('.').any(str::is_empty) {
        return Err(t!("recipients-address-incomplete-domain", item = item));
    }
    if local.len() + 1 + ascii.len() > 254 {
        return Err(t!("recipients-address-too-long", item = item));
    }
    // The item must be a mailbox by RFC 5322, display name and all: this is what refuses
    // `a b@x.example`, an unbalanced quote or a stray `<`.
    let address = format!("{local}@{ascii}");
    let mailbox = address
        .parse::<Mailbox>()
        .map_err(|_| t!("recipients-address-not-written", item = item))?;
    if !name.is_empty() && format!("{name} <{address}>").parse::<Mailbox>().is_err() {
        return Err(t!("recipients-address-bad-name", item = item));
    }
    Ok(mailbox.email)
}

/// The first character not allowed in a field: control characters (C0 other than tab, CR and
/// LF, DEL, C1) anywhere; and in header-bound fields also tab, CR, LF and U+2028/U+2029.
pub fn first_control(text: &str, header_bound: bool) -> Option<char> {
    text.chars().find(|&c| {
        let always = (c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
            || matches!(c, '\u{2028}' | '\u{2029}') && header_bound;
        always || (header_bound && matches!(c, '\t' | '\r' | '\n'))
    })
}

/// Whether a header-bound value contains a character that could break a header line.
pub fn has_header_control(text: &str) -> bool {
    first_control(text, true).is_some()
}

/// Names a character for a person: `a line break (U+000A)`.
pub fn describe(c: char) -> String {
    let kind = match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => "line-break",
        '\t' => "tab",
        '\0' => "nul",
        _ => "control",
    };
    t!(
        "recipients-character",
        kind = kind,
        code = format!("{:04X}", c as u32)
    )
}

fn not_utf8_message(source: &Source) -> String {
    let bytes: &[u8] = match &source.content {
        Content::Csv {
            raw_for_guess: Some(raw),
            ..
        } => raw,
        Content::Csv { text, .. } => text,
        Content::Sheet(_) => &[],
    };
    let guess = guess_encoding(bytes);
    t!("recipients-not-utf8", guess = guess)
}

/// A hint only: chardetng's best guess over the first MiB, with Vietnamese as the likely
/// language. The bytes are already in memory; nothing is read again.
fn guess_encoding(bytes: &[u8]) -> String {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(1024 * 1024)], true);
    detector
        .guess(Some(b"vn"), chardetng::Utf8Detection::Deny)
        .name()
        .to_ascii_lowercase()
}

fn looks_like_utf16_without_bom(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || head.len() < 4 {
        return false;
    }
    let pairs = head.len() / 2;
    let zeros_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let zeros_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    zeros_even * 2 > pairs || zeros_odd * 2 > pairs
}

/// Picks `,`, `;` or tab: whichever appears most often outside quotes in the first line.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == b) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// The SHA-256 of a regular file as it is now, to tell whether an input changed since it was
/// read; `None` for anything else (a FIFO cannot be read twice, and has no later state).
pub fn sha256_of_regular_file(path: &Path) -> std::io::Result<Option<String>> {
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(None);
    }
    let mut hasher = Sha256::new();
    let mut reader = file.take(FILE_CAP + 1);
    let mut buf = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(Some(hex::encode(hasher.finalize())))
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
