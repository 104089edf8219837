//! Automatic replies (RFC 3834 `Auto-Submitted` other than `no`, and the common non-standard
//! signs: `X-Autoreply`, `Precedence: auto_reply`, Outlook's subject prefixes). The reply names
//! the letter in its In-Reply-To or References, which `Head` reads.

use mail_parser::Message;

use super::head::Head;
use super::text::{header_text, one_line, starts_with_ci, without_comments};
use super::{Action, Kind, PerRecipient, Report};

/// Subject prefixes of automatic replies that carry no header saying so (Outlook's, the
/// vacation programs'). A reply's `Re:` is not among them.
pub(super) const AUTO_SUBJECTS: &[&str] = &[
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
pub(super) fn auto_reply_sign(message: &Message) -> Option<String> {
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

pub(super) fn auto_reply(head: &Head, sign: String) -> Report {
    let mut recipient = PerRecipient::new(Action::AutoReplied);
    recipient.recipient = head.from.clone();
    recipient.diagnostic = Some(sign);
    let mut report = head.report(Kind::AutoReply);
    report.recipients.push(recipient);
    report
}
