//! The two things that travel through a send: what the plan learned about a row (`Planned`,
//! for choosing and reporting), and a built letter on its way to the workers (`Work`).
//!
//! A leaf of `send`: the plan fills them, `select` and `summary` read `Planned`, the queue and
//! the workers carry `Work`; none of them needs another to name these. Plain data, no logic
//! beyond taking a row's addresses as the envelope compares them.
use crate::delivery_log::Reason;
use crate::message::Letter;
use crate::recipients::{self, Recipient};

/// What the plan learned about every row that the delivery needs.
pub(super) struct Planned {
    pub(super) key: String,
    pub(super) line: u64,
    pub(super) organisation: String,
    /// Every envelope address, normalised (`recipients::normalised`).
    pub(super) addresses: Vec<String>,
}

impl From<Recipient> for Planned {
    fn from(recipient: Recipient) -> Planned {
        let addresses = recipient
            .to
            .iter()
            .chain(&recipient.cc)
            .map(recipients::normalised)
            .collect();
        let Recipient {
            key,
            line,
            organisation,
            ..
        } = recipient;
        Planned {
            key,
            line,
            organisation,
            addresses,
        }
    }
}

/// A built letter, stored in the archive (made durable by the archiver before a worker gets
/// it), with what the log says of its earlier tries: one work item for the SMTP workers.
pub(super) struct Work {
    pub(super) letter: Letter,
    /// Where the producer stored the letter's bytes (relative to the campaign folder).
    pub(super) archive: String,
    pub(super) attempts: u32,
    pub(super) reason: Option<Reason>,
    pub(super) test: bool,
}
