//! The pipeline, in order: check every row, then deliver; the only module that knows that order,
//! and the one that decides, from the delivery log, what a run sends (resume).
//!
//! A run has two phases. The *plan* reads every row, renders and builds every letter, and
//! stops with every problem if there is one: nothing is written or sent. The *delivery* reads
//! the rows again (the list is streamed, never held) and hands each letter to the outbox chosen
//! once at the start: the dry-run folder, or the SMTP relay with the delivery log. For SMTP,
//! every record is durable before the network step it announces: `attempt` before MAIL FROM,
//! `data` before the first byte of the message, the outcome after the server's reply.
//!
//! It does not parse CSV, render, build MIME or speak SMTP itself: it calls the stages that do.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use lettre::Address;
use tokio::sync::watch;

use crate::clock;
use crate::config::{Config, Rate};
use crate::delivery_log::{self, Archive, Entry, Kind, Ledger, Log, State, Subject};
use crate::dispatch::{self, Directory, Failure, FailureKind, Relay};
use crate::merge::{self, Templates};
use crate::message::{self, Letter, Redirect, Sender};
use crate::order::InOrder;
use crate::problem::Problem;
use crate::recipients::{self, Recipient, Table};
use crate::report::{self, ExitCode, Progress, Stopped};

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

// ---------------------------------------------------------------------------------------------
// The plan

/// The merge stages, loaded once: the open list's header decided which columns exist.
struct Pipeline<'c> {
    config: &'c Config,
    csv: String,
    templates: Templates,
    sender: Sender,
}

/// What the plan learned about every row that the delivery needs.
struct Planned {
    key: String,
    line: u64,
    organisation: String,
}

impl<'c> Pipeline<'c> {
    /// Opens the list and loads the templates; `started` sets the messages' Date.
    fn load(
        config: &'c Config,
        started: SystemTime,
    ) -> Result<(Pipeline<'c>, Table), Vec<Problem>> {
        let csv = config.show(&config.recipients.file);
        let table = recipients::open(&config.recipients, &csv)?;
        let show = |p: &Path| config.show(p);
        let templates = merge::load(
            &config.templates,
            &config.subject,
            &table.column_names(),
            &show,
        )?;
        let sender = Sender {
            campaign: config.id.clone(),
            from: config.from.clone(),
            appendix_filename: config.templates.appendix_filename.clone(),
            date: clock::message_date(started),
        };
        Ok((
            Pipeline {
                config,
                csv,
                templates,
                sender,
            },
            table,
        ))
    }

    fn letter(
        &self,
        recipient: &Recipient,
        redirect: Option<&Redirect>,
    ) -> Result<Letter, Problem> {
        let rendered = self.templates.render(recipient, &self.csv)?;
        message::build(&self.sender, recipient, &rendered, redirect).map_err(|e| {
            Problem::new(&self.csv, format!("cannot build the message: {e}"))
                .at_line(recipient.line)
        })
    }

    /// Reads every row and hands each valid one to `work`, on every core at once: rows are
    /// read one at a time in list order, and `choose` is asked about each in that order (so a
    /// limit is deterministic), then the rows are rendered and built in parallel. Collects every
    /// problem. Returns every row's key, in list order, or every problem in line order.
    fn each_row(
        &self,
        table: &mut Table,
        threads: usize,
        mut choose: impl FnMut(&Recipient) -> bool + Send,
        work: impl Fn(Chosen<'_>) -> anyhow::Result<Result<(), Problem>> + Sync,
    ) -> anyhow::Result<Result<Vec<Planned>, Vec<Problem>>> {
        #[derive(Default)]
        struct Collected {
            planned: Vec<(usize, Planned)>,
            problems: Vec<Problem>,
            fatal: Option<anyhow::Error>,
        }
        let reader = Mutex::new((table, 0usize, &mut choose));
        let collected = Mutex::new(Collected::default());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        if collected.lock().expect("collected").fatal.is_some() {
                            return;
                        }
                        let (index, row, chosen) = {
                            let mut guard = reader.lock().expect("reader");
                            let (table, next, choose) = &mut *guard;
                            let Some(row) = table.next_row() else { return };
                            let index = *next;
                            *next += 1;
                            let chosen = row.as_ref().is_ok_and(&mut *choose);
                            (index, row, chosen)
                        };
                        let recipient = match row {
                            Ok(recipient) => recipient,
                            Err(found) => {
                                collected.lock().expect("collected").problems.extend(found);
                                continue;
                            }
                        };
                        let result = work(Chosen {
                            index,
                            recipient: &recipient,
                            chosen,
                        });
                        let mut c = collected.lock().expect("collected");
                        match result {
                            Err(fatal) => {
                                c.fatal.get_or_insert(fatal);
                            }
                            Ok(Err(problem)) => c.problems.push(problem),
                            Ok(Ok(())) => c.planned.push((
                                index,
                                Planned {
                                    key: recipient.key,
                                    line: recipient.line,
                                    organisation: recipient.organisation,
                                },
                            )),
                        }
                    }
                });
            }
        });
        let Collected {
            mut planned,
            mut problems,
            fatal,
        } = collected.into_inner().expect("collected");
        if let Some(fatal) = fatal {
            return Err(fatal);
        }
        planned.sort_by_key(|(index, _)| *index);
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        if planned.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                &self.csv,
                "the list has a header but no recipients",
            ));
        }
        Ok(if problems.is_empty() {
            Ok(planned.into_iter().map(|(_, p)| p).collect())
        } else {
            Err(problems)
        })
    }

    /// Reads and renders every row (the check before any send): nothing is built or written.
    fn plan(&self, table: &mut Table) -> anyhow::Result<Result<Vec<Planned>, Vec<Problem>>> {
        self.each_row(
            table,
            cores(),
            |_| false,
            |row| Ok(self.templates.render(row.recipient, &self.csv).map(drop)),
        )
    }
}

/// The processor's cores, for CPU-bound stages.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// One row handed to `each_row`'s work: its position in the list, the recipient, and whether
/// `choose` picked it.
struct Chosen<'r> {
    index: usize,
    recipient: &'r Recipient,
    chosen: bool,
}

/// `letterpost check`.
pub fn check(config: &Config) -> anyhow::Result<ExitCode> {
    let (pipeline, mut table) = match Pipeline::load(config, clock::now()) {
        Ok(loaded) => loaded,
        Err(problems) => return Ok(refuse(&problems, "nothing was sent or written")),
    };
    match pipeline.plan(&mut table)? {
        Err(problems) => Ok(refuse(&problems, "nothing was sent or written")),
        Ok(planned) => {
            say!(
                "{}: {} recipients; every letter and appendix renders; no problems found",
                pipeline.csv,
                planned.len()
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
        let letter = message::build(&pipeline.sender, &recipient, &rendered, None)?;
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
    let redirect = match &options.redirect_to {
        None => None,
        Some(addr) => {
            let to = recipients::parse_addresses(addr)
                .ok()
                .and_then(|list| (list.len() == 1).then(|| list[0].clone()))
                .with_context(|| format!("--redirect-to `{addr}` is not one email address"))?;
            Some(Redirect {
                to,
                run: run.clone(),
            })
        }
    };
    let planned = match pipeline.plan(&mut table)? {
        Ok(planned) => planned,
        Err(problems) => return Ok(refuse(&problems, "nothing was sent or written")),
    };
    let csv_sha256 = table.sha256();
    drop(table);

    let log_path = config.log_file();
    let mut ledger = Ledger::default();
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
        ledger = Ledger::default();
        replayed = delivery_log::replay(&log_path, |_, entry| ledger.add(entry))?;
    }
    let chain = match replayed {
        Ok(chain) => chain,
        Err(broken) => {
            return Err(Stopped(format!(
                "the delivery log {} is damaged at {broken}; nothing was sent. Run `letterpost log verify` \
                 and keep a copy of the log for the auditor before doing anything else",
                config.show(&log_path)
            ))
            .into());
        }
    };

    let selection = select(&planned, &ledger, options, redirect.is_some())?;
    let changed = changed_inputs(config, &ledger, &csv_sha256);
    let open: Vec<Entry> = if redirect.is_some() {
        Vec::new()
    } else {
        planned
            .iter()
            .filter_map(|p| ledger.recipients.get(&p.key))
            .filter(|r| matches!(r.state, State::Open { .. }))
            .map(|r| r.last.clone())
            .collect()
    };
    if selection.jobs.is_empty() && open.is_empty() {
        say!("Nothing to send: {}.", selection.describe());
        return Ok(final_report(config, &planned, &ledger, options, false));
    }
    for line in &changed {
        eprintln!("note: {line}");
    }

    let password =
        crate::config::smtp_password(&config.smtp).map_err(|e| e.context("cannot send"))?;
    let relay = Relay::new(config.smtp.clone(), password, config.from.email.domain())?;
    if !confirm(&relay, &selection, options)? {
        eprintln!("Nothing was sent.");
        return Ok(ExitCode::CouldNotStart);
    }

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
            run,
            redirect: redirect.is_some(),
            jobs: selection.jobs.len(),
            skipped: selection.skipped,
            pending: selection.pending,
            letters: received,
            stop: stop.clone(),
            open,
            chain,
            sent_times: ledger.sent_times,
            csv_sha256,
        }))
    })?;

    let mut ledger = Ledger::default();
    if let Err(broken) = delivery_log::replay(&log_path, |_, entry| ledger.add(entry))? {
        bail!("the delivery log reads back damaged at {broken}");
    }
    let code = final_report(
        config,
        &planned,
        &ledger,
        options,
        outcome.stopped.is_some(),
    );
    say!(
        "Log head: {} (keep it: `letterpost log verify --checkpoint {}` proves the log was not rewritten)",
        outcome.head,
        outcome.head
    );
    if let Some(why) = outcome.stopped {
        eprintln!("Stopped early: {why}");
        eprintln!("To resume, run: {}", resume_command(options));
        return Ok(ExitCode::Stopped);
    }
    Ok(code)
}

fn dry_run(pipeline: &Pipeline, table: &mut Table, options: &Options) -> anyhow::Result<ExitCode> {
    let config = pipeline.config;
    let target = config.outbox_dir();
    let outbox = Directory::create(&target)?;
    let only: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let mut selected = 0usize;
    let choose = |r: &Recipient| {
        let wanted = (only.is_empty() || only.contains(r.key.as_str()))
            && options.limit.is_none_or(|n| selected < n);
        selected += usize::from(wanted);
        wanted
    };
    let result = pipeline.each_row(table, cores(), choose, |row| {
        let letter = match pipeline.letter(row.recipient, None) {
            Ok(letter) => letter,
            Err(problem) => {
                outbox.record(row.index, None)?;
                return Ok(Err(problem));
            }
        };
        outbox.record(row.index, row.chosen.then_some(&letter))?;
        Ok(Ok(()))
    });
    let planned = match result {
        Ok(Ok(planned)) => planned,
        Ok(Err(problems)) => {
            outbox.discard();
            return Ok(refuse(&problems, "nothing was sent or written"));
        }
        Err(e) => {
            outbox.discard();
            return Err(e);
        }
    };
    check_only(&planned, &options.only)?;
    let written = outbox.commit()?;
    say!(
        "Dry run: wrote {written} letters for {} recipients to {} (with manifest.jsonl); nothing was sent.",
        planned.len(),
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
    if !missing.is_empty() {
        bail!(
            "--only: no recipient has the key {}",
            missing
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
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
    reason: Option<&'static str>,
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
            Some(Some(State::Unknown | State::Open { data: true })) => {}
            Some(other) => bail!(
                "--resend-unknown `{key}`: its delivery is not unknown (it is {}); nothing was sent",
                other.map_or("not attempted yet", State::name)
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
            None | Some(State::Deferred | State::Open { data: false }) => None,
            Some(State::Accepted) => {
                selection.accepted_before += 1;
                selection.skipped += 1;
                continue;
            }
            Some(State::Rejected) if options.retry_failed => Some("retry_failed"),
            Some(State::Unknown | State::Open { data: true })
                if resend.contains(p.key.as_str()) =>
            {
                Some("resend_unknown")
            }
            Some(State::Rejected | State::Unknown | State::Open { data: true }) => {
                selection.skipped += 1;
                continue;
            }
        };
        if options.limit.is_some_and(|n| selection.jobs.len() >= n) {
            selection.pending += 1;
            continue;
        }
        selection.jobs.push(Job {
            key: p.key.clone(),
            attempts,
            reason,
        });
    }
    Ok(selection)
}

/// Names what changed since the last run, from the fingerprints in its `run_started`.
fn changed_inputs(config: &Config, ledger: &Ledger, csv_sha256: &str) -> Vec<String> {
    let Some(last) = ledger.last_run.as_ref().and_then(|e| e.inputs.as_ref()) else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (name, input) in fingerprints(config, csv_sha256) {
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

fn fingerprints(config: &Config, csv_sha256: &str) -> Vec<(String, delivery_log::Input)> {
    config
        .input_files()
        .into_iter()
        .map(|(name, path)| {
            let sha256 = if name == "recipients" {
                csv_sha256.to_owned()
            } else {
                std::fs::read(path)
                    .map(|b| message::sha256_hex(&b))
                    .unwrap_or_default()
            };
            (
                name.to_owned(),
                delivery_log::Input {
                    file: config.show(path),
                    sha256,
                },
            )
        })
        .collect()
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

struct Delivery<'a> {
    pipeline: &'a Pipeline<'a>,
    relay: Relay,
    options: &'a Options,
    run: String,
    redirect: bool,
    jobs: usize,
    skipped: u64,
    pending: u64,
    letters: tokio::sync::mpsc::Receiver<Work>,
    stop: StopSignal,
    open: Vec<Entry>,
    chain: delivery_log::Chain,
    sent_times: Vec<SystemTime>,
    csv_sha256: String,
}

struct Delivered {
    head: String,
    stopped: Option<String>,
}

/// The SMTP phase: run_started, close what earlier runs left open, the workers, run_finished.
async fn deliver(d: Delivery<'_>) -> anyhow::Result<Delivered> {
    let config = d.pipeline.config;
    let log = Log::open(delivery_log::Opening {
        path: config.log_file(),
        run: d.run.clone(),
        chain: d.chain,
    })
    .map_err(|e| Stopped(format!("{e:#}")))?;
    let stop = d.stop.clone();
    stop.listen_for_signals();

    let inputs = fingerprints(config, &d.csv_sha256).into_iter().collect();
    log.append(Entry {
        kind: Kind::RunStarted,
        mode: Some(if d.redirect { "test" } else { "send" }.to_owned()),
        campaign: Some(config.id.clone()),
        operator: Some(operator()),
        host: Some(gethostname::gethostname().to_string_lossy().into_owned()),
        tool: Some(format!("letterpost {}", env!("CARGO_PKG_VERSION"))),
        inputs: Some(inputs),
        options: Some(describe_options(d.options)),
        ..Entry::default()
    })
    .await
    .map_err(|e| Stopped(format!("{e:#}")))?;

    for entry in &d.open {
        let Some(subject) = Subject::of(entry) else {
            continue;
        };
        let mut closing = Entry::about(
            if entry.kind == Kind::Data {
                Kind::Unknown
            } else {
                Kind::Deferred
            },
            &subject,
        );
        closing.stage = Some("interrupted".to_owned());
        closing.error = Some(if entry.kind == Kind::Data {
            format!(
                "run {} stopped after the message was sent and before the server's reply",
                entry.run
            )
        } else {
            format!("run {} stopped before the message was sent", entry.run)
        });
        log.append(closing)
            .await
            .map_err(|e| Stopped(format!("{e:#}")))?;
    }

    let jobs = d.jobs;
    let shared = Arc::new(Shared {
        log: log.clone(),
        relay: d.relay,
        stop: stop.clone(),
        limiter: Mutex::new(Limiter::new(d.options.rate, d.sent_times)),
        retries: config.sending.retries,
        retry_delay: config.sending.retry_delay,
        from: config.from.email.clone(),
        tally: Mutex::new(Tally::default()),
        progress: Mutex::new(Progress::new(jobs as u64, d.options.quiet)),
        connected_once: std::sync::atomic::AtomicBool::new(false),
    });

    // Letters come from the producer threads (the rows are streamed again) through `letters`.
    let rx = Arc::new(tokio::sync::Mutex::new(d.letters));
    let mut workers = Vec::new();
    for _ in 0..d.options.concurrency.min(jobs.max(1)) {
        let shared = shared.clone();
        let rx = rx.clone();
        workers.push(tokio::spawn(async move { worker(shared, rx).await }));
    }
    // Only the workers hold the receiver: when they stop, the producer's next send fails.
    drop(rx);

    for w in workers {
        w.await.context("a delivery worker failed")?;
    }
    shared.progress.lock().expect("progress").finish();
    let stopped = stop.reason();
    let tally = shared.tally.lock().expect("tally").clone();
    let counts = delivery_log::Counts {
        accepted: tally.accepted,
        rejected: tally.rejected,
        deferred: tally.deferred,
        unknown: tally.unknown,
        skipped: d.skipped,
        pending: d.pending + (jobs as u64).saturating_sub(tally.settled()),
    };
    let finished = log
        .append(Entry {
            kind: Kind::RunFinished,
            counts: Some(counts),
            stopped: stopped.clone(),
            ..Entry::default()
        })
        .await
        .map_err(|e| Stopped(format!("{e:#}")))?;
    Ok(Delivered {
        head: finished.hash.unwrap_or_default(),
        stopped,
    })
}

/// Streams the rows again and builds the selected letters on every core, handing them to the
/// workers. Anything that goes wrong here (the list changed under the run) stops the run.
fn produce(
    pipeline: &Pipeline<'_>,
    workers: usize,
    archive: &Archive,
    jobs: &[Job],
    redirect: Option<&Redirect>,
    stop: &StopSignal,
    letters: tokio::sync::mpsc::Sender<Work>,
) {
    let wanted: HashMap<&str, &Job> = jobs.iter().map(|j| (j.key.as_str(), j)).collect();
    let remaining = Mutex::new(wanted.keys().copied().collect::<HashSet<&str>>());
    let changed =
        |what: String| stop.request(format!("the recipient list changed during the run: {what}"));
    let mut table = match recipients::open(&pipeline.config.recipients, &pipeline.csv) {
        Ok(table) => table,
        Err(problems) => return changed(problems[0].to_string()),
    };
    // Letters are built and stored on every core, put back in list order, made durable in
    // batches by the archiver, then handed to the workers.
    let order = InOrder::new();
    let (stored, to_sync) = std::sync::mpsc::sync_channel::<Work>(64);
    let queue = move |work: Work| stored.send(work).map_err(|_| anyhow::anyhow!("stopped"));
    // Storing the archive waits on the file system more than on the processor: more threads
    // than cores keep the workers fed when the journal is busy.
    let threads = cores().max(workers.min(8));
    let result = std::thread::scope(|scope| {
        scope.spawn(|| archiver(archive, to_sync, &letters, stop));
        let result = pipeline.each_row(
            &mut table,
            threads,
            |r| wanted.contains_key(r.key.as_str()),
            |row| {
                if !row.chosen {
                    order.settle(row.index, None, &queue)?;
                    return Ok(Ok(()));
                }
                if stop.reason().is_some() {
                    bail!("stopped");
                }
                let letter = match pipeline.letter(row.recipient, redirect) {
                    Ok(letter) => letter,
                    Err(problem) => return Ok(Err(problem)),
                };
                let job = wanted[row.recipient.key.as_str()];
                remaining
                    .lock()
                    .expect("remaining")
                    .remove(job.key.as_str());
                let archive = archive.store(&letter.key, &letter.sha256, &letter.bytes)?;
                let work = Work {
                    letter,
                    archive,
                    attempts: job.attempts,
                    reason: job.reason,
                    test: redirect.is_some(),
                };
                order.settle(row.index, Some(work), &queue)?;
                Ok(Ok(()))
            },
        );
        drop(queue); // the archiver ends once it has passed on what was queued
        result
    });
    match result {
        Ok(Ok(_)) => {
            let missing = remaining.into_inner().expect("remaining").len();
            if missing > 0 {
                changed(format!("{missing} selected recipients are no longer in it"));
            }
        }
        Ok(Err(problems)) => changed(problems[0].to_string()),
        Err(e) if stop.reason().is_none() => stop.request(format!("{e:#}")),
        Err(_) => {}
    }
}

/// Makes stored letters durable a batch at a time (one `Archive::sync` for all that waited)
/// and passes them on to the workers: no worker ever writes an `attempt` naming a message that
/// is not on disk, and none waits for the archive's sync itself.
fn archiver(
    archive: &Archive,
    stored: std::sync::mpsc::Receiver<Work>,
    letters: &tokio::sync::mpsc::Sender<Work>,
    stop: &StopSignal,
) {
    while let Ok(first) = stored.recv() {
        let mut batch = vec![first];
        batch.extend(stored.try_iter());
        if let Err(e) = archive.sync() {
            stop.request(format!("{e:#}"));
            return;
        }
        for work in batch {
            if letters.blocking_send(work).is_err() {
                return;
            }
        }
    }
}

struct Work {
    letter: Letter,
    /// Where the producer stored the letter's bytes (relative to the campaign folder).
    archive: String,
    attempts: u32,
    reason: Option<&'static str>,
    test: bool,
}

/// What every worker shares.
struct Shared {
    log: Log,
    relay: Relay,
    stop: StopSignal,
    limiter: Mutex<Limiter>,
    retries: u32,
    retry_delay: Duration,
    from: Address,
    tally: Mutex<Tally>,
    progress: Mutex<Progress>,
    connected_once: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    accepted: u64,
    rejected: u64,
    deferred: u64,
    unknown: u64,
}

impl Tally {
    fn settled(&self) -> u64 {
        self.accepted + self.rejected + self.deferred + self.unknown
    }
}

/// How one letter ended in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Accepted,
    Rejected,
    Deferred,
    Unknown,
    /// Not attempted: the run stopped first.
    NotAttempted,
}

async fn worker(
    shared: Arc<Shared>,
    rx: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Work>>>,
) {
    let mut connection: Option<dispatch::Connection> = None;
    loop {
        if shared.stop.reason().is_some() {
            break;
        }
        let work = { rx.lock().await.recv().await };
        let Some(work) = work else { break };
        let settled = deliver_one(&shared, &mut connection, &work).await;
        let note = format!("{} {}", work.letter.key, settled_name(settled));
        {
            let mut tally = shared.tally.lock().expect("tally");
            match settled {
                Settled::Accepted => tally.accepted += 1,
                Settled::Rejected => tally.rejected += 1,
                Settled::Deferred => tally.deferred += 1,
                Settled::Unknown => tally.unknown += 1,
                Settled::NotAttempted => {}
            }
        }
        if settled != Settled::NotAttempted {
            shared.progress.lock().expect("progress").advance(&note);
        }
    }
    if let Some(c) = connection {
        c.close().await;
    }
}

fn settled_name(s: Settled) -> &'static str {
    match s {
        Settled::Accepted => "accepted",
        Settled::Rejected => "rejected",
        Settled::Deferred => "deferred",
        Settled::Unknown => "unknown",
        Settled::NotAttempted => "not attempted",
    }
}

/// One letter through every try this run allows. Every network step is preceded by its durable
/// record; any failure to write the log stops the run before the next network step.
async fn deliver_one(
    shared: &Shared,
    connection: &mut Option<dispatch::Connection>,
    work: &Work,
) -> Settled {
    let letter = &work.letter;
    let archive = &work.archive;
    let mut tries = 0;
    loop {
        if tries > 0 {
            let delay = backoff(shared.retry_delay, tries);
            if !shared.stop.sleep(delay).await {
                return Settled::Deferred;
            }
        }
        if shared.stop.reason().is_some() {
            return if tries == 0 {
                Settled::NotAttempted
            } else {
                Settled::Deferred
            };
        }
        tries += 1;
        let mut conn = match connection.take() {
            Some(conn) => conn,
            None => match connect(shared).await {
                Ok(conn) => conn,
                Err(()) => {
                    return if tries == 1 {
                        Settled::NotAttempted
                    } else {
                        Settled::Deferred
                    };
                }
            },
        };
        if !Limiter::acquire(&shared.limiter, &shared.stop).await {
            *connection = Some(conn);
            return if tries == 1 {
                Settled::NotAttempted
            } else {
                Settled::Deferred
            };
        }
        let subject = Subject {
            key: letter.key.clone(),
            row: letter.line,
            to: letter.envelope.iter().map(ToString::to_string).collect(),
            message_id: letter.message_id.clone(),
            sha256: letter.sha256.clone(),
            archive: archive.clone(),
            attempt: work.attempts + tries,
            test: work.test,
        };
        let mut attempt = Entry::about(Kind::Attempt, &subject);
        attempt.organisation = Some(letter.organisation.clone());
        attempt.reason = if tries == 1 {
            work.reason.map(str::to_owned)
        } else {
            None
        };
        if !record(shared, attempt).await {
            *connection = Some(conn);
            return Settled::NotAttempted;
        }

        if let Err(failure) = conn.begin(&shared.from, &letter.envelope).await {
            let kind = match failure.kind {
                FailureKind::Permanent => Kind::Rejected,
                _ => Kind::Deferred,
            };
            let fatal = failure.is_authentication();
            *connection = keep(conn, &failure).await;
            record_outcome(shared, &subject, kind, &failure);
            if fatal {
                shared.stop.request(format!(
                    "the relay refused to accept mail from us: {failure}"
                ));
                return settled_of(kind);
            }
            if kind == Kind::Deferred && tries <= shared.retries {
                continue;
            }
            return settled_of(kind);
        }

        if !record(shared, Entry::about(Kind::Data, &subject)).await {
            // The message was not sent; leave the transaction to the server's timeout.
            return Settled::NotAttempted;
        }
        match conn.finish(letter).await {
            Ok(reply) => {
                let mut accepted = Entry::about(Kind::Accepted, &subject);
                accepted.stage = Some("message".to_owned());
                accepted.smtp = Some(to_log_reply(&reply));
                *connection = Some(conn);
                shared.log.enqueue(accepted);
                return Settled::Accepted;
            }
            Err(failure) => {
                let kind = match failure.kind {
                    FailureKind::Permanent => Kind::Rejected,
                    FailureKind::Transient => Kind::Deferred,
                    _ => Kind::Unknown,
                };
                *connection = keep(conn, &failure).await;
                record_outcome(shared, &subject, kind, &failure);
                if kind == Kind::Unknown {
                    shared.progress.lock().expect("progress").println(&format!(
                        "warning: {}: the connection was lost after the letter was sent ({failure}); it may \
                         have arrived, so it will not be sent again automatically",
                        letter.key
                    ));
                }
                if kind == Kind::Deferred && tries <= shared.retries {
                    continue;
                }
                return settled_of(kind);
            }
        }
    }
}

fn settled_of(kind: Kind) -> Settled {
    match kind {
        Kind::Accepted => Settled::Accepted,
        Kind::Rejected => Settled::Rejected,
        Kind::Deferred => Settled::Deferred,
        _ => Settled::Unknown,
    }
}

/// After a failure, keeps the connection only if its state is known (RSET confirmed).
async fn keep(conn: dispatch::Connection, failure: &Failure) -> Option<dispatch::Connection> {
    if failure.connection_usable() {
        conn.reset().await
    } else {
        None
    }
}

/// Opens a connection. A failure here concerns the whole relay: authentication or TLS stop the
/// run at once; an unreachable relay stops it after a few tries.
async fn connect(shared: &Shared) -> Result<dispatch::Connection, ()> {
    let first = !shared
        .connected_once
        .load(std::sync::atomic::Ordering::SeqCst);
    let tries = if first { 1 } else { 3 };
    let mut last = None;
    for i in 0..tries {
        if i > 0 && !shared.stop.sleep(backoff(shared.retry_delay, i)).await {
            return Err(());
        }
        match shared.relay.connect().await {
            Ok(conn) => {
                shared
                    .connected_once
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                return Ok(conn);
            }
            Err(failure) => {
                let fatal = failure.is_authentication()
                    || matches!(
                        failure.kind,
                        FailureKind::Tls | FailureKind::Client | FailureKind::Permanent
                    );
                if fatal {
                    last = Some(failure);
                    break;
                }
                last = Some(failure);
            }
        }
    }
    let failure = last.expect("at least one try");
    let what = if failure.is_authentication() {
        "authentication failed"
    } else if failure.kind == FailureKind::Tls || failure.stage == dispatch::Stage::Starttls {
        "TLS could not be set up"
    } else {
        "the relay cannot be reached"
    };
    shared
        .stop
        .request(format!("{what}: {} {failure}", shared.relay.describe()));
    Err(())
}

async fn record(shared: &Shared, entry: Entry) -> bool {
    match shared.log.append(entry).await {
        Ok(_) => true,
        Err(e) => {
            shared.stop.request(format!(
                "{e:#}; no further letter is sent without its record"
            ));
            false
        }
    }
}

/// Records an outcome without waiting for the disk: nothing for this recipient follows it in
/// this run except a retry, whose `attempt` is awaited and, the log keeping order, makes this
/// record durable first. A write failure shows at that next record.
fn record_outcome(shared: &Shared, subject: &Subject, kind: Kind, failure: &Failure) {
    let mut entry = Entry::about(kind, subject);
    entry.stage = Some(failure.stage.as_str().to_owned());
    entry.smtp = failure.reply.as_ref().map(to_log_reply);
    entry.error = failure.error.clone();
    shared.log.enqueue(entry);
}

fn to_log_reply(reply: &dispatch::Reply) -> delivery_log::Reply {
    delivery_log::Reply {
        code: reply.code,
        enhanced: reply.enhanced.clone(),
        text: reply.text.clone(),
    }
}

/// The delay before try `n + 1`: `base * 2^(n-1)`, with ±25 % jitter, at most 15 minutes.
fn backoff(base: Duration, n: u32) -> Duration {
    let factor = 2f64.powi(n.saturating_sub(1).min(16) as i32);
    let jitter = 0.75 + fastrand::f64() * 0.5;
    Duration::from_secs_f64((base.as_secs_f64() * factor * jitter).min(900.0))
}

/// The rate limit, counted over the log's sends and this run's.
struct Limiter {
    rate: Rate,
    times: VecDeque<SystemTime>,
}

impl Limiter {
    fn new(rate: Rate, sent: Vec<SystemTime>) -> Limiter {
        let mut times: VecDeque<SystemTime> = sent.into();
        if let Rate::Limited { count, .. } = rate {
            while times.len() > count as usize {
                times.pop_front();
            }
        }
        Limiter { rate, times }
    }

    /// Waits until one more message fits in the window and takes its slot. False if stopped.
    async fn acquire(limiter: &Mutex<Limiter>, stop: &StopSignal) -> bool {
        loop {
            let wait = {
                let mut l = limiter.lock().expect("limiter");
                let Rate::Limited { count, per } = l.rate else {
                    return true;
                };
                let now = clock::now();
                while l
                    .times
                    .front()
                    .is_some_and(|t| now.duration_since(*t).unwrap_or_default() >= per)
                {
                    l.times.pop_front();
                }
                if l.times.len() < count as usize {
                    l.times.push_back(now);
                    return true;
                }
                let oldest = *l.times.front().expect("full window");
                (oldest + per).duration_since(now).unwrap_or_default()
            };
            if !stop.sleep(wait.max(Duration::from_millis(10))).await {
                return false;
            }
        }
    }
}

/// Why the run should stop taking letters, shared by every task.
#[derive(Clone)]
struct StopSignal {
    tx: Arc<watch::Sender<Option<String>>>,
}

impl StopSignal {
    fn new() -> StopSignal {
        StopSignal {
            tx: Arc::new(watch::channel(None).0),
        }
    }

    fn request(&self, why: String) {
        self.tx.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(why);
                true
            } else {
                false
            }
        });
    }

    fn reason(&self) -> Option<String> {
        self.tx.borrow().clone()
    }

    /// Sleeps for `d` unless asked to stop first; true if the whole delay passed.
    async fn sleep(&self, d: Duration) -> bool {
        let mut rx = self.tx.subscribe();
        if rx.borrow().is_some() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            _ = rx.changed() => false,
        }
    }

    /// Ctrl-C or SIGTERM: stop taking letters and settle what is in flight. A second one ends the
    /// process at once (what was in flight is then resolved by the next run).
    fn listen_for_signals(&self) {
        let stop = self.clone();
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminate = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                () = terminate => {},
            }
            eprintln!(
                "\nStopping: finishing the letters in flight (press Ctrl-C again to quit at once)…"
            );
            stop.request("interrupted by the operator".to_owned());
            let _ = tokio::signal::ctrl_c().await;
            eprintln!(
                "Quitting at once; the next run will sort out the letters that were in flight."
            );
            std::process::exit(ExitCode::Stopped as i32);
        });
    }
}

/// The summary at the end: every organisation not accepted, with the reply and what to do.
fn final_report(
    config: &Config,
    planned: &[Planned],
    ledger: &Ledger,
    options: &Options,
    stopped: bool,
) -> ExitCode {
    let only: HashSet<&str> = options.only.iter().map(String::as_str).collect();
    let test = options.redirect_to.is_some();
    let mut accepted = 0;
    let mut not_yet = 0;
    let mut problems = Vec::new();
    for p in planned
        .iter()
        .filter(|p| only.is_empty() || only.contains(p.key.as_str()))
    {
        match ledger.recipients.get(&p.key) {
            Some(r) if r.state == State::Accepted => accepted += 1,
            None => not_yet += 1,
            Some(r) => problems.push((p, r)),
        }
    }
    if test {
        say!("Test send finished; test letters never count as delivered.");
    }
    say!(
        "Campaign {}: {accepted} of {} recipients accepted, {} not accepted, {not_yet} not sent yet.",
        config.id,
        planned.len(),
        problems.len()
    );
    if !problems.is_empty() {
        say!("Not accepted:");
        for (p, r) in &problems {
            let reply = r
                .last
                .smtp
                .as_ref()
                .map(|s| format!("{} {}", s.code, s.text.replace('\n', " / ")))
                .or_else(|| r.last.error.clone())
                .unwrap_or_default();
            say!(
                "  {} (line {}, {}): {} — {}. {}",
                p.key,
                p.line,
                p.organisation,
                r.state.name(),
                reply,
                next_action(r.state, &p.key)
            );
        }
    }
    if stopped {
        ExitCode::Stopped
    } else if !problems.is_empty() && !test {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

/// What the operator can do about a recipient in `state`.
pub fn next_action(state: State, key: &str) -> String {
    match state {
        State::Accepted => "Nothing to do".to_owned(),
        State::Rejected => format!(
            "Fix the address in the list (or ask the organisation), then `letterpost send --retry-failed --only {key}`"
        ),
        State::Deferred | State::Open { data: false } => {
            "The next `letterpost send` tries it again".to_owned()
        }
        State::Unknown | State::Open { data: true } => format!(
            "Ask the organisation whether it arrived; if not, `letterpost send --resend-unknown {key}` (same Message-ID)"
        ),
    }
}

fn resume_command(options: &Options) -> String {
    let mut words = vec!["letterpost".to_owned()];
    words.extend(options.resume_args.iter().cloned());
    words.push("send".to_owned());
    if let Some(to) = &options.redirect_to {
        words.extend(["--redirect-to".to_owned(), to.clone()]);
    }
    if !options.only.is_empty() {
        words.push("--only".to_owned());
        words.extend(options.only.iter().cloned());
    }
    words.extend(["--concurrency".to_owned(), options.concurrency.to_string()]);
    words
        .iter()
        .map(|w| report::shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn describe_options(options: &Options) -> String {
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
    parts.push(format!(
        "--rate {}",
        match options.rate {
            Rate::Unlimited => "unlimited".to_owned(),
            Rate::Limited { count, per } => format!("{count}/{}s", per.as_secs()),
        }
    ));
    parts.join(" ")
}

/// The login name of whoever runs letterpost: `$USER`/`$LOGNAME`, else the name of the process's
/// user id in /etc/passwd, else `uid N`.
fn operator() -> String {
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

// ---------------------------------------------------------------------------------------------
// The campaign lock

/// `logs/<campaign>.lock`, held (an OS file lock) for the whole run; the kernel frees it if the
/// process dies, so a crash never leaves the campaign locked.
struct Lock {
    _file: File,
}

impl Lock {
    fn acquire(config: &Config) -> anyhow::Result<Lock> {
        use std::io::{Read, Seek, Write};
        let path = config.lock_file();
        let dir = path.parent().expect("logs folder");
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the campaign lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(Stopped(format!(
                    "campaign {} is in use by another letterpost run ({}); wait for it to finish",
                    config.id,
                    holder.trim()
                ))
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            gethostname::gethostname().to_string_lossy(),
            clock::rfc3339(clock::now())
        );
        file.set_len(0).ok();
        file.seek(std::io::SeekFrom::Start(0)).ok();
        let _ = file.write_all(holder.as_bytes());
        Ok(Lock { _file: file })
    }
}
