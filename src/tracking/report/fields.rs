//! The body of a `message/delivery-status` or `message/disposition-notification` part: groups
//! of header-like fields (RFC 822 syntax, groups between blank lines), and the typed values
//! (`rfc822; a@b`, `dns; host`) that both report formats write. mail-parser hands these bodies
//! over as opaque bytes. What a field means is the DSN's or the MDN's reader's.

use super::text::{is_status, one_line, without_comments};

/// One field of a report body: its name lower-case, its value unfolded on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) value: String,
}

/// The groups of fields of a `message/delivery-status` or `message/disposition-notification`
/// body: RFC 822 header syntax, groups separated by blank lines. Lenient where senders are: LF or
/// CRLF, any case of names, a line of only spaces as a separator, no blank line at the end.
/// A line that is no field (no colon, a bad name) is skipped, and so is a continuation line
/// with no field before it.
pub(super) fn groups(text: &str) -> Vec<Vec<Field>> {
    let mut groups: Vec<Vec<Field>> = vec![Vec::new()];
    let mut continues = false;
    for line in text.lines() {
        let group = groups.last_mut().expect("there is always a group");
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(Vec::new());
            }
            continues = false;
        } else if line.starts_with([' ', '\t']) {
            if let Some(field) = group.last_mut().filter(|_| continues) {
                field.value.push(' ');
                field.value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':')
            && is_field_name(name.trim_end())
        {
            group.push(Field {
                name: name.trim_end().to_ascii_lowercase(),
                value: value.to_owned(),
            });
            continues = true;
        } else {
            continues = false;
        }
    }
    groups.retain(|g| !g.is_empty());
    for field in groups.iter_mut().flatten() {
        field.value = one_line(&field.value);
    }
    groups
}

/// RFC 5322 field names: printable ASCII but the colon.
pub(super) fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// A typed field value, `type; text` (`rfc822; a@b`, `dns; host`, `smtp; 550 …`): the type, if
/// there is one, and the text.
pub(super) fn typed(value: &str) -> (Option<&str>, &str) {
    match value.split_once(';') {
        Some((kind, text)) => (Some(kind.trim()), text.trim()),
        None => (None, value.trim()),
    }
}

/// A recipient field's address: without its type, brackets and comments; lower-case if it is an
/// Internet address (`rfc822`, or RFC 6533's `utf-8`).
pub(super) fn typed_address(value: &str) -> Option<String> {
    let (kind, text) = typed(value);
    let text = without_comments(text);
    let address = text
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let internet =
        kind.is_none_or(|k| k.eq_ignore_ascii_case("rfc822") || k.eq_ignore_ascii_case("utf-8"));
    match address {
        "" => None,
        a if internet => Some(a.to_lowercase()),
        a => Some(a.to_owned()),
    }
}

/// The status code of a `Status` field, without the comment some servers add.
pub(super) fn status_field(value: &str) -> Option<String> {
    let code = without_comments(value);
    let code = code.split_whitespace().next()?;
    is_status(code).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_addresses_and_types() {
        for (field, expected) in [
            (
                "rfc822; Van.Thu@SoYTe.example",
                Some("van.thu@soyte.example"),
            ),
            (
                "rfc822;<vanthu@soyte.example>",
                Some("vanthu@soyte.example"),
            ),
            (
                "RFC822; vanthu@soyte.example (the clerk)",
                Some("vanthu@soyte.example"),
            ),
            ("utf-8; Văn@SởYTế.example", Some("văn@sởytế.example")),
            (
                "x400; /C=VN/ADMD=X/PRMD=Y/S=Thu/",
                Some("/C=VN/ADMD=X/PRMD=Y/S=Thu/"),
            ),
            ("rfc822;", None),
        ] {
            assert_eq!(typed_address(field).as_deref(), expected, "{field}");
        }
    }

    #[test]
    fn groups_are_read_like_header_fields() {
        let text = "Reporting-MTA: dns;\r\n  mx.example\r\nARRIVAL-DATE: Wed, 30 Nov 2022\r\n\
                    \r\n \t \r\n\
                    final-recipient: rfc822; a@b.example\nAction:failed\n\
                    no colon here\n   and a continuation of nothing\n\
                    : empty name\nBad Name: x\nStatus: 5.1.1";
        let got: Vec<Vec<(String, String)>> = groups(text)
            .into_iter()
            .map(|g| g.into_iter().map(|f| (f.name, f.value)).collect())
            .collect();
        let own = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            got,
            [
                own(&[
                    ("reporting-mta", "dns; mx.example"),
                    ("arrival-date", "Wed, 30 Nov 2022")
                ]),
                own(&[
                    ("final-recipient", "rfc822; a@b.example"),
                    ("action", "failed"),
                    ("status", "5.1.1")
                ]),
            ]
        );
        assert!(groups("").is_empty() && groups("\r\n\r\n").is_empty());
    }

    #[test]
    fn status_fields_lose_their_comment() {
        assert_eq!(
            status_field("5.0.0 (permanent failure)").as_deref(),
            Some("5.0.0")
        );
        assert_eq!(status_field("550 user unknown"), None);
    }
}
