//! The pipeline, in order: check every row, then deliver; the only module that knows that order,
//! and the one that decides, from the delivery log, what a run sends (resume).
//!
//! A run has two phases. The *plan* reads and renders every row (a dry run also builds and
//! writes each letter) and stops with every problem if there is one: nothing is sent, and a
//! dry run's unfinished outbox is thrown away. The *delivery* reads
//! the rows again (the list is streamed, never held) and hands each letter to the outbox chosen
//! once at the start: the dry-run folder, or the SMTP relay with the delivery log. For SMTP,
//! every record is durable before the network step it announces: `attempt` before MAIL FROM,
//! `data` before the first byte of the message, the outcome after the server's reply.
//!
//! It does not parse CSV, render, build MIME or speak SMTP itself: it calls the stages that do.
//! `plan` reads, renders and builds on every core; `deliver` runs the SMTP workers; `queue` hands
//! them the next letter or a retry that is due; `lock` holds the campaign. What it tells the
//! operator is worded in `locales/*/send.ftl`.

mod deliver;
mod job;
mod limit;
mod plan;
mod policy;
mod queue;
mod select;
mod stop;
mod summary;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, bail};

use self::deliver::Delivery;
use self::job::Planned;
use self::plan::{Outbox, Pipeline, cores};
use self::select::{Choice, Destination, Selection};
use crate::attachments::Part;
use crate::clock;
use crate::config::{Config, SendOptions};
use crate::delivery_log::{self, Body, Outcome};
use crate::dispatch::{Directory, Relay};
use crate::error::{Error, Stop};
use crate::ledger::Ledger;
use crate::lock::Lock;
use crate::merge;
use crate::message;
use crate::problem::Problem;
use crate::recipients::{self, Recipient, Table};
use crate::report::ExitCode;

/// `letterpost check`.
pub fn check(config: &Config) -> Result<ExitCode, Error> {
    let (pipeline, mut table) = match Pipeline::load(config, clock::now()) {
        Ok(loaded) => loaded,
        Err(problems) => return Err(refuse(problems, t!("send-nothing-sent-or-written"))),
    };
    match pipeline.plan(&mut table, false, None)? {
        Err(problems) => Err(refuse(problems, t!("send-nothing-sent-or-written"))),
        Ok(rows) => {
            list_pdfs(&pipeline);
            warn_unfinished_document(config);
            say!(
                "{}",
                t!(
                    "send-check-passed",
                    list = &pipeline.list,
                    count = rows.count
                )
            );
            Ok(ExitCode::Success)
        }
    }
}

/// Every PDF attached as a file, with the signatures it carries (signer and time, as the
/// file says), so the clerk sees before sending whether it is the signed file meant.
fn list_pdfs(pipeline: &Pipeline) {
    for (file, signatures) in pipeline.attachments.pdfs() {
        if signatures.is_empty() {
            say!("{}", t!("attach-pdf-unsigned", file = &file));
        }
        for s in signatures {
            let unknown = || t!("attach-pdf-unknown");
            say!(
                "{}",
                t!(
                    "attach-pdf-signed",
                    file = &file,
                    signer = s.signer.unwrap_or_else(unknown),
                    time = s.time.unwrap_or_else(unknown)
                )
            );
        }
    }
}

/// The `[document]` keys still empty or a placeholder.
fn unfinished_document(config: &Config) -> Vec<&'static str> {
    config
        .templates
        .document
        .as_ref()
        .map(merge::Document::unfinished)
        .unwrap_or_default()
}

/// A warning on stderr when `[document]` is not filled in yet (a check, a dry run, a test send).
fn warn_unfinished_document(config: &Config) {
    let keys = unfinished_document(config);
    if !keys.is_empty() {
        tell!(
            "{}",
            t!(
                "send-document-unfinished-warning",
                file = config.show(&config.config_file),
                keys = keys.join(", ")
            )
        );
    }
}

/// The input problems that refuse a run, and what did not happen because of them.
fn refuse(problems: Vec<Problem>, untouched: String) -> Error {
    Error::input(problems, untouched)
}

/// `letterpost preview [ROW] [--html FILE] [--eml FILE]`.
pub fn preview(
    config: &Config,
    row: Option<&str>,
    html: Option<&Path>,
    eml: Option<&Path>,
    pdf: Option<&Path>,
) -> Result<ExitCode, Error> {
    let (pipeline, mut table) = match Pipeline::load(config, clock::now()) {
        Ok(loaded) => loaded,
        Err(problems) => return Err(refuse(problems, t!("send-nothing-written"))),
    };
    let recipient = match find_row(&mut table, row) {
        Some(Ok(recipient)) => recipient,
        Some(Err(problems)) => return Err(refuse(problems, t!("send-nothing-written"))),
        None => match row {
            Some(row) => {
                return Err(anyhow::anyhow!(t!(
                    "send-preview-no-such-row",
                    list = &pipeline.list,
                    unit = pipeline.source.row_kind(),
                    row = row
                ))
                .into());
            }
            None => {
                return Err(
                    anyhow::anyhow!(t!("send-preview-empty", list = &pipeline.list)).into(),
                );
            }
        },
    };
    let rendered = match pipeline.templates.render(&recipient, &pipeline.source) {
        Ok(rendered) => rendered,
        Err(problem) => return Err(refuse(vec![problem], t!("send-nothing-written"))),
    };
    let parts = match pipeline
        .attachments
        .parts(&pipeline.templates, &recipient, &pipeline.source)
    {
        Ok(parts) => parts,
        Err(problem) => return Err(refuse(vec![problem], t!("send-nothing-written"))),
    };
    let letter = message::build(&pipeline.sender, &recipient, &rendered, &parts, None, None)?;
    if let Some(path) = html {
        std::fs::write(path, &rendered.html)
            .with_context(|| t!("send-cannot-write", file = path.display()))?;
        eprintln!("{}", t!("send-wrote-html", file = path.display()));
    }
    if let Some(path) = eml {
        std::fs::write(path, &letter.bytes)
            .with_context(|| t!("send-cannot-write", file = path.display()))?;
        eprintln!("{}", t!("send-wrote-message", file = path.display()));
    }
    if let Some(path) = pdf {
        let documents: Vec<&Part> = parts.iter().filter(|p| p.typeset).collect();
        if documents.is_empty() {
            return Err(anyhow::anyhow!(t!("send-preview-no-document")).into());
        }
        for (i, document) in documents.into_iter().enumerate() {
            let path = numbered(path, i);
            std::fs::write(&path, &document.bytes)
                .with_context(|| t!("send-cannot-write", file = path.display()))?;
            eprintln!("{}", t!("send-wrote-pdf", file = path.display()));
        }
    }
    if html.is_none() && eml.is_none() && pdf.is_none() {
        show_letter(config, &recipient, &rendered, &parts, &letter);
    }
    Ok(ExitCode::Success)
}

/// `path` for the first document, then `path` with `-2`, `-3`… before its extension.
fn numbered(path: &Path, i: usize) -> PathBuf {
    if i == 0 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{}.{}", i + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", i + 1),
    };
    path.with_file_name(name)
}

/// The row `row` names (a line number or a key; the first row when none), or the problems of
/// that row. Problems of other rows do not matter to a preview.
fn find_row(table: &mut Table, row: Option<&str>) -> Option<Result<Recipient, Vec<Problem>>> {
    let wanted = |r: &Recipient| match row {
        None => true,
        Some(row) => row.parse::<u64>().is_ok_and(|line| r.line == line) || r.key == row,
    };
    while let Some(next) = table.next_row() {
        match next {
            Ok(recipient) if wanted(&recipient) => return Some(Ok(recipient)),
            Ok(_) => {}
            Err(problems) => {
                let here = row.is_none_or(|row| {
                    problems
                        .iter()
                        .any(|p| p.line.map(|l| l.to_string()).as_deref() == Some(row))
                });
                if here {
                    return Some(Err(problems));
                }
            }
        }
    }
    None
}

/// A letter at the terminal: its headers as a person reads them, then the plain-text part.
fn show_letter(
    config: &Config,
    recipient: &Recipient,
    rendered: &merge::Rendered,
    parts: &[Part],
    letter: &message::Letter,
) {
    let to: Vec<String> = recipient
        .to
        .iter()
        .map(|a| format!("{} <{a}>", recipient.organisation))
        .collect();
    say!("From:       {}", config.from);
    say!("To:         {}", to.join(", "));
    if !recipient.cc.is_empty() {
        let cc: Vec<String> = recipient.cc.iter().map(ToString::to_string).collect();
        say!("Cc:         {}", cc.join(", "));
    }
    say!("Subject:    {}", rendered.subject);
    if config.templates.appendix.is_some() {
        say!(
            "{}",
            t!(
                "send-preview-attachment",
                file = &config.templates.appendix_filename,
                bytes = rendered.appendix.len()
            )
        );
    }
    for part in parts {
        say!(
            "{}",
            t!(
                "send-preview-attachment",
                file = &part.name,
                bytes = part.bytes.len()
            )
        );
    }
    say!("Message-ID: {}", letter.message_id);
    say!(
        "{}",
        t!(
            "send-preview-row",
            line = recipient.line,
            key = &recipient.key
        )
    );
    say!("{}", "-".repeat(72));
    // The letter as the terminal shows it: a cell's escape sequence is written out, not obeyed.
    print!(
        "{}",
        crate::visible::visible_lines(&String::from_utf8_lossy(&rendered.text))
    );
}

/// `letterpost send` and `letterpost send --dry-run`, as a list of phases.
pub fn send(config: &Config, options: &SendOptions) -> Result<ExitCode, Error> {
    let started = clock::now();
    let (pipeline, mut table) = match Pipeline::load(config, started) {
        Ok(loaded) => loaded,
        Err(problems) => return Err(refuse(problems, t!("send-nothing-sent-or-written"))),
    };
    if options.dry_run || options.redirect_to.is_some() {
        warn_unfinished_document(config);
    } else {
        let keys = unfinished_document(config);
        if !keys.is_empty() {
            let problem = Problem::new(
                config.show(&config.config_file),
                t!("send-document-unfinished", keys = keys.join(", ")),
            );
            return Err(refuse(vec![problem], t!("send-nothing-sent-or-written")));
        }
    }
    if options.dry_run {
        let _lock = Lock::acquire(config)?;
        return dry_run(&pipeline, &mut table, options);
    }
    let run = delivery_log::run_id(started);
    let destination = Destination::of(options, &run);
    let planned = match pipeline.plan(&mut table, true, destination.redirect())? {
        Ok(rows) => rows.planned,
        Err(problems) => return Err(refuse(problems, t!("send-nothing-sent-or-written"))),
    };
    drop(table);
    // Only now, with every row checked: nothing is written, not even the lock file, while any
    // input problem remains.
    let _lock = Lock::acquire(config)?;
    let (ledger, chain) = read_log(config)?;
    let selection = choose(&pipeline, &planned, &ledger, options, &destination)?;
    let open = ledger.open_attempts();
    if selection.jobs.is_empty() && open.is_empty() {
        say!(
            "{}",
            t!("send-nothing-to-send", selection = selection.describe())
        );
        return Ok(summary::final_report(
            config, &planned, &ledger, None, options, false,
        ));
    }
    if !options.quiet {
        tell_before_sending(&pipeline, &ledger, started);
    }
    let password = config
        .smtp_password()
        .map_err(|e| e.context(t!("send-cannot-send")))?;
    let relay = Relay::new(config.smtp.clone(), password, config.from.email.domain())?;
    if !confirm(&relay, &selection, options)? {
        tell!("{}", t!("send-nothing-was-sent"));
        return Ok(ExitCode::CouldNotStart);
    }
    unchanged_since_read(&pipeline)?;
    let delivery = Delivery {
        pipeline: &pipeline,
        relay,
        options,
        run,
        destination,
        selection: &selection,
        open,
        chain,
        sent_times: ledger.sent_times,
    };
    let outcome = deliver::run(delivery)?;
    after_run(config, &planned, &selection, options, outcome)
}

/// What this run sends: the selection from the log and the flags, and (for a real send) the
/// two guards against sending a letter twice when keys changed.
fn choose(
    pipeline: &Pipeline,
    planned: &[Planned],
    ledger: &Ledger,
    options: &SendOptions,
    destination: &Destination,
) -> anyhow::Result<Selection> {
    if let Destination::Campaign = destination {
        select::same_key_source(&pipeline.list, &pipeline.key_source, ledger)?;
    }
    let selection = select::select(planned, ledger, options, destination)?;
    if let Destination::Campaign = destination {
        select::no_second_letter(&pipeline.list, planned, ledger, &selection, options)?;
    }
    Ok(selection)
}

/// The notes a send prints before it asks (not with `-q`): inputs changed since the last run, a
/// fixed `Date:`.
fn tell_before_sending(pipeline: &Pipeline, ledger: &Ledger, started: SystemTime) {
    for line in summary::changed_inputs(pipeline, ledger) {
        tell!("{}", t!("send-note", note = line));
    }
    if let Some(secs) = pipeline.config.source_date_epoch {
        let date = clock::rfc3339(clock::message_date(started, Some(secs)));
        tell!("{}", t!("send-note-source-date-epoch", date = date));
    }
}

/// The end of a run that sent: the summary from the log read back, the head hash, and after a
/// stop the command that resumes exactly what was left.
fn after_run(
    config: &Config,
    planned: &[Planned],
    selection: &Selection,
    options: &SendOptions,
    outcome: deliver::Delivered,
) -> Result<ExitCode, Error> {
    // Letters went out: from here on a failure means "stopped early", not "could not start".
    let mut ledger = Ledger::for_sending();
    let mut settled_now = HashSet::new();
    let replayed = delivery_log::replay(&config.log_file(), |_, record| {
        ledger.add(record);
        if record.run == outcome.run {
            match &record.body {
                Body::Ended {
                    outcome: Outcome::Deferred,
                    ending,
                } => {
                    settled_now.remove(&ending.key);
                }
                Body::Ended { ending, .. } => {
                    settled_now.insert(ending.key.clone());
                }
                _ => {}
            }
        }
    })
    .map_err(|e| Stop::by(&e))?;
    if let Err(broken) = replayed {
        let damaged = t!("send-log-damaged-after-run", place = broken.described());
        return Err(Stop::new(damaged).into());
    }
    let stopped = outcome.stopped.is_some();
    let code = if options.redirect_to.is_some() {
        summary::test_report(&outcome.counts, selection.jobs.len(), stopped)
    } else {
        let this_run = Some(&outcome.counts);
        summary::final_report(config, planned, &ledger, this_run, options, stopped)
    };
    say!("{}", t!("send-log-head", head = &outcome.head));
    let Some(why) = outcome.stopped else {
        return Ok(code);
    };
    let remaining: Vec<&str> = selection
        .jobs
        .iter()
        .map(|j| j.key.as_str())
        .filter(|k| !settled_now.contains(*k))
        .collect();
    let resume = options.resumed(&remaining).map(|o| o.command());
    Err(Stop::Early {
        why: why.said,
        resume,
    }
    .into())
}

/// The delivery log's state and chain. A torn last line (the machine stopped while writing it)
/// is set aside, and the log continues after the last complete record; any other damage stops
/// the run before anything is sent.
fn read_log(config: &Config) -> anyhow::Result<(Ledger, delivery_log::Chain)> {
    let log_path = config.log_file();
    let mut ledger = Ledger::for_sending();
    let mut replayed = delivery_log::replay(&log_path, |_, entry| ledger.add(entry))?;
    if let Err(broken) = &replayed
        && broken.damage == delivery_log::Damage::Torn
    {
        let aside = delivery_log::set_aside_torn_tail(&log_path, broken.offset)?;
        tell!(
            "{}",
            t!(
                "send-torn-tail",
                log = config.show(&log_path),
                aside = config.show(&aside)
            )
        );
        ledger = Ledger::for_sending();
        replayed = delivery_log::replay(&log_path, |_, entry| ledger.add(entry))?;
    }
    match replayed {
        Ok(chain) => Ok((ledger, chain)),
        Err(broken) => Err(Stop::new(t!(
            "send-log-damaged",
            log = config.show(&log_path),
            place = broken.described()
        ))
        .into()),
    }
}

/// Checks, just before the first letter, that no input changed since it was read and checked
/// (an edit made while the confirmation waited): the run would otherwise send letters built
/// from files that no longer say the same thing.
fn unchanged_since_read(pipeline: &Pipeline) -> anyhow::Result<()> {
    let config = pipeline.config;
    let read = pipeline.files_read();
    let listed = merge::template_files(&config.templates).unwrap_or_default();
    let new_template = listed
        .iter()
        .find(|path| !pipeline.templates.files().iter().any(|(p, _)| p == *path));
    let changed = read
        .iter()
        .find(
            |(path, sha256)| match recipients::sha256_of_regular_file(path) {
                Ok(Some(now)) => &now != sha256,
                // Not a regular file (a FIFO): read once, it has no later state to compare.
                Ok(None) => false,
                Err(_) => true,
            },
        )
        .map(|(path, _)| path)
        .or(new_template);
    match changed {
        None => Ok(()),
        Some(path) => Err(Stop::new(t!("send-input-changed", file = config.show(path))).into()),
    }
}

/// The dry-run folder as an outbox: every letter written as `<key>.eml`, the manifest in list
/// order.
impl Outbox for Directory {
    fn put(&self, index: usize, letter: Option<crate::message::Letter>) -> anyhow::Result<()> {
        self.record(index, letter.as_ref())
    }
}

/// `send --dry-run`: one pass that checks every row and writes the chosen letters into a staging
/// folder, put in place of the outbox only when every row passed.
fn dry_run(
    pipeline: &Pipeline,
    table: &mut Table,
    options: &SendOptions,
) -> Result<ExitCode, Error> {
    let config = pipeline.config;
    let target = config.outbox_dir();
    let outbox = Directory::create(&target)?;
    let mut choice = Choice::new(options);
    let asked: HashSet<&str> = options.pick.named().collect();
    let mut found: HashSet<String> = HashSet::new();
    let choose = |r: &Recipient| {
        if asked.contains(r.key.as_str()) {
            found.insert(r.key.clone());
        }
        choice.named(&r.key) && choice.take()
    };
    let result = pipeline.fill(table, cores(), choose, true, None, &outbox);
    let rows = match result {
        Ok(Ok(rows)) => rows,
        Ok(Err(problems)) => {
            outbox.discard();
            return Err(refuse(problems, t!("send-nothing-sent-or-written")));
        }
        Err(e) => {
            outbox.discard();
            return Err(e.into());
        }
    };
    if let Err(e) = Choice::new(options).unknown_keys(&found.iter().map(String::as_str).collect()) {
        outbox.discard();
        return Err(e.into());
    }
    let written = outbox.commit()?;
    say!(
        "{}",
        t!(
            "send-dry-run-done",
            written = written,
            count = rows.count,
            outbox = config.show(&target)
        )
    );
    Ok(ExitCode::Success)
}

fn confirm(relay: &Relay, selection: &Selection, options: &SendOptions) -> anyhow::Result<bool> {
    if options.yes {
        return Ok(true);
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        bail!(t!("send-needs-confirmation"));
    }
    let (count, relay) = (selection.jobs.len(), relay.describe());
    let question = match &options.redirect_to {
        Some(to) => t!(
            "send-confirm-test",
            count = count,
            to = to.to_string(),
            relay = relay
        ),
        None => t!("send-confirm", count = count, relay = relay),
    };
    // `yes` is the answer in every language; `có` is the same answer in Vietnamese.
    eprint!("{} ", crate::visible::visible_lines(&question));
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .with_context(|| t!("send-cannot-read-answer"))?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "yes" | "y" | "có" | "co"
    ))
}
