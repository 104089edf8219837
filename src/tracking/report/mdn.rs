//! Read receipts (RFC 8098 message disposition notifications): the disposition, the reader's
//! address and the Message-ID of the letter. Only a plain `displayed` means read.

use mail_parser::{Message, MessagePart};

use super::fields::{groups, typed_address};
use super::head::{Head, returned_message_id};
use super::text::{message_id, one_line, without_comments};
use super::{Action, Kind, PerRecipient, Reason, Report};

/// Reads a read receipt whose `message/disposition-notification` part is `part`.
pub(super) fn mdn(message: &Message, part: &MessagePart, head: &Head) -> Result<Report, Reason> {
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
        return Err(Reason::MdnNoDisposition);
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
pub(super) fn disposition_action(value: &str) -> Action {
    let kind = value.split_once(';').map_or(value, |(_, kind)| kind);
    let kind = one_line(&without_comments(kind)).to_ascii_lowercase();
    if kind == "displayed" {
        Action::Displayed
    } else {
        Action::OtherDisposition(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
