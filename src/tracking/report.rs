//! Reads what comes back to a campaign's envelope sender after the relay accepted a letter: one
//! message, as the raw bytes IMAP's `BODY[]` returns, becomes a `Parsed`.
//!
//! It recognises four kinds of report. Delivery status notifications (RFC 3464,
//! `multipart/report; report-type=delivery-status`): one entry per recipient, failed, delayed,
//! delivered, relayed or expanded, with its status, diagnostic and the envelope id and Message-ID
//! that tie it to a letter. The plain bounces of older servers (qmail, Exim, Sendmail, Exchange),
//! read by their wording. Read receipts (RFC 8098): only `displayed` means read; `deleted`,
//! `dispatched` and `processed` are reported as other dispositions. Automatic replies (RFC 3834
//! `Auto-Submitted` other than `no`, and the common non-standard signs), which name the letter in
//! their In-Reply-To or References. Anything else is `NotAReport` (a person's reply, spam) or
//! `Unreadable`, each with the reason; no input makes it panic.
//!
//! MIME structure, transfer encodings, charsets, encoded words and dates are mail-parser's. The
//! report bodies themselves (`message/delivery-status`, `message/disposition-notification`) are
//! header-like groups read here: mail-parser hands them over as opaque bytes.
//!
//! It does no I/O and knows nothing of IMAP, of the delivery log or of which letters were sent:
//! matching a report to a letter, and deciding what it means for a recipient, is the caller's.
//! The reasons it gives for what it cannot use are worded in `locales/*/track.ftl`.

use std::borrow::Cow;

use mail_parser::{DateTime, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders};

use crate::smtp::xtext_decode;

/// What a report is: the form it came in, as the delivery log records it.
pub use crate::delivery_log::ReportKind as Kind;

/// What happened to the letter for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Not delivered, and no further attempt will be made.
    Failed,
    /// Not delivered yet; the server keeps trying.
    Delayed,
    /// Delivered to the recipient's mailbox.
    Delivered,
    /// Handed on to a server that sends no delivery reports: no news is not good news.
    Relayed,
    /// Delivered to a list or alias, which sent it on to its members.
    Expanded,
    /// A read receipt: the letter was shown to the recipient.
    Displayed,
    /// A disposition other than `displayed`, as written, lower-case: `deleted`, `dispatched`,
    /// `processed`, or `displayed/error`.
    OtherDisposition(String),
    /// The recipient's system answered automatically.
    AutoReplied,
    /// A DSN `Action` value this module does not know, as written (empty if the report gave no
    /// action and no status to infer it from).
    Unrecognised(String),
}

/// What a report says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerRecipient {
    /// The address the report is about (`Final-Recipient`, the address a bounce names, an
    /// automatic reply's From): lower-case, without its `rfc822;` type. Addresses of other types
    /// (`x400;`) are kept as written.
    pub recipient: Option<String>,
    /// The address as the letter's envelope gave it (`Original-Recipient`), when the report says.
    pub original_recipient: Option<String>,
    pub action: Action,
    /// The enhanced status code (RFC 3463), `x.y.z`, without its comment.
    pub status: Option<String>,
    /// The SMTP reply code the remote server gave, when the report quotes one.
    pub reply_code: Option<u16>,
    /// What the server said, on one line: the `Diagnostic-Code` text after its type, the reason a
    /// bounce gives, an MDN's `Disposition`, the sign that marked an automatic reply.
    pub diagnostic: Option<String>,
    /// The server that gave the diagnostic (`Remote-MTA`), without its `dns;` type.
    pub remote_mta: Option<String>,
    /// `Last-Attempt-Date`: RFC 3339 UTC when it can be read, else as written.
    pub last_attempt: Option<String>,
}

impl PerRecipient {
    fn new(action: Action) -> PerRecipient {
        PerRecipient {
            recipient: None,
            original_recipient: None,
            action,
            status: None,
            reply_code: None,
            diagnostic: None,
            remote_mta: None,
            last_attempt: None,
        }
    }
}

/// A report about one letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    /// The envelope id the letter was sent with (`Original-Envelope-Id`, the `ENVID` of RFC 3461),
    /// decoded from xtext.
    pub envelope_id: Option<String>,
    /// The Message-ID of the letter the report is about, as `<id>`: from the returned message or
    /// its headers, an MDN's `Original-Message-ID`, or the header a bounce quotes.
    pub original_message_id: Option<String>,
    /// The ids in the report's own In-Reply-To and References, as `<id>`, In-Reply-To first,
    /// without repeats: how an automatic reply names the letter.
    pub in_reply_to: Vec<String>,
    /// Who wrote the report: a DSN's `Reporting-MTA` (without `dns;`), an MDN's `Reporting-UA`,
    /// the host a bounce names.
    pub reporter: Option<String>,
    /// When the reporting server received the letter (`Arrival-Date`): RFC 3339 UTC when it can
    /// be read, else as written.
    pub arrival: Option<String>,
    /// The report's own Date, RFC 3339 UTC.
    pub date: Option<String>,
    /// The report's From address, lower-case.
    pub from: Option<String>,
    /// The report's Subject, decoded.
    pub subject: Option<String>,
    /// One entry per recipient the report names; never empty.
    pub recipients: Vec<PerRecipient>,
}

/// What one incoming message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Report(Report),
    /// A readable message that is no report: a person's reply, spam, a newsletter.
    NotAReport {
        from: Option<String>,
        subject: Option<String>,
        /// The ids in its In-Reply-To and References, as `<id>`: a person's reply names the letter.
        in_reply_to: Vec<String>,
        why: String,
    },
    /// Bytes that are no mail message, or a report too damaged to say what it reports.
    Unreadable(String),
}

/// Reads one message. Never panics.
pub fn parse(bytes: &[u8]) -> Parsed {
    let Some(message) = MessageParser::default().parse(bytes) else {
        return Parsed::Unreadable(t!("track-report-no-header"));
    };
    if !MAIL_FIELDS.iter().any(|f| message.header(*f).is_some()) {
        return Parsed::Unreadable(t!("track-report-no-mail-fields"));
    }
    let head = Head::of(&message);
    if let Some(part) = find_part(&message, STATUS_TYPES) {
        return match dsn(&message, part, &head) {
            Ok(report) => Parsed::Report(report),
            // The status part is damaged: the human-readable part may still name the recipients.
            Err(why) => match plain_report(&message, &head) {
                Some(report @ Parsed::Report(_)) => report,
                _ => Parsed::Unreadable(why),
            },
        };
    }
    if let Some(part) = find_part(&message, DISPOSITION_TYPES) {
        return match mdn(&message, part, &head) {
            Ok(report) => Parsed::Report(report),
            Err(why) => Parsed::Unreadable(why),
        };
    }
    let plain = plain_report(&message, &head);
    if let Some(report @ Parsed::Report(_)) = plain {
        return report;
    }
    if let Some(report_type) = report_type(&message) {
        return match report_type.as_str() {
            "delivery-status" | "disposition-notification" => {
                Parsed::Unreadable(t!("track-report-part-missing", report_type = &report_type))
            }
            _ => head.not_a_report(t!("track-report-other-type", report_type = &report_type)),
        };
    }
    // A bounce quoted by a person, or a mail system's report in a format not known here.
    if let Some(parsed) = plain {
        return parsed;
    }
    if let Some(sign) = auto_reply_sign(&message) {
        return Parsed::Report(auto_reply(&head, sign));
    }
    head.not_a_report(t!("track-report-none"))
}

/// Header fields of which a mail message has at least one. Bytes with none of them are not mail,
/// however mail-parser managed to read them.
const MAIL_FIELDS: &[&str] = &[
    "From",
    "Date",
    "Subject",
    "Message-ID",
    "To",
    "Return-Path",
    "Received",
    "MIME-Version",
    "Content-Type",
];

/// The parts of a report that carry its fields, with the internationalised forms of RFC 6533.
const STATUS_TYPES: &[&str] = &["delivery-status", "global-delivery-status"];
const DISPOSITION_TYPES: &[&str] = &[
    "disposition-notification",
    "global-disposition-notification",
];

/// What every outcome tells of the message itself.
struct Head {
    from: Option<String>,
    subject: Option<String>,
    date: Option<String>,
    in_reply_to: Vec<String>,
}

impl Head {
    fn of(message: &Message) -> Head {
        let from = message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase);
        let date = message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| DateTime::from_timestamp(d.to_timestamp()).to_rfc3339());
        let mut in_reply_to = Vec::new();
        for value in [message.in_reply_to(), message.references()] {
            for id in header_ids(value).filter_map(message_id) {
                if !in_reply_to.contains(&id) {
                    in_reply_to.push(id);
                }
            }
        }
        Head {
            from,
            subject: message.subject().map(one_line),
            date,
            in_reply_to,
        }
    }

    fn report(&self, kind: Kind) -> Report {
        Report {
            kind,
            envelope_id: None,
            original_message_id: None,
            in_reply_to: self.in_reply_to.clone(),
            reporter: None,
            arrival: None,
            date: self.date.clone(),
            from: self.from.clone(),
            subject: self.subject.clone(),
            recipients: Vec::new(),
        }
    }

    fn not_a_report(&self, why: String) -> Parsed {
        Parsed::NotAReport {
            from: self.from.clone(),
            subject: self.subject.clone(),
            in_reply_to: self.in_reply_to.clone(),
            why,
        }
    }
}

/// The message ids mail-parser found in In-Reply-To or References (it strips the brackets).
fn header_ids<'a>(value: &'a HeaderValue) -> impl Iterator<Item = &'a str> {
    let (one, list) = match value {
        HeaderValue::Text(id) => (Some(id.as_ref()), None),
        HeaderValue::TextList(ids) => (None, Some(ids.iter().map(|id| id.as_ref()))),
        _ => (None, None),
    };
    one.into_iter().chain(list.into_iter().flatten())
}

/// The first part of the message (outside any returned message) of type `message/<subtype>`.
fn find_part<'a, 'x>(message: &'a Message<'x>, subtypes: &[&str]) -> Option<&'a MessagePart<'x>> {
    message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
        })
    })
}

/// The `report-type` of a `multipart/report` message, lower-case.
fn report_type(message: &Message) -> Option<String> {
    let ct = message.content_type()?;
    let is_report = ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"));
    is_report.then(|| {
        ct.attribute("report-type")
            .unwrap_or("(none)")
            .to_ascii_lowercase()
    })
}

/// The Message-ID of the message a report returns, whole (`message/rfc822`) or as headers only
/// (`text/rfc822-headers`, what `RET=HDRS` asks for).
fn returned_message_id(message: &Message) -> Option<String> {
    let part = message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            let subtype = ct.subtype().unwrap_or("").to_ascii_lowercase();
            match ct.ctype().to_ascii_lowercase().as_str() {
                "message" => ["rfc822", "global", "rfc822-headers", "global-headers"]
                    .contains(&subtype.as_str()),
                "text" => subtype == "rfc822-headers",
                _ => false,
            }
        })
    })?;
    match part.message() {
        Some(returned) => returned.message_id().and_then(message_id),
        // Headers only, or a returned message mail-parser could not read as one.
        None => MessageParser::default()
            .parse_headers(part.contents())
            .and_then(|headers| headers.message_id().and_then(message_id)),
    }
}

// ---- RFC 3464 delivery status notifications -------------------------------------------------

/// The fields of one recipient's group, as written, before they are checked.
#[derive(Default)]
struct Block {
    recipient: Option<String>,
    original_recipient: Option<String>,
    action: Option<String>,
    status: Option<String>,
    /// The comment after the status code: RFC 3464's examples explain a delay only there.
    status_comment: Option<String>,
    reply_code: Option<u16>,
    diagnostic: Option<String>,
    remote_mta: Option<String>,
    last_attempt: Option<String>,
}

impl Block {
    fn is_empty(&self) -> bool {
        self.recipient.is_none() && self.original_recipient.is_none()
    }

    /// Where a per-recipient field goes; `None` for the fields this module does not keep.
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "final-recipient" => &mut self.recipient,
            "original-recipient" => &mut self.original_recipient,
            "action" => &mut self.action,
            "status" => &mut self.status,
            "diagnostic-code" => &mut self.diagnostic,
            "remote-mta" => &mut self.remote_mta,
            "last-attempt-date" => &mut self.last_attempt,
            _ => return None,
        })
    }

    /// Sets a per-recipient field. `false` if the block already has it: the report left out the
    /// blank line before the next recipient.
    fn set(&mut self, name: &str, value: &str) -> bool {
        let Some(slot) = self.slot(name) else {
            return true;
        };
        if slot.is_some() {
            return false;
        }
        let (kind, text) = typed(value);
        *slot = match name {
            "final-recipient" | "original-recipient" => typed_address(value),
            "status" => status_field(value),
            "diagnostic-code" | "remote-mta" => Some(text.to_owned()),
            "last-attempt-date" => Some(utc(value)),
            _ => Some(value.to_owned()),
        }
        .filter(|v| !v.is_empty());
        if name == "diagnostic-code" && kind.is_some_and(|k| k.eq_ignore_ascii_case("smtp")) {
            self.reply_code = leading_reply_code(text);
        }
        if name == "status" {
            self.status_comment = comment(value);
        }
        true
    }

    fn into_recipient(self) -> PerRecipient {
        let action = self.action.as_deref().unwrap_or_default();
        let action = dsn_action(&action.to_ascii_lowercase(), self.status.as_deref());
        PerRecipient {
            recipient: self.recipient,
            original_recipient: self.original_recipient,
            action,
            status: self.status,
            reply_code: self.reply_code,
            diagnostic: self.diagnostic.or(self.status_comment),
            remote_mta: self.remote_mta,
            last_attempt: self.last_attempt,
        }
    }
}

/// The `Action` of a DSN, inferred from the status class when the report gives none.
fn dsn_action(action: &str, status: Option<&str>) -> Action {
    match without_comments(action).trim() {
        "failed" => Action::Failed,
        "delayed" => Action::Delayed,
        "delivered" => Action::Delivered,
        "relayed" => Action::Relayed,
        "expanded" => Action::Expanded,
        "" => match status.and_then(|s| s.chars().next()) {
            Some('5') => Action::Failed,
            Some('4') => Action::Delayed,
            Some('2') => Action::Delivered,
            _ => Action::Unrecognised(String::new()),
        },
        other => Action::Unrecognised(other.to_owned()),
    }
}

/// Reads a delivery status notification whose `message/delivery-status` part is `status`.
fn dsn(message: &Message, status: &MessagePart, head: &Head) -> Result<Report, String> {
    let mut report = head.report(Kind::Dsn);
    let mut blocks = Vec::new();
    for group in groups(&String::from_utf8_lossy(status.contents())) {
        let mut block = Block::default();
        for field in group {
            let value = field.value.as_str();
            match field.name.as_str() {
                "reporting-mta" if report.reporter.is_none() => {
                    report.reporter = Some(typed(value).1.to_owned()).filter(|v| !v.is_empty());
                }
                "original-envelope-id" if report.envelope_id.is_none() => {
                    report.envelope_id = Some(xtext_decode(value)).filter(|v| !v.is_empty());
                }
                "arrival-date" if report.arrival.is_none() => report.arrival = Some(utc(value)),
                name => {
                    if !block.set(name, value) {
                        blocks.push(std::mem::take(&mut block));
                        block.set(name, value);
                    }
                }
            }
        }
        blocks.push(block);
    }
    report.recipients = blocks
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(Block::into_recipient)
        .collect();
    if report.recipients.is_empty() {
        return Err(t!("track-report-dsn-no-recipient"));
    }
    report.original_message_id = returned_message_id(message);
    Ok(report)
}

// ---- RFC 8098 disposition notifications -----------------------------------------------------

/// Reads a read receipt whose `message/disposition-notification` part is `part`.
fn mdn(message: &Message, part: &MessagePart, head: &Head) -> Result<Report, String> {
    let mut report = head.report(Kind::Mdn);
    let mut recipient = PerRecipient::new(Action::Unrecognised(String::new()));
    let (mut disposition, mut error) = (None, None);
    // One group, by the RFC; a stray blank line must not hide the fields after it.
    for field in groups(&String::from_utf8_lossy(part.contents())).concat() {
        let value = field.value;
        match field.name.as_str() {
            "reporting-ua" => report.reporter = Some(value).filter(|v| !v.is_empty()),
            "original-message-id" => report.original_message_id = message_id(&value),
            "final-recipient" => recipient.recipient = typed_address(&value),
            "original-recipient" => recipient.original_recipient = typed_address(&value),
            "disposition" => disposition = Some(value),
            "error" => error = Some(value),
            _ => {}
        }
    }
    let Some(disposition) = disposition else {
        return Err(t!("track-report-mdn-no-disposition"));
    };
    recipient.action = disposition_action(&disposition);
    recipient.diagnostic = Some(match error {
        Some(error) => format!("{disposition} ({error})"),
        None => disposition,
    });
    if recipient.recipient.is_none() {
        // Some programs leave Final-Recipient out; the receipt comes from the reader.
        recipient.recipient = head.from.clone();
    }
    if report.original_message_id.is_none() {
        report.original_message_id = returned_message_id(message);
    }
    report.recipients.push(recipient);
    Ok(report)
}

/// The disposition type after the action mode (`manual-action/MDN-sent-manually; displayed`).
/// Only a plain `displayed` is a read; `displayed/error` (RFC 3798's modifier) is not.
fn disposition_action(value: &str) -> Action {
    let kind = value.split_once(';').map_or(value, |(_, kind)| kind);
    let kind = one_line(&without_comments(kind)).to_ascii_lowercase();
    if kind == "displayed" {
        Action::Displayed
    } else {
        Action::OtherDisposition(kind)
    }
}

// ---- header-like groups ---------------------------------------------------------------------

/// One field of a report body: its name lower-case, its value unfolded on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    value: String,
}

/// The groups of fields of a `message/delivery-status` or `message/disposition-notification`
/// body: RFC 822 header syntax, groups separated by blank lines. Lenient where senders are: LF or
/// CRLF, any case of names, a line of only spaces as a separator, no blank line at the end.
/// A line that is no field (no colon, a bad name) is skipped, and so is a continuation line
/// with no field before it.
fn groups(text: &str) -> Vec<Vec<Field>> {
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
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// A typed field value, `type; text` (`rfc822; a@b`, `dns; host`, `smtp; 550 …`): the type, if
/// there is one, and the text.
fn typed(value: &str) -> (Option<&str>, &str) {
    match value.split_once(';') {
        Some((kind, text)) => (Some(kind.trim()), text.trim()),
        None => (None, value.trim()),
    }
}

/// A recipient field's address: without its type, brackets and comments; lower-case if it is an
/// Internet address (`rfc822`, or RFC 6533's `utf-8`).
fn typed_address(value: &str) -> Option<String> {
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
fn status_field(value: &str) -> Option<String> {
    let code = without_comments(value);
    let code = code.split_whitespace().next()?;
    is_status(code).then(|| code.to_owned())
}

// ---- plain bounces --------------------------------------------------------------------------

/// A plain bounce format, known by its wording. Each was learnt from what the server writes.
struct Format {
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

const FORMATS: &[Format] = &[
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
const BOUNCE_SUBJECTS: &[&str] = &[
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
const SYSTEM_SENDERS: &[&str] = &["mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"];

/// A report in one of the plain bounce formats, or a message that only looks like one.
/// `None` if the text has none of their wording and no header names failed recipients.
fn plain_report(message: &Message, head: &Head) -> Option<Parsed> {
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
        return Some(head.not_a_report(t!("track-report-quoted-bounce", format = format.name)));
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
            Some((format, _)) => Some(Parsed::Unreadable(t!(
                "track-report-bounce-no-recipient",
                format = format.name
            ))),
            None if from_system && bounce_subject => Some(Parsed::Unreadable(t!(
                "track-report-unknown-format",
                subject = head.subject.as_deref().unwrap_or_default()
            ))),
            None => None,
        };
    }
    report.original_message_id = returned_message_id(message).or(report.original_message_id);
    Some(Parsed::Report(report))
}

/// Whether the message comes from a mail system rather than a person: a null return path (RFC
/// 5321 sends reports with one), a daemon's address, Exchange's system mailbox.
fn from_mail_system(message: &Message, head: &Head) -> bool {
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
fn find_format(lines: &[&str]) -> Option<(&'static Format, usize)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        FORMATS
            .iter()
            .find(|f| f.starts.iter().any(|s| contains_ci(line, s)))
            .map(|f| (f, i))
    })
}

/// Reads the recipients of a plain bounce whose opening wording is on line `start`.
fn read_bounce(format: &Format, lines: &[&str], start: usize, head: &Head) -> Report {
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
fn recipient_lines(
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
fn keep_lines(found: &mut Vec<(String, Vec<String>)>, lines: Option<(String, Vec<String>)>) {
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
fn said_line(line: &str) -> Option<String> {
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
fn is_technical(line: &str) -> bool {
    find_status(line).is_some() || find_reply_code(line).is_some()
}

/// qmail and Postfix: `<address>:` at the start of a line, the reason after the colon (Postfix
/// may put `(expanded from <alias>)` between).
fn angle_address(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('<')?;
    let (address, rest) = rest.split_once('>')?;
    let rest = match rest.strip_prefix(':') {
        Some(rest) => rest,
        None => rest.split_once("):")?.1,
    };
    Some((clean_address(address)?, rest))
}

/// Exim: two spaces, then the address, alone or followed by `: reason`.
fn indented_address(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("  ")?;
    if rest.starts_with([' ', '\t']) {
        return None;
    }
    let (token, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((clean_address(token)?, rest))
}

/// Sendmail: `<address>` or the bare address at the start of a line.
fn leading_address(line: &str) -> Option<(String, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (token, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    // `<address>... User unknown`, the way Sendmail quotes an address.
    Some((clean_address(token.trim_end_matches("..."))?, rest))
}

/// Exchange: a line that begins with an address (`a@b`, `a@b on 11/30/2022 9:31 AM`), or a name
/// with the address in parentheses and nothing else (`Văn thư (a@b)`).
fn exchange_address(line: &str) -> Option<(String, &str)> {
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
fn bounce_reporter(notice: &[&str]) -> Option<String> {
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
fn quoted_message_id(quoted: &[&str]) -> Option<String> {
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

// ---- automatic replies ----------------------------------------------------------------------

/// Subject prefixes of automatic replies that carry no header saying so (Outlook's, the
/// vacation programs'). A reply's `Re:` is not among them.
const AUTO_SUBJECTS: &[&str] = &[
    "auto:",
    "auto reply:",
    "auto-reply:",
    "autoreply:",
    "auto response:",
    "automatic reply:",
    "out of office:",
    "out of the office:",
];

/// What marks the message as an automatic reply (RFC 3834 `Auto-Submitted` other than `no`, or a
/// common non-standard sign), as `field: value`. `X-Auto-Response-Suppress` is no such sign:
/// Outlook sets it on what people write too.
fn auto_reply_sign(message: &Message) -> Option<String> {
    if let Some(value) = header_text(message, "Auto-Submitted") {
        let keyword = without_comments(&value).trim().to_ascii_lowercase();
        if !keyword.is_empty() && keyword != "no" {
            return Some(format!("Auto-Submitted: {value}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if let Some(value) = header_text(message, name) {
            let no = ["no", "false", "0"].contains(&value.to_ascii_lowercase().as_str());
            if !no {
                return Some(format!("{name}: {value}"));
            }
        }
    }
    if let Some(value) = header_text(message, "Precedence")
        && value.eq_ignore_ascii_case("auto_reply")
    {
        return Some(format!("Precedence: {value}"));
    }
    let subject = message.subject().unwrap_or_default().trim();
    AUTO_SUBJECTS
        .iter()
        .any(|prefix| starts_with_ci(subject, prefix))
        .then(|| format!("Subject: {}", one_line(subject)))
}

fn auto_reply(head: &Head, sign: String) -> Report {
    let mut recipient = PerRecipient::new(Action::AutoReplied);
    recipient.recipient = head.from.clone();
    recipient.diagnostic = Some(sign);
    let mut report = head.report(Kind::AutoReply);
    report.recipients.push(recipient);
    report
}

// ---- small pieces ---------------------------------------------------------------------------

/// A header field of the message, unfolded on one line, if it is there and not empty.
fn header_text(message: &Message, name: &str) -> Option<String> {
    Some(one_line(message.header_raw(name)?)).filter(|v| !v.is_empty())
}

/// Text on one line: every run of white space, line ends included, as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text without its RFC 822 comments, `(…)`, nested or not.
fn without_comments(text: &str) -> String {
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
fn comment(text: &str) -> Option<String> {
    let (_, rest) = text.split_once('(')?;
    let inner = rest.rsplit_once(')').map_or(rest, |(inner, _)| inner);
    Some(one_line(inner)).filter(|c| !c.is_empty())
}

/// A Message-ID as `<id>`, the form letterpost logs, from `<id>`, `id`, or a value with other
/// words around the brackets. `None` if there is no id.
fn message_id(raw: &str) -> Option<String> {
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
fn clean_address(token: &str) -> Option<String> {
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
fn find_status(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|run| run.strip_suffix('.').unwrap_or(run))
        .find(|run| is_status(run))
        .map(str::to_owned)
}

/// RFC 3463: class `2`, `4` or `5`, subject and detail of one to three digits.
fn is_status(code: &str) -> bool {
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
fn find_reply_code(text: &str) -> Option<u16> {
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
fn leading_reply_code(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    let code = bytes.get(..3)?;
    let alone = bytes.get(3).is_none_or(|&b| b == b' ' || b == b'-');
    (alone && matches!(code[0], b'2' | b'4' | b'5') && code.iter().all(u8::is_ascii_digit))
        .then(|| reply_value(code))
}

/// The number three ASCII digits stand for.
fn reply_value(code: &[u8]) -> u16 {
    code.iter()
        .take(3)
        .fold(0, |n, &d| n * 10 + u16::from(d.saturating_sub(b'0')))
}

/// An RFC 5322 date as RFC 3339 UTC, or the text as written if it is no date.
fn utc(text: &str) -> String {
    match DateTime::parse_rfc822(text) {
        Some(date) if date.is_valid() => DateTime::from_timestamp(date.to_timestamp()).to_rfc3339(),
        _ => one_line(text),
    }
}

/// ASCII case-insensitive search.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    find_ci(haystack, needle).is_some()
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The letters the fixtures are about, as letterpost logs their Message-IDs.
    const LETTER: &str = "<fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example>";
    const LETTER_CC: &str = "<fanpage-2022.9b1e07f3c2d84a5e6f708192@stttt.binhduong.example>";

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/reports/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fixture_names() -> Vec<String> {
        let dir = format!("{}/tests/fixtures/reports", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml"))
            .collect();
        names.sort();
        names
    }

    fn report(name: &str) -> Report {
        match parse(&fixture(name)) {
            Parsed::Report(report) => report,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// A one-recipient expectation: address, action, status, reply code, diagnostic.
    type Expected = (
        &'static str,
        Action,
        Option<&'static str>,
        Option<u16>,
        Option<&'static str>,
    );

    struct Case {
        file: &'static str,
        kind: Kind,
        envelope_id: Option<&'static str>,
        original: Option<&'static str>,
        reporter: Option<&'static str>,
        recipients: Vec<Expected>,
    }

    fn cases() -> Vec<Case> {
        let tables = [
            postfix_cases(),
            rfc3464_cases(),
            mdn_and_auto_reply_cases(),
            qmail_and_exim_cases(),
            sendmail_and_exchange_cases(),
        ];
        tables.into_iter().flatten().collect()
    }

    /// Postfix's DSN layout: failed, two recipients, delayed with RET=HDRS, delivered.
    fn postfix_cases() -> Vec<Case> {
        use Action::*;
        vec![
            Case {
                file: "postfix-failed.eml",
                kind: Kind::Dsn,
                envelope_id: Some("fanpage-2022.so-y-te+1"),
                original: Some(LETTER),
                reporter: Some("mx.soyte.example"),
                recipients: vec![(
                    "vanthu@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    None,
                    Some("unknown user: \"vanthu\""),
                )],
            },
            Case {
                file: "postfix-two-recipients.eml",
                kind: Kind::Dsn,
                envelope_id: Some("Sở Y tế"),
                original: Some(LETTER_CC),
                reporter: Some("mail.stttt.binhduong.example"),
                recipients: vec![
                    (
                        "vanthu@soyte.example",
                        Failed,
                        Some("5.1.1"),
                        Some(550),
                        Some(
                            "550 5.1.1 <vanthu@soyte.example>: Recipient address rejected: User \
                             unknown in virtual mailbox table",
                        ),
                    ),
                    (
                        "gd@soyte.example",
                        Failed,
                        Some("5.2.2"),
                        Some(552),
                        Some("552 5.2.2 <gd@soyte.example>: Mailbox full"),
                    ),
                ],
            },
            Case {
                file: "postfix-delayed-headers.eml",
                kind: Kind::Dsn,
                envelope_id: Some("fanpage-2022.so-y-te"),
                original: Some(LETTER),
                reporter: Some("mail.stttt.binhduong.example"),
                recipients: vec![(
                    "vanthu@soyte.example",
                    Delayed,
                    Some("4.4.1"),
                    None,
                    Some("connect to mx.soyte.example[203.0.113.25]:25: Connection timed out"),
                )],
            },
            Case {
                file: "postfix-delivered.eml",
                kind: Kind::Dsn,
                envelope_id: Some("fanpage-2022.so-y-te"),
                original: Some(LETTER),
                reporter: Some("mx.soyte.example"),
                recipients: vec![
                    (
                        "vanthu@soyte.example",
                        Delivered,
                        Some("2.0.0"),
                        Some(250),
                        Some("250 2.0.0 <vanthu@soyte.example> 8NcXC6WzhmNZbgAAu0yTUQ Saved"),
                    ),
                    (
                        "gd@ubnd.example",
                        Relayed,
                        Some("2.0.0"),
                        Some(250),
                        Some("250 2.0.0 Ok: queued as 4NS0aC1xyz"),
                    ),
                ],
            },
        ]
    }

    /// In the manner of RFC 3464's own examples, and one cut short.
    fn rfc3464_cases() -> Vec<Case> {
        use Action::*;
        vec![
            Case {
                file: "rfc3464-simple-failure.eml",
                kind: Kind::Dsn,
                envelope_id: None,
                original: Some(LETTER),
                reporter: Some("mail.stttt.binhduong.example"),
                // The action is what counts: a 4.x.x status on a message given up after 5 days.
                recipients: vec![(
                    "vanthu@soyte.example",
                    Failed,
                    Some("4.0.0"),
                    Some(426),
                    Some("426 connection timed out"),
                )],
            },
            Case {
                file: "rfc3464-multiple-recipients.eml",
                kind: Kind::Dsn,
                envelope_id: None,
                original: Some(LETTER),
                reporter: Some("mail.stttt.binhduong.example"),
                recipients: vec![
                    (
                        "vanphong@ubnd.example",
                        Failed,
                        Some("5.0.0"),
                        Some(550),
                        Some("550 'vanphong@UBND.example' is not a registered gateway user"),
                    ),
                    (
                        "thuky@sotc.example",
                        Delayed,
                        Some("4.0.0"),
                        None,
                        Some("mx.sotc.example: host name lookup failure"),
                    ),
                    (
                        "lanhdao@soct.example",
                        Failed,
                        Some("5.0.0"),
                        Some(550),
                        Some("550 user unknown"),
                    ),
                ],
            },
            Case {
                file: "truncated-dsn.eml",
                kind: Kind::Dsn,
                envelope_id: Some("fanpage-2022.so-y-te+1"),
                original: None,
                reporter: Some("mx.soyte.example"),
                // Cut inside "Action: failed": what arrived is reported, as it arrived.
                recipients: vec![(
                    "vanthu@soyte.example",
                    Unrecognised("fa".into()),
                    None,
                    None,
                    None,
                )],
            },
        ]
    }

    /// RFC 8098 receipts and RFC 3834 replies.
    fn mdn_and_auto_reply_cases() -> Vec<Case> {
        use Action::*;
        vec![
            Case {
                file: "rfc8098-displayed.eml",
                kind: Kind::Mdn,
                envelope_id: None,
                original: Some(LETTER),
                reporter: Some("pc-vanthu.soyte.example; Foomail 97.1"),
                recipients: vec![(
                    "vanthu@soyte.example",
                    Displayed,
                    None,
                    None,
                    Some("manual-action/MDN-sent-manually; displayed"),
                )],
            },
            Case {
                file: "mdn-deleted.eml",
                kind: Kind::Mdn,
                envelope_id: None,
                original: Some(LETTER_CC),
                reporter: Some("pc-ketoan.soyte.example; Mozilla Thunderbird"),
                recipients: vec![(
                    "ketoan@soyte.example",
                    OtherDisposition("deleted".into()),
                    None,
                    None,
                    Some("automatic-action/MDN-sent-automatically; deleted"),
                )],
            },
            Case {
                file: "autoreply-rfc3834.eml",
                kind: Kind::AutoReply,
                envelope_id: None,
                original: None,
                reporter: None,
                recipients: vec![(
                    "gd@soyte.example",
                    AutoReplied,
                    None,
                    None,
                    Some("Auto-Submitted: auto-replied (vacation)"),
                )],
            },
            Case {
                file: "autoreply-legacy.eml",
                kind: Kind::AutoReply,
                envelope_id: None,
                original: None,
                reporter: None,
                recipients: vec![(
                    "ketoan@soct.example",
                    AutoReplied,
                    None,
                    None,
                    Some("X-Autorespond: yes"),
                )],
            },
        ]
    }

    /// The plain bounces of qmail and Exim.
    fn qmail_and_exim_cases() -> Vec<Case> {
        use Action::*;
        vec![
            Case {
                file: "qmail.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: Some(LETTER),
                reporter: Some("mail.soyte.example"),
                recipients: vec![
                    (
                        "vanthu@soyte.example",
                        Failed,
                        Some("5.1.1"),
                        None,
                        Some("Sorry, no mailbox here by that name. (#5.1.1)"),
                    ),
                    (
                        "ketoan@soyte.example",
                        Failed,
                        Some("5.1.1"),
                        Some(550),
                        Some(
                            "203.0.113.40 does not like recipient. Remote host said: 550 5.1.1 \
                             <ketoan@soyte.example>... User unknown Giving up on 203.0.113.40.",
                        ),
                    ),
                ],
            },
            Case {
                file: "exim-plain.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: Some(LETTER),
                reporter: None,
                recipients: vec![(
                    "vanthu@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some(
                        "SMTP error from remote mail server after RCPT TO:<vanthu@soyte.example>: \
                         host mx2.soyte.example [203.0.113.26]: 550 5.1.1 <vanthu@soyte.example>: \
                         Recipient address rejected: User unknown",
                    ),
                )],
            },
            Case {
                file: "exim-delayed.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: None,
                reporter: None,
                recipients: vec![(
                    "lanhdao@soct.example",
                    Delayed,
                    Some("4.3.0"),
                    Some(451),
                    Some(
                        "Delay reason: SMTP error from remote mail server after initial \
                         connection: host mail.soct.example [203.0.113.90]: 451 4.3.0 Temporary \
                         local problem",
                    ),
                )],
            },
        ]
    }

    /// The plain bounces of Sendmail and Exchange.
    fn sendmail_and_exchange_cases() -> Vec<Case> {
        use Action::*;
        vec![
            Case {
                file: "sendmail-plain.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: Some(LETTER),
                reporter: None,
                recipients: vec![(
                    "vanphong@ubnd.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some("550 5.1.1 <vanphong@ubnd.example>... User unknown"),
                )],
            },
            Case {
                file: "exchange-ndr.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: Some(LETTER),
                reporter: Some("EXCH01.soyte.example"),
                recipients: vec![(
                    "vanthu@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
                )],
            },
            Case {
                file: "exchange-remote-server.eml",
                kind: Kind::Bounce,
                envelope_id: None,
                original: None,
                reporter: None,
                recipients: vec![(
                    "vanphong@ubnd.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some(
                        "Remote Server returned '550 5.1.1 <vanphong@ubnd.example>... User unknown'",
                    ),
                )],
            },
        ]
    }

    #[test]
    fn every_report_fixture_is_read_as_its_format_says() {
        for case in cases() {
            let report = report(case.file);
            let file = case.file;
            assert_eq!(report.kind, case.kind, "{file}");
            assert_eq!(report.envelope_id.as_deref(), case.envelope_id, "{file}");
            assert_eq!(
                report.original_message_id.as_deref(),
                case.original,
                "{file}"
            );
            assert_eq!(report.reporter.as_deref(), case.reporter, "{file}");
            let got: Vec<_> = report
                .recipients
                .iter()
                .map(|r| {
                    let diagnostic = r.diagnostic.as_deref();
                    let address = r.recipient.as_deref().unwrap_or_default();
                    (
                        address,
                        r.action.clone(),
                        r.status.as_deref(),
                        r.reply_code,
                        diagnostic,
                    )
                })
                .collect();
            assert_eq!(got, case.recipients, "{file}");
        }
    }

    #[test]
    fn every_fixture_is_covered_by_a_test() {
        let mut covered: Vec<&str> = cases().iter().map(|c| c.file).collect();
        covered.extend(NOT_REPORTS.iter().map(|(file, _)| *file));
        covered.push("malformed-report.eml");
        for name in fixture_names() {
            assert!(covered.contains(&name.as_str()), "{name} is in no test");
        }
    }

    #[test]
    fn fixtures_are_crlf_mail() {
        for name in fixture_names() {
            let bytes = fixture(&name);
            let bare_lf = bytes
                .iter()
                .enumerate()
                .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'));
            assert!(!bare_lf, "{name} has a bare LF");
        }
    }

    #[test]
    fn line_ends_do_not_change_what_is_read() {
        for name in fixture_names() {
            let crlf = fixture(&name);
            let mut lf = Vec::with_capacity(crlf.len());
            for (i, &b) in crlf.iter().enumerate() {
                if !(b == b'\r' && crlf.get(i + 1) == Some(&b'\n')) {
                    lf.push(b);
                }
            }
            // Mailbox files and maildirs hold LF; IMAP gives CRLF. Base64 bodies are the same.
            assert_eq!(parse(&crlf), parse(&lf), "{name}");
        }
    }

    #[test]
    fn dsn_per_message_and_per_recipient_fields() {
        let two = report("postfix-two-recipients.eml");
        assert_eq!(two.arrival.as_deref(), Some("2022-11-30T02:40:11Z"));
        assert_eq!(two.date.as_deref(), Some("2022-11-30T02:40:13Z"));
        assert_eq!(
            two.from.as_deref(),
            Some("mailer-daemon@mail.stttt.binhduong.example")
        );
        assert_eq!(
            two.subject.as_deref(),
            Some("Undelivered Mail Returned to Sender")
        );
        let cc = &two.recipients[1];
        // Final-Recipient said GD@soyte.example: addresses are compared lower-case.
        assert_eq!(cc.original_recipient.as_deref(), Some("gd@soyte.example"));
        assert_eq!(cc.remote_mta.as_deref(), Some("mx.soyte.example"));

        let simple = report("rfc3464-simple-failure.eml");
        assert_eq!(simple.arrival, None);
        assert_eq!(
            simple.recipients[0].last_attempt.as_deref(),
            Some("2022-12-05T02:15:49Z")
        );
        assert_eq!(simple.in_reply_to, Vec::<String>::new());
    }

    #[test]
    fn returned_headers_alone_still_name_the_letter() {
        // RET=HDRS: text/rfc822-headers instead of message/rfc822, in DSNs and MDNs alike.
        for name in ["postfix-delayed-headers.eml", "postfix-delivered.eml"] {
            assert_eq!(
                report(name).original_message_id.as_deref(),
                Some(LETTER),
                "{name}"
            );
        }
        let mut bytes = fixture("mdn-deleted.eml");
        let field = b"Original-Message-ID: ";
        let at = bytes.windows(field.len()).position(|w| w == field).unwrap();
        bytes[at] = b'X'; // now an unknown field: the id must come from the returned headers
        let Parsed::Report(mdn) = parse(&bytes) else {
            panic!("not a report")
        };
        assert_eq!(mdn.original_message_id.as_deref(), Some(LETTER_CC));
    }

    #[test]
    fn automatic_replies_name_the_letter_in_their_references() {
        assert_eq!(report("autoreply-rfc3834.eml").in_reply_to, [LETTER]);
        assert_eq!(
            report("autoreply-legacy.eml").in_reply_to,
            ["<older.thread@soct.example>", LETTER_CC]
        );
    }

    /// A plain message with `extra` header lines.
    fn message_with(extra: &str, subject: &str) -> Vec<u8> {
        format!(
            "From: Thu ky <thuky@sotc.example>\r\nTo: vanthu@stttt.binhduong.example\r\n\
             Subject: {subject}\r\nMessage-ID: <x.1@sotc.example>\r\nIn-Reply-To: {LETTER}\r\n\
             {extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Cảm ơn.\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn auto_reply_signs_and_what_is_not_one() {
        let subject = "Re: V/v gioi thieu Fanpage";
        for (extra, sign) in [
            (
                "Auto-Submitted: auto-replied\r\n",
                Some("Auto-Submitted: auto-replied"),
            ),
            (
                "Auto-Submitted: auto-generated\r\n",
                Some("Auto-Submitted: auto-generated"),
            ),
            (
                "auto-submitted: Auto-Notified\r\n",
                Some("Auto-Submitted: Auto-Notified"),
            ),
            ("Auto-Submitted: no\r\n", None),
            ("Auto-Submitted: No (a person wrote this)\r\n", None),
            ("X-Autoreply: yes\r\n", Some("X-Autoreply: yes")),
            (
                "X-Autorespond: Vacation\r\n",
                Some("X-Autorespond: Vacation"),
            ),
            ("Precedence: auto_reply\r\n", Some("Precedence: auto_reply")),
            ("Precedence: bulk\r\n", None),
            ("Precedence: list\r\n", None),
            ("X-Auto-Response-Suppress: All\r\n", None),
            (
                "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\r\n",
                None,
            ),
        ] {
            let parsed = parse(&message_with(extra, subject));
            let got = match &parsed {
                Parsed::Report(r) if r.kind == Kind::AutoReply => {
                    r.recipients[0].diagnostic.clone()
                }
                Parsed::NotAReport { .. } => None,
                other => panic!("{extra:?}: {other:?}"),
            };
            assert_eq!(got.as_deref(), sign, "{extra:?}");
        }
        for (subject, auto) in [
            ("Automatic reply: V/v gioi thieu", true),
            ("Out of Office: V/v gioi thieu", true),
            ("AUTO: V/v gioi thieu", true),
            ("Re: Automatic reply: V/v gioi thieu", false),
            ("Autumn plans", false),
        ] {
            let is_auto = matches!(parse(&message_with("", subject)), Parsed::Report(r) if r.kind == Kind::AutoReply);
            assert_eq!(is_auto, auto, "{subject}");
        }
    }

    /// The messages that are no report, and what they must say.
    const NOT_REPORTS: &[(&str, &str)] = &[
        (
            "human-reply.eml",
            "no delivery report, read receipt or sign of an automatic reply",
        ),
        (
            "forwarded-bounce.eml",
            "quotes a qmail bounce but was sent by a person, not a mail system",
        ),
        (
            "non-utf8.eml",
            "no delivery report, read receipt or sign of an automatic reply",
        ),
    ];

    #[test]
    fn people_and_junk_mail_are_not_reports() {
        for (name, reason) in NOT_REPORTS {
            let Parsed::NotAReport {
                from,
                subject,
                in_reply_to,
                why,
            } = parse(&fixture(name))
            else {
                panic!("{name} was read as a report");
            };
            assert_eq!(why, *reason, "{name}");
            assert!(from.is_some() && subject.is_some(), "{name}");
            if *name != "forwarded-bounce.eml" {
                assert_eq!(in_reply_to, [LETTER], "{name}");
            }
        }
        let Parsed::NotAReport { from, subject, .. } = parse(&fixture("human-reply.eml")) else {
            unreachable!()
        };
        assert_eq!(from.as_deref(), Some("vanthu@soyte.example"));
        assert!(subject.unwrap().starts_with("Trả lời: V/v giới thiệu"));
    }

    /// A multipart/report of `report_type` whose second part is `part_type` with `body`.
    fn report_message(report_type: &str, part_type: &str, body: &str) -> Vec<u8> {
        format!(
            "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.soyte.example\r\n\
             To: bounces@stttt.binhduong.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type={report_type}; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\
             --b\r\nContent-Type: {part_type}\r\n\r\n{body}\r\n--b--\r\n"
        )
        .into_bytes()
    }

    fn unreadable(bytes: &[u8]) -> String {
        match parse(bytes) {
            Parsed::Unreadable(why) => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        assert_eq!(
            unreadable(&fixture("malformed-report.eml")),
            "the message/delivery-status part names no recipient"
        );
        for junk in [&b""[..], b"hello world\r\nthis is not mail\r\n"] {
            assert_eq!(unreadable(junk), "no header fields: not a mail message");
        }
        for junk in [&b"\r\n\r\n"[..], b"\xff\xfe\x00garbage \x80\x81", &[0; 64]] {
            assert!(unreadable(junk).starts_with("none of the header fields a mail message has"));
        }
        let no_parts = report_message("delivery-status", "text/plain", "nothing here");
        assert_eq!(
            unreadable(&no_parts),
            "a multipart/report of type delivery-status without its message/delivery-status part"
        );
        let no_disposition = report_message(
            "disposition-notification",
            "message/disposition-notification",
            "Reporting-UA: x; y\r\nFinal-Recipient: rfc822; a@b.example",
        );
        assert_eq!(
            unreadable(&no_disposition),
            "a disposition notification without a Disposition field"
        );
        let unknown_format = String::from_utf8(fixture("qmail.eml")).unwrap().replace(
            "Hi. This is the qmail-send program",
            "Greetings from the program",
        );
        assert_eq!(
            unreadable(unknown_format.as_bytes()),
            "a delivery report from a mail system (\"failure notice\") in no format this module reads"
        );
        let no_recipient = String::from_utf8(fixture("qmail.eml"))
            .unwrap()
            .replace("<vanthu@soyte.example>:", "vanthu:")
            .replace("<KeToan@soyte.example>:", "ketoan:");
        assert_eq!(
            unreadable(no_recipient.as_bytes()),
            "a qmail bounce that names no recipient this module can read"
        );
    }

    #[test]
    fn a_damaged_status_part_falls_back_to_the_text() {
        // Postfix's own words still name the recipients when the status part is garbage.
        let text = String::from_utf8(fixture("postfix-two-recipients.eml")).unwrap();
        let start = text.find("Reporting-MTA:").unwrap();
        let end = text[start..].find("\r\n--").unwrap() + start;
        let damaged = format!("{}garbage\r\n{}", &text[..start], &text[end..]);
        let Parsed::Report(report) = parse(damaged.as_bytes()) else {
            panic!("not a report")
        };
        assert_eq!(report.kind, Kind::Bounce);
        assert_eq!(report.original_message_id.as_deref(), Some(LETTER_CC));
        let got: Vec<_> = report
            .recipients
            .iter()
            .map(|r| (r.recipient.as_deref(), r.status.as_deref(), r.reply_code))
            .collect();
        assert_eq!(
            got,
            [
                (Some("vanthu@soyte.example"), Some("5.1.1"), Some(550)),
                (Some("gd@soyte.example"), Some("5.2.2"), Some(552)),
            ]
        );
    }

    #[test]
    fn other_report_types_are_not_delivery_reports() {
        let arf = report_message(
            "feedback-report",
            "message/feedback-report",
            "Feedback-Type: abuse",
        );
        let Parsed::NotAReport { why, .. } = parse(&arf) else {
            panic!("read as a report")
        };
        assert_eq!(
            why,
            "a report of type feedback-report, which is not about delivery or reading"
        );
    }

    /// The recipients of a DSN whose status part is `body`.
    fn dsn_recipients(body: &str) -> Vec<PerRecipient> {
        match parse(&report_message(
            "delivery-status",
            "message/delivery-status",
            body,
        )) {
            Parsed::Report(report) => report.recipients,
            other => panic!("{body:?}: {other:?}"),
        }
    }

    #[test]
    fn dsn_actions_as_written_or_inferred_from_the_status() {
        for (action, status, expected) in [
            ("failed", "5.1.1", Action::Failed),
            ("FAILED", "5.1.1", Action::Failed),
            ("delayed", "4.4.7", Action::Delayed),
            ("delivered", "2.0.0", Action::Delivered),
            ("relayed", "2.0.0", Action::Relayed),
            ("expanded (to a list)", "2.0.0", Action::Expanded),
            ("", "5.7.1", Action::Failed),
            ("", "4.2.2", Action::Delayed),
            ("", "2.1.5", Action::Delivered),
            ("", "", Action::Unrecognised(String::new())),
            ("bounced", "5.0.0", Action::Unrecognised("bounced".into())),
        ] {
            let mut body =
                "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\n"
                    .to_owned();
            if !action.is_empty() {
                body += &format!("Action: {action}\r\n");
            }
            if !status.is_empty() {
                body += &format!("Status: {status}\r\n");
            }
            assert_eq!(
                dsn_recipients(&body)[0].action,
                expected,
                "{action:?} {status:?}"
            );
        }
    }

    #[test]
    fn encoded_and_international_status_parts() {
        // base64 status part: mail-parser undoes the transfer encoding before the fields are read.
        let body = "Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n";
        let encoded = "RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAYi5leGFtcGxlDQpBY3Rpb246IGZhaWxlZA0KU3Rh\r\n\
                       dHVzOiA1LjEuMQ0K";
        let part = "message/delivery-status\r\nContent-Transfer-Encoding: base64";
        let message = report_message("delivery-status", part, encoded);
        let Parsed::Report(report) = parse(&message) else {
            panic!("not a report")
        };
        assert_eq!(report.recipients, dsn_recipients(body));
        // RFC 6533: UTF-8 addresses in message/global-delivery-status.
        let global = report_message(
            "delivery-status",
            "message/global-delivery-status",
            "Final-Recipient: utf-8; Văn.Thư@SởYTế.example\r\nAction: failed\r\nStatus: 5.1.1",
        );
        let Parsed::Report(report) = parse(&global) else {
            panic!("not a report")
        };
        assert_eq!(
            report.recipients[0].recipient.as_deref(),
            Some("văn.thư@sởytế.example")
        );
    }

    #[test]
    fn dsn_groups_without_blank_lines_still_part_recipients() {
        let body = "Reporting-MTA: dns; mx.example\r\n\
                    Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
                    Final-Recipient: rfc822; c@d.example\r\nAction: delayed\r\nStatus: 4.4.1";
        let got: Vec<_> = dsn_recipients(body)
            .into_iter()
            .map(|r| (r.recipient.unwrap(), r.action))
            .collect();
        assert_eq!(
            got,
            [
                ("a@b.example".to_owned(), Action::Failed),
                ("c@d.example".to_owned(), Action::Delayed)
            ]
        );
    }

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
    fn dispositions() {
        for (value, expected) in [
            (
                "manual-action/MDN-sent-manually; displayed",
                Action::Displayed,
            ),
            (
                "automatic-action/MDN-sent-automatically; displayed",
                Action::Displayed,
            ),
            (
                " MANUAL-ACTION/MDN-SENT-MANUALLY;  Displayed (read it)",
                Action::Displayed,
            ),
            (
                "automatic-action/MDN-sent-automatically; deleted",
                Action::OtherDisposition("deleted".into()),
            ),
            (
                "manual-action/MDN-sent-manually; dispatched",
                Action::OtherDisposition("dispatched".into()),
            ),
            (
                "automatic-action/MDN-sent-automatically; processed",
                Action::OtherDisposition("processed".into()),
            ),
            (
                "manual-action/MDN-sent-manually; displayed/error",
                Action::OtherDisposition("displayed/error".into()),
            ),
        ] {
            assert_eq!(disposition_action(value), expected, "{value}");
        }
    }

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
        assert_eq!(
            status_field("5.0.0 (permanent failure)").as_deref(),
            Some("5.0.0")
        );
        assert_eq!(status_field("550 user unknown"), None);
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// One change to a message: a byte replaced, inserted or removed, or the tail cut off.
        #[derive(Debug, Clone)]
        enum Edit {
            Replace(usize, u8),
            Insert(usize, u8),
            Remove(usize),
            Truncate(usize),
        }

        fn edit() -> impl Strategy<Value = Edit> {
            let byte = prop_oneof![
                any::<u8>(),
                prop::sample::select(b"\r\n \t:;<>()=\"-+@.5".to_vec())
            ];
            prop_oneof![
                (any::<usize>(), byte.clone()).prop_map(|(at, b)| Edit::Replace(at, b)),
                (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
                any::<usize>().prop_map(Edit::Remove),
                any::<usize>().prop_map(Edit::Truncate),
            ]
        }

        fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
            let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
            match *edit {
                Edit::Replace(i, b) if !bytes.is_empty() => {
                    let i = at(i, bytes.len());
                    bytes[i] = b;
                }
                Edit::Insert(i, b) => {
                    let i = at(i, bytes.len() + 1);
                    bytes.insert(i, b);
                }
                Edit::Remove(i) if !bytes.is_empty() => {
                    let i = at(i, bytes.len());
                    bytes.remove(i);
                }
                Edit::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
                _ => {}
            }
        }

        /// Every fixture, read once.
        fn fixtures() -> Vec<Vec<u8>> {
            fixture_names().iter().map(|name| fixture(name)).collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_read_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
                let _ = parse(&bytes);
            }

            #[test]
            fn any_header_like_text_is_read_without_panic(
                lines in prop::collection::vec("[A-Za-z-]{0,12}:? ?[ -~\u{80}-\u{10ffff}]{0,40}\r?\n?", 0..40)
            ) {
                let _ = parse(lines.concat().as_bytes());
            }

            #[test]
            fn mutated_reports_are_read_without_panic(
                which in any::<prop::sample::Index>(),
                edits in prop::collection::vec(edit(), 1..12),
            ) {
                let all = fixtures();
                let mut bytes = which.get(&all).clone();
                for edit in &edits {
                    apply(&mut bytes, edit);
                }
                if let Parsed::Report(report) = parse(&bytes) {
                    prop_assert!(!report.recipients.is_empty());
                }
            }

            #[test]
            fn reports_pieced_together_from_other_reports_are_read_without_panic(
                picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..120)
            ) {
                // Real lines in a wrong order: boundaries, status fields and bounce wording out of
                // place reach every reader here far more often than random bytes do.
                let all = fixtures();
                let mut bytes = Vec::new();
                for (file, line) in &picks {
                    let lines: Vec<&[u8]> = file.get(&all).split(|&b| b == b'\n').collect();
                    let piece: &&[u8] = line.get(&lines);
                    bytes.extend_from_slice(piece);
                    bytes.push(b'\n');
                }
                if let Parsed::Report(report) = parse(&bytes) {
                    prop_assert!(!report.recipients.is_empty());
                }
            }
        }
    }
}
