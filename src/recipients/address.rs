//! Address lists: a cell split at `;` or `,` outside quotes, each item through lettre's RFC 5322
//! parser with IDN domains to ASCII; how addresses compare; control characters in header-bound
//! text.

use super::*;

/// An address as compared with others: the whole address in lower case. (Strictly only the
/// domain is case-insensitive, but no mail system the campaign reaches treats `VanThu@` and
/// `vanthu@` as two people, and treating them as one is the side that never sends twice.)
pub fn normalised(address: &Address) -> String {
    address.to_string().to_lowercase()
}

pub(super) fn same_address(a: &Address, b: &Address) -> bool {
    normalised(a) == normalised(b)
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
pub(super) fn split_list(cell: &str) -> impl Iterator<Item = &str> {
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

pub(super) fn parse_address(item: &str) -> Result<Address, String> {
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
