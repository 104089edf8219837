//! The auditor's commands over the delivery log: `summary`, `list`, `show`, `export`, `verify`.
//!
//! Everything here reads the log (and, for `verify` and `show`, the archived messages); nothing
//! writes to the campaign, touches the network or depends on the recipient list or templates, so
//! an auditor can run it on a copy of `logs/` and `archive/` alone. The checks themselves
//! (`Audit`) are a pure fold over the log's records.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use indexmap::IndexMap;
use serde::Serialize;

use crate::cli::LogCommand;
use crate::delivery_log::{self, Broken, Entry, Kind, Ledger, Line};
use crate::report::ExitCode;
use crate::send::next_action;

/// Where the log is, and the folder its archive paths are relative to.
pub struct Source {
    /// The campaign id, for headings.
    pub id: String,
    /// The campaign folder: `archive` members are relative to it.
    pub root: PathBuf,
    log: PathBuf,
}

impl Source {
    /// The campaign's own log, `logs/<id>.jsonl`.
    pub fn campaign(config: &crate::config::Config) -> Source {
        Source {
            id: config.id.clone(),
            root: config.root.clone(),
            log: config.log_file(),
        }
    }

    /// A log file on its own, as `<folder>/logs/<id>.jsonl`: the archive is under `<folder>`.
    pub fn file(path: &Path) -> anyhow::Result<Source> {
        let log =
            std::path::absolute(path).with_context(|| format!("cannot find {}", path.display()))?;
        let id = log
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let root = log
            .parent()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Source { id, root, log })
    }

    /// A path as the auditor should see it: relative to the campaign folder when inside it.
    fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn log_file(&self) -> PathBuf {
        self.log.clone()
    }
}

/// Runs one `letterpost log …` command.
pub fn run(source: &Source, command: LogCommand) -> anyhow::Result<ExitCode> {
    // A checkpoint that cannot be a hash is a typing mistake, not evidence against the log: say
    // so (exit 2) before the log is read, instead of reporting the log rewritten.
    let command = match command {
        LogCommand::Verify {
            checkpoint: Some(text),
        } => LogCommand::Verify {
            checkpoint: Some(checkpoint_hash(&text)?),
        },
        other => other,
    };
    let path = source.log_file();
    if !path.exists() {
        bail!(
            "there is no delivery log for campaign {} yet ({}): nothing has been sent",
            source.id,
            source.show(&path)
        );
    }
    match command {
        LogCommand::Verify { checkpoint } => verify(source, &path, checkpoint.as_deref()),
        LogCommand::Summary { json } => summary(source, &path, json),
        LogCommand::List { status, since } => {
            list(source, &path, status.as_deref(), since.as_deref())
        }
        LogCommand::Show { key } => show(source, &path, &key),
        LogCommand::Export { json, output, .. } => export(source, &path, json, output.as_deref()),
    }
}

/// Reads the log into memory with the chain checked; a damaged log is read up to the damage
/// and the damage is returned beside it.
fn read(path: &Path) -> anyhow::Result<(Vec<Entry>, Option<Broken>)> {
    let mut entries = Vec::new();
    let broken = delivery_log::replay(path, |_, e| entries.push(e.clone()))?.err();
    Ok((entries, broken))
}

fn warn_damaged(source: &Source, broken: &Option<Broken>) {
    if let Some(b) = broken {
        eprintln!(
            "warning: {} is damaged at {b}; what follows covers only the records before it \
             (run `letterpost log verify`)",
            source.show(&source.log_file())
        );
    }
}

fn damaged_code(broken: &Option<Broken>) -> ExitCode {
    if broken.is_some() {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

// ---------------------------------------------------------------------------------------------
// verify

/// One finding of `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: u64,
    pub seq: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The per-recipient rules, checked record by record.
#[derive(Default)]
pub struct Audit {
    /// (key, test) → the open attempt, if any, and whether its `data` was written.
    open: HashMap<(String, bool), (Entry, bool)>,
    last_attempt: HashMap<String, u32>,
    accepted: HashMap<String, u32>,
    message_ids: HashMap<String, String>,
    run: Option<String>,
    runs: usize,
    archives: IndexMap<String, String>,
}

impl Audit {
    /// Checks one record that passed the chain rule; returns what is wrong with it, if anything.
    pub fn check(&mut self, entry: &Entry) -> Option<String> {
        if entry.seq == 0 && entry.kind != Kind::RunStarted {
            return Some("the log does not begin with run_started".into());
        }
        match entry.kind {
            Kind::RunStarted => {
                self.run = Some(entry.run.clone());
                self.runs += 1;
                return None;
            }
            _ if self.run.as_deref() != Some(entry.run.as_str()) => {
                return Some(format!("run `{}` has no run_started before it", entry.run));
            }
            Kind::RunFinished => return None,
            _ => {}
        }
        let (Some(key), Some(attempt)) = (&entry.key, entry.attempt) else {
            return Some(format!(
                "a {} record without `key` or `attempt`",
                entry.kind.as_str()
            ));
        };
        let (Some(_), Some(_), Some(sha256), Some(archive), Some(message_id)) = (
            &entry.row,
            &entry.to,
            &entry.sha256,
            &entry.archive,
            &entry.message_id,
        ) else {
            return Some(format!(
                "a {} record without row, to, sha256, archive or message_id",
                entry.kind.as_str()
            ));
        };
        let test = entry.is_test();
        let slot = (key.clone(), test);
        match entry.kind {
            Kind::Attempt => {
                if let Some((open, _)) = self.open.get(&slot) {
                    return Some(format!(
                        "a new attempt for `{key}` while attempt {} (seq {}) has no outcome",
                        open.attempt.unwrap_or(0),
                        open.seq
                    ));
                }
                if !test {
                    let expected = self.last_attempt.get(key).map_or(1, |n| n + 1);
                    if attempt != expected {
                        return Some(format!(
                            "attempt {attempt} for `{key}`, but attempt {expected} was next"
                        ));
                    }
                    self.last_attempt.insert(key.clone(), attempt);
                    match self.message_ids.get(key) {
                        Some(id) if id != message_id => {
                            return Some(format!(
                                "`{key}` changed its Message-ID from {id} to {message_id}"
                            ));
                        }
                        Some(_) => {}
                        None => {
                            self.message_ids.insert(key.clone(), message_id.clone());
                        }
                    }
                }
                self.archives.insert(archive.clone(), sha256.clone());
                self.open.insert(slot, (entry.clone(), false));
                None
            }
            Kind::Data => match self.open.get_mut(&slot) {
                None => Some(format!("data for `{key}` without an attempt")),
                Some((_, true)) => Some(format!("a second data record for `{key}`")),
                Some((open, data)) => {
                    let mismatch = same_attempt(open, entry);
                    *data = true;
                    mismatch
                }
            },
            kind => {
                let Some((open, data)) = self.open.remove(&slot) else {
                    return Some(format!("{} for `{key}` without an attempt", kind.as_str()));
                };
                if let Some(m) = same_attempt(&open, entry) {
                    return Some(m);
                }
                if matches!(kind, Kind::Accepted | Kind::Unknown) && !data {
                    return Some(format!(
                        "{} for `{key}`, but the message was never sent (no data record)",
                        kind.as_str()
                    ));
                }
                if entry.smtp.is_none() && entry.error.is_none() {
                    return Some(format!(
                        "{} for `{key}` with neither the server's reply nor an error",
                        kind.as_str()
                    ));
                }
                if kind == Kind::Accepted && !test {
                    let n = self.accepted.entry(key.clone()).or_insert(0);
                    *n += 1;
                    if *n > 1 && open.reason.as_deref() != Some("resend_unknown") {
                        return Some(format!(
                            "`{key}` accepted a second time without a requested resend"
                        ));
                    }
                }
                None
            }
        }
    }
}

fn same_attempt(open: &Entry, entry: &Entry) -> Option<String> {
    let same = open.attempt == entry.attempt
        && open.sha256 == entry.sha256
        && open.message_id == entry.message_id
        && open.archive == entry.archive;
    (!same).then(|| {
        format!(
            "{} for `{}` does not match its attempt {} (seq {})",
            entry.kind.as_str(),
            entry.key.as_deref().unwrap_or(""),
            open.attempt.unwrap_or(0),
            open.seq
        )
    })
}

/// What the archive holds for a record: the file's SHA-256, or why there is none. A link in
/// the archived message's place is damage, not the message: it is never followed (its target
/// may well hold the right bytes, which proves nothing about what was archived).
fn archived_sha256(root: &Path, relative: &str) -> Result<String, String> {
    use std::io::Read;
    let path = safe_join(root, relative)
        .ok_or_else(|| "its path leaves the campaign folder".to_owned())?;
    let mut bytes = Vec::new();
    crate::private_fs::read_only(&path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map(|_| crate::message::sha256_hex(&bytes))
        .map_err(|e| match crate::private_fs::Refused::of(&e) {
            Some(crate::private_fs::Refused::Link) => {
                "is a symbolic link, not a file: it was replaced by a link".to_owned()
            }
            Some(crate::private_fs::Refused::NotAFile) => {
                "is not a regular file: it was replaced".to_owned()
            }
            None if e.kind() == std::io::ErrorKind::NotFound => "is missing".to_owned(),
            None => e.to_string(),
        })
}

/// A `--checkpoint` as the log writes hashes: 64 hex digits, lowercase (uppercase is accepted).
fn checkpoint_hash(text: &str) -> anyhow::Result<String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(text.to_ascii_lowercase());
    }
    bail!(
        "--checkpoint `{text}` is not a head hash: it must be the 64 hexadecimal digits a run \
         printed after `Log head:`; the log was not checked"
    )
}

fn safe_join(root: &Path, relative: &str) -> Option<PathBuf> {
    let rel = Path::new(relative);
    let ok = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    ok.then(|| root.join(rel))
}

fn verify(source: &Source, path: &Path, checkpoint: Option<&str>) -> anyhow::Result<ExitCode> {
    let shown = source.show(path);
    let mut audit = Audit::default();
    let mut finding: Option<Finding> = None;
    let mut records = 0u64;
    let mut checkpoint_seq = None;
    let mut where_is: HashMap<String, (u64, u64)> = HashMap::new();
    let chain = delivery_log::replay(path, |line: &Line, entry: &Entry| {
        records += 1;
        if finding.is_some() {
            return;
        }
        if let Some(message) = audit.check(entry) {
            finding = Some(Finding {
                line: line.number,
                seq: Some(entry.seq),
                message,
            });
        }
        if let Some(archive) = &entry.archive {
            where_is
                .entry(archive.clone())
                .or_insert((line.number, entry.seq));
        }
        if checkpoint.is_some() && entry.hash.as_deref() == checkpoint {
            checkpoint_seq = Some(entry.seq);
        }
    })?;
    let head = match chain {
        Ok(chain) => chain.head,
        Err(broken) => {
            say!(
                "{shown}: FAILED at {broken}{}",
                where_the_order_breaks(path, &broken)
            );
            say!(
                "The records before line {} hold; nothing after it can be trusted.",
                broken.line
            );
            return Ok(ExitCode::Partial);
        }
    };
    if let Some(f) = finding {
        say!("{shown}: FAILED at {f}");
        return Ok(ExitCode::Partial);
    }
    let mut archive_problems = Vec::new();
    for (archive, sha256) in &audit.archives {
        match archived_sha256(&source.root, archive) {
            Ok(actual) if &actual == sha256 => {}
            Ok(_) => archive_problems.push((
                archive,
                "does not hash to its record's sha256: it was replaced or changed".to_owned(),
            )),
            Err(why) => archive_problems.push((archive, why)),
        }
    }
    if let Some((archive, why)) = archive_problems.first() {
        let (line, seq) = where_is.get(*archive).copied().unwrap_or((0, 0));
        say!("{shown}: FAILED at line {line} (seq {seq}): the archived message {archive} {why}");
        if archive_problems.len() > 1 {
            say!(
                "({} archived messages in all fail this check)",
                archive_problems.len()
            );
        }
        return Ok(ExitCode::Partial);
    }
    if let Some(cp) = checkpoint {
        match checkpoint_seq {
            Some(seq) => say!(
                "The checkpoint {cp} is the record with seq {seq}; {} records follow it.",
                records - seq - 1
            ),
            None => {
                say!(
                    "{shown}: FAILED: no record has the checkpoint hash {cp}: the log was rewritten or cut \
                     short since that checkpoint was taken"
                );
                return Ok(ExitCode::Partial);
            }
        }
    }
    say!(
        "{shown}: OK: {records} records in {} run(s); the hash chain holds; every recipient's history is in order; \
         {} archived messages match their records.",
        audit.runs,
        audit.archives.len()
    );
    say!("Head: {head}");
    Ok(ExitCode::Success)
}

/// For a `seq` out of place, says where the expected record went, from a second look at the file:
/// later in the file (reordered), nowhere (removed), or earlier (a line inserted or repeated).
fn where_the_order_breaks(path: &Path, broken: &Broken) -> String {
    let expected = match broken.damage {
        delivery_log::Damage::Missing { expected }
        | delivery_log::Damage::OutOfOrder { expected } => expected,
        _ => return String::new(),
    };
    let Some(found) = broken.seq else {
        return String::new();
    };
    let mut first_line: HashMap<u64, u64> = HashMap::new();
    if let Ok(lines) = delivery_log::lines(path) {
        for line in lines.map_while(Result::ok) {
            let seq = serde_json::from_str::<serde_json::Value>(&line.text)
                .ok()
                .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
            if let Some(seq) = seq {
                first_line.entry(seq).or_insert(line.number);
            }
        }
    }
    if found > expected {
        match first_line.get(&expected) {
            Some(line) if *line > broken.line => format!(
                "; the record with seq {expected} is further down, on line {line}: the lines were reordered"
            ),
            _ => format!("; no line holds seq {expected}: lines were deleted"),
        }
    } else {
        match first_line.get(&found) {
            Some(line) if *line < broken.line => {
                format!(
                    "; seq {found} was already on line {line}: a line was inserted or repeated before this one"
                )
            }
            _ => String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// summary, list, show, export

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
    inputs: IndexMap<String, delivery_log::Input>,
    counts: delivery_log::Counts,
}

#[derive(Debug, Serialize)]
struct RecipientRow {
    key: String,
    organisation: String,
    to: Vec<String>,
    state: String,
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
}

fn runs(entries: &[Entry]) -> Vec<RunSummary> {
    let mut runs: Vec<RunSummary> = Vec::new();
    for e in entries {
        match e.kind {
            Kind::RunStarted => runs.push(RunSummary {
                run: e.run.clone(),
                mode: e.mode.clone().unwrap_or_default(),
                operator: e.operator.clone().unwrap_or_default(),
                host: e.host.clone().unwrap_or_default(),
                tool: e.tool.clone().unwrap_or_default(),
                started: e.time.clone(),
                finished: None,
                stopped: None,
                inputs: e.inputs.clone().unwrap_or_default(),
                counts: delivery_log::Counts::default(),
            }),
            _ => {
                let Some(run) = runs.last_mut().filter(|r| r.run == e.run) else {
                    continue;
                };
                match e.kind {
                    Kind::Accepted => run.counts.accepted += 1,
                    Kind::Rejected => run.counts.rejected += 1,
                    Kind::Deferred => run.counts.deferred += 1,
                    Kind::Unknown => run.counts.unknown += 1,
                    Kind::RunFinished => {
                        run.finished = Some(e.time.clone());
                        run.stopped.clone_from(&e.stopped);
                        if let Some(c) = &e.counts {
                            run.counts.skipped = c.skipped;
                            run.counts.pending = c.pending;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    runs
}

fn ledger(entries: &[Entry]) -> Ledger {
    let mut ledger = Ledger::default();
    for e in entries {
        ledger.add(e);
    }
    ledger
}

/// The last record and the last attempt of a recipient; a full ledger (the auditor's) keeps them.
fn records(r: &delivery_log::Recipient) -> (&Entry, &Entry) {
    let last = r
        .last
        .as_deref()
        .expect("a full ledger keeps the last record");
    let attempt = r
        .last_attempt
        .as_deref()
        .expect("a full ledger keeps the last attempt");
    (last, attempt)
}

fn rows(ledger: &Ledger) -> Vec<RecipientRow> {
    ledger
        .recipients
        .iter()
        .map(|(key, r)| {
            let (last, attempt) = records(r);
            let smtp = last.smtp.as_ref();
            RecipientRow {
                key: key.clone(),
                organisation: attempt.organisation.clone().unwrap_or_default(),
                to: attempt.to.clone().unwrap_or_default(),
                state: r.state.name().to_owned(),
                time: last.time.clone(),
                message_id: attempt.message_id.clone().unwrap_or_default(),
                smtp_code: smtp.map(|s| s.code),
                smtp_enhanced: smtp.and_then(|s| s.enhanced.clone()),
                smtp_text: smtp.map(|s| s.text.clone()),
                error: last.error.clone(),
                attempts: r.attempts,
                archive: attempt.archive.clone().unwrap_or_default(),
                sha256: attempt.sha256.clone().unwrap_or_default(),
                next_action: next_action(r.state, key),
            }
        })
        .collect()
}

fn summary(source: &Source, path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let (entries, broken) = read(path)?;
    warn_damaged(source, &broken);
    let runs = runs(&entries);
    let ledger = ledger(&entries);
    let rows = rows(&ledger);
    let mut totals: IndexMap<&str, u64> =
        ["accepted", "rejected", "deferred", "unknown", "interrupted"]
            .into_iter()
            .map(|s| (s, 0))
            .collect();
    for row in &rows {
        *totals.entry(row.state.as_str()).or_insert(0) += 1;
    }
    let not_accepted: Vec<&RecipientRow> = rows.iter().filter(|r| r.state != "accepted").collect();
    if json {
        #[derive(Serialize)]
        struct Summary<'a> {
            campaign: &'a str,
            log: String,
            runs: &'a [RunSummary],
            recipients: usize,
            states: &'a IndexMap<&'a str, u64>,
            not_accepted: &'a [&'a RecipientRow],
            damaged: Option<String>,
        }
        let out = Summary {
            campaign: &source.id,
            log: source.show(path),
            runs: &runs,
            recipients: rows.len(),
            states: &totals,
            not_accepted: &not_accepted,
            damaged: broken.as_ref().map(ToString::to_string),
        };
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(damaged_code(&broken));
    }
    say!(
        "Campaign {} — delivery log {}",
        source.id,
        source.show(path)
    );
    say!();
    for r in &runs {
        let end = match (&r.finished, &r.stopped) {
            (Some(t), None) => format!("finished {t}"),
            (Some(t), Some(why)) => format!("stopped {t}: {why}"),
            (None, _) => "did not finish (the process ended without closing the run)".to_owned(),
        };
        say!(
            "Run {} ({}) by {} on {}, {}",
            r.run,
            r.mode,
            r.operator,
            r.host,
            r.tool
        );
        say!("  started {}, {end}", r.started);
        let c = &r.counts;
        say!(
            "  accepted {}, rejected {}, deferred {}, unknown {}, skipped (settled before) {}, not attempted {}",
            c.accepted,
            c.rejected,
            c.deferred,
            c.unknown,
            c.skipped,
            c.pending
        );
        let inputs: Vec<String> = r
            .inputs
            .values()
            .map(|i| format!("{} {}", i.file, &i.sha256[..i.sha256.len().min(12)]))
            .collect();
        say!("  inputs: {}", inputs.join(", "));
    }
    say!();
    say!(
        "Recipients in the log: {} — {}",
        rows.len(),
        totals
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !not_accepted.is_empty() {
        say!();
        say!("Not accepted:");
        for r in &not_accepted {
            let reply = match (&r.smtp_code, &r.smtp_text, &r.error) {
                (Some(code), Some(text), _) => format!("{code} {}", text.replace('\n', " / ")),
                (_, _, Some(error)) => error.clone(),
                _ => String::new(),
            };
            say!(
                "  {} ({}): {} at {} — {reply}",
                r.key,
                r.organisation,
                r.state,
                r.time
            );
            say!("      next: {}", r.next_action);
        }
    }
    Ok(damaged_code(&broken))
}

fn list(
    source: &Source,
    path: &Path,
    status: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if let Some(s) = status
        && !["accepted", "rejected", "deferred", "unknown", "interrupted"].contains(&s)
    {
        bail!("--status `{s}` is not one of accepted, rejected, deferred, unknown, interrupted");
    }
    let since = since
        .map(|s| {
            crate::clock::parse_rfc3339(s)
                .or_else(|| crate::clock::parse_rfc3339(&format!("{s}T00:00:00Z")))
                .with_context(|| {
                    format!(
                        "--since `{s}` is not a time such as 2026-11-26T08:00:00Z or 2026-11-26"
                    )
                })
        })
        .transpose()?;
    let (entries, broken) = read(path)?;
    warn_damaged(source, &broken);
    let rows = rows(&ledger(&entries));
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
        say!(
            "{:<11} {}  {}  attempts {}  {}  {}",
            r.state,
            r.time,
            r.key,
            r.attempts,
            r.message_id,
            r.to.join(", ")
        );
    }
    eprintln!("{shown} of {} recipients", rows.len());
    Ok(damaged_code(&broken))
}

fn show(source: &Source, path: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let (entries, broken) = read(path)?;
    warn_damaged(source, &broken);
    let history: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.key.as_deref() == Some(key))
        .collect();
    if history.is_empty() {
        bail!("the log has no record about `{key}`");
    }
    let ledger = ledger(&entries);
    if let Some(r) = ledger.recipients.get(key) {
        let (_, attempt) = records(r);
        say!("{key}: {} — {}", r.state.name(), next_action(r.state, key));
        if let Some(org) = &attempt.organisation {
            say!("organisation: {org}");
        }
        say!("to: {}", attempt.to.clone().unwrap_or_default().join(", "));
        say!(
            "Message-ID: {}",
            attempt.message_id.clone().unwrap_or_default()
        );
        say!();
    }
    for e in history {
        let test = if e.is_test() { " (test)" } else { "" };
        let mut line = format!(
            "seq {:<6} {}  {:<9} attempt {}{test}",
            e.seq,
            e.time,
            e.kind.as_str(),
            e.attempt.unwrap_or(0)
        );
        if let Some(s) = &e.smtp {
            line.push_str(&format!(
                "  {} {}{}",
                s.code,
                s.enhanced
                    .as_deref()
                    .map(|x| format!("{x} "))
                    .unwrap_or_default(),
                s.text.replace('\n', " / ")
            ));
        }
        if let Some(err) = &e.error {
            line.push_str(&format!("  {err}"));
        }
        if let Some(stage) = &e.stage {
            line.push_str(&format!("  [at {stage}]"));
        }
        say!("{line}");
        if e.kind == Kind::Attempt {
            let archive = e.archive.as_deref().unwrap_or("");
            let sha = e.sha256.as_deref().unwrap_or("");
            let check = match archived_sha256(&source.root, archive) {
                Ok(actual) if actual == sha => "matches".to_owned(),
                Ok(_) => "DOES NOT MATCH".to_owned(),
                Err(why) => why,
            };
            say!("           message {archive}  sha256 {sha}  ({check})");
        }
    }
    Ok(damaged_code(&broken))
}

fn export(
    source: &Source,
    path: &Path,
    json: bool,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (entries, broken) = read(path)?;
    warn_damaged(source, &broken);
    let rows = rows(&ledger(&entries));
    let mut out: Box<dyn Write> = match output {
        Some(file) => Box::new(
            std::fs::File::create(file)
                .with_context(|| format!("cannot create {}", file.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    if json {
        for row in &rows {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")?;
        }
    } else {
        out.write_all("\u{feff}".as_bytes())?;
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record([
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
        ])?;
        for r in &rows {
            let record = [
                r.key.clone(),
                r.organisation.clone(),
                r.to.join("; "),
                r.state.clone(),
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
            ];
            writer.write_record(record.iter().map(|cell| neutralise(cell)))?;
        }
        writer.flush()?;
    }
    if let Some(file) = output {
        eprintln!("wrote {} recipients to {}", rows.len(), file.display());
    }
    Ok(damaged_code(&broken))
}

/// OWASP CSV injection: a cell a spreadsheet would read as a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
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
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Sở Y tế"), "Sở Y tế");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn checkpoints_are_64_hex_digits_in_either_case() {
        let head = "ca5930758ead4f75208c20aee9716d6cfe8dfbc02634f295ca07de8d765e726c";
        assert_eq!(checkpoint_hash(head).unwrap(), head);
        assert_eq!(checkpoint_hash(&head.to_uppercase()).unwrap(), head);
        for bad in [
            "",
            "deadbeef",
            &head[1..],
            &format!("{head}0"),
            &head.replace('c', "g"),
        ] {
            assert!(checkpoint_hash(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn archive_paths_stay_inside_the_campaign() {
        assert!(safe_join(Path::new("/c"), "archive/x/a.eml").is_some());
        assert!(safe_join(Path::new("/c"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/c"), "/etc/passwd").is_none());
    }
}
