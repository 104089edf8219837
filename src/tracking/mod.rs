//! Proof of arrival: what happened to the letters after the relay took them. `letterpost track`
//! reads the reports that came back to the campaign's return path (delivery status
//! notifications, older MTAs' bounces, read receipts, automatic replies) from an IMAP mailbox,
//! matches each to a letter, archives its exact bytes and appends what it proves to the delivery
//! log.
//!
//! `report` parses one message (no I/O); `imap` reads the folder (never changes it); this module
//! matches reports to letters and writes the records, under the campaign lock only while it
//! appends.

pub mod imap;
pub mod report;
