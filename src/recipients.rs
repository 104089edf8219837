//! The recipient list: a CSV file in, one validated `Recipient` per row out, or the problems that
//! row has.
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

/// The recipient list as read from disk, once. Cheap to clone: every pass shares the bytes.
#[derive(Clone)]
pub struct Source {
    /// The file as the operator sees it, for problems.
    display: String,
    /// The bytes the CSV reader parses: the file itself for UTF-8 (cells are validated one by
    /// one, so a problem names its line and column), or the file decoded to UTF-8.
    text: Arc<[u8]>,
    /// SHA-256 of the file's bytes as read.
    sha256: String,
    /// The raw bytes, kept only when they are not UTF-8, for the encoding guess in a problem.
    raw_for_guess: Option<Arc<[u8]>>,
}

/// Reads the whole list once, checks its size and encoding, and decodes it.
pub fn read(settings: &Settings, display: &str) -> Result<Source, Vec<Problem>> {
    let problem = |message: String| vec![Problem::new(display, message)];
    let file = std::fs::File::open(&settings.file)
        .map_err(|e| problem(format!("cannot open the recipient list: {e}")))?;
    let mut raw = Vec::new();
    file.take(FILE_CAP + 1)
        .read_to_end(&mut raw)
        .map_err(|e| problem(format!("cannot read: {e}")))?;
    if raw.len() as u64 > FILE_CAP {
        return Err(problem(format!(
            "the file is larger than {} MiB, which is more than any recipient list; is it the right file?",
            FILE_CAP / (1024 * 1024)
        )));
    }
    if raw.is_empty() {
        return Err(problem(
            "the file is empty: it needs a header line and at least one row".into(),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(&raw));
    let source = |text: Vec<u8>, raw_for_guess| Source {
        display: display.to_owned(),
        text: text.into(),
        sha256: sha256.clone(),
        raw_for_guess,
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
                return Err(problem(
                    "the file looks like UTF-16 text without a byte-order mark, which cannot be read \
                     safely; in Excel use Save As > \"CSV UTF-8 (Comma delimited)\""
                        .into(),
                ));
            }
            let guess = (std::str::from_utf8(&raw).is_err()).then(|| raw.clone().into());
            Ok(source(raw, guess))
        }
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
        format!(
            "the file is UTF-8 text, but campaign.toml says `encoding = \"{}\"` under [recipients]; \
             read that way every accented letter would come out wrong. Remove the `encoding` line \
             (UTF-8 is read without it)",
            encoding.name().to_ascii_lowercase()
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
}

/// An open pass over the recipient list. Read it with `next_row` until `None`.
pub struct Table {
    source: Source,
    reader: csv::Reader<Cursor<Arc<[u8]>>>,
    headers: Vec<String>,
    roles: Roles,
    /// Keys seen so far, as 128-bit digests (16 bytes each, whatever the key's length), with
    /// the line they were first seen on.
    seen: HashMap<u128, u64>,
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
    let display = source.display.as_str();
    let delimiter = settings
        .delimiter
        .unwrap_or_else(|| sniff_delimiter(&source.text[..source.text.len().min(64 * 1024)]));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Cursor::new(source.text.clone()));
    let raw_headers = reader
        .byte_headers()
        .map_err(|e| {
            vec![Problem::new(
                display,
                format!("cannot read the header line: {e}"),
            )]
        })?
        .clone();
    let (headers, mut problems) = header_names(source, &raw_headers)?;
    let first_of = distinct_headers(display, &headers, &mut problems);
    let roles = roles(display, settings, &first_of, &mut problems);
    match roles {
        Some(roles) if problems.is_empty() => Ok(Table {
            source: source.clone(),
            reader,
            headers,
            roles,
            seen: HashMap::new(),
            lines: LineCounter::new(source.text.clone()),
            not_utf8: false,
            record: csv::ByteRecord::new(),
        }),
        _ => Err(problems),
    }
}

/// The header line's names, cleaned, with what is wrong with each (too long, blank, a control
/// character). A header line that is not UTF-8 or is empty stops here.
fn header_names(
    source: &Source,
    raw_headers: &csv::ByteRecord,
) -> Result<(Vec<String>, Vec<Problem>), Vec<Problem>> {
    let display = source.display.as_str();
    let at_header = |message: String| Problem::new(display, message).at_line(1);
    let mut problems = Vec::new();
    let mut headers = Vec::with_capacity(raw_headers.len());
    for (i, raw) in raw_headers.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(raw) else {
            return Err(vec![at_header(not_utf8_message(source))]);
        };
        let header = clean_header(text);
        if header.len() > CELL_CAP {
            problems.push(at_header(format!(
                "the name of column {} is too long",
                i + 1
            )));
        } else if header.is_empty() {
            problems.push(at_header(format!(
                "column {} has no name in the header line",
                i + 1
            )));
        } else if let Some(c) = first_control(&header, true) {
            problems.push(at_header(format!("a header name contains {}", describe(c))));
        }
        headers.push(header);
    }
    if headers.len() == 1 && headers[0].is_empty() {
        return Err(vec![Problem::new(display, "the header line is empty")]);
    }
    Ok((headers, problems))
}

/// Each header's matching name (`header_key`) and its column, with a problem for every name
/// given twice. One pass with a map: a million columns are checked as fast as five.
fn distinct_headers(
    display: &str,
    headers: &[String],
    problems: &mut Vec<Problem>,
) -> HashMap<String, usize> {
    let mut first_of: HashMap<String, usize> = HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(&first) = first_of.get(&header_key(h)) {
            let same = if headers[first] == *h {
                format!("`{h}`")
            } else {
                format!("`{}` and `{h}`", headers[first])
            };
            problems.push(
                Problem::new(
                    display,
                    format!(
                        "the header names the same column twice: {same} (columns {} and {}; letter case \
                         does not count); rename one of them",
                        first + 1,
                        i + 1
                    ),
                )
                .at_line(1),
            );
        } else {
            first_of.insert(header_key(h), i);
        }
    }
    first_of
}

/// The columns letterpost itself uses, found by name (or by the names campaign.toml maps), with
/// a problem for each one that is required or mapped and missing.
fn roles(
    display: &str,
    settings: &Settings,
    first_of: &HashMap<String, usize>,
    problems: &mut Vec<Problem>,
) -> Option<Roles> {
    let find = |name: &str| first_of.get(&header_key(name)).copied();
    let missing = |message: String| Problem::new(display, message).at_line(1);
    let columns = &settings.columns;
    let role = |role: &'static str, mapped: &Option<String>| -> Option<usize> {
        find(mapped.as_deref().unwrap_or(role))
    };
    let organisation = role("organisation", &columns.organisation);
    let email = role("email", &columns.email);
    let cc = role("cc", &columns.cc);
    let id = role("id", &columns.id);
    for (name, mapped, found) in [
        ("organisation", &columns.organisation, organisation),
        ("email", &columns.email, email),
    ] {
        if found.is_none() {
            let header = mapped.as_deref().unwrap_or(name);
            problems.push(missing(format!(
                "the required column `{header}` is missing from the header line"
            )));
        }
    }
    for (name, mapped) in [("cc", &columns.cc), ("id", &columns.id)] {
        if let Some(header) = mapped
            && find(header).is_none()
        {
            problems.push(missing(format!(
                "campaign.toml maps `{name}` to column `{header}`, which is missing"
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
            None => problems.push(missing(format!(
                "the required column `{name}` is missing from the header line"
            ))),
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

    /// The next row, or the problems it has. `None` at the end of the file. A file that is not
    /// UTF-8 is reported once, with a hint, and reading stops there.
    pub fn next_row(&mut self) -> Option<Result<Recipient, Vec<Problem>>> {
        loop {
            if self.not_utf8 {
                return None;
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let mut p = Problem::new(
                        &self.source.display,
                        format!("the CSV cannot be read here: {e}"),
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
            return Some(self.parse_record());
        }
    }

    fn parse_record(&mut self) -> Result<Recipient, Vec<Problem>> {
        let line = self
            .record
            .position()
            .map_or(0, |pos| self.lines.line_of(pos.byte()));
        let display = self.source.display.clone();
        let display = display.as_str();
        let problem = |column: &str, message: String| {
            Problem::new(display, message)
                .at_line(line)
                .in_column(column)
        };
        if self.record.len() != self.headers.len() {
            return Err(vec![
                Problem::new(
                    display,
                    format!(
                        "this row has {} fields but the header has {}; check for a missing or extra separator \
                         or an unclosed quote",
                        self.record.len(),
                        self.headers.len()
                    ),
                )
                .at_line(line),
            ]);
        }
        let mut values = Vec::with_capacity(self.headers.len());
        let mut problems = Vec::new();
        for (i, raw) in self.record.iter().enumerate() {
            if raw.len() > CELL_CAP {
                problems.push(problem(
                    &self.headers[i],
                    format!(
                        "this cell holds {} KiB of text; a cell may hold at most {} KiB (is a quote \
                         left open on an earlier line?)",
                        raw.len().div_ceil(1024),
                        CELL_CAP / 1024
                    ),
                ));
                values.push(String::new());
                continue;
            }
            match std::str::from_utf8(raw) {
                Ok(text) => values.push(text.nfc().collect::<String>()),
                Err(_) => {
                    self.not_utf8 = true;
                    let message = not_utf8_message(&self.source);
                    return Err(vec![problem(&self.headers[i], message)]);
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.check_values(&values, &problem)?;
        let fields = self.recipient(line, values, &problem)?;
        Ok(fields)
    }

    /// Control characters and empty required cells.
    fn check_values(
        &self,
        values: &[String],
        problem: &dyn Fn(&str, String) -> Problem,
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
                    &self.headers[i],
                    format!("contains {}; remove it", describe(c)),
                ));
            }
        }
        for &i in &self.roles.required {
            if values[i].trim().is_empty() {
                problems.push(problem(
                    &self.headers[i],
                    "is empty, but the letter needs it".into(),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The recipient a row of clean values describes: its addresses, its key.
    fn recipient(
        &mut self,
        line: u64,
        values: Vec<String>,
        problem: &dyn Fn(&str, String) -> Problem,
    ) -> Result<Recipient, Vec<Problem>> {
        let mut problems = Vec::new();
        let organisation = values[self.roles.organisation].trim().to_owned();
        if organisation.is_empty() && !self.roles.required.contains(&self.roles.organisation) {
            problems.push(problem(
                &self.headers[self.roles.organisation],
                "is empty: every row needs the organisation's name".into(),
            ));
        }
        let email_header = &self.headers[self.roles.email];
        let to = match parse_addresses(&values[self.roles.email]) {
            Ok(list) if list.is_empty() => {
                if !self.roles.required.contains(&self.roles.email) {
                    problems.push(problem(
                        email_header,
                        "is empty: every organisation needs at least one address".into(),
                    ));
                }
                list
            }
            Ok(list) => list,
            Err(messages) => {
                problems.extend(messages.into_iter().map(|m| problem(email_header, m)));
                Vec::new()
            }
        };
        let mut cc = match self.roles.cc {
            Some(i) => parse_addresses(&values[i]).unwrap_or_else(|messages| {
                problems.extend(messages.into_iter().map(|m| problem(&self.headers[i], m)));
                Vec::new()
            }),
            None => Vec::new(),
        };
        cc.retain(|a| !to.iter().any(|t| same_address(t, a)));
        let key = match self.roles.id {
            Some(i) => {
                let id = values[i].trim().to_owned();
                if id.is_empty() {
                    problems.push(problem(
                        &self.headers[i],
                        "is empty: every row needs its own id (or remove the column)".into(),
                    ));
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
            if let Some(first) = self.seen.get(&digest) {
                let column = self.roles.id.map_or(email_header, |i| &self.headers[i]);
                problems.push(problem(column, format!("the key `{key}` is already used on line {first}; every organisation needs its own")));
            } else {
                self.seen.insert(digest, line);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut fields: IndexMap<String, String> =
            self.headers.iter().cloned().zip(values).collect();
        for (role, column) in &self.roles.aliases {
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
    let not = |why: &str| format!("`{item}` is not an email address: {why}");
    let (name, bare) = match (item.rfind('<'), item.strip_suffix('>')) {
        (Some(open), Some(rest)) => (item[..open].trim(), rest[open + 1..].trim()),
        _ => ("", item),
    };
    let Some((local, domain)) = bare.rsplit_once('@') else {
        return Err(not("it has no @"));
    };
    if local.is_empty() || domain.is_empty() {
        return Err(not("something is missing before or after the @"));
    }
    if local.starts_with('"') {
        return Err(not(
            "a quoted name before the @ is not accepted by most mail servers; write the address \
             without quotes",
        ));
    }
    if !local.is_ascii() {
        return Err(not(
            "letters with accents before the @ are not accepted by most mail servers",
        ));
    }
    if local.len() > 64 {
        return Err(not("the part before the @ is longer than 64 characters"));
    }
    if domain.starts_with('[') {
        return Err(not("write a domain name after the @, not an IP address"));
    }
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| not("the part after the @ is not a valid domain name"))?;
    if !ascii.contains('.') || ascii.ends_with('.') || ascii.split('.').any(str::is_empty) {
        return Err(not("the part after the @ is not a complete domain name"));
    }
    if local.len() + 1 + ascii.len() > 254 {
        return Err(not("it is longer than 254 characters"));
    }
    // The item must be a mailbox by RFC 5322, display name and all: this is what refuses
    // `a b@x.example`, an unbalanced quote or a stray `<`.
    let address = format!("{local}@{ascii}");
    let mailbox = address.parse::<Mailbox>().map_err(|_| {
        not("it is not written as an address (`Name <address>` or just the address)")
    })?;
    if !name.is_empty() && format!("{name} <{address}>").parse::<Mailbox>().is_err() {
        return Err(not(
            "the name before `<` is not written correctly; put it in double quotes",
        ));
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
    let what = match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => "a line break",
        '\t' => "a tab",
        '\0' => "a NUL character",
        _ => "a control character",
    };
    format!("{what} (U+{:04X})", c as u32)
}

fn not_utf8_message(source: &Source) -> String {
    let guess = guess_encoding(source.raw_for_guess.as_deref().unwrap_or(&source.text));
    format!(
        "the file is not UTF-8 text (it looks like {guess}); in Excel use Save As > \"CSV UTF-8 (Comma \
         delimited)\", or add `encoding = \"{guess}\"` under [recipients] in campaign.toml if you are sure"
    )
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
