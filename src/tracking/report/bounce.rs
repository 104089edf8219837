//! The plain bounces of older mail systems, read by their wording: qmail (and Postfix before it
//! wrote DSNs), Exim, Sendmail and Exchange, one entry each in `FORMATS` with the wording that
//! opens and closes its notice and how a line names a recipient. Also what only looks like a
//! bounce: one a person quotes, or a mail system's report in no format known here.

use std::borrow::Cow;

use mail_parser::Message;

use super::head::{Head, returned_message_id};
use super::text::{
    clean_address, contains_ci, find_ci, find_reply_code, find_status, header_text, message_id,
    one_line, starts_with_ci,
};
use super::{Action, Kind, Parsed, PerRecipient, Reason, Report};

/// A plain bounce format, known by its wording. Each was learnt from what the server writes.
pub(super) struct Format {
    name: &'static str,
    /// A line holding one of these begins the text that names the failed recipients.
    starts: &'static [&'static str],
    /// A line holding one of these ends it: a transcript or the returned message follows.
    ends: &'static [&'static str],
    /// Wording in that text that makes the report a warning of delay, not a failure.
    delays: &'static [&'static str],
    /// The address a line names if it begins a recipient's lines, and the rest of the line.
    anchor: fn(&str) -> Option<(String, &str)>,
}

pub(super) const FORMATS: &[Format] = &[
    Format {
        // qmail-send, and Postfix's text before it wrote DSNs: `<address>:` then the reason.
        name: "qmail",
        starts: &[
            "This is the qmail-send program",
            "This is the mail system at host",
            "This is the Postfix program at host",
        ],
        ends: &[
            "--- Below this line is a copy of the message",
            "--- Below this line is a copy of the mail header",
            "--- Below the next line is a copy of the message",
        ],
        delays: &["THIS IS A WARNING ONLY"],
        anchor: angle_address,
    },
    Format {
        // Exim without DSN: each address indented by two spaces, its reason by four.
        name: "Exim",
        starts: &["This message was created automatically by mail delivery software"],
        ends: &[
            "------ This is a copy of the message",
            "----- This is a copy of the message",
            "No action is required on your part",
        ],
        delays: &["has not yet been delivered", "Delay reason:"],
        anchor: indented_address,
    },
    Format {
        // Sendmail before DSN, and the servers that copied it.
        name: "Sendmail",
        starts: &[
            "----- The following addresses had permanent fatal errors -----",
            "----- The following addresses had transient non-fatal errors -----",
        ],
        ends: &[
            "----- Transcript of session follows -----",
            "----- Original message follows -----",
            "----- Message header follows -----",
            "----- Unsent message follows -----",
        ],
        delays: &[
            "transient non-fatal errors",
            "THIS IS A WARNING MESSAGE ONLY",
        ],
        anchor: leading_address,
    },
    Format {
        // Exchange and Outlook: an address alone on its line (or `Name (address)`), then the
        // reason; the same address again under the diagnostic information for administrators.
        name: "Exchange",
        starts: &[
            "Delivery has failed to these recipients or groups",
            "Delivery is delayed to these recipients or groups",
            "Your message did not reach some or all of the intended recipients",
            "Diagnostic information for administrators",
        ],
        ends: &["Original message headers"],
        delays: &["Delivery is delayed to these recipients"],
        anchor: exchange_address,
    },
];

/// How the subject of a report written by a mail system begins (matched without case).
pub(super) const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "failure notice",
    "returned mail",
    "mail delivery failed",
    "mail delivery failure",
    "delivery status notification",
    "delivery failure",
    "delivery delayed",
    "delayed mail",
    "warning: could not send",
    "warning: message",
    "mail system error",
    "message not delivered",
    "non remis",
];

/// The local parts mail systems send reports from.
pub(super) const SYSTEM_SENDERS: &[&str] =
    &["mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"];

/// A report in one of the plain bounce formats, or a message that only looks like one.
/// `None` if the text has none of their wording and no header names failed recipients.
pub(super) fn plain_report(message: &Message, head: &Head) -> Option<Parsed> {
    let text = message.body_text(0).unwrap_or(Cow::Borrowed(""));
    let lines: Vec<&str> = text.lines().collect();
    let from_system = from_mail_system(message, head);
    let bounce_subject = head
        .subject
        .as_deref()
        .is_some_and(|s| BOUNCE_SUBJECTS.iter().any(|b| starts_with_ci(s.trim(), b)));
    let failed_header = header_text(message, "X-Failed-Recipients");
    let found = find_format(&lines);
    if let Some((format, _)) = found
        && !(from_system || bounce_subject || failed_header.is_some())
    {
        return Some(head.not_a_report(Reason::QuotedBounce {
            format: format.name,
        }));
    }
    let mut report = match found {
        Some((format, start)) => read_bounce(format, &lines, start, head),
        None => head.report(Kind::Bounce),
    };
    if report.recipients.is_empty() && from_system {
        // Exim names them in a header too; the last resort when the text says nothing usable.
        for address in failed_header.iter().flat_map(|h| h.split(',')) {
            if let Some(address) = clean_address(address) {
                let mut recipient = PerRecipient::new(Action::Failed);
                recipient.recipient = Some(address);
                report.recipients.push(recipient);
            }
        }
    }
    if report.recipients.is_empty() {
        return match found {
            Some((format, _)) => Some(Parsed::Unreadable(Reason::BounceNoRecipient {
                format: format.name,
            })),
            None if from_system && bounce_subject => {
                Some(Parsed::Unreadable(Reason::UnknownFormat {
                    subject: head.subject.clone().unwrap_or_default(),
                }))
            }
            None => None,
        };
    }
    report.original_message_id = returned_message_id(message).or(report.original_message_id);
    Some(Parsed::Report(report))
}

/// Whether the message comes from a mail system rather than a person: a null return path (RFC
/// 5321 sends reports with one), a daemon's address, Exchange's system mailbox.
pub(super) fn from_mail_system(message: &Message, head: &Head) -> bool {
    let null_path = message
        .header_raw("Return-Path")
        .is_some_and(|p| p.trim() == "<>");
    let system_address = head.from.as_deref().is_some_and(|from| {
        let local = from.split('@').next().unwrap_or_default();
        SYSTEM_SENDERS.contains(&local) || local.starts_with("microsoftexchange")
    });
    null_path || system_address
}

/// The format whose opening wording comes first in the text, and the line it is on.
pub(super) fn find_format(lines: &[&str]) -> Option<(&'static Format, usize)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        FORMATS
            .iter()
            .find(|f| f.starts.iter().any(|s| contains_ci(line, s)))
            .map(|f| (f, i))
    })
}

/// Reads the recipients of a plain bounce whose opening wording is on line `start`.
pub(super) fn read_bounce(format: &Format, lines: &[&str], start: usize, head: &Head) -> Report {
    let mut report = head.report(Kind::Bounce);
    let end = lines[start..]
        .iter()
        .position(|line| format.ends.iter().any(|e| contains_ci(line, e)))
        .map_or(lines.len(), |n| start + n);
    let notice = &lines[start..end];
    let delayed = notice
        .iter()
        .any(|line| format.delays.iter().any(|d| contains_ci(line, d)));
    let action = if delayed {
        Action::Delayed
    } else {
        Action::Failed
    };
    for (address, said) in recipient_lines(notice, format.anchor) {
        let diagnostic = said.join(" ");
        let mut recipient = PerRecipient::new(action.clone());
        recipient.recipient = Some(address);
        recipient.status = find_status(&diagnostic);
        recipient.reply_code = find_reply_code(&diagnostic);
        recipient.diagnostic = Some(diagnostic).filter(|d| !d.is_empty());
        report.recipients.push(recipient);
    }
    report.reporter = bounce_reporter(notice);
    report.original_message_id = quoted_message_id(&lines[end..]);
    report
}

/// Each recipient a bounce names, in order, with the lines of what was said about it. A blank
/// line ends a recipient's lines. A recipient named twice (Exchange names it once for people and
/// once for administrators) keeps the lines that quote a server, else the first it was given.
pub(super) fn recipient_lines(
    notice: &[&str],
    anchor: fn(&str) -> Option<(String, &str)>,
) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in notice {
        if let Some((address, rest)) = anchor(line) {
            keep_lines(&mut found, open.take());
            open = Some((address, said_line(rest).into_iter().collect()));
        } else if line.trim().is_empty() {
            keep_lines(&mut found, open.take());
        } else if let (Some((_, said)), Some(line)) = (open.as_mut(), said_line(line)) {
            said.push(line);
        }
    }
    keep_lines(&mut found, open);
    found
}

/// Adds a recipient's lines, or replaces those of the same recipient named before if the new
/// lines quote a server and the old ones do not.
pub(super) fn keep_lines(
    found: &mut Vec<(String, Vec<String>)>,
    lines: Option<(String, Vec<String>)>,
) {
    let Some((address, said)) = lines else {
        return;
    };
    let quotes_server = |said: &[String]| said.iter().any(|l| is_technical(l));
    match found.iter_mut().find(|(a, _)| *a == address) {
        None => found.push((address, said)),
        Some((_, old)) if old.is_empty() || (!quotes_server(old) && quotes_server(&said)) => {
            *old = said;
        }
        Some(_) => {}
    }
}

/// A line of a recipient's reason, trimmed and without the wrapping some servers put around the
/// server's words: Exchange's `#550 … ##`, Sendmail's `(reason: 550 …)`.
pub(super) fn said_line(line: &str) -> Option<String> {
    let mut said = line.trim();
    if let Some(inner) = said
        .strip_prefix("(reason:")
        .and_then(|s| s.strip_suffix(')'))
    {
        said = inner.trim();
    }
    if let Some(inner) = said.strip_prefix('#') {
        said = inner.trim_end_matches('#').trim();
    }
    (!said.is_empty()).then(|| one_line(said))
}

/// Whether a line quotes a server: it holds a status code or a reply code.
pub(super) fn is_technical(line: &str) -> bool {
    find_status(line).is_some() || find_reply_code(line).is_some()
}

/// qmail and Postfix: `<address>:` at the start of a line, the reason after the colon (Postfix
/// may put `(expanded from <alias>)` between).
pub(super) fn angle_address(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('<')?;
    let (address, rest) = rest.split_once('>')?;
    let rest = match rest.strip_prefix(':') {
        Some(rest) => rest,
        None => rest.split_once("):")?.1,
    };
    Some((clean_address(address)?, rest))
}

/// Exim: two spaces, then the address, alone or followed by `: reason`.
pub(super) fn indented_address(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("  ")?;
    if rest.starts_with([' ', '\t']) {
        return None;
    }
    let (token, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((clean_address(token)?, rest))
}

/// Sendmail: `<address>` or the bare address at the start of a line.
pub(super) fn leading_address(line: &str) -> Option<(String, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (token, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    // `<address>... User unknown`, the way Sendmail quotes an address.
    Some((clean_address(token.trim_end_matches("..."))?, rest))
}

/// Exchange: a line that begins with an address (`a@b`, `a@b on 11/30/2022 9:31 AM`), or a name
/// with the address in parentheses and nothing else (`Văn thư (a@b)`).
pub(super) fn exchange_address(line: &str) -> Option<(String, &str)> {
    let line = line.trim();
    let token = line.split_whitespace().next()?;
    // Outlook's text version of a mailto link: `a@b<mailto:a@b>`.
    let token = token.split("<mailto:").next().unwrap_or(token);
    // What follows the address is a date (`on 11/30/2022 9:31 AM`), never the reason.
    if let Some(address) = clean_address(token) {
        return Some((address, ""));
    }
    let (name, address) = line.strip_suffix(')')?.rsplit_once('(')?;
    if name.contains(':') {
        return None;
    }
    Some((clean_address(address)?, ""))
}

/// The host a bounce says it was written on.
pub(super) fn bounce_reporter(notice: &[&str]) -> Option<String> {
    const BEFORE_HOST: &[&str] = &[
        "qmail-send program at ",
        "mail system at host ",
        "Postfix program at host ",
        "Generating server: ",
    ];
    notice.iter().find_map(|line| {
        BEFORE_HOST.iter().find_map(|before| {
            let at = find_ci(line, before)? + before.len();
            let host = line[at..].split_whitespace().next()?.trim_end_matches('.');
            (!host.is_empty()).then(|| host.to_owned())
        })
    })
}

/// The `Message-ID:` header of the message a bounce quotes after its notice.
pub(super) fn quoted_message_id(quoted: &[&str]) -> Option<String> {
    quoted.iter().enumerate().find_map(|(i, line)| {
        let (name, value) = line.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("message-id") {
            return None;
        }
        // Folded: the id on the next line.
        let value = match value.trim() {
            "" => quoted.get(i + 1)?.trim(),
            value => value,
        };
        message_id(value)
    })
}
