//! Reading, rendering and building letters on every core: the check of every row before a
//! send, the dry run's letters, and the producer that feeds the SMTP workers (with the archiver
//! that makes stored letters durable in batches).
//!
//! It decides nothing about who gets a letter: `send` passes in what to choose, and the
//! workers in `deliver` decide what happens on the wire. The problems it finds, and why it
//! stops a run (a `Stop`, recorded in English), are worded in `locales/*/send.ftl`.
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use super::job::{Planned, Work};
use super::select::Job;
use super::stop::{Stop, StopSignal};
use crate::archive::Archive;
use crate::attachments::{self, Attachments, Part};
use crate::clock;
use crate::config::Config;
use crate::delivery_log;
use crate::merge::{self, Templates};
use crate::message::{self, Letter, Redirect, Sender};
use crate::order::InOrder;
use crate::problem::Problem;
use crate::recipients::{self, KeySource, Recipient, Table};

/// The merge stages, loaded once from inputs read once: the open list's header decided which
/// columns exist, and every pass over the list reads the same bytes.
pub(super) struct Pipeline<'c> {
    pub(super) config: &'c Config,
    /// The list as a person names it: its file, and for a workbook its sheet.
    pub(super) list: String,
    pub(super) source: recipients::Source,
    pub(super) templates: Templates,
    /// The `[[attachments]]`, with every file they read.
    pub(super) attachments: Attachments,
    pub(super) sender: Sender,
    /// Which column the list's keys come from.
    pub(super) key_source: KeySource,
}

impl<'c> Pipeline<'c> {
    /// Opens the list and loads the templates; `started` sets the messages' Date.
    pub(super) fn load(
        config: &'c Config,
        started: SystemTime,
    ) -> Result<(Pipeline<'c>, Table), Vec<Problem>> {
        let source = recipients::read(&config.recipients, &config.show(&config.recipients.file))?;
        let mut table = source.table(&config.recipients)?;
        let show = |p: &Path| config.show(p);
        let date = clock::message_date(started, config.source_date_epoch);
        let loaded = merge::load(
            &config.templates,
            &config.subject,
            &attachments::templates(&config.attachments),
            &table.column_names(),
            &show,
            date,
        )
        .and_then(|templates| {
            let attachments =
                Attachments::load(&config.attachments, &templates, &source, &config.root)?;
            Ok((templates, attachments))
        });
        let (templates, attachments) = loaded.map_err(|mut problems| {
            // Every problem at once: the rows' own problems too, though none can be rendered.
            while let Some(row) = table.next_row() {
                problems.extend(row.err().unwrap_or_default());
            }
            problems
        })?;
        let sender = Sender {
            campaign: config.id.clone(),
            from: config.from.clone(),
            appendix_filename: config
                .templates
                .appendix
                .as_ref()
                .map(|_| config.templates.appendix_filename.clone()),
            date,
            return_path: config.tracking.return_path.clone(),
            mdn: config.tracking.mdn,
        };
        let key_source = table.key_source();
        Ok((
            Pipeline {
                config,
                list: source.describe(),
                source,
                templates,
                attachments,
                sender,
                key_source,
            },
            table,
        ))
    }

    /// A new pass over the list, from its first row.
    pub(super) fn table(&self) -> Result<Table, Vec<Problem>> {
        self.source.table(&self.config.recipients)
    }

    /// The fingerprint of every input as it was read: campaign.toml, the list, each template.
    pub(super) fn inputs(&self) -> Vec<(String, delivery_log::Input)> {
        let config = self.config;
        let input = |path: &Path, sha256: &str| delivery_log::Input {
            file: config.show(path),
            sha256: sha256.to_owned(),
        };
        let mut inputs = vec![
            (
                "config".to_owned(),
                input(&config.config_file, &config.config_sha256),
            ),
            (
                "recipients".to_owned(),
                input(&config.recipients.file, self.source.sha256()),
            ),
        ];
        for (path, sha256) in self.templates.files() {
            inputs.push((config.show(path), input(path, sha256)));
        }
        inputs
    }

    /// The attachments the same for every letter, as `run_started` records them.
    pub(super) fn shared_attachments(&self) -> Vec<delivery_log::AttachmentHash> {
        self.attachments
            .shared(&self.templates, &self.source)
            .into_iter()
            .map(|p| delivery_log::AttachmentHash {
                name: (!p.name.is_empty()).then_some(p.name),
                file: p.source,
                sha256: p.sha256,
            })
            .collect()
    }

    /// Every input file read (campaign.toml, the list, the templates, the attachments) with
    /// the SHA-256 of what was read.
    pub(super) fn files_read(&self) -> Vec<(std::path::PathBuf, String)> {
        let config = self.config;
        let mut read = vec![
            (config.config_file.clone(), config.config_sha256.clone()),
            (
                config.recipients.file.clone(),
                self.source.sha256().to_owned(),
            ),
        ];
        read.extend(self.templates.files().iter().cloned());
        read.extend(self.attachments.files_read());
        read
    }

    /// Renders and builds one letter; `logged_id` keeps the Message-ID the log holds for it.
    pub(super) fn letter(
        &self,
        recipient: &Recipient,
        redirect: Option<&Redirect>,
        logged_id: Option<&str>,
    ) -> Result<Letter, Problem> {
        let rendered = self.templates.render(recipient, &self.source)?;
        let parts = self.parts(recipient)?;
        let letter = self.build(recipient, &rendered, &parts, redirect, logged_id)?;
        self.within_size(recipient, letter.bytes.len())?;
        Ok(letter)
    }

    /// The recipient's attachments, in order.
    fn parts(&self, recipient: &Recipient) -> Result<Vec<Part>, Problem> {
        self.attachments
            .parts(&self.templates, recipient, &self.source)
    }

    /// A message over `[sending] max_message_size` is a problem on its row.
    fn within_size(&self, recipient: &Recipient, size: usize) -> Result<(), Problem> {
        let max = self.config.sending.max_message_size;
        if size as u64 > max {
            return Err(self.source.row_problem(
                recipient.line,
                t!("send-message-too-large", size = size, max = max),
            ));
        }
        Ok(())
    }

    /// `message::build`, its failure a problem on the recipient's row.
    fn build(
        &self,
        recipient: &Recipient,
        rendered: &merge::Rendered,
        parts: &[Part],
        redirect: Option<&Redirect>,
        logged_id: Option<&str>,
    ) -> Result<Letter, Problem> {
        message::build(
            &self.sender,
            recipient,
            rendered,
            parts,
            redirect,
            logged_id,
        )
        .map_err(|e| {
            self.source.row_problem(
                recipient.line,
                t!("send-cannot-build", error = e.to_string()),
            )
        })
    }

    /// Reads every row and hands each valid one to `work`, on every core at once: rows are
    /// read one at a time in list order, and `choose` is asked about each in that order (so a
    /// limit is deterministic), then the rows are rendered and built in parallel. Collects every
    /// problem. Returns how many rows there are and, with `keep`, each row's key in list order
    /// (without it, memory stays flat however long the list); or every problem in line order.
    pub(super) fn each_row(
        &self,
        table: &mut Table,
        threads: usize,
        keep: bool,
        mut choose: impl FnMut(&Recipient) -> bool + Send,
        work: impl Fn(Chosen<'_>) -> anyhow::Result<Result<(), Problem>> + Sync,
    ) -> anyhow::Result<Result<Rows, Vec<Problem>>> {
        let reader = Mutex::new((table, 0usize, &mut choose));
        let collected = Mutex::new(Collected::default());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| work_on_rows(&reader, &collected, keep, &work));
            }
        });
        collected
            .into_inner()
            .expect("collected")
            .into_rows(&self.source)
    }

    /// Reads every row, renders every letter and builds its message as the send will, through
    /// the same `message::build` (the check before any send: whatever could stop a send because
    /// of the input stops here), and writes nothing. The bodies are left out of that build: a
    /// body is base64 in lines of 76 whatever its text, so it cannot stop a send, and encoding
    /// every body twice (here and when the letter goes) would cost a send a sixth of its time.
    pub(super) fn plan(
        &self,
        table: &mut Table,
        keep: bool,
        redirect: Option<&Redirect>,
    ) -> anyhow::Result<Result<Rows, Vec<Problem>>> {
        self.each_row(
            table,
            cores(),
            keep,
            |_| false,
            |row| {
                let recipient = row.recipient;
                let checked = self
                    .templates
                    .render(recipient, &self.source)
                    .and_then(|rendered| {
                        let parts = self.parts(recipient)?;
                        let headers_only = merge::Rendered {
                            subject: rendered.subject.clone(),
                            text: Vec::new(),
                            html: Vec::new(),
                            appendix: Vec::new(),
                        };
                        let no_bytes: Vec<Part> = parts
                            .iter()
                            .map(|p| Part {
                                bytes: std::sync::Arc::from(&[][..]),
                                ..p.clone()
                            })
                            .collect();
                        let letter =
                            self.build(recipient, &headers_only, &no_bytes, redirect, None)?;
                        let size = message::full_size(&letter, &rendered, &parts);
                        self.within_size(recipient, size)
                    });
                Ok(checked)
            },
        )
    }
}

/// The rows `each_row` shares between its threads: the table, the next position, and the choice.
type Reader<'t, C> = Mutex<(&'t mut Table, usize, &'t mut C)>;

/// What `each_row`'s threads found, together.
#[derive(Default)]
struct Collected {
    count: usize,
    planned: Vec<(usize, Planned)>,
    problems: Vec<Problem>,
    fatal: Option<anyhow::Error>,
}

impl Collected {
    /// The rows in list order, or every problem in line order (an empty list is one).
    fn into_rows(self, list: &recipients::Source) -> anyhow::Result<Result<Rows, Vec<Problem>>> {
        let Collected {
            count,
            mut planned,
            mut problems,
            fatal,
        } = self;
        if let Some(fatal) = fatal {
            return Err(fatal);
        }
        planned.sort_by_key(|(index, _)| *index);
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        if count == 0 && problems.is_empty() {
            problems.push(list.problem(t!("send-list-empty")));
        }
        Ok(if problems.is_empty() {
            Ok(Rows {
                count,
                planned: planned.into_iter().map(|(_, p)| p).collect(),
            })
        } else {
            Err(problems)
        })
    }
}

/// One of `each_row`'s threads: takes the next row (in list order, asking `choose` about it),
/// works on it, and collects what came of it, until the rows run out or a fatal error.
fn work_on_rows<C: FnMut(&Recipient) -> bool>(
    reader: &Reader<'_, C>,
    collected: &Mutex<Collected>,
    keep: bool,
    work: &(impl Fn(Chosen<'_>) -> anyhow::Result<Result<(), Problem>> + Sync),
) {
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
            let chosen = row.as_ref().is_ok_and(&mut **choose);
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
            Ok(Ok(())) => {
                c.count += 1;
                if keep {
                    c.planned.push((index, Planned::from(recipient)));
                }
            }
        }
    }
}

/// The processor's cores, for CPU-bound stages.
pub(super) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// What `each_row` learned: how many rows, and (when asked to keep them) each row's key.
pub(super) struct Rows {
    pub(super) count: usize,
    pub(super) planned: Vec<Planned>,
}

/// One row handed to `each_row`'s work: its position in the list, the recipient, and whether
/// `choose` picked it.
pub(super) struct Chosen<'r> {
    pub(super) index: usize,
    pub(super) recipient: &'r Recipient,
    pub(super) chosen: bool,
}

/// Where built letters go, position by position in list order: the dry-run folder, or the
/// archive and the queue of the SMTP workers. One interface, so the same pass over the list
/// (`Pipeline::fill`) feeds both.
pub(super) trait Outbox: Sync {
    /// The Message-ID the delivery log already holds for a key: every later try keeps it.
    fn logged_id(&self, _key: &str) -> Option<&str> {
        None
    }

    /// Settles position `index` of the list: its letter, or `None` when the row was not chosen
    /// (or its letter could not be built).
    fn put(&self, index: usize, letter: Option<Letter>) -> anyhow::Result<()>;
}

impl Pipeline<'_> {
    /// Reads every row and builds the chosen ones' letters on `threads` threads, handing every
    /// position to `outbox`; every problem is collected, as in the plan. With `check_all`, the
    /// rows not chosen are built too (and dropped), so a pass that is also the check (the dry
    /// run) finds every problem.
    pub(super) fn fill(
        &self,
        table: &mut Table,
        threads: usize,
        choose: impl FnMut(&Recipient) -> bool + Send,
        check_all: bool,
        redirect: Option<&Redirect>,
        outbox: &dyn Outbox,
    ) -> anyhow::Result<Result<Rows, Vec<Problem>>> {
        self.each_row(table, threads, false, choose, |row| {
            if !row.chosen && !check_all {
                outbox.put(row.index, None)?;
                return Ok(Ok(()));
            }
            let logged_id = outbox.logged_id(&row.recipient.key);
            match self.letter(row.recipient, redirect, logged_id) {
                Ok(letter) => {
                    outbox.put(row.index, row.chosen.then_some(letter))?;
                    Ok(Ok(()))
                }
                Err(problem) => {
                    outbox.put(row.index, None)?;
                    Ok(Err(problem))
                }
            }
        })
    }
}

/// The SMTP side of `Outbox`: each letter stored in the archive, put back in list order, made
/// durable in batches by the archiver, then handed to the workers with what the log says of
/// its earlier tries.
struct ToRelay<'a> {
    jobs: HashMap<&'a str, &'a Job>,
    archive: &'a Archive,
    order: InOrder<Work>,
    stored: std::sync::mpsc::SyncSender<Work>,
    stop: &'a StopSignal,
    test: bool,
    /// Jobs whose letter was not built yet.
    remaining: Mutex<HashSet<&'a str>>,
}

impl Outbox for ToRelay<'_> {
    fn logged_id(&self, key: &str) -> Option<&str> {
        self.jobs.get(key)?.message_id.as_deref()
    }

    fn put(&self, index: usize, letter: Option<Letter>) -> anyhow::Result<()> {
        let queue = |work: Work| {
            self.stored
                .send(work)
                .map_err(|_| anyhow::Error::from(Halted))
        };
        let Some(letter) = letter else {
            return self.order.settle(index, None, queue);
        };
        if self.stop.reason().is_some() {
            return Err(Halted.into());
        }
        let job = self.jobs[letter.key.as_str()];
        self.remaining
            .lock()
            .expect("remaining")
            .remove(job.key.as_str());
        let archive = self
            .archive
            .store(&letter.key, &letter.sha256, &letter.bytes)?;
        let work = Work {
            letter,
            archive,
            attempts: job.attempts,
            reason: job.reason,
            test: self.test,
        };
        self.order.settle(index, Some(work), queue)
    }
}

/// The run is stopping (its stop was requested, or the archiver is gone): the producer stops
/// handing letters on. The stop's own reason is what is said and recorded, not this.
#[derive(Debug)]
struct Halted;

impl std::fmt::Display for Halted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped")
    }
}

impl std::error::Error for Halted {}

/// Reads the rows again (the same bytes the plan checked) and builds the selected letters on
/// every core, handing them to the workers. The plan built every one of them already, so
/// nothing should go wrong here; if anything does, the run stops.
pub(super) fn produce(
    pipeline: &Pipeline<'_>,
    workers: usize,
    archive: &Archive,
    jobs: &[Job],
    redirect: Option<&Redirect>,
    stop: &StopSignal,
    letters: tokio::sync::mpsc::Sender<Work>,
) {
    let changed = |problem: &Problem| stop.request(Stop::not_built_again(problem));
    let mut table = match pipeline.table() {
        Ok(table) => table,
        Err(problems) => return changed(&problems[0]),
    };
    let (stored, to_sync) = std::sync::mpsc::sync_channel::<Work>(64);
    let outbox = ToRelay {
        jobs: jobs.iter().map(|j| (j.key.as_str(), j)).collect(),
        archive,
        order: InOrder::new(),
        stored,
        stop,
        test: redirect.is_some(),
        remaining: Mutex::new(jobs.iter().map(|j| j.key.as_str()).collect()),
    };
    // Storing the archive waits on the file system more than on the processor: a few more
    // threads than cores keep the workers fed when the disk is busy. Not many more: each holds
    // letters being built, and with glibc each thread's freed memory stays with its arena
    // (eight threads peaked at 56-61 MB on a 20,000-letter send, four at 39 MB, two at 34 MB).
    let threads = cores().max(workers.min(4));
    let result = std::thread::scope(|scope| {
        scope.spawn(|| archiver(archive, to_sync, &letters, stop));
        let choose = |r: &Recipient| outbox.jobs.contains_key(r.key.as_str());
        let result = pipeline.fill(&mut table, threads, choose, false, redirect, &outbox);
        // The archiver ends once it has passed on what was queued.
        drop(outbox.stored);
        (result, outbox.remaining)
    });
    match result {
        (Ok(Ok(_)), remaining) => {
            let missing = remaining.into_inner().expect("remaining").len();
            if missing > 0 {
                stop.request(Stop::rows_missing(missing));
            }
        }
        (Ok(Err(problems)), _) => changed(&problems[0]),
        (Err(e), _) if stop.reason().is_none() => stop.request(Stop::error(&e)),
        (Err(_), _) => {}
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
            stop.request(Stop::error(&e));
            return;
        }
        for work in batch {
            if letters.blocking_send(work).is_err() {
                return;
            }
        }
    }
}
