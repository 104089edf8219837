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
//! them the next letter or a retry that is due; `lock` holds the campaign.

mod deliver;
mod lock;
mod plan;
mod queue;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, bail};

use self::deliver::{Delivery, StopSignal, deliver};
use self::lock::Lock;
use self::plan::{Pipeline, Planned, Work, cores, produce};
use crate::archive::Archive;
use crate::clock;
use crate::config::{Config, Rate};
use crate::delivery_log::{self, Body, Reason};
use crate::dispatch::{Directory, Relay};
use crate::ledger::{Ledger, State};
use crate::merge;
use crate::message::{self, Redirect};
use crate::problem::Problem;
use crate::recipients::{self, KeySource, Recipient, Table};
use crate::report::{self, ExitCode, Stopped};

/// What the operator asked of `send`, flags resolved against `[sending]`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    pub yes: bool,
    pub limit: Option<usize>,
    pub only: Vec<String>,
    pub redirect_to: Option<String>,
    pub retry_failed: bool,
    pub resend_unknown: Vec<String>,
    pub concurrency: usize,
    pub rate: Rate,
    pub quiet: bool,
    /// How the operator named the campaign and list, to print the command that resumes.
    pub resume_args: Vec<String>,
}

/// `letterpost check`.
pub fn check(config: &Config) -> anyhow::Result<ExitCode> {
    let (pipeline, mut table) = match Pipeline::load(config, clock::now()) {
        Ok(loaded) => loaded,
        Err(problems) => return Ok(refuse(&problems, "nothing was sent or written")),
    };
    match pipeline.plan(&mut table, false, None)? {
        Err(problems) => Ok(refuse(&problems, "nothing was sent or written")),
        Ok(rows) => {
            say!(
                "{}: {} recipients; every letter and appendix renders; no problems found",
                pipeline.csv,
                rows.count
            );
            Ok(ExitCode::Success)
        }
    }
}

fn refuse(problems: &[Problem], what: &str) -> ExitCode {
    report::problems(problems, what);
    ExitCode::CouldNotStart
}

/// `letterpost preview [ROW] [--html FILE] [--eml FILE]`.
pub fn preview(
    config: &Config,
    row: Option<&str>,
    html: Option<&Path>,
    eml: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (pipeline, mut table) = match Pipeline::load(config, clock::now()) {
        Ok(loaded) => loaded,
        Err(problems) => return Ok(refuse(&problems, "nothing was written")),
    };
    let wanted = |r: &Recipient| match row {
        None => true,
        Some(row) => row.parse::<u64>().is_ok_and(|line| r.line == line) || r.key == row,
    };
    while let Some(next) = table.next_row() {
        let recipient = match next {
            Ok(recipient) if wanted(&recipient) => recipient,
            Ok(_) => continue,
            Err(problems) => {
                let here = row.is_none_or(|row| {
                    problems
                        .iter()
                        .any(|p| p.line.map(|l| l.to_string()).as_deref() == Some(row))
                });
                if here {
                    return Ok(refuse(&problems, "nothing was written"));
                }
                continue;
            }
        };
        let rendered = match pipeline.templates.render(&recipient, &pipeline.csv) {
            Ok(rendered) => rendered,
            Err(problem) => return Ok(refuse(&[problem], "nothing was written")),
        };
        let letter = message::build(&pipeline.sender, &recipient, &rendered, None, None)?;
        if let Some(path) = html {
            std::fs::write(path, &rendered.html)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote the HTML part to {}", path.display());
        }
        if let Some(path) = eml {
            std::fs::write(path, &letter.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote the message to {}", path.display());
        }
        if html.is_none() && eml.is_none() {
            let to = recipient
                .to
                .iter()
                .map(|a| format!("{} <{a}>", recipient.organisation))
                .collect::<Vec<_>>();
            say!("From:       {}", config.from);
            say!("To:         {}", to.join(", "));
            if !recipient.cc.is_empty() {
                say!(
                    "Cc:         {}",
                    recipient
                        .cc
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            say!("Subject:    {}", rendered.subject);
            say!(
                "Attachment: {} ({} bytes)",
                config.templates.appendix_filename,
                rendered.appendix.len()
            );
            say!("Message-ID: {}", letter.message_id);
            say!("Row:        {} (key {})", recipient.line, recipient.key);
            say!("{}", "-".repeat(72));
            print!("{}", String::from_utf8_lossy(&rendered.text));
        }
        return Ok(ExitCode::Success);
    }
    match row {
        Some(row) => bail!(
            "no recipient in {} has line number or key `{row}`",
            pipeline.csv
        ),
        None => bail!("{} has no recipients", pipeline.csv),
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// `letterpost send` and `letterpost send --dry-run`.
pub fn send(config: &Config, options: &Options) -> anyhow::Result<ExitCode> {
    let started = clock::now();
    let (pipeline, mut table) = match Pipeline::load(config, started) {
        Ok(loaded) => loaded,
        Err(problems) => return Ok(refuse(&problems, "nothing was sent or written")),
    };
    let _lock = Lock::acquire(config)?;
    if options.dry_run {
        return dry_run(&pipeline, &mut table, options);
    }
    let run = run_id(started);
    let redirect = redirect(options, &run)?;
    let planned = match pipeline.plan(&mut table, true, redirect.as_ref())? {
        Ok(rows) => rows.planned,
        Err(problems) => return Ok(refuse(&problems, "nothing was sent or written")),
    };
    drop(table);

    let log_path = config.log_file();
    let (ledger, chain) = read_log(config)?;
    if redirect.is_none() {
        same_key_source(&pipeline, &ledger)?;
    }
    let selection = select(&planned, &ledger, options, redirect.is_some())?;
    if redirect.is_none() {
        no_second_letter(&pipeline, &planned, &ledger, &selection, options)?;
    }
    let open = ledger.open_attempts();
    if selection.jobs.is_empty() && open.is_empty() {
        say!("Nothing to send: {}.", selection.describe());
        return Ok(final_report(
            config, &planned, &ledger, None, options, false,
        ));
    }
    for line in changed_inputs(&pipeline, &ledger) {
        eprintln!("note: {line}");
    }
    if let Some(secs) = config.source_date_epoch {
        eprintln!(
            "note: SOURCE_DATE_EPOCH is set: every letter is dated {} instead of now, and the delivery \
             log records that",
            clock::rfc3339(clock::message_date(started, Some(secs)))
        );
    }

    let password =
        crate::config::smtp_password(&config.smtp).map_err(|e| e.context("cannot send"))?;
    let relay = Relay::new(config.smtp.clone(), password, config.from.email.domain())?;
    if !confirm(&relay, &selection, options)? {
        eprintln!("Nothing was sent.");
        return Ok(ExitCode::CouldNotStart);
    }
    unchanged_since_read(&pipeline)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.concurrency.clamp(1, 4))
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let archive = Archive::open(config.archive_dir(), config.show(&config.archive_dir()))
        .map_err(|e| Stopped(format!("{e:#}")))?;
    let stop = StopSignal::new();
    let (letters, received) = tokio::sync::mpsc::channel::<Work>(options.concurrency * 4);
    let outcome = std::thread::scope(|scope| {
        scope.spawn(|| {
            produce(
                &pipeline,
                options.concurrency,
                &archive,
                &selection.jobs,
                redirect.as_ref(),
                &stop,
                letters,
            )
        });
        runtime.block_on(deliver(Delivery {
            pipeline: &pipeline,
            relay,
            options,
            run: run.clone(),
            redirect: redirect.is_some(),
            jobs: selection.jobs.len(),
            skipped: selection.skipped,
            pending: selection.pending,
            letters: received,
            stop: stop.clone(),
            open,
            chain,
            sent_times: ledger.sent_times,
        }))
    })?;

    // Letters went out: from here on a failure means "stopped early", not "could not start".
    let mut ledger = Ledger::for_sending();
    let mut settled_now = HashSet::new();
    let replayed = delivery_log::replay(&log_path, |_, record| {
        ledger.add(record);
        if record.run == run {
            match &record.body {
                Body::Accepted(e) | Body::Rejected(e) | Body::Unknown(e) => {
                    settled_now.insert(e.key.clone());
                }
                Body::Deferred(e) => {
                    settled_now.remove(&e.key);
                }
                _ => {}
            }
        }
    })
    .map_err(|e| Stopped(format!("{e:#}")))?;
    if let Err(broken) = replayed {
        return Err(Stopped(format!("the delivery log reads back damaged at {broken}")).into());
    }
    let stopped = outcome.stopped.is_some();
    let code = if redirect.is_some() {
        test_report(&outcome.counts, selection.jobs.len(), stopped)
    } else {
        let this_run = Some(&outcome.counts);
        final_report(config, &planned, &ledger, this_run, options, stopped)
    };
    say!(
        "Log head: {} (keep it: `letterpost log verify --checkpoint {}` proves the log was not rewritten)",
        outcome.head,
        outcome.head
    );
    if let Some(why) = outcome.stopped {
        eprintln!("Stopped early: {why}");
        let remaining: Vec<&str> = selection
            .jobs
            .iter()
            .map(|j| j.key.as_str())
            .filter(|k| !settled_now.contains(*k))
            .collect();
        match resume_command(options, &remaining) {
            Some(command) => eprintln!("To resume, run: {command}"),
            None => {
                eprintln!("Every letter this run chose was settled; nothing is left to resume.")
            }
        }
        return Ok(ExitCode::Stopped);
    }
    Ok(code)
}

/// The test mailbox of `--redirect-to`, if any.
fn redirect(options: &Options, run: &str) -> anyhow::Result<Option<Redirect>> {
    let Some(addr) = &options.redirect_to else {
        return Ok(None);
    };
    let to = recipients::parse_addresses(addr)
        .ok()
        .and_then(|list| (list.len() == 1).then(|| list[0].clone()))
        .with_context(|| format!("--redirect-to `{addr}` is not one email address"))?;
    Ok(Some(Redirect {
        to,
        run: run.to_owned(),
    }))
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
        eprintln!(
            "warning: the last line of {} was never finished (the machine stopped while writing it); \
             it was moved to {} and the log continues after the last complete record",
            config.show(&log_path),
            config.show(&aside)
        );
        ledger = Ledger::for_sending();
        replayed = delivery_log::replay(&log_path, |_, entry| ledger.add(entry))?;
    }
    match replayed {
        Ok(chain) => Ok((ledger, chain)),
        Err(broken) => Err(Stopped(format!(
            "the delivery log {} is damaged at {broken}; nothing was sent. Run `letterpost log verify` \
             and keep a copy of the log for the auditor before doing anything else",
            config.show(&log_path)
        ))
        .into()),
    }
}

/// Refuses a list whose keys come from somewhere else than the keys in the log: a renamed or
/// deleted `id` column would give every organisation a new key, and resume matches letters by
/// key, so every letter already accepted would go out again.
fn same_key_source(pipeline: &Pipeline, ledger: &Ledger) -> anyhow::Result<()> {
    let Some(logged) = ledger.key_source.as_deref().map(KeySource::parse) else {
        return Ok(()); // A log from before key sources were recorded: the address check remains.
    };
    let now = &pipeline.key_source;
    if now.same_as(&logged) {
        return Ok(());
    }
    let csv = &pipeline.csv;
    let (was, is, fix) = match (&logged, now) {
        (KeySource::Column(old), KeySource::FirstAddress) => (
            format!("by the column `{old}`"),
            format!("{csv} has no such column, so each row's key would be its first address"),
            format!(
                "put the column `{old}` back in {csv} (any letter case will do), or name the column \
                 that holds those keys in campaign.toml: [recipients.columns] id = \"…\""
            ),
        ),
        (KeySource::FirstAddress, KeySource::Column(new)) => (
            "by each row's first address (the list had no `id` column)".to_owned(),
            format!("{csv} now takes its keys from the column `{new}`"),
            format!(
                "remove or rename the column `{new}` so that the keys stay the first addresses"
            ),
        ),
        (KeySource::Column(old), new) => (
            format!("by the column `{old}`"),
            format!("{csv} now takes its keys from the column `{new}`"),
            format!(
                "give the key column back its name `{old}`, or map it in campaign.toml: \
                 [recipients.columns] id = \"{old}\""
            ),
        ),
        (KeySource::FirstAddress, KeySource::FirstAddress) => unreachable!("same source"),
    };
    bail!(
        "the delivery log knows each organisation {was}, but {is}. The keys would not match the \
         letters already sent, so organisations could get the letter twice; nothing was sent. To \
         go on, {fix}."
    )
}

/// Refuses to send a letter to an address that already accepted this campaign's letter under
/// another key (a key changed by hand, a row pasted with a new id): the organisation would get
/// the letter twice. An address that several rows of the list share (a common Cc) says nothing
/// about who a row is, and does not count. `--only KEY` sends such a letter on purpose.
fn no_second_letter(
    pipeline: &Pipeline,
    planned: &[Planned],
    ledger: &Ledger,
    selection: &Selection,
    options: &Options,
) -> anyhow::Result<()> {
    let mut accepted_by: HashMap<String, &str> = HashMap::new();
    for (key, r) in &ledger.recipients {
        if r.state == State::Accepted {
            for address in &r.addresses {
                accepted_by.insert(address.to_lowercase(), key);
            }
        }
    }
    if accepted_by.is_empty() {
        return Ok(());
    }
    let mut uses: HashMap<&str, u32> = HashMap::new();
    for address in planned.iter().flat_map(|p| &p.addresses) {
        *uses.entry(address).or_default() += 1;
    }
    let by_key: HashMap<&str, &Planned> = planned.iter().map(|p| (p.key.as_str(), p)).collect();
    let named: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let mut conflicts = Vec::new();
    for job in &selection.jobs {
        let p = by_key[job.key.as_str()];
        if named.contains(p.key.as_str()) {
            continue;
        }
        let earlier = p.addresses.iter().find_map(|a| {
            let other = *accepted_by.get(a)?;
            (uses[a.as_str()] == 1 && other != p.key).then_some((a, other))
        });
        if let Some((address, other)) = earlier {
            conflicts.push(format!(
                "  line {} (key `{}`): {address} already accepted the letter under the key `{other}`",
                p.line, p.key
            ));
        }
    }
    if conflicts.is_empty() {
        return Ok(());
    }
    let n = conflicts.len();
    if n > 10 {
        conflicts.truncate(10);
        conflicts.push(format!("  … and {} more", n - 10));
    }
    bail!(
        "{n} letter{} would go to an address that already has this campaign's letter, under \
         another key; nothing was sent:\n{}\nIf a row is the organisation that got the letter, give \
         it back its old key in {}. If it really is another organisation that shares the address, \
         send its letter on purpose with `letterpost send --only KEY`.",
        if n == 1 { "" } else { "s" },
        conflicts.join("\n"),
        pipeline.csv,
    )
}

/// Checks, just before the first letter, that no input changed since it was read and checked
/// (an edit made while the confirmation waited): the run would otherwise send letters built
/// from files that no longer say the same thing.
fn unchanged_since_read(pipeline: &Pipeline) -> anyhow::Result<()> {
    let config = pipeline.config;
    let mut read = vec![
        (config.config_file.clone(), config.config_sha256.clone()),
        (
            config.recipients.file.clone(),
            pipeline.source.sha256().to_owned(),
        ),
    ];
    read.extend(pipeline.templates.files().iter().cloned());
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
        Some(path) => Err(Stopped(format!(
            "{} changed after it was checked; nothing was sent. Run the command again: it checks the \
             new version first",
            config.show(path)
        ))
        .into()),
    }
}

fn dry_run(pipeline: &Pipeline, table: &mut Table, options: &Options) -> anyhow::Result<ExitCode> {
    let config = pipeline.config;
    let target = config.outbox_dir();
    let outbox = Directory::create(&target)?;
    let only: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let mut found: HashSet<&str> = HashSet::new();
    let mut selected = 0usize;
    let choose = |r: &Recipient| {
        if let Some(key) = only.get(r.key.as_str()) {
            found.insert(key);
        }
        let wanted = (only.is_empty() || only.contains(r.key.as_str()))
            && options.limit.is_none_or(|n| selected < n);
        selected += usize::from(wanted);
        wanted
    };
    let result = pipeline.each_row(table, cores(), false, choose, |row| {
        let letter = match pipeline.letter(row.recipient, None, None) {
            Ok(letter) => letter,
            Err(problem) => {
                outbox.record(row.index, None)?;
                return Ok(Err(problem));
            }
        };
        outbox.record(row.index, row.chosen.then_some(&letter))?;
        Ok(Ok(()))
    });
    let rows = match result {
        Ok(Ok(rows)) => rows,
        Ok(Err(problems)) => {
            outbox.discard();
            return Ok(refuse(&problems, "nothing was sent or written"));
        }
        Err(e) => {
            outbox.discard();
            return Err(e);
        }
    };
    let missing: Vec<&str> = only.difference(&found).copied().collect();
    if !missing.is_empty() {
        outbox.discard();
        return Err(no_such_keys(&missing));
    }
    let written = outbox.commit()?;
    say!(
        "Dry run: wrote {written} letters for {} recipients to {} (with manifest.jsonl); nothing was sent.",
        rows.count,
        config.show(&target)
    );
    Ok(ExitCode::Success)
}

fn check_only(planned: &[Planned], only: &[String]) -> anyhow::Result<()> {
    let keys: HashSet<&str> = planned.iter().map(|p| p.key.as_str()).collect();
    let missing: Vec<&str> = only
        .iter()
        .map(String::as_str)
        .filter(|k| !keys.contains(k))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(no_such_keys(&missing))
    }
}

fn no_such_keys(missing: &[&str]) -> anyhow::Error {
    let keys: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
    anyhow::anyhow!("--only: no recipient has the key {}", keys.join(", "))
}

/// What a run will send, decided from the log.
struct Selection {
    jobs: Vec<Job>,
    skipped: u64,
    pending: u64,
    accepted_before: u64,
    total: usize,
}

#[derive(Debug, Clone)]
struct Job {
    key: String,
    /// Attempts made in earlier runs.
    attempts: u32,
    reason: Option<Reason>,
    /// The Message-ID earlier attempts carried: every later try keeps it.
    message_id: Option<String>,
}

impl Selection {
    fn describe(&self) -> String {
        format!(
            "{} of {} recipients already accepted, {} left for an operator's decision",
            self.accepted_before,
            self.total,
            self.skipped - self.accepted_before
        )
    }
}

fn select(
    planned: &[Planned],
    ledger: &Ledger,
    options: &Options,
    test: bool,
) -> anyhow::Result<Selection> {
    check_only(planned, &options.only)?;
    let only: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let resend: HashSet<&str> = options.resend_unknown.iter().map(String::as_str).collect();
    for key in &resend {
        let state = planned
            .iter()
            .find(|p| p.key == *key)
            .map(|_| ledger.recipients.get(*key).map(|r| r.state));
        match state {
            None => bail!("--resend-unknown: no recipient has the key `{key}`"),
            Some(Some(State::Unknown)) => {}
            Some(other) => bail!(
                "--resend-unknown `{key}`: its delivery is not unknown (it is {}); nothing was sent",
                other.map_or("not attempted yet", State::as_str)
            ),
        }
    }
    let mut selection = Selection {
        jobs: Vec::new(),
        skipped: 0,
        pending: 0,
        accepted_before: 0,
        total: planned.len(),
    };
    for p in planned {
        if !only.is_empty() && !only.contains(p.key.as_str()) && !resend.contains(p.key.as_str()) {
            continue;
        }
        let history = if test {
            None
        } else {
            ledger.recipients.get(&p.key)
        };
        let attempts = history.map_or(0, |r| r.attempts);
        let reason = match history.map(|r| r.state) {
            None | Some(State::Deferred | State::Interrupted) => None,
            Some(State::Accepted) => {
                selection.accepted_before += 1;
                selection.skipped += 1;
                continue;
            }
            Some(State::Rejected) if options.retry_failed => Some(Reason::RetryFailed),
            Some(State::Unknown) if resend.contains(p.key.as_str()) => Some(Reason::ResendUnknown),
            Some(State::Rejected | State::Unknown) => {
                selection.skipped += 1;
                continue;
            }
        };
        if options.limit.is_some_and(|n| selection.jobs.len() >= n) {
            selection.pending += 1;
            continue;
        }
        let message_id = history.map(|r| r.message_id.clone());
        selection.jobs.push(Job {
            key: p.key.clone(),
            attempts,
            reason,
            message_id,
        });
    }
    Ok(selection)
}

/// Names what changed since the last run, from the fingerprints in its `run_started`.
fn changed_inputs(pipeline: &Pipeline, ledger: &Ledger) -> Vec<String> {
    let Some(Body::RunStarted(last)) = ledger.last_run.as_ref().map(|r| &r.body) else {
        return Vec::new();
    };
    let last = &last.inputs;
    let mut changed = Vec::new();
    for (name, input) in pipeline.inputs() {
        match last.get(&name) {
            Some(before) if before.sha256 != input.sha256 => changed.push(format!(
                "{} changed since the last run ({}); letters already accepted are not sent again",
                input.file,
                last_run_time(ledger)
            )),
            _ => {}
        }
    }
    changed
}

fn last_run_time(ledger: &Ledger) -> String {
    ledger
        .last_run
        .as_ref()
        .map_or_else(String::new, |e| format!("run {} at {}", e.run, e.time))
}

fn confirm(relay: &Relay, selection: &Selection, options: &Options) -> anyhow::Result<bool> {
    if options.yes {
        return Ok(true);
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        bail!(
            "a real send needs confirmation: run it at a terminal to be asked, or add --yes \
             (try `letterpost send --dry-run` first); nothing was sent"
        );
    }
    let what = match &options.redirect_to {
        Some(to) => format!("TEST-send {} letters to {to}", selection.jobs.len()),
        None => format!("Send {} letters", selection.jobs.len()),
    };
    eprint!("{what} through {}? Type yes to send: ", relay.describe());
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "yes" | "y" | "có" | "co"
    ))
}

/// The summary at the end: the whole campaign's state from the log (whatever this run chose),
/// what this run did, and every organisation not accepted with the reply and what to do. The
/// exit code speaks for what the operator asked of this run: the `--only` keys, else the list.
fn final_report(
    config: &Config,
    planned: &[Planned],
    ledger: &Ledger,
    this_run: Option<&delivery_log::Counts>,
    options: &Options,
    stopped: bool,
) -> ExitCode {
    let only: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let asked = |p: &Planned| only.is_empty() || only.contains(p.key.as_str());
    let (mut accepted, mut not_yet) = (0, 0);
    let mut problems = Vec::new();
    let mut asked_ok = true;
    for p in planned {
        match ledger.recipients.get(&p.key) {
            Some(r) if r.state == State::Accepted => accepted += 1,
            None => {
                not_yet += 1;
                asked_ok &= !asked(p);
            }
            Some(r) => {
                problems.push((p, r));
                asked_ok &= !asked(p);
            }
        }
    }
    say!(
        "Campaign {}: {accepted} of {} recipients accepted, {} not accepted, {not_yet} not sent yet.",
        config.id,
        planned.len(),
        problems.len()
    );
    if let Some(c) = this_run {
        say!(
            "This run: {} accepted, {} rejected, {} deferred, {} unknown.",
            c.accepted,
            c.rejected,
            c.deferred,
            c.unknown
        );
    }
    if !problems.is_empty() {
        say!("Not accepted:");
        for (p, r) in &problems {
            let reply = r
                .last
                .as_deref()
                .and_then(|l| l.body.outcome())
                .map(|(_, e)| e.reply_or_error())
                .unwrap_or_default();
            say!(
                "  {} (line {}, {}): {} — {}. {}",
                p.key,
                p.line,
                p.organisation,
                r.state,
                reply,
                r.state.next_action(&p.key)
            );
        }
    }
    if stopped {
        ExitCode::Stopped
    } else if asked_ok {
        ExitCode::Success
    } else {
        ExitCode::Partial
    }
}

/// The end of a test send: what the relay did with the test letters of this run, which count
/// for nothing in the campaign.
fn test_report(counts: &delivery_log::Counts, jobs: usize, stopped: bool) -> ExitCode {
    say!(
        "Test send: {} of {jobs} test letters accepted by the relay ({} rejected, {} deferred, {} unknown); \
         test letters never count as delivered.",
        counts.accepted,
        counts.rejected,
        counts.deferred,
        counts.unknown
    );
    if stopped {
        ExitCode::Stopped
    } else if counts.accepted < jobs as u64 {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

/// The command that finishes what a stopped run was asked to do, and nothing more. A plain
/// selection is recomputed from the log by the next run, so its flags are enough; a run cut by
/// `--limit`, a test send (which the log never counts) or a resend names exactly the letters it
/// did not settle. `None` when nothing is left.
fn resume_command(options: &Options, remaining: &[&str]) -> Option<String> {
    let exact = options.limit.is_some()
        || options.redirect_to.is_some()
        || !options.resend_unknown.is_empty();
    if exact && remaining.is_empty() {
        return None;
    }
    let mut words = vec!["letterpost".to_owned()];
    words.extend(options.resume_args.iter().cloned());
    words.push("send".to_owned());
    if let Some(to) = &options.redirect_to {
        words.extend(["--redirect-to".to_owned(), to.clone()]);
    }
    if exact {
        let resend: HashSet<&str> = options.resend_unknown.iter().map(String::as_str).collect();
        let (again, only): (Vec<&str>, Vec<&str>) =
            remaining.iter().partition(|k| resend.contains(**k));
        if !only.is_empty() {
            words.push("--only".to_owned());
            words.extend(only.iter().map(|k| (*k).to_owned()));
        }
        if !again.is_empty() {
            words.push("--resend-unknown".to_owned());
            words.extend(again.iter().map(|k| (*k).to_owned()));
        }
    } else if !options.only.is_empty() {
        words.push("--only".to_owned());
        words.extend(options.only.iter().cloned());
    }
    if options.retry_failed {
        words.push("--retry-failed".to_owned());
    }
    words.extend(["--concurrency".to_owned(), options.concurrency.to_string()]);
    words.extend(["--rate".to_owned(), options.rate.to_string()]);
    Some(
        words
            .iter()
            .map(|w| report::shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

pub(super) fn describe_options(options: &Options) -> String {
    let mut parts = Vec::new();
    if let Some(n) = options.limit {
        parts.push(format!("--limit {n}"));
    }
    if !options.only.is_empty() {
        parts.push(format!("--only {}", options.only.join(" ")));
    }
    if let Some(to) = &options.redirect_to {
        parts.push(format!("--redirect-to {to}"));
    }
    if options.retry_failed {
        parts.push("--retry-failed".to_owned());
    }
    if !options.resend_unknown.is_empty() {
        parts.push(format!(
            "--resend-unknown {}",
            options.resend_unknown.join(" ")
        ));
    }
    parts.push(format!("--concurrency {}", options.concurrency));
    parts.push(format!("--rate {}", options.rate));
    parts.join(" ")
}

/// The login name of whoever runs letterpost: `$USER`/`$LOGNAME`, else the name of the process's
/// user id in /etc/passwd, else `uid N`.
pub(super) fn operator() -> String {
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
    {
        return name;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(uid) = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
    else {
        return "unknown".to_owned();
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map_or_else(|| format!("uid {uid}"), |f| f[0].to_owned())
}

fn run_id(started: SystemTime) -> String {
    let stamp = clock::rfc3339(started)
        .replace([':', '-'], "")
        .replace(".", "");
    let salt = message::sha256_hex(format!("{stamp}{}", std::process::id()).as_bytes());
    format!("{}-{}", &stamp[..15], &salt[..6])
}
