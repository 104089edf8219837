//! One pass over the list, a row at a time: `Table::next_row` takes a row's cells from the CSV
//! reader (field count, cell cap, editor line numbers) or from the sheet (row numbers, cell
//! problems at their cells), and the same code turns either into a `Recipient` or its problems.

use super::*;

/// An open pass over the recipient list. Read it with `next_row` until `None`.
pub struct Table {
    pub(super) source: Source,
    pub(super) rows: Rows,
    pub(super) headers: Vec<String>,
    pub(super) roles: Roles,
    /// Keys seen so far, as 128-bit digests (16 bytes each, whatever the key's length), with
    /// the line they were first seen on.
    pub(super) seen: HashMap<u128, u64>,
}

/// Where a pass takes its rows from.
pub(super) enum Rows {
    Csv(CsvRows),
    /// The sheet's rows below the header, and the next one to read.
    Sheet {
        list: Arc<SheetList>,
        next: usize,
    },
}

/// A pass over CSV text: the reader, the line counter, and whether reading stopped at text that
/// is not UTF-8.
pub(super) struct CsvRows {
    pub(super) reader: csv::Reader<Cursor<Arc<[u8]>>>,
    pub(super) lines: LineCounter,
    pub(super) not_utf8: bool,
    pub(super) record: csv::ByteRecord,
}

pub(super) fn open(source: &Source, settings: &Settings) -> Result<Table, Vec<Problem>> {
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
pub(super) fn open_csv(
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
pub(super) fn open_sheet(
    source: &Source,
    list: &Arc<SheetList>,
) -> Result<(Rows, Vec<String>), Vec<Problem>> {
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
pub(super) fn cell_problems(
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

/// A row's cells as text, NFC, before any check of what they mean; or the problems that keep
/// them from being read.
pub(super) type Values = Result<(u64, Vec<String>), Vec<Problem>>;

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

    pub(super) fn parse_values(
        &mut self,
        line: u64,
        values: Vec<String>,
    ) -> Result<Recipient, Vec<Problem>> {
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
    pub(super) fn check_values(
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
    pub(super) fn next(&mut self, source: &Source, headers: &[String]) -> Option<Values> {
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
    pub(super) fn values(&mut self, source: &Source, headers: &[String]) -> Values {
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
pub(super) fn next_sheet_row(
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
pub(super) fn recipient(
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

/// Physical line numbers from byte offsets, counted forwards as the rows are read: LF, CRLF and
/// a lone CR each end one line, as editors count them. (The csv crate's own line count is one
/// short after CRLF line ends.)
pub(super) struct LineCounter {
    pub(super) text: Arc<[u8]>,
    /// Bytes counted so far, and the line at that offset.
    pub(super) offset: usize,
    pub(super) line: u64,
}

impl LineCounter {
    pub(super) fn new(text: Arc<[u8]>) -> LineCounter {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `byte` that is not a line end: where a record
    /// that the reader says begins at `byte` really begins.
    pub(super) fn line_of(&mut self, byte: u64) -> u64 {
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
pub(super) fn count_line_ends(chunk: &[u8], at: usize, whole: &[u8]) -> u64 {
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
pub(super) fn line_at(text: &[u8], at: usize) -> u64 {
    1 + count_line_ends(&text[..at.min(text.len())], 0, text)
}
