//! Delivery status notifications (RFC 3464, and RFC 6533's international form): the
//! `message/delivery-status` part's per-message fields and one group per recipient, with the
//! action (inferred from the status when missing), status, diagnostic and SMTP reply code.

use mail_parser::{Message, MessagePart};

use super::fields::{groups, status_field, typed, typed_address};
use super::head::{Head, returned_message_id};
use super::text::{comment, leading_reply_code, utc, without_comments};
use super::{Action, Kind, PerRecipient, Reason, Report};
use crate::smtp::xtext_decode;

/// The fields of one recipient's group, as written, before they are checked.
#[derive(Default)]
pub(super) struct Block {
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
pub(super) fn dsn_action(action: &str, status: Option<&str>) -> Action {
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
pub(super) fn dsn(message: &Message, status: &MessagePart, head: &Head) -> Result<Report, Reason> {
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
        return Err(Reason::DsnNoRecipient);
    }
    report.original_message_id = returned_message_id(message);
    Ok(report)
}
