//! The SMTP phase of a real send: `run_started`, closing what earlier runs left open, one async
//! worker per connection (generic over `dispatch::Transport`), retries, waiting for the rate
//! limit (`limit`) and watching for a stop (`stop`), `run_finished`.
//!
//! A worker tries a letter once at a time. A deferred letter with tries left goes back to the
//! `queue` with a not-before time (`retry_delay` doubling, with jitter) and the worker moves on
//! to the next letter; whichever worker is free when the retry is due takes it. When only
//! retries are left, workers wait for the first one due (a stop ends the wait at once), and a
//! worker whose wait is long closes its idle connection.
//!
//! Every record is durable before the network step it announces (`attempt` before MAIL FROM,
//! `data` before the first byte of the message); outcomes are queued and made durable by the
//! next awaited record. It does not build letters (`plan` does), speak SMTP itself (`dispatch`
//! does) or decide what a failure means (`policy` does): it records what happened and does
//! what `policy` says. Its workers see only the settings they need (`Settings`), not the
//! campaign's `Config`.
//!
//! What the operator reads while it runs is worded in `locales/*/send.ftl`; why a run stopped
//! is a `Stop` (`stop`).
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use lettre::Address;

use super::job::Work;
use super::limit::{Limiter, Slot};
use super::plan::{Pipeline, produce};
use super::policy::{self, Verdict};
use super::queue::{self, Next, Queue, Turn};
use super::select::{Destination, Selection};
use super::stop::{Stop, StopSignal};
use super::summary::describe_options;
use crate::archive::Archive;
use crate::clock;
use crate::config::{Rate, SendOptions, operator};
use crate::delivery_log::{
    self, AttachmentHash, Body, Counts, Letter, Log, Outcome, RunFinished, RunStarted,
};
use crate::dispatch::{Failure, Relay, Session, Transport};
use crate::ledger::{Open, State};
use crate::report::{self, Progress, Stopped};
use crate::smtp::Stage;

/// Everything the SMTP phase needs: what to send, where, and the log's state.
pub(super) struct Delivery<'a> {
    pub(super) pipeline: &'a Pipeline<'a>,
    pub(super) relay: Relay,
    pub(super) options: &'a SendOptions,
    pub(super) run: String,
    pub(super) destination: Destination,
    pub(super) selection: &'a Selection,
    /// Attempts earlier runs left open, closed first.
    pub(super) open: Vec<Open>,
    pub(super) chain: delivery_log::Chain,
    pub(super) sent_times: Vec<SystemTime>,
}

pub(super) struct Delivered {
    pub(super) run: String,
    pub(super) head: String,
    pub(super) stopped: Option<Stop>,
    /// What this run did, as its `run_finished` record says.
    pub(super) counts: delivery_log::Counts,
}

/// What the async phase takes from the campaign's settings and the flags, read once before it
/// starts: the workers never see the `Config`.
struct Settings {
    log_file: PathBuf,
    concurrency: usize,
    rate: Rate,
    retries: u32,
    retry_delay: Duration,
    /// The envelope sender: the campaign's return path, where reports come back.
    from: Address,
    /// Whether to ask for delivery reports (where the relay offers them; never for a test).
    ask_dsn: bool,
    quiet: bool,
    diagnostics: bool,
}

/// The SMTP phase of a send: the producer threads build and archive the chosen letters while
/// the async workers deliver them.
pub(super) fn run(d: Delivery<'_>) -> anyhow::Result<Delivered> {
    let config = d.pipeline.config;
    let settings = Settings {
        log_file: config.log_file(),
        concurrency: d.options.concurrency,
        rate: d.options.rate,
        retries: config.sending.retries,
        retry_delay: config.sending.retry_delay,
        from: config.tracking.return_path.clone(),
        ask_dsn: config.tracking.dsn && d.destination.redirect().is_none(),
        quiet: d.options.quiet,
        diagnostics: d.options.diagnostics,
    };
    let concurrency = settings.concurrency;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(concurrency.clamp(1, 4))
        .enable_all()
        .build()
        .with_context(|| t!("send-cannot-start-runtime"))?;
    let archive = Archive::open(config.archive_dir(), config.show(&config.archive_dir()))
        .map_err(|e| Stopped::by(&e))?;
    let stop = StopSignal::new();
    let (letters, received) = tokio::sync::mpsc::channel::<Work>(concurrency * 4);
    let (pipeline, jobs) = (d.pipeline, &d.selection.jobs);
    let redirect = d.destination.redirect().cloned();
    let redirect = redirect.as_ref();
    let started = run_started(d.pipeline, d.options, &d.destination);
    let phase = Phase {
        settings,
        started,
        relay: d.relay,
        run: d.run,
        selection: d.selection,
        open: d.open,
        chain: d.chain,
        sent_times: d.sent_times,
    };
    std::thread::scope(|scope| {
        let (archive, producer_stop) = (&archive, stop.clone());
        scope.spawn(move || {
            produce(
                pipeline,
                concurrency,
                archive,
                jobs,
                redirect,
                &producer_stop,
                letters,
            )
        });
        runtime.block_on(deliver(phase, received, stop))
    })
}

/// What the async phase works from: its settings, the `run_started` record but for what the
/// relay offers, and the log's state.
struct Phase<'a, T> {
    settings: Settings,
    started: RunStarted,
    relay: T,
    run: String,
    selection: &'a Selection,
    open: Vec<Open>,
    chain: delivery_log::Chain,
    sent_times: Vec<SystemTime>,
}

/// The SMTP phase: run_started, close what earlier runs left open, the workers, run_finished.
async fn deliver<T: Transport + 'static>(
    d: Phase<'_, T>,
    letters: tokio::sync::mpsc::Receiver<Work>,
    stop: StopSignal,
) -> anyhow::Result<Delivered> {
    let Phase {
        settings,
        mut started,
        ..
    } = d;
    let log = Log::open(delivery_log::Opening {
        path: settings.log_file.clone(),
        run: d.run.clone(),
        chain: d.chain,
    })
    .map_err(|e| Stopped::by(&e))?;
    stop.listen_for_signals();
    let jobs = d.selection.jobs.len();
    let concurrency = settings.concurrency;
    let shared = Arc::new(Shared {
        log: log.clone(),
        relay: d.relay,
        stop: stop.clone(),
        limiter: Mutex::new(Limiter::new(settings.rate, d.sent_times)),
        tally: Mutex::new(Counts::default()),
        progress: Mutex::new(Progress::new(
            jobs as u64,
            settings.quiet,
            settings.diagnostics,
        )),
        settings,
        connected_once: std::sync::atomic::AtomicBool::new(false),
    });
    // The first connection is opened before `run_started`, which records whether the relay
    // offers delivery reports; the first worker then uses it.
    let mut first = if jobs > 0 {
        connect(&shared).await.ok()
    } else {
        None
    };
    started.dsn = first.as_ref().map(Session::offers_dsn);
    log.append(Body::RunStarted(started))
        .await
        .map_err(|e| Stopped::by(&e))?;
    close_left_open(&log, &d.open).await?;

    // Letters come from the producer threads (the rows are streamed again) through `letters`,
    // and deferred letters wait in the same queue for their retry.
    let queue = Arc::new(Queue::new(letters));
    let mut workers = Vec::new();
    for _ in 0..concurrency.min(jobs.max(1)) {
        let (shared, queue, connection) = (shared.clone(), queue.clone(), first.take());
        workers.push(tokio::spawn(async move {
            worker(shared, queue, connection).await
        }));
    }
    for w in workers {
        if let Err(e) = w.await {
            stop.request(Stop::worker_failed(&e.to_string()));
        }
    }
    // The run stopped while these waited for a retry: each stays deferred (its last record
    // says so) and is counted so. Dropping the queue drops the receiver: the producer's next
    // send fails and it stops.
    let still_waiting = queue.take_waiting().len() as u64;
    drop(queue);
    shared.progress.lock().expect("progress").finish();
    let stopped = stop.reason();
    let tally = shared.tally.lock().expect("tally").clone();
    let counts = Counts {
        deferred: tally.deferred + still_waiting,
        skipped: d.selection.skipped,
        pending: d.selection.pending
            + (jobs as u64).saturating_sub(tally.settled() + still_waiting),
        ..tally
    };
    let head = log
        .append(Body::RunFinished(RunFinished {
            counts: counts.clone(),
            stopped: stopped.as_ref().map(|s| s.recorded.clone()),
            mailbox: None,
        }))
        .await
        .map_err(|e| Stopped::by(&e))?;
    Ok(Delivered {
        run: d.run,
        head,
        stopped,
        counts,
    })
}

/// The `run_started` record: who sends, from where, with which inputs and options. Whether the
/// relay offers delivery reports (`dsn`) is filled in once the first connection says so.
fn run_started(
    pipeline: &Pipeline<'_>,
    options: &SendOptions,
    destination: &Destination,
) -> RunStarted {
    let config = pipeline.config;
    RunStarted {
        mode: destination.mode(),
        campaign: config.id.clone(),
        operator: operator(),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        tool: format!("letterpost {}", env!("CARGO_PKG_VERSION")),
        inputs: pipeline.inputs().into_iter().collect(),
        options: describe_options(options),
        key_source: Some(pipeline.key_source.to_string()),
        source_date_epoch: config.source_date_epoch,
        dsn: None,
        mailbox: None,
        attachments: pipeline.shared_attachments(),
    }
}

/// Closes the attempts an earlier run left open: `unknown` if the message may have been sent
/// (it had `data`), else `deferred`.
async fn close_left_open(log: &Log, open: &[Open]) -> anyhow::Result<()> {
    for attempt in open {
        let (outcome, error) = if attempt.data {
            let why = "stopped after the message was sent and before the server's reply";
            (Outcome::Unknown, format!("run {} {why}", attempt.run))
        } else {
            let why = "stopped before the message was sent";
            (Outcome::Deferred, format!("run {} {why}", attempt.run))
        };
        let closing = attempt
            .letter
            .ended(outcome, Stage::Interrupted, None, Some(error));
        log.append(closing).await.map_err(|e| Stopped::by(&e))?;
    }
    Ok(())
}

/// What every worker shares.
struct Shared<T> {
    log: Log,
    relay: T,
    stop: StopSignal,
    limiter: Mutex<Limiter>,
    settings: Settings,
    tally: Mutex<Counts>,
    progress: Mutex<Progress>,
    connected_once: std::sync::atomic::AtomicBool,
}

/// A retry waiting longer than this lets its worker close the idle connection first: relays
/// drop idle sessions (Postfix under load after 10 s), and a retry on a connection the relay has
/// dropped would spend one of the letter's tries on a broken pipe.
const IDLE_CLOSE: Duration = Duration::from_secs(5);

/// How often a worker with nothing but retries to wait for says so (it also wakes when a stop
/// is asked).
const WAITING_TICK: Duration = Duration::from_secs(1);

async fn worker<T: Transport>(
    shared: Arc<Shared<T>>,
    queue: Arc<Queue>,
    connection: Option<T::Session>,
) {
    let mut connection = connection;
    loop {
        if shared.stop.reason().is_some() {
            break;
        }
        let turn = match queue.next(&shared.stop).await {
            Next::Letter(turn) => turn,
            Next::Wait { until } => {
                wait_for_retry(&shared, &queue, &mut connection, until).await;
                continue;
            }
            Next::Done => break,
        };
        if turn.tries > 0 {
            show_waiting(&shared, &queue);
        }
        let tries = turn.tries + 1;
        match try_once(&shared, &mut connection, &turn.work, tries).await {
            Tried::Again => {
                // The letter waits for its retry without this worker, which goes on with the
                // next letter; its `deferred` record is already queued.
                let delay = policy::backoff(shared.settings.retry_delay, tries);
                tracing::info!(
                    key = %turn.work.letter.key,
                    "retry {} of {} in {:.1} s, at {}",
                    tries,
                    shared.settings.retries,
                    delay.as_secs_f64(),
                    clock::rfc3339(clock::now() + delay)
                );
                let due = tokio::time::Instant::now() + delay;
                queue.defer(
                    Turn {
                        work: turn.work,
                        tries,
                    },
                    due,
                );
                show_waiting(&shared, &queue);
            }
            Tried::Ended(None) => {}
            Tried::Ended(Some(outcome)) => {
                shared.tally.lock().expect("tally").add(outcome);
                let key = &turn.work.letter.key;
                shared.progress.lock().expect("progress").advance(|| {
                    let state = State::ended(outcome).described();
                    t!("send-progress-note", key = key, state = state)
                });
            }
        }
    }
    if let Some(c) = connection {
        c.close().await;
    }
}

/// Only retries are left and none is due: closes an idle connection the wait would outlast,
/// says what is waiting, and sleeps until the first retry is due, a tick passes, or a stop is
/// asked.
async fn wait_for_retry<T: Transport>(
    shared: &Shared<T>,
    queue: &Queue,
    connection: &mut Option<T::Session>,
    until: tokio::time::Instant,
) {
    let now = tokio::time::Instant::now();
    if until.saturating_duration_since(now) >= IDLE_CLOSE
        && let Some(c) = connection.take()
    {
        c.close().await;
    }
    if let Some(waiting) = queue.waiting() {
        shared
            .progress
            .lock()
            .expect("progress")
            .idle(report_waiting(waiting));
    }
    let wake = until.min(now + WAITING_TICK);
    tokio::select! {
        () = tokio::time::sleep_until(wake) => {}
        () = shared.stop.requested() => {}
    }
}

/// Tells the progress display what waits for a retry now.
fn show_waiting<T>(shared: &Shared<T>, queue: &Queue) {
    let waiting = queue.waiting().map(report_waiting);
    shared
        .progress
        .lock()
        .expect("progress")
        .set_waiting(waiting);
}

fn report_waiting(w: queue::Waiting) -> report::Waiting {
    report::Waiting {
        letters: w.letters as u64,
        next: w.next.into_std(),
    }
}

/// What every record about try `attempt` of `work` shares.
fn letter_of(work: &Work, attempt: u32) -> Letter {
    let letter = &work.letter;
    Letter {
        key: letter.key.clone(),
        row: letter.line,
        to: letter.envelope.iter().map(ToString::to_string).collect(),
        message_id: letter.message_id.clone(),
        sha256: letter.sha256.clone(),
        archive: work.archive.clone(),
        attempt: work.attempts + attempt,
        test: work.test,
    }
}

/// What one try of a letter came to.
enum Tried {
    /// Done for this run: how it ended, or `None` when it was not attempted (the run stopped
    /// first).
    Ended(Option<Outcome>),
    /// Deferred, with tries left in this run: it waits for its retry.
    Again,
}

/// Try number `tries` (in this run) of one letter. Every network step is preceded by its
/// durable record, and each awaited record also makes this worker's earlier (queued) outcomes
/// durable, the log keeping order; any failure to write the log stops the run before the next
/// network step.
async fn try_once<T: Transport>(
    shared: &Shared<T>,
    connection: &mut Option<T::Session>,
    work: &Work,
    tries: u32,
) -> Tried {
    let (mut conn, letter, slot) = match open_attempt(shared, connection, work, tries).await {
        Ok(opened) => opened,
        Err(not_tried) => return Tried::Ended(not_tried),
    };
    // The envelope id names the letter in every report: its Message-ID, without the brackets.
    let envelope_id = shared
        .settings
        .ask_dsn
        .then(|| work.letter.message_id.trim_matches(['<', '>']));
    if let Err(failure) = conn
        .begin(
            &shared.settings.from,
            &work.letter.envelope,
            envelope_id,
            work.letter.bytes.len(),
        )
        .await
    {
        *connection = keep(conn, &failure).await;
        return failed(shared, &letter, &failure, tries);
    }
    // The rate counts what reaches the relay: the slot starts now, as the `data` record does.
    slot.send();
    if !record(shared, Body::Data(letter.clone())).await {
        // Nothing was sent; the server drops the transaction at its own timeout.
        return Tried::Ended(None);
    }
    match conn.finish(&work.letter).await {
        Ok(reply) => {
            *connection = Some(conn);
            tracing::info!(key = %letter.key, attempt = letter.attempt, "accepted: {reply}");
            let accepted = letter.ended(Outcome::Accepted, Stage::Message, Some(reply), None);
            shared.log.enqueue(accepted);
            Tried::Ended(Some(Outcome::Accepted))
        }
        Err(failure) => {
            *connection = keep(conn, &failure).await;
            failed(shared, &letter, &failure, tries)
        }
    }
}

/// Everything up to MAIL FROM: a connection (the worker's, or a new one), a slot reserved in
/// the rate limit (stamped right before DATA), and the durable `attempt` record. Without them the letter is not tried now.
async fn open_attempt<'a, T: Transport>(
    shared: &'a Shared<T>,
    connection: &mut Option<T::Session>,
    work: &Work,
    tries: u32,
) -> Result<(T::Session, Letter, Slot<'a>), Option<Outcome>> {
    if shared.stop.reason().is_some() {
        return Err(policy::untried(tries));
    }
    let conn = match connection.take() {
        Some(conn) => conn,
        None => connect(shared).await.map_err(|()| policy::untried(tries))?,
    };
    let Some(slot) = Limiter::acquire(&shared.limiter, &shared.stop).await else {
        *connection = Some(conn);
        return Err(policy::untried(tries));
    };
    let letter = letter_of(work, tries);
    // The reason the operator gave is for the first try; a retry in the same run is routine.
    let reason = if tries == 1 { work.reason } else { None };
    let own: Vec<AttachmentHash> = work
        .letter
        .attached
        .iter()
        .filter(|a| !a.shared)
        .map(|a| AttachmentHash {
            name: Some(a.name.clone()),
            file: a.source.clone(),
            sha256: a.sha256.clone(),
        })
        .collect();
    let attempt = letter.attempt_carrying(&work.letter.organisation, reason, own);
    if !record(shared, attempt).await {
        *connection = Some(conn);
        return Err(None);
    }
    Ok((conn, letter, slot))
}

/// A try failed (its transaction, before or after the message): records the outcome `policy`
/// gives it and does what that says: done, a retry later, or a stop of the whole run.
fn failed<T>(shared: &Shared<T>, letter: &Letter, failure: &Failure, tries: u32) -> Tried {
    let verdict = policy::verdict(failure, tries, shared.settings.retries);
    let outcome = verdict.outcome();
    record_outcome(shared, letter, outcome, failure);
    if outcome == Outcome::Unknown {
        let warning = t!(
            "send-lost-after-sending",
            key = &letter.key,
            failure = failure.to_string()
        );
        shared.progress.lock().expect("progress").println(&warning);
    }
    match verdict {
        Verdict::Retry => Tried::Again,
        Verdict::Ended(outcome) => Tried::Ended(Some(outcome)),
        Verdict::StopRun(outcome) => {
            shared.stop.request(Stop::sender_refused(failure));
            Tried::Ended(Some(outcome))
        }
    }
}

/// After a failure, keeps the connection only if its state is known (RSET confirmed).
async fn keep<S: Session>(conn: S, failure: &Failure) -> Option<S> {
    if failure.connection_usable() {
        conn.reset().await
    } else {
        None
    }
}

/// Opens a connection. A failure here concerns the whole relay: authentication or TLS stop the
/// run at once; an unreachable relay stops it after a few tries.
async fn connect<T: Transport>(shared: &Shared<T>) -> Result<T::Session, ()> {
    let first = !shared
        .connected_once
        .load(std::sync::atomic::Ordering::SeqCst);
    let tries = if first { 1 } else { 3 };
    let mut last = None;
    for i in 0..tries {
        if i > 0
            && !shared
                .stop
                .sleep(policy::backoff(shared.settings.retry_delay, i))
                .await
        {
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
                if i + 1 < tries {
                    tracing::info!(
                        "cannot connect to {} {failure}; trying again",
                        shared.relay.describe()
                    );
                }
                let refused = policy::relay_refused(&failure);
                last = Some(failure);
                if refused {
                    break;
                }
            }
        }
    }
    let failure = last.expect("at least one try");
    shared
        .stop
        .request(Stop::relay(&shared.relay.describe(), &failure));
    Err(())
}

async fn record<T>(shared: &Shared<T>, body: Body) -> bool {
    match shared.log.append(body).await {
        Ok(_) => true,
        Err(e) => {
            shared.stop.request(Stop::log_not_written(&e));
            false
        }
    }
}

/// Records an outcome without waiting for the disk: nothing for this recipient follows it in
/// this run except a retry, whose `attempt` is awaited and, the log keeping order, makes this
/// record durable first. A write failure shows at that next record.
fn record_outcome<T>(shared: &Shared<T>, letter: &Letter, outcome: Outcome, failure: &Failure) {
    tracing::info!(key = %letter.key, attempt = letter.attempt, "{outcome} {failure}");
    let body = letter.ended(
        outcome,
        failure.stage,
        failure.reply.clone(),
        failure.error.clone(),
    );
    shared.log.enqueue(body);
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::dispatch::FailureKind;
    use crate::smtp::Reply;

    /// What a scripted session answers, in order: to each `begin`, then to each `finish`.
    #[derive(Default)]
    struct Script {
        begin: Mutex<VecDeque<Result<(), Failure>>>,
        finish: Mutex<VecDeque<Result<Reply, Failure>>>,
        resets: AtomicUsize,
    }

    /// A transport that needs no server: its one session answers from the script.
    struct Scripted(Arc<Script>);

    struct Played(Arc<Script>);

    impl Transport for Scripted {
        type Session = Played;
        async fn connect(&self) -> Result<Played, Failure> {
            Ok(Played(self.0.clone()))
        }
        fn describe(&self) -> String {
            "scripted".to_owned()
        }
    }

    impl Session for Played {
        fn offers_dsn(&self) -> bool {
            false
        }
        async fn begin(
            &mut self,
            _: &Address,
            _: &[Address],
            _: Option<&str>,
            _: usize,
        ) -> Result<(), Failure> {
            self.0.begin.lock().unwrap().pop_front().unwrap_or(Ok(()))
        }
        async fn finish(&mut self, _: &crate::message::Letter) -> Result<Reply, Failure> {
            let next = self.0.finish.lock().unwrap().pop_front();
            next.unwrap_or_else(|| Ok(Reply::parse_text(250, "2.0.0 queued")))
        }
        async fn reset(self) -> Option<Played> {
            self.0.resets.fetch_add(1, Ordering::SeqCst);
            Some(self)
        }
        async fn close(self) {}
    }

    fn failure(stage: Stage, code: Option<u16>, kind: FailureKind) -> Failure {
        Failure {
            stage,
            reply: code.map(|c| Reply::parse_text(c, "x.y.z no")),
            error: code.is_none().then(|| "connection lost".to_owned()),
            kind,
        }
    }

    fn work() -> Work {
        Work {
            letter: crate::message::Letter {
                key: "so-y-te".to_owned(),
                line: 2,
                organisation: "Sở Y tế".to_owned(),
                envelope: vec!["vanthu@co-quan.example".parse().unwrap()],
                message_id: "<so-y-te@test>".to_owned(),
                bytes: b"Subject: x\r\n\r\nx\r\n".to_vec(),
                sha256: String::new(),
                attached: Vec::new(),
                documents: Vec::new(),
            },
            archive: "archive/x.eml".to_owned(),
            attempts: 0,
            reason: None,
            test: false,
        }
    }

    /// One try of a letter through the scripted session, and the records it left, by type.
    fn one_try(script: Script, tries: u32) -> (Tried, bool, Arc<Script>, Vec<String>, bool) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("logs/c.jsonl");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let script = Arc::new(script);
        let (tried, kept, stopped) = runtime.block_on(async {
            let log = Log::open(delivery_log::Opening {
                path: path.clone(),
                run: "r1".to_owned(),
                chain: delivery_log::Chain::default(),
            })
            .unwrap();
            let shared = Shared {
                log: log.clone(),
                relay: Scripted(script.clone()),
                stop: StopSignal::new(),
                limiter: Mutex::new(Limiter::new(Rate::Unlimited, Vec::new())),
                settings: Settings {
                    log_file: path.clone(),
                    concurrency: 1,
                    rate: Rate::Unlimited,
                    retries: 2,
                    retry_delay: Duration::from_secs(1),
                    from: "thu@so.example".parse().unwrap(),
                    ask_dsn: false,
                    quiet: true,
                    diagnostics: false,
                },
                tally: Mutex::new(Counts::default()),
                progress: Mutex::new(Progress::new(1, true, false)),
                connected_once: AtomicBool::new(false),
            };
            let mut connection = None;
            let tried = try_once(&shared, &mut connection, &work(), tries).await;
            // An awaited record makes the queued outcome durable before it.
            let end = RunFinished {
                counts: Counts::default(),
                stopped: None,
                mailbox: None,
            };
            log.append(Body::RunFinished(end)).await.unwrap();
            (tried, connection.is_some(), shared.stop.reason().is_some())
        });
        let mut types = Vec::new();
        delivery_log::replay(&path, |_, record| {
            let json = serde_json::to_value(&record.body).unwrap();
            types.push(json["type"].as_str().unwrap_or("?").to_owned());
        })
        .unwrap()
        .unwrap();
        (tried, kept, script, types, stopped)
    }

    fn ended(tried: &Tried) -> Option<Outcome> {
        match tried {
            Tried::Ended(outcome) => *outcome,
            Tried::Again => None,
        }
    }

    #[test]
    fn a_letter_accepted_leaves_attempt_data_accepted_and_keeps_the_session() {
        let (tried, kept, _, types, stopped) = one_try(Script::default(), 1);
        assert_eq!(ended(&tried), Some(Outcome::Accepted));
        assert!(kept && !stopped);
        assert_eq!(types, ["attempt", "data", "accepted", "run_finished"]);
    }

    #[test]
    fn no_reply_after_the_message_is_unknown_not_retried_and_the_session_dropped() {
        let script = Script::default();
        let lost = failure(Stage::Message, None, FailureKind::Network);
        script.finish.lock().unwrap().push_back(Err(lost));
        let (tried, kept, script, types, _) = one_try(script, 1);
        assert_eq!(ended(&tried), Some(Outcome::Unknown));
        assert!(!kept, "a connection that failed mid-step is never reused");
        assert_eq!(script.resets.load(Ordering::SeqCst), 0);
        assert_eq!(types, ["attempt", "data", "unknown", "run_finished"]);
    }

    #[test]
    fn a_clean_refusal_before_the_message_is_followed_by_rset_and_nothing_is_sent() {
        let script = Script::default();
        let refused = failure(Stage::Rcpt, Some(550), FailureKind::Permanent);
        script.begin.lock().unwrap().push_back(Err(refused));
        let (tried, kept, script, types, stopped) = one_try(script, 1);
        assert_eq!(ended(&tried), Some(Outcome::Rejected));
        assert!(kept && !stopped);
        assert_eq!(script.resets.load(Ordering::SeqCst), 1);
        assert_eq!(types, ["attempt", "rejected", "run_finished"]);
    }

    #[test]
    fn a_4xx_with_tries_left_waits_for_a_retry_and_after_the_last_stays_deferred() {
        for (tries, again) in [(1, true), (3, false)] {
            let script = Script::default();
            let later = failure(Stage::Rcpt, Some(450), FailureKind::Transient);
            script.begin.lock().unwrap().push_back(Err(later));
            let (tried, _, _, types, _) = one_try(script, tries);
            assert_eq!(matches!(tried, Tried::Again), again, "try {tries}");
            assert_eq!(types, ["attempt", "deferred", "run_finished"]);
        }
    }

    #[test]
    fn a_refusal_of_our_credentials_defers_the_letter_and_stops_the_run() {
        let script = Script::default();
        let refused = failure(Stage::Mail, Some(530), FailureKind::Permanent);
        script.begin.lock().unwrap().push_back(Err(refused));
        let (tried, _, _, types, stopped) = one_try(script, 1);
        assert_eq!(ended(&tried), Some(Outcome::Deferred));
        assert!(stopped);
        assert_eq!(types, ["attempt", "deferred", "run_finished"]);
    }
}
