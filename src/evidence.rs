//! When a report is proof: the one rule `track` applies before it records a report and `log
//! verify` applies to every report record. A report counts only for a letter that reached a
//! server's hands (a real `data` record of its key, under the same Message-ID) and only for an
//! address of that letter (the report's Final-Recipient or Original-Recipient, compared as
//! `normalised` writes them).
//!
//! A leaf: it reads the log's types and nothing else, so that the auditor's side and the tracking
//! side share it without importing each other. It words nothing; each caller says a `Refused` in
//! its own terms.

use std::collections::HashMap;

use crate::delivery_log::{Body, Record};

/// What the `data` records of one key say: the letter's Message-ID and every address it went to.
#[derive(Debug, Clone, Default)]
struct Handed {
    message_id: String,
    /// Normalised, without repeats.
    addresses: Vec<String>,
}

/// The letters handed to a server, by key, folded from the log's records in order.
#[derive(Debug, Default)]
pub struct Letters {
    handed: HashMap<String, Handed>,
}

/// Why a report proves nothing about the letter it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No real `data` record of the key: its letter never reached a server (refused at RCPT,
    /// say), so there is nothing a report could be about.
    NotHandedOver,
    /// The letter of the key was handed over under another Message-ID.
    OtherMessageId { sent: String },
    /// None of the addresses the report names is one the letter went to.
    NotItsAddress { named: Option<String> },
}

impl Letters {
    /// Folds one record in; only a real (not test) `data` record changes anything.
    pub fn add(&mut self, record: &Record) {
        let Body::Data(letter) = &record.body else {
            return;
        };
        if letter.test {
            return;
        }
        let handed = self.handed.entry(letter.key.clone()).or_default();
        handed.message_id.clone_from(&letter.message_id);
        for to in &letter.to {
            let to = normalised(to);
            if !handed.addresses.contains(&to) {
                handed.addresses.push(to);
            }
        }
    }

    /// The rule. Whether a report about the letter of `key`, under `message_id`, naming
    /// `addresses` (Final-Recipient first, then Original-Recipient; a record's one `recipient`)
    /// is proof: the first of them that is an address of the letter, as the report wrote it.
    pub fn proves<'a>(
        &self,
        key: &str,
        message_id: &str,
        addresses: impl IntoIterator<Item = &'a str>,
    ) -> Result<&'a str, Refused> {
        let handed = self.handed.get(key).ok_or(Refused::NotHandedOver)?;
        if handed.message_id != message_id {
            return Err(Refused::OtherMessageId {
                sent: handed.message_id.clone(),
            });
        }
        let mut named = None;
        for address in addresses {
            if handed.addresses.contains(&normalised(address)) {
                return Ok(address);
            }
            named.get_or_insert_with(|| address.to_owned());
        }
        Err(Refused::NotItsAddress { named })
    }
}

/// An address as the rule compares it: without an `rfc822;` type and angle brackets, lower case,
/// its domain in the ASCII (punycode) form the letters' records give it.
pub fn normalised(address: &str) -> String {
    let mut text = address.trim();
    if let Some((kind, rest)) = text.split_once(';')
        && kind.trim().eq_ignore_ascii_case("rfc822")
    {
        text = rest.trim();
    }
    let text = text.trim_start_matches('<').trim_end_matches('>').trim();
    match text.rsplit_once('@') {
        Some((local, domain)) => {
            let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_owned());
            format!("{}@{}", local.to_lowercase(), domain.to_lowercase())
        }
        None => text.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery_log::Letter;

    fn data(key: &str, to: &str, test: bool) -> Record {
        let letter = Letter {
            key: key.into(),
            row: 1,
            to: vec![to.into()],
            message_id: format!("<{key}@x.example>"),
            sha256: String::new(),
            archive: String::new(),
            attempt: 1,
            test,
        };
        Record {
            seq: 1,
            time: String::new(),
            run: String::new(),
            prev: String::new(),
            hash: String::new(),
            body: Body::Data(letter),
        }
    }

    #[test]
    fn a_report_counts_only_for_a_handed_letter_and_its_own_address() {
        let mut letters = Letters::default();
        let ascii = idna::domain_to_ascii("sở-y-tế.example").unwrap();
        let recorded = format!("VanThu@{ascii}");
        letters.add(&data("a", &recorded, false));
        letters.add(&data("t", "t@x.example", true));
        let id = "<a@x.example>";
        let unicode = "rfc822; vanthu@Sở-Y-Tế.example";
        assert_eq!(letters.proves("a", id, [unicode]), Ok(unicode));
        let bracketed = format!("<{}>", recorded.to_uppercase());
        assert_eq!(
            letters.proves("a", id, ["stranger@evil.example", bracketed.as_str()]),
            Ok(bracketed.as_str())
        );
        assert_eq!(
            letters.proves("a", id, ["stranger@evil.example"]),
            Err(Refused::NotItsAddress {
                named: Some("stranger@evil.example".into())
            })
        );
        assert_eq!(
            letters.proves("a", "<other@x.example>", [recorded.as_str()]),
            Err(Refused::OtherMessageId { sent: id.into() })
        );
        assert_eq!(
            letters.proves("t", "<t@x.example>", ["t@x.example"]),
            Err(Refused::NotHandedOver)
        );
        assert_eq!(
            letters.proves("b", "<b@x.example>", ["b@x.example"]),
            Err(Refused::NotHandedOver)
        );
    }
}
