//! The small text pieces every report reader shares: one-line text, RFC 822 comments,
//! Message-IDs, bounce addresses, status and reply codes in free text, dates as UTC, and ASCII
//! case-insensitive matching. Pure functions of text (and of mail-parser's `Message` for a
//! header's raw value); they know no report format.

use mail_parser::{DateTime, Message};

/// A header field of the message, unfolded on one line, if it is there and not empty.
pub(super) fn header_text(message: &Message, name: &str) -> Option<String> {
    Some(one_line(message.header_raw(name)?)).filter(|v| !v.is_empty())
}

/// Text on one line: every run of white space, line ends included, as one space.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text without its RFC 822 comments, `(…)`, nested or not.
pub(super) fn without_comments(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The text of the first comment, `(…)`, without its parentheses, if it has any.
pub(super) fn comment(text: &str) -> Option<String> {
    let (_, rest) = text.split_once('(')?;
    let inner = rest.rsplit_once(')').map_or(rest, |(inner, _)| inner);
    Some(one_line(inner)).filter(|c| !c.is_empty())
}

/// A Message-ID as `<id>`, the form letterpost logs, from `<id>`, `id`, or a value with other
/// words around the brackets. `None` if there is no id.
pub(super) fn message_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let id = match raw.split_once('<') {
        Some((_, rest)) => rest.split_once('>').map_or(rest, |(id, _)| id),
        None => raw.split_whitespace().next()?,
    };
    let id = id.trim();
    let bad = id.is_empty() || id.contains(|c: char| c.is_whitespace() || c == '<' || c == '>');
    (!bad).then(|| format!("<{id}>"))
}

/// An address from a bounce's text: without brackets, a trailing colon, comma or full stop, or a
/// `mailto:`; lower-case. `None` unless it looks like `local@domain.tld`.
pub(super) fn clean_address(token: &str) -> Option<String> {
    let token = token.trim().trim_end_matches([':', ',', ';']);
    let token = token.trim_start_matches('<').trim_end_matches('>');
    let token = token
        .strip_prefix("mailto:")
        .unwrap_or(token)
        .trim_end_matches('.');
    let (local, domain) = token.rsplit_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    let ok = !local.is_empty()
        && !local.contains(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains(bad);
    ok.then(|| token.to_lowercase())
}

/// The first enhanced status code (`5.1.1`, also in `#5.1.1`) in free text. An IP address or a
/// version number is not one: a code has exactly three numbers, the first 2, 4 or 5.
pub(super) fn find_status(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|run| run.strip_suffix('.').unwrap_or(run))
        .find(|run| is_status(run))
        .map(str::to_owned)
}

/// RFC 3463: class `2`, `4` or `5`, subject and detail of one to three digits.
pub(super) fn is_status(code: &str) -> bool {
    let mut parts = code.split('.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let number = |n: &str| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit());
    matches!(class, "2" | "4" | "5") && number(subject) && number(detail)
}

/// The SMTP reply code in free text: three digits standing alone, 2xx, 4xx or 5xx, followed by
/// a space, a hyphen or the end; the one just before an enhanced status code if there is one.
pub(super) fn find_reply_code(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    let mut first = None;
    for (at, _) in text.match_indices(|c: char| c.is_ascii_digit()) {
        let Some(code) = bytes.get(at..at + 3) else {
            break;
        };
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 3).copied();
        let alone = before.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'.')
            && after.is_none_or(|b| b == b' ' || b == b'-')
            && code.iter().all(u8::is_ascii_digit)
            && matches!(code[0], b'2' | b'4' | b'5');
        if !alone {
            continue;
        }
        let value = reply_value(code);
        let rest = text.get(at + 4..).unwrap_or_default();
        if rest.split_whitespace().next().is_some_and(is_status) {
            return Some(value);
        }
        first = first.or(Some(value));
    }
    first
}

/// The reply code a `Diagnostic-Code: smtp;` text begins with.
pub(super) fn leading_reply_code(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    let code = bytes.get(..3)?;
    let alone = bytes.get(3).is_none_or(|&b| b == b' ' || b == b'-');
    (alone && matches!(code[0], b'2' | b'4' | b'5') && code.iter().all(u8::is_ascii_digit))
        .then(|| reply_value(code))
}

/// The number three ASCII digits stand for.
pub(super) fn reply_value(code: &[u8]) -> u16 {
    code.iter()
        .take(3)
        .fold(0, |n, &d| n * 10 + u16::from(d.saturating_sub(b'0')))
}

/// An RFC 5322 date as RFC 3339 UTC, or the text as written if it is no date.
pub(super) fn utc(text: &str) -> String {
    match DateTime::parse_rfc822(text) {
        Some(date) if date.is_valid() => DateTime::from_timestamp(date.to_timestamp()).to_rfc3339(),
        _ => one_line(text),
    }
}

/// ASCII case-insensitive search.
pub(super) fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

pub(super) fn contains_ci(haystack: &str, needle: &str) -> bool {
    find_ci(haystack, needle).is_some()
}

pub(super) fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_reply_codes_in_free_text() {
        for (text, status, reply) in [
            (
                "Sorry, no mailbox here by that name. (#5.1.1)",
                Some("5.1.1"),
                None,
            ),
            (
                "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
                Some("5.1.1"),
                Some(550),
            ),
            (
                "Remote Server returned '550 5.1.1 <a@b.example>... User unknown'",
                Some("5.1.1"),
                Some(550),
            ),
            (
                "host mx [203.0.113.25]: 552 5.2.2 <a@b.example>: Mailbox full",
                Some("5.2.2"),
                Some(552),
            ),
            (
                "host 10.0.0.5 said: 550-5.7.1 blocked",
                Some("5.7.1"),
                Some(550),
            ),
            ("Giving up on 203.0.113.40.", None, None),
            ("Exim 4.96 on port 25 after 1.5.10 s", None, None),
            ("status 4.4.7.", Some("4.4.7"), None),
            (
                "after 250 tries: 421 4.4.2 timeout",
                Some("4.4.2"),
                Some(421),
            ),
            ("550 5.1.1", Some("5.1.1"), Some(550)),
            ("5501 15.1.1 and 5.1.10.2", None, None),
        ] {
            assert_eq!(find_status(text).as_deref(), status, "{text}");
            assert_eq!(find_reply_code(text), reply, "{text}");
        }
        for (text, reply) in [
            ("550 5.1.1 <a@b>", Some(550)),
            ("426 connection timed out", Some(426)),
            ("250-2.0.0 ok", Some(250)),
            ("5501 x", None),
            ("  550 x", None),
            ("unknown user", None),
            ("55", None),
        ] {
            assert_eq!(leading_reply_code(text), reply, "{text}");
        }
    }

    #[test]
    fn message_ids_are_bracketed() {
        for (raw, expected) in [
            ("<a.b@c.example>", Some("<a.b@c.example>")),
            ("a.b@c.example", Some("<a.b@c.example>")),
            ("  <a.b@c.example> (comment)", Some("<a.b@c.example>")),
            (
                "Your message of Monday <a.b@c.example>",
                Some("<a.b@c.example>"),
            ),
            ("<a.b@c.example", Some("<a.b@c.example>")),
            ("<>", None),
            ("", None),
            ("< a b >", None),
        ] {
            assert_eq!(message_id(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn bounce_addresses() {
        for (token, expected) in [
            ("<KeToan@SoYTe.example>:", Some("ketoan@soyte.example")),
            ("vanthu@soyte.example.", Some("vanthu@soyte.example")),
            ("mailto:vanthu@soyte.example", Some("vanthu@soyte.example")),
            ("vanthu@localhost", None),
            ("@soyte.example", None),
            ("a@@soyte.example", None),
            ("vanthu", None),
            ("a b@c.example", None),
        ] {
            assert_eq!(clean_address(token).as_deref(), expected, "{token}");
        }
    }

    #[test]
    fn dates_become_utc_or_stay_as_written() {
        for (text, expected) in [
            (
                "Wed, 30 Nov 2022 09:14:20 +0700 (+07)",
                "2022-11-30T02:14:20Z",
            ),
            ("Thu, 7 Jul 1994 17:16:05 -0400", "1994-07-07T21:16:05Z"),
            ("31 Dec 2022 23:30:00 -0100", "2023-01-01T00:30:00Z"),
            ("yesterday,   around noon", "yesterday, around noon"),
        ] {
            assert_eq!(utc(text), expected, "{text}");
        }
    }
}
