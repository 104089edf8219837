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
//! What it cannot use it says with a [`Reason`], a value; `Reason::described` words it (in
//! `locales/*/track.ftl`) where it is shown.
//!
//! One file per format: `dsn.rs`, `mdn.rs`, `bounce.rs` (the four plain formats, a table entry
//! each), `auto_reply.rs`; `fields.rs` reads the header-like bodies of DSNs and MDNs, `head.rs`
//! what every message says of itself, `text.rs` the small text pieces they all share.

mod auto_reply;
mod bounce;
mod dsn;
mod fields;
mod head;
mod mdn;
mod text;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders};

use auto_reply::{auto_reply, auto_reply_sign};
use bounce::plain_report;
use dsn::dsn;
use head::Head;
use mdn::mdn;

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
        why: Reason,
    },
    /// Bytes that are no mail message, or a report too damaged to say what it reports.
    Unreadable(Reason),
}

/// Why a message is no report, or a report that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// mail-parser found no header at all.
    NoHeader,
    /// None of the [`MAIL_FIELDS`]: bytes that are not mail.
    NoMailFields,
    /// A `multipart/report` of a delivery or disposition type without the part that carries it.
    PartMissing { report_type: String },
    /// A `multipart/report` of another type (abuse feedback, TLS reports…).
    OtherReportType { report_type: String },
    /// A message with no sign of any kind of report: a person's reply, spam.
    NoReport,
    /// A `message/delivery-status` part with no recipient group.
    DsnNoRecipient,
    /// A disposition notification without its `Disposition` field.
    MdnNoDisposition,
    /// The wording of a plain bounce `format`, in a message a person sent.
    QuotedBounce { format: &'static str },
    /// A plain bounce of `format` whose recipients cannot be read.
    BounceNoRecipient { format: &'static str },
    /// A mail system's report (by sender and subject) in no format known here.
    UnknownFormat { subject: String },
}

impl Reason {
    /// The reason, in the chosen language.
    pub fn described(&self) -> String {
        match self {
            Reason::NoHeader => t!("track-report-no-header"),
            Reason::NoMailFields => t!("track-report-no-mail-fields"),
            Reason::PartMissing { report_type } => {
                t!("track-report-part-missing", report_type = report_type)
            }
            Reason::OtherReportType { report_type } => {
                t!("track-report-other-type", report_type = report_type)
            }
            Reason::NoReport => t!("track-report-none"),
            Reason::DsnNoRecipient => t!("track-report-dsn-no-recipient"),
            Reason::MdnNoDisposition => t!("track-report-mdn-no-disposition"),
            Reason::QuotedBounce { format } => {
                t!("track-report-quoted-bounce", format = *format)
            }
            Reason::BounceNoRecipient { format } => {
                t!("track-report-bounce-no-recipient", format = *format)
            }
            Reason::UnknownFormat { subject } => {
                t!("track-report-unknown-format", subject = subject)
            }
        }
    }
}

/// Reads one message. Never panics.
pub fn parse(bytes: &[u8]) -> Parsed {
    let Some(message) = MessageParser::default().parse(bytes) else {
        return Parsed::Unreadable(Reason::NoHeader);
    };
    if !MAIL_FIELDS.iter().any(|f| message.header(*f).is_some()) {
        return Parsed::Unreadable(Reason::NoMailFields);
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
                Parsed::Unreadable(Reason::PartMissing { report_type })
            }
            _ => head.not_a_report(Reason::OtherReportType { report_type }),
        };
    }
    // A bounce quoted by a person, or a mail system's report in a format not known here.
    if let Some(parsed) = plain {
        return parsed;
    }
    if let Some(sign) = auto_reply_sign(&message) {
        return Parsed::Report(auto_reply(&head, sign));
    }
    head.not_a_report(Reason::NoReport)
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

#[cfg(test)]
mod tests;
