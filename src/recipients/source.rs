//! The list read once: capped, hashed, then decoded CSV text (the encoding checked or converted,
//! the delimiter sniffed) or, for a workbook chosen by its extension, the rows `sheet` read from
//! it; and how a problem names a row or a cell of it (`file:14`, `file: Danh sách!C14`).

use super::*;

/// The recipient list as read from disk, once. Cheap to clone: every pass shares the content.
#[derive(Clone)]
pub struct Source {
    /// The file as the operator sees it, for problems.
    pub(super) display: String,
    /// SHA-256 of the file's bytes as read.
    pub(super) sha256: String,
    pub(super) content: Content,
}

/// What every pass over the list reads: CSV bytes, parsed one row at a time, or the rows of a
/// workbook's sheet, parsed once when the file was read.
#[derive(Clone)]
pub(super) enum Content {
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
pub(super) struct SheetList {
    pub(super) sheet: Sheet,
    /// The list's columns, as indexes into the sheet's `Row::cells`: every column except those
    /// with no header name and nothing below it (an empty spacer column between two others).
    pub(super) columns: Vec<usize>,
}

impl SheetList {
    pub(super) fn new(sheet: Sheet) -> SheetList {
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
    pub(super) fn letters(&self, index: usize) -> String {
        let cell = self.columns.get(index).copied().unwrap_or(index);
        sheet::column_letters(self.sheet.header.first_column + cell)
    }

    /// The list's column of a sheet column (0-based on the sheet).
    pub(super) fn index_of(&self, sheet_column: usize) -> Option<usize> {
        let cell = sheet_column.checked_sub(self.sheet.header.first_column)?;
        self.columns.iter().position(|&c| c == cell)
    }

    /// A row's cells in the list's columns.
    pub(super) fn cells<'a>(&'a self, row: &'a sheet::Row) -> impl Iterator<Item = &'a str> + 'a {
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
pub(super) fn read_workbook(
    raw: &[u8],
    extension: &str,
    wanted: Option<&str>,
) -> Result<Sheet, String> {
    sheet::read_sheet(raw, extension, wanted).map_err(|e| match e {
        SheetError::NoSuchSheet { .. } => {
            t!("recipients-no-such-sheet", error = e.to_string())
        }
        _ => e.to_string(),
    })
}

/// What a file named as CSV is when its bytes are a workbook: `zip`, a zip archive (.xlsx, .ods),
/// or `ole2`, an OLE2 compound file (.xls, or a workbook saved with a password).
pub(super) fn workbook_bytes(raw: &[u8]) -> Option<&'static str> {
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
pub(super) fn mislabelled(
    display: &str,
    encoding: &'static encoding_rs::Encoding,
    raw: &[u8],
) -> Problem {
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
    pub(super) fn cell_problem(
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
    pub(super) fn header_line(&self) -> u64 {
        match &self.content {
            Content::Csv { .. } => 1,
            Content::Sheet(list) => u64::from(list.sheet.header.number),
        }
    }

    /// When the sheet read is the workbook's first because campaign.toml names none, what to do
    /// if the list is on another sheet (the first is often a title page or instructions).
    pub(super) fn other_sheet_hint(&self, settings: &Settings) -> Option<String> {
        match &self.content {
            Content::Sheet(list) if settings.sheet.is_none() => {
                Some(t!("recipients-other-sheet-hint", sheet = &list.sheet.name))
            }
            _ => None,
        }
    }

    /// The list's column `index` as a message names it: `3` in a CSV file, `C` in a sheet.
    pub(super) fn column_label(&self, index: usize) -> String {
        match &self.content {
            Content::Csv { .. } => (index + 1).to_string(),
            Content::Sheet(list) => list.letters(index),
        }
    }
}

pub(super) fn not_utf8_message(source: &Source) -> String {
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
pub(super) fn guess_encoding(bytes: &[u8]) -> String {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(1024 * 1024)], true);
    detector
        .guess(Some(b"vn"), chardetng::Utf8Detection::Deny)
        .name()
        .to_ascii_lowercase()
}

pub(super) fn looks_like_utf16_without_bom(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || head.len() < 4 {
        return false;
    }
    let pairs = head.len() / 2;
    let zeros_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let zeros_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    zeros_even * 2 > pairs || zeros_odd * 2 > pairs
}

/// Picks `,`, `;` or tab: whichever appears most often outside quotes in the first line.
pub(super) fn sniff_delimiter(head: &[u8]) -> u8 {
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
