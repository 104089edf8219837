//! What the auditor reads: `summary` (per run, then every organisation not accepted), `list`,
//! `show` (one organisation's whole history with its archived evidence) and `export` (one row
//! per organisation, formula-safe).
//!
//! Each view is computed from the ledger the log folds into; none checks the log's rules (that
//! is `verify`) or writes to the campaign. What a person reads is worded in
//! `locales/*/audit.ftl`; the JSON, CSV and workbook exports are not translated.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use indexmap::IndexMap;
use serde::Serialize;

use super::{Source, archived_sha256, damaged_code};
use crate::delivery_log::{Body, Counts, Input, Record};
use crate::ledger::{Ledger, Recipient, Status};
use crate::report::ExitCode;
use crate::xlsx_export::{self, Cell};

/// One run, as the summary tells it.
#[derive(Debug, Serialize)]
struct RunSummary {
    run: String,
    mode: String,
    operator: String,
    host: String,
    tool: String,
    started: String,
    finished: Option<String>,
    stopped: Option<String>,
    inputs: IndexMap<String, Input>,
    counts: Counts,
}

/// One organisation, as the list and the export tell it.
#[derive(Debug, Serialize)]
struct RecipientRow {
    key: String,
    organisation: String,
    to: Vec<String>,
    state: Status,
    /// Whether the organisation may have its letter (the relay took it, no bounce since).
    #[serde(skip)]
    may_have_arrived: bool,
    /// Whether a report about it was recorded.
    #[serde(skip)]
    reported: bool,
    time: String,
    message_id: String,
    smtp_code: Option<u16>,
    smtp_enhanced: Option<String>,
    smtp_text: Option<String>,
    error: Option<String>,
    attempts: u32,
    archive: String,
    sha256: String,
    next_action: String,
    delivered_at: Option<String>,
    bounced_at: Option<String>,
    bounce_status: Option<String>,
    bounce_diagnostic: Option<String>,
    read_at: Option<String>,
    /// The bounce, the reply or the error, on one line, as people read it.
    #[serde(skip)]
    happened: String,
    /// `next_action` in the chosen language, for the summary (the exports keep the English).
    #[serde(skip)]
    next_step: String,
}

fn runs(records: &[Record]) -> Vec<RunSummary> {
    let mut runs: Vec<RunSummary> = Vec::new();
    for r in records {
        if let Body::RunStarted(s) = &r.body {
            runs.push(RunSummary {
                run: r.run.clone(),
                mode: s.mode.to_string(),
                operator: s.operator.clone(),
                host: s.host.clone(),
                tool: s.tool.clone(),
                started: r.time.clone(),
                finished: None,
                stopped: None,
                inputs: s.inputs.clone(),
                counts: Counts::default(),
            });
            continue;
        }
        let Some(run) = runs.last_mut().filter(|run| run.run == r.run) else {
            continue;
        };
        if let Some((outcome, _)) = r.body.outcome() {
            run.counts.add(outcome);
        } else if let Body::RunFinished(f) = &r.body {
            run.finished = Some(r.time.clone());
            run.stopped.clone_from(&f.stopped);
            run.counts.skipped = f.counts.skipped;
            run.counts.pending = f.counts.pending;
        }
    }
    runs
}

fn ledger(records: &[Record]) -> Ledger {
    let mut ledger = Ledger::default();
    for r in records {
        ledger.add(r);
    }
    ledger
}

fn row(key: &str, r: &Recipient) -> RecipientRow {
    // A full ledger (the auditor's) keeps the last record and attempt of every key.
    let last = r
        .last
        .as_deref()
        .expect("a full ledger keeps the last record");
    let attempt = r
        .last_attempt
        .as_deref()
        .expect("a full ledger keeps the last attempt");
    let ending = last.body.outcome().map(|(_, e)| e);
    let smtp = ending.and_then(|e| e.smtp.as_ref());
    RecipientRow {
        key: key.to_owned(),
        organisation: attempt.organisation.clone(),
        to: attempt.to.clone(),
        state: r.state.status(),
        may_have_arrived: r.state.may_have_arrived(),
        reported: r.state.report().is_some(),
        time: last.time.clone(),
        message_id: attempt.message_id.clone(),
        smtp_code: smtp.map(|s| s.code),
        smtp_enhanced: smtp.and_then(|s| s.enhanced.clone()),
        smtp_text: smtp.map(|s| s.text.clone()),
        error: ending.and_then(|e| e.error.clone()),
        attempts: r.attempts,
        archive: attempt.archive.clone(),
        sha256: attempt.sha256.clone(),
        next_action: r.next_action(key),
        delivered_at: r.reports.delivered_at.clone(),
        bounced_at: r.reports.bounce.as_ref().map(|b| b.at.clone()),
        bounce_status: r.reports.bounce.as_ref().and_then(|b| b.status.clone()),
        bounce_diagnostic: r.reports.bounce.as_ref().and_then(|b| b.diagnostic.clone()),
        read_at: r.reports.read_at.clone(),
        happened: r.what_happened(),
        next_step: r.next_step(key),
    }
}

fn rows(ledger: &Ledger) -> Vec<RecipientRow> {
    ledger.recipients.iter().map(|(k, r)| row(k, r)).collect()
}

/// `letterpost log summary [--json]`.
pub fn summary(source: &Source, json: bool) -> anyhow::Result<ExitCode> {
    let (records, broken) = source.read()?;
    let runs = runs(&records);
    let ledger_view = ledger(&records);
    let rows = rows(&ledger_view);
    let mut totals: IndexMap<Status, u64> = {
        use strum::VariantArray;
        Status::VARIANTS.iter().map(|s| (*s, 0)).collect()
    };
    for row in &rows {
        *totals.entry(row.state).or_insert(0) += 1;
    }
    // Every organisation without proof of its letter: not accepted, or bounced after.
    let not_accepted: Vec<&RecipientRow> = rows.iter().filter(|r| !r.may_have_arrived).collect();
    if json {
        #[derive(Serialize)]
        struct Summary<'a> {
            campaign: &'a str,
            log: String,
            runs: &'a [RunSummary],
            recipients: usize,
            states: IndexMap<&'static str, u64>,
            not_accepted: &'a [&'a RecipientRow],
            damaged: Option<String>,
        }
        let out = Summary {
            campaign: &source.id,
            log: source.show(&source.log),
            runs: &runs,
            recipients: rows.len(),
            states: totals.iter().map(|(s, n)| (s.as_str(), *n)).collect(),
            not_accepted: &not_accepted,
            damaged: broken.as_ref().map(ToString::to_string),
        };
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(damaged_code(&broken));
    }
    say!(
        "{}",
        t!(
            "audit-summary-heading",
            campaign = &source.id,
            log = source.show(&source.log)
        )
    );
    say!();
    for r in &runs {
        say_run(r);
    }
    say!();
    let states: Vec<String> = totals
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| t!("audit-state-count", state = s.described(), count = *n))
        .collect();
    say!(
        "{}",
        t!(
            "audit-summary-recipients",
            count = rows.len(),
            states = states.join(", ")
        )
    );
    let reported = rows.iter().filter(|r| r.reported).count();
    say_tracking(&ledger_view, &totals, reported);
    if !not_accepted.is_empty() {
        say!();
        say!("{}", t!("audit-summary-not-accepted"));
        for r in &not_accepted {
            say!(
                "{}",
                t!(
                    "audit-summary-not-accepted-line",
                    key = &r.key,
                    organisation = &r.organisation,
                    state = r.state.described(),
                    time = &r.time,
                    happened = &r.happened
                )
            );
            say!("{}", t!("audit-summary-next", next = &r.next_step));
        }
    }
    Ok(damaged_code(&broken))
}

/// What the reports say, next to the send outcomes: how many letters have no report yet, how
/// many unknown ones a report settled, and whether reports could come at all.
fn say_tracking(ledger: &Ledger, totals: &IndexMap<Status, u64>, reported: usize) {
    let settled = ledger
        .recipients
        .values()
        .filter(|r| r.reports.settled_unknown)
        .count();
    if reported > 0 || ledger.mailbox.is_some() {
        say!(
            "{}",
            t!(
                "audit-summary-reports",
                reported = reported,
                waiting = totals.get(&Status::Accepted).copied().unwrap_or(0),
                settled = settled
            )
        );
    }
    if ledger.dsn == Some(false) {
        say!("{}", t!("audit-summary-no-dsn"));
    }
}

fn say_run(r: &RunSummary) {
    let started = &r.started;
    let times = match (&r.finished, &r.stopped) {
        (Some(end), None) => t!("audit-run-finished", started = started, finished = end),
        (Some(end), Some(why)) => t!(
            "audit-run-stopped",
            started = started,
            stopped = end,
            why = why
        ),
        (None, _) => t!("audit-run-unfinished", started = started),
    };
    say!(
        "{}",
        t!(
            "audit-run",
            run = &r.run,
            mode = &r.mode,
            operator = &r.operator,
            host = &r.host,
            tool = &r.tool
        )
    );
    say!("{times}");
    let c = &r.counts;
    say!(
        "{}",
        t!(
            "audit-run-counts",
            accepted = c.accepted,
            rejected = c.rejected,
            deferred = c.deferred,
            unknown = c.unknown,
            skipped = c.skipped,
            pending = c.pending
        )
    );
    let inputs: Vec<String> = r
        .inputs
        .values()
        .map(|i| format!("{} {}", i.file, &i.sha256[..i.sha256.len().min(12)]))
        .collect();
    say!("{}", t!("audit-run-inputs", inputs = inputs.join(", ")));
}

/// `letterpost log list [--status S] [--since T]`.
pub fn list(
    source: &Source,
    status: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let status = status
        .map(|s| Status::named(s).map_err(|e| anyhow::anyhow!(t!("audit-bad-status", error = e))))
        .transpose()?;
    let since = since
        .map(|s| {
            crate::clock::parse_rfc3339(s)
                .or_else(|| crate::clock::parse_rfc3339(&format!("{s}T00:00:00Z")))
                .with_context(|| t!("audit-bad-since", since = s))
        })
        .transpose()?;
    let (records, broken) = source.read()?;
    let rows = rows(&ledger(&records));
    let mut shown = 0;
    for r in rows.iter() {
        if status.is_some_and(|s| s != r.state) {
            continue;
        }
        if let Some(since) = since
            && crate::clock::parse_rfc3339(&r.time).is_none_or(|t| t < since)
        {
            continue;
        }
        shown += 1;
        // The state is the word `--status` takes, untranslated.
        say!(
            "{}",
            t!(
                "audit-list-line",
                state = format!("{:<11}", r.state.as_str()),
                time = &r.time,
                key = &r.key,
                attempts = r.attempts,
                message_id = &r.message_id,
                to = r.to.join(", ")
            )
        );
    }
    eprintln!(
        "{}",
        t!("audit-list-shown", shown = shown, total = rows.len())
    );
    Ok(damaged_code(&broken))
}

/// `letterpost log show KEY`.
pub fn show(source: &Source, key: &str) -> anyhow::Result<ExitCode> {
    let (records, broken) = source.read()?;
    let history: Vec<&Record> = records
        .iter()
        .filter(|r| r.body.key() == Some(key))
        .collect();
    if history.is_empty() {
        bail!(t!("audit-show-no-record", key = key));
    }
    let ledger = ledger(&records);
    if let Some(r) = ledger.recipients.get(key) {
        let row = row(key, r);
        say!(
            "{}",
            t!(
                "audit-show-state",
                key = key,
                state = r.state.described(),
                next = &row.next_step
            )
        );
        say!(
            "{}",
            t!("audit-show-organisation", organisation = &row.organisation)
        );
        say!("{}", t!("audit-show-to", to = row.to.join(", ")));
        say!("Message-ID: {}", row.message_id);
        say!();
    }
    for record in history {
        say_history_line(source, record);
    }
    Ok(damaged_code(&broken))
}

fn say_history_line(source: &Source, record: &Record) {
    let Some(letter) = record.body.letter() else {
        return say_report_line(source, record);
    };
    // The record's name is the log's own word, untranslated, as `seq` and `sha256` are.
    let seq = format!("{:<6}", record.seq);
    let name = format!("{:<9}", record.body.name());
    let (time, attempt) = (&record.time, letter.attempt);
    let mut line = if letter.test {
        t!(
            "audit-history-test",
            seq = seq,
            time = time,
            record = name,
            attempt = attempt
        )
    } else {
        t!(
            "audit-history",
            seq = seq,
            time = time,
            record = name,
            attempt = attempt
        )
    };
    if let Some((_, ending)) = record.body.outcome() {
        let happened = ending.reply_or_error();
        if !happened.is_empty() {
            line.push_str(&format!("  {happened}"));
        }
        let stage = t!("audit-history-stage", stage = ending.stage.to_string());
        line.push_str(&format!("  {stage}"));
    }
    say!("{line}");
    if let Body::Attempt(a) = &record.body {
        let check = archive_check(source, &a.archive, &a.sha256);
        say!(
            "{}",
            t!(
                "audit-history-message",
                archive = &a.archive,
                sha256 = &a.sha256,
                check = check
            )
        );
    }
}

/// A report's line in `show`: what it said, and its archived evidence.
fn say_report_line(source: &Source, record: &Record) {
    let Some((_, tracked)) = record.body.tracked() else {
        return;
    };
    let e = &tracked.report;
    let said: Vec<&str> = [e.status.as_deref(), e.diagnostic.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    say!(
        "seq {:<6} {}  {:<9} {}  {}",
        record.seq,
        record.time,
        record.body.name(),
        tracked.recipient,
        said.join(" ")
    );
    let check = archive_check(source, &e.archive, &e.sha256);
    say!(
        "{}",
        t!(
            "audit-history-report",
            archive = &e.archive,
            sha256 = &e.sha256,
            uid = e.uid,
            check = check
        )
    );
}

/// Whether an archived file still hashes to what its record says, as `show` tells it.
fn archive_check(source: &Source, archive: &str, sha256: &str) -> String {
    match archived_sha256(&source.root, archive) {
        Ok(actual) if actual == sha256 => t!("audit-archive-matches"),
        Ok(_) => t!("audit-archive-does-not-match"),
        Err(why) => why,
    }
}

/// How `export` writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 with a BOM, every cell quoted and formula-safe.
    Csv,
    /// JSON Lines.
    Json,
    /// An Excel workbook: text as strings (never formulas), times as UTC date-times. Only to a
    /// file.
    Xlsx,
}

/// The export's columns, in order. They never change with the language of the interface.
const COLUMNS: [&str; 19] = [
    "key",
    "organisation",
    "to",
    "state",
    "time",
    "message_id",
    "smtp_code",
    "smtp_enhanced",
    "smtp_text",
    "error",
    "attempts",
    "archive",
    "sha256",
    "next_action",
    "delivered_at",
    "bounced_at",
    "bounce_status",
    "bounce_diagnostic",
    "read_at",
];

/// The columns of `COLUMNS` that hold a time (RFC 3339 UTC text in the CSV, a date-time in the
/// workbook, whose header says `(UTC)` since a date-time cell carries no zone).
const TIME_COLUMNS: [&str; 4] = ["time", "delivered_at", "bounced_at", "read_at"];

/// `letterpost log export [--csv | --json | --xlsx] [-o FILE]`.
pub fn export(source: &Source, format: Format, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (records, broken) = source.read()?;
    let rows = rows(&ledger(&records));
    if format == Format::Xlsx {
        let Some(file) = output else {
            bail!(t!("audit-xlsx-needs-file"));
        };
        // The workbook's creation time is the last record's, so the same log gives the same bytes.
        let created = records
            .last()
            .and_then(|r| r.time.parse::<jiff::Timestamp>().ok())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let bytes = xlsx_bytes(&rows, created)?;
        std::fs::write(file, bytes)
            .with_context(|| t!("audit-cannot-write", file = file.display()))?;
        eprintln!(
            "{}",
            t!("audit-exported", count = rows.len(), file = file.display())
        );
        return Ok(damaged_code(&broken));
    }
    let mut out: Box<dyn Write> = match output {
        Some(file) => Box::new(
            std::fs::File::create(file)
                .with_context(|| t!("audit-cannot-create", file = file.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        Format::Json => {
            for row in &rows {
                serde_json::to_writer(&mut out, row)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => write_csv(out, &rows)?,
        Format::Xlsx => unreachable!("written above"),
    }
    if let Some(file) = output {
        eprintln!(
            "{}",
            t!("audit-exported", count = rows.len(), file = file.display())
        );
    }
    Ok(damaged_code(&broken))
}

fn write_csv(mut out: Box<dyn Write>, rows: &[RecipientRow]) -> anyhow::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    for r in rows {
        let record = [
            r.key.clone(),
            r.organisation.clone(),
            r.to.join("; "),
            r.state.to_string(),
            r.time.clone(),
            r.message_id.clone(),
            r.smtp_code.map(|c| c.to_string()).unwrap_or_default(),
            r.smtp_enhanced.clone().unwrap_or_default(),
            r.smtp_text.clone().unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
            r.attempts.to_string(),
            r.archive.clone(),
            r.sha256.clone(),
            r.next_action.clone(),
            r.delivered_at.clone().unwrap_or_default(),
            r.bounced_at.clone().unwrap_or_default(),
            r.bounce_status.clone().unwrap_or_default(),
            r.bounce_diagnostic.clone().unwrap_or_default(),
            r.read_at.clone().unwrap_or_default(),
        ];
        writer.write_record(record.iter().map(|cell| neutralise(cell)))?;
    }
    writer.flush()?;
    Ok(())
}

/// The export as a workbook: the CSV export's columns and rows, each text a string cell (so
/// `=HYPERLINK(…)` stays text, with no `'` added), counts as numbers, times as date-times.
fn xlsx_bytes(rows: &[RecipientRow], created: jiff::Timestamp) -> anyhow::Result<Vec<u8>> {
    let headers: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            if TIME_COLUMNS.contains(c) {
                format!("{c} (UTC)")
            } else {
                (*c).to_owned()
            }
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let text = |t: &str| {
        if t.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.to_owned())
        }
    };
    let maybe = |t: &Option<String>| t.as_deref().map_or(Cell::Empty, text);
    let time = |t: &Option<String>| t.as_deref().map_or(Cell::Empty, time_cell);
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                text(&r.key),
                text(&r.organisation),
                text(&r.to.join("; ")),
                text(r.state.as_str()),
                time_cell(&r.time),
                text(&r.message_id),
                r.smtp_code.map_or(Cell::Empty, |c| Cell::Integer(c.into())),
                maybe(&r.smtp_enhanced),
                maybe(&r.smtp_text),
                maybe(&r.error),
                Cell::Integer(r.attempts.into()),
                text(&r.archive),
                text(&r.sha256),
                text(&r.next_action),
                time(&r.delivered_at),
                time(&r.bounced_at),
                maybe(&r.bounce_status),
                maybe(&r.bounce_diagnostic),
                time(&r.read_at),
            ]
        })
        .collect();
    Ok(xlsx_export::export_bytes(&headers, &cells, created)?)
}

/// A time from the log as a date-time cell; text that is not a time Excel can show stays text.
fn time_cell(text: &str) -> Cell {
    match Cell::time(text) {
        Ok(Cell::Time(t))
            if (1900..=9999).contains(&jiff::tz::TimeZone::UTC.to_datetime(t).year()) =>
        {
            Cell::Time(t)
        }
        _ if text.is_empty() => Cell::Empty,
        _ => Cell::Text(text.to_owned()),
    }
}

/// The characters a spreadsheet may take as the start of a formula: OWASP's list, and the
/// full-width and small forms (and the minus sign) that Excel and LibreOffice fold into them when
/// a cell is typed or imported in an East Asian locale.
const FORMULA_STARTS: [char; 16] = [
    '=', '+', '-', '@', '\t', '\r', '\n', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
    '\u{fe66}', '\u{fe62}', '\u{fe63}', '\u{fe6b}', '\u{2212}',
];

/// OWASP CSV injection: a cell a spreadsheet would read as a formula gets a leading `'`. Blanks
/// before the formula character do not save a cell (some importers trim them), so they are
/// looked past.
pub fn neutralise(cell: &str) -> String {
    let first = cell
        .trim_start_matches([' ', '\u{a0}', '\u{3000}'])
        .chars()
        .next();
    if first.is_some_and(|c| FORMULA_STARTS.contains(&c)) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\n=1",
            "\u{ff1d}HYPERLINK(\"http://x\")",
            "\u{ff0b}1",
            "\u{ff0d}1",
            "\u{ff20}SUM(A1)",
            "\u{fe66}1",
            "\u{2212}1",
            " =1",
            "\u{3000}=1",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Sở Y tế"), "Sở Y tế");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    /// Fluent drops a message's leading blanks; the summary's and `show`'s indented lines keep
    /// theirs in both languages.
    #[test]
    fn indented_lines_stay_indented_in_both_languages() {
        use crate::i18n::{Lang, text_in};
        for lang in [Lang::En, Lang::Vi] {
            let next = text_in(lang, "audit-summary-next", vec![("next", "x".into())]);
            assert!(
                next.starts_with("      ") && !next.starts_with("       "),
                "{next:?}"
            );
            let inputs = text_in(lang, "audit-run-inputs", vec![("inputs", "x".into())]);
            assert!(
                inputs.starts_with("  ") && !inputs.starts_with("   "),
                "{inputs:?}"
            );
            let args = vec![
                ("archive", "a".into()),
                ("sha256", "h".into()),
                ("check", "c".into()),
            ];
            let message = text_in(lang, "audit-history-message", args);
            assert!(message.starts_with(&" ".repeat(11)), "{message:?}");
        }
        let line = text_in(
            Lang::En,
            "audit-list-line",
            vec![
                ("state", format!("{:<11}", "accepted").into()),
                ("time", "T".into()),
                ("key", "k".into()),
                ("attempts", 2u32.into()),
                ("message_id", "<m>".into()),
                ("to", "".into()),
            ],
        );
        assert_eq!(line, "accepted    T  k  attempts 2  <m>  ");
    }
}
