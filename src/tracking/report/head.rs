//! What every reading of a message takes from the message itself, whatever it turns out to be:
//! its sender, subject, date and the ids it refers to (`Head`), and the Message-ID of the letter
//! a report returns whole or as headers.

use mail_parser::{DateTime, HeaderValue, Message, MessageParser, MimeHeaders};

use super::text::{message_id, one_line};
use super::{Kind, Parsed, Reason, Report};

/// What every outcome tells of the message itself.
pub(super) struct Head {
    pub(super) from: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) date: Option<String>,
    pub(super) in_reply_to: Vec<String>,
}

impl Head {
    pub(super) fn of(message: &Message) -> Head {
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

    pub(super) fn report(&self, kind: Kind) -> Report {
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

    pub(super) fn not_a_report(&self, why: Reason) -> Parsed {
        Parsed::NotAReport {
            from: self.from.clone(),
            subject: self.subject.clone(),
            in_reply_to: self.in_reply_to.clone(),
            why,
        }
    }
}

/// The message ids mail-parser found in In-Reply-To or References (it strips the brackets).
pub(super) fn header_ids<'a>(value: &'a HeaderValue) -> impl Iterator<Item = &'a str> {
    let (one, list) = match value {
        HeaderValue::Text(id) => (Some(id.as_ref()), None),
        HeaderValue::TextList(ids) => (None, Some(ids.iter().map(|id| id.as_ref()))),
        _ => (None, None),
    };
    one.into_iter().chain(list.into_iter().flatten())
}

/// The Message-ID of the message a report returns, whole (`message/rfc822`) or as headers only
/// (`text/rfc822-headers`, what `RET=HDRS` asks for).
pub(super) fn returned_message_id(message: &Message) -> Option<String> {
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
