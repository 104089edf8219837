//! The header row: names trimmed of spaces and byte-order marks and matched without case, each
//! name once, and the columns' roles (the key, the addresses, the organisation) found in it.

use super::*;

pub(super) struct Roles {
    pub(super) organisation: usize,
    pub(super) email: usize,
    pub(super) cc: Option<usize>,
    pub(super) id: Option<usize>,
    pub(super) required: Vec<usize>,
    /// Role names exposed to templates in addition to the header names: (role, column).
    pub(super) aliases: Vec<(&'static str, Option<usize>)>,
}

/// A header name as it is matched: without surrounding spaces or byte-order marks, NFC, in
/// lower case. `ID`, ` id ` and `\u{feff}id` are all the column `id`.
pub fn header_key(name: &str) -> String {
    clean_header(name).to_lowercase()
}

/// A header name as it is shown and offered to templates: trimmed of spaces and byte-order marks
/// (a spreadsheet that saved a BOM twice leaves one in the first name), NFC.
pub(super) fn clean_header(name: &str) -> String {
    name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .nfc()
        .collect()
}

/// The header's names, cleaned, with what is wrong with each (too long, blank, a control
/// character).
pub(super) fn header_names(source: &Source, raw_headers: &[String]) -> (Vec<String>, Vec<Problem>) {
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
pub(super) fn distinct_headers(
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
pub(super) fn roles(
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
pub(super) fn missing_column_message(
    name: &str,
    headers: &[String],
    row_kind: &str,
    hint: &str,
) -> String {
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
