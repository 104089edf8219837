//! One integration test binary: every test runs the real `letterpost` binary against a campaign
//! folder in a temp dir and checks what a clerk, operator or auditor would check.

mod support;

/// `[[attachments]]` and `[document]`: files attached in order, hashed into the log, refused
/// when missing, empty, changed, too large or a damaged PDF; an unfinished document number.
mod attachments;
/// The auditor's commands: verify against every tampering, export, summary, the golden log.
mod audit;
/// `check`, `preview`, `init`, `--help`: the commands that send nothing.
mod commands;
/// What any command-line tool offers: completions, the manual page, `-v`/`-q`, the campaign
/// found from a folder inside it.
mod conventions;
/// The official document: the công văn and phụ lục typeset as PDF, read back with poppler.
mod documents;
/// `send --dry-run`: the outbox, parsed by an independent mail parser.
mod dry_run;
/// The auditor's exports of cells a spreadsheet would misread or refuse.
mod export_cells;
/// A scripted server's faults: silence, drops, 421, late and negative replies.
mod faults;
/// The files a campaign gets: private modes, no link followed, foreign files kept, the password
/// file and `--checkpoint` checked first.
mod files;
/// The input contract: every bad input exits 2, names the line and column, writes nothing.
mod input;
/// The clerk's language: how it is chosen, and what never changes with it.
mod language;
/// The promises under a clerk's ordinary mistakes: renamed columns, edits at the prompt,
/// addresses as Outlook writes them, line ends, oversized and endless input.
mod promises;
/// A report counts only where it can be proof: a forged report, a stranger's address, a report
/// too large to read, a bogus UID.
mod proof;
/// The rate limit counts what reaches the relay.
mod rate;
/// Concurrency, rate limits, greylisting and retries, signals, kill -9, a hostile relay, test
/// sends, hostile values.
mod resilience;
/// Real sends to an SMTP server on loopback: delivery, the log, the archive, resume.
mod send;
/// Recipient lists in workbooks: the same letters as from CSV, problems named by sheet and cell.
mod sheets;
/// Snapshots of what people read, in English and in Vietnamese: check's problems, the send
/// report, log summary and verify, --help.
mod shown;
/// End to end against Postfix's smtp-sink and its fault flags.
mod sink;
/// A letter's state after its reports, as every decision a send takes reads it.
mod state;
/// Every stop is recorded: SIGHUP, an unwritable stderr, a closed stdout, a line being written.
mod stops;
/// Proof of arrival through real Postfix and Dovecot: track, the records, the views.
mod tracking;
/// The real mail servers that proof of arrival is tested against: Postfix's DSNs and bounces,
/// read back from Dovecot over IMAP and IMAPS.
mod tracking_servers;
/// "Maybe delivered" is never forgotten: resends that never handed a letter over, and reports
/// about a letter left open.
mod unknown;
