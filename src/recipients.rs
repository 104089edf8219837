//! The recipient list: a CSV file in, one validated `Recipient` per row out, or the problems that
//! row has.
//!
//! It owns the input contract of PRODUCT.md: encodings (UTF-8 with or without BOM, UTF-16 with a
//! BOM, a configured legacy encoding such as Windows-1258, and a clear refusal with a hint for
//! anything else), the delimiter (`,`, `;` or tab), header checks, column roles, address parsing
//! (IDN domains to ASCII), the stable recipient key, NFC normalisation and control characters in
//! header-bound fields.
//!
//! It streams: rows are read one at a time and never all held, so a list of any length fits in
//! the same memory. It never reads templates and never sends; a `Recipient` always has at least
//! one parsed address and the line it came from.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use lettre::Address;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::problem::Problem;

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

/// An open recipient list. Read it with `next_row` until `None`.
pub struct Table {
    path: PathBuf,
    display: String,
    reader: csv::Reader<Box<dyn Read + Send>>,
    headers: Vec<String>,
    roles: Roles,
    /// Keys seen so far, as 128-bit digests (16 bytes each, whatever the key's length), with
    /// the line they were first seen on.
    seen: HashMap<u128, u64>,
    digest: Arc<Mutex<Sha256>>,
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

/// Opens the list and checks its header. `display` is the file name as the operator sees it.
pub fn open(settings: &Settings, display: &str) -> Result<Table, Vec<Problem>> {
    let problem = |message: String| vec![Problem::new(display, message)];
    let mut file = File::open(&settings.file)
        .map_err(|e| problem(format!("cannot open the recipient list: {e}")))?;
    let mut head = [0u8; 64];
    let n = read_up_to(&mut file, &mut head).map_err(|e| problem(format!("cannot read: {e}")))?;
    let head = &head[..n];
    if n == 0 {
        return Err(problem(
            "the file is empty: it needs a header line and at least one row".into(),
        ));
    }
    if settings.encoding.is_none() && looks_like_utf16_without_bom(head) {
        return Err(problem(
            "the file looks like UTF-16 text without a byte-order mark, which cannot be read \
             safely; in Excel use Save As > \"CSV UTF-8 (Comma delimited)\""
                .into(),
        ));
    }
    let file = File::open(&settings.file).map_err(|e| problem(format!("cannot open: {e}")))?;
    let digest = Arc::new(Mutex::new(Sha256::new()));
    let hashing = Hashing {
        inner: file,
        digest: digest.clone(),
    };
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(settings.encoding)
        .utf8_passthru(true)
        .strip_bom(true)
        .bom_sniffing(true)
        .build(hashing);
    let mut buffered = BufReader::with_capacity(64 * 1024, decoded);
    let delimiter = match settings.delimiter {
        Some(d) => d,
        None => sniff_delimiter(
            buffered
                .fill_buf()
                .map_err(|e| problem(format!("cannot read: {e}")))?,
        ),
    };
    let source: Box<dyn Read + Send> = Box::new(buffered);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(source);

    let raw_headers = reader
        .byte_headers()
        .map_err(|e| problem(format!("cannot read the header line: {e}")))?
        .clone();
    let mut problems = Vec::new();
    let mut headers = Vec::with_capacity(raw_headers.len());
    for (i, raw) in raw_headers.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(text) => headers.push(text.trim().nfc().collect::<String>()),
            Err(_) => {
                return Err(vec![
                    Problem::new(display, not_utf8_message(&settings.file)).at_line(1),
                ]);
            }
        }
        if headers[i].is_empty() {
            problems.push(
                Problem::new(
                    display,
                    format!("column {} has no name in the header line", i + 1),
                )
                .at_line(1),
            );
        } else if let Some(c) = first_control(&headers[i], true) {
            problems.push(
                Problem::new(display, format!("a header name contains {}", describe(c))).at_line(1),
            );
        }
    }
    if headers.len() == 1 && headers[0].is_empty() {
        return Err(problem("the header line is empty".into()));
    }
    for (i, h) in headers.iter().enumerate() {
        if !h.is_empty() && headers[..i].contains(h) {
            problems.push(
                Problem::new(
                    display,
                    format!("the header names column `{h}` twice; rename one of them"),
                )
                .at_line(1),
            );
        }
    }
    let find = |name: &str| headers.iter().position(|h| h == name);
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
            problems.push(
                Problem::new(
                    display,
                    format!("the required column `{header}` is missing from the header line"),
                )
                .at_line(1),
            );
        }
    }
    for (name, mapped) in [("cc", &columns.cc), ("id", &columns.id)] {
        if let Some(header) = mapped
            && find(header).is_none()
        {
            problems.push(
                Problem::new(
                    display,
                    format!("campaign.toml maps `{name}` to column `{header}`, which is missing"),
                )
                .at_line(1),
            );
        }
    }
    let mut required = Vec::new();
    for name in &settings.required {
        let index = match name.as_str() {
            "organisation" => organisation,
            "email" => email,
            "cc" => cc,
            "id" => id,
            _ => find(name),
        };
        match index {
            Some(i) => required.push(i),
            None => problems.push(
                Problem::new(
                    display,
                    format!("the required column `{name}` is missing from the header line"),
                )
                .at_line(1),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(organisation), Some(email)) = (organisation, email) else {
        unreachable!("checked above")
    };
    let aliases = vec![
        ("organisation", Some(organisation)),
        ("email", Some(email)),
        ("cc", cc),
        ("id", id),
    ];
    Ok(Table {
        path: settings.file.clone(),
        display: display.to_owned(),
        reader,
        headers,
        roles: Roles {
            organisation,
            email,
            cc,
            id,
            required,
            aliases,
        },
        seen: HashMap::new(),
        digest,
        not_utf8: false,
        record: csv::ByteRecord::new(),
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

    /// The SHA-256 of the raw bytes read so far; of the whole file once `next_row` returned `None`.
    pub fn sha256(&self) -> String {
        hex::encode(self.digest.lock().expect("digest lock").clone().finalize())
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
                    let line = e.position().map(csv::Position::line);
                    let mut p =
                        Problem::new(&self.display, format!("the CSV cannot be read here: {e}"));
                    p.line = line;
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
        let line = self.record.position().map_or(0, csv::Position::line);
        let problem = |column: &str, message: String| {
            Problem::new(&self.display, message)
                .at_line(line)
                .in_column(column)
        };
        if self.record.len() != self.headers.len() {
            return Err(vec![
                Problem::new(
                    &self.display,
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
        for (i, raw) in self.record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(text) => values.push(text.nfc().collect::<String>()),
                Err(_) => {
                    self.not_utf8 = true;
                    let message = not_utf8_message(&self.path);
                    return Err(vec![
                        Problem::new(&self.display, message)
                            .at_line(line)
                            .in_column(&self.headers[i]),
                    ]);
                }
            }
        }

        let mut problems = Vec::new();
        let header_bound: Vec<usize> = [
            Some(self.roles.organisation),
            Some(self.roles.email),
            self.roles.cc,
            self.roles.id,
        ]
        .into_iter()
        .flatten()
        .collect();
        for (i, value) in values.iter().enumerate() {
            if let Some(c) = first_control(value, header_bound.contains(&i)) {
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
        if !problems.is_empty() {
            return Err(problems);
        }

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
        cc.retain(|a| !to.contains(a));
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
            None => to
                .first()
                .map(|a| a.to_string().to_lowercase())
                .unwrap_or_default(),
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

/// Parses a cell of addresses separated by `;` or `,`. Accepts `Name <addr>` items (the address
/// is taken), converts IDN domains to ASCII, and refuses what a relay would refuse.
pub fn parse_addresses(cell: &str) -> Result<Vec<Address>, Vec<String>> {
    let mut addresses = Vec::new();
    let mut errors = Vec::new();
    for item in cell
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match parse_address(item) {
            Ok(a) if addresses.contains(&a) => {}
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

fn parse_address(item: &str) -> Result<Address, String> {
    let bare = match (item.rfind('<'), item.strip_suffix('>')) {
        (Some(open), Some(rest)) => rest[open + 1..].trim(),
        _ => item,
    };
    let not = |why: &str| format!("`{item}` is not an email address: {why}");
    let Some((local, domain)) = bare.rsplit_once('@') else {
        return Err(not("it has no @"));
    };
    if local.is_empty() || domain.is_empty() {
        return Err(not("something is missing before or after the @"));
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
    Address::new(local, &ascii).map_err(|e| not(&e.to_string()))
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

fn not_utf8_message(path: &Path) -> String {
    let guess = guess_encoding(path);
    format!(
        "the file is not UTF-8 text (it looks like {guess}); in Excel use Save As > \"CSV UTF-8 (Comma \
         delimited)\", or add `encoding = \"{guess}\"` under [recipients] in campaign.toml if you are sure"
    )
}

/// A hint only: chardetng's best guess over the whole file, with Vietnamese as the likely language.
fn guess_encoding(path: &Path) -> String {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    if let Ok(mut file) = File::open(path) {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            detector.feed(&buf[..n], false);
        }
    }
    detector.feed(&[], true);
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
            b'\n' if !quoted => break,
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

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Feeds every byte read from the file into a SHA-256, so the fingerprint in the log is of the
/// exact bytes that were read.
struct Hashing {
    inner: File,
    digest: Arc<Mutex<Sha256>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.lock().expect("digest lock").update(&buf[..n]);
        Ok(n)
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
    fn bad_addresses_are_refused_with_a_reason() {
        for (cell, why) in [
            ("x.example", "no @"),
            ("@x.example", "missing"),
            ("văn@x.example", "accents"),
            ("a@localhost", "complete domain"),
            ("a@[127.0.0.1]", "IP address"),
            ("a b@x.example", "not an email address"),
        ] {
            let errors = parse_addresses(cell).unwrap_err();
            assert!(errors[0].contains(why), "{cell}: {errors:?}");
        }
        let long = format!("{}@x.example", "a".repeat(65));
        assert!(parse_addresses(&long).unwrap_err()[0].contains("64"));
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
