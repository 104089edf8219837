//! The SMTP phase of a real send: `run_started`, closing what earlier runs left open, one async
//! worker per connection, retries, the rate limit, stop signals, `run_finished`.
//!
//! A worker tries a letter once at a time. A deferred letter with tries left goes back to the
//! `queue` with a not-before time (`retry_delay` doubling, with jitter) and the worker moves on
//! to the next letter; whichever worker is free when the retry is due takes it. When only
//! retries are left, workers wait for the first one due (a stop ends the wait at once), and a
//! worker whose wait is long closes its idle connection.
//!
//! Every record is durable before the network step it announces (`attempt` before MAIL FROM,
//! `data` before the first byte of the message); outcomes are queued and made durable by the
//! next awaited record. It does not build letters (`plan` does) or speak SMTP itself
//! (`dispatch` does).
//!
//! What the operator reads while it runs is worded in `locales/*/send.ftl`. Why a run stopped
//! (`Stop`) is said to the operator in those words too, and written to the log's `run_finished`
//! record in English, as evidence.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use lettre::Address;
use tokio::sync::watch;

use super::plan::produce;
use super::plan::{Pipeline, Work};
use super::queue::{self, Next, Queue, Turn};
use super::select::{Destination, Selection};
use super::summary::describe_options;
use crate::archive::Archive;
use crate::clock;
use crate::config::Rate;
use crate::config::{SendOptions, operator};
use crate::delivery_log::{self, Body, Counts, Letter, Log, Outcome, RunFinished, RunStarted};
use crate::dispatch::{self, Failure, FailureKind, Relay};
use crate::ledger::{Open, State};
use crate::report::{self, ExitCode, Progress, Stopped};
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

/// The SMTP phase of a send: the producer threads build and archive the chosen letters while
/// the async workers deliver them.
pub(super) fn run(d: Delivery<'_>) -> anyhow::Result<Delivered> {
    let config = d.pipeline.config;
    let concurrency = d.options.concurrency;
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
        runtime.block_on(deliver(d, received, stop))
    })
}

/// The SMTP phase: run_started, close what earlier runs left open, the workers, run_finished.
async fn deliver(
    d: Delivery<'_>,
    letters: tokio::sync::mpsc::Receiver<Work>,
    stop: StopSignal,
) -> anyhow::Result<Delivered> {
    let config = d.pipeline.config;
    let log = Log::open(delivery_log::Opening {
        path: config.log_file(),
        run: d.run.clone(),
        chain: d.chain,
    })
    .map_err(|e| Stopped::by(&e))?;
    stop.listen_for_signals();
    let jobs = d.selection.jobs.len();
    let shared = Arc::new(Shared {
        log: log.clone(),
        relay: d.relay,
        stop: stop.clone(),
        limiter: Mutex::new(Limiter::new(d.options.rate, d.sent_times)),
        retries: config.sending.retries,
        retry_delay: config.sending.retry_delay,
        from: config.tracking.return_path.clone(),
        ask_dsn: config.tracking.dsn && d.destination.redirect().is_none(),
        tally: Mutex::new(Counts::default()),
        progress: Mutex::new(Progress::new(
            jobs as u64,
            d.options.quiet,
            d.options.diagnostics,
        )),
        connected_once: std::sync::atomic::AtomicBool::new(false),
    });
    // The first connection is opened before `run_started`, which records whether the relay
    // offers delivery reports; the first worker then uses it.
    let mut first = if jobs > 0 {
        connect(&shared).await.ok()
    } else {
        None
    };
    let dsn = first.as_ref().map(dispatch::Connection::offers_dsn);
    log.append(run_started(d.pipeline, d.options, &d.destination, dsn))
        .await
        .map_err(|e| Stopped::by(&e))?;
    close_left_open(&log, &d.open).await?;

    // Letters come from the producer threads (the rows are streamed again) through `letters`,
    // and deferred letters wait in the same queue for their retry.
    let queue = Arc::new(Queue::new(letters));
    let mut workers = Vec::new();
    for _ in 0..d.options.concurrency.min(jobs.max(1)) {
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

/// The `run_started` record: who sends, from where, with which inputs and options.
fn run_started(
    pipeline: &Pipeline<'_>,
    options: &SendOptions,
    destination: &Destination,
    dsn: Option<bool>,
) -> Body {
    let config = pipeline.config;
    Body::RunStarted(RunStarted {
        mode: destination.mode(),
        campaign: config.id.clone(),
        operator: operator(),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        tool: format!("letterpost {}", env!("CARGO_PKG_VERSION")),
        inputs: pipeline.inputs().into_iter().collect(),
        options: describe_options(options),
        key_source: Some(pipeline.key_source.to_string()),
        source_date_epoch: config.source_date_epoch,
        dsn,
        mailbox: None,
    })
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
struct Shared {
    log: Log,
    relay: Relay,
    stop: StopSignal,
    limiter: Mutex<Limiter>,
    retries: u32,
    retry_delay: Duration,
    /// The envelope sender: the campaign's return path, where reports come back.
    from: Address,
    /// Whether to ask for delivery reports (where the relay offers them; never for a test).
    ask_dsn: bool,
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

async fn worker(shared: Arc<Shared>, queue: Arc<Queue>, connection: Option<dispatch::Connection>) {
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
                let delay = backoff(shared.retry_delay, tries);
                tracing::info!(
                    key = %turn.work.letter.key,
                    "retry {} of {} in {:.1} s, at {}",
                    tries,
                    shared.retries,
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
async fn wait_for_retry(
    shared: &Shared,
    queue: &Queue,
    connection: &mut Option<dispatch::Connection>,
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
fn show_waiting(shared: &Shared, queue: &Queue) {
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

/// A letter this run cannot try now (stopped, or the relay is gone): not attempted if this was
/// to be its first try, else still deferred by its last one, whose outcome is recorded.
fn untried(tries: u32) -> Option<Outcome> {
    (tries > 1).then_some(Outcome::Deferred)
}

/// Try number `tries` (in this run) of one letter. Every network step is preceded by its
/// durable record, and each awaited record also makes this worker's earlier (queued) outcomes
/// durable, the log keeping order; any failure to write the log stops the run before the next
/// network step.
async fn try_once(
    shared: &Shared,
    connection: &mut Option<dispatch::Connection>,
    work: &Work,
    tries: u32,
) -> Tried {
    let (mut conn, letter) = match open_attempt(shared, connection, work, tries).await {
        Ok(opened) => opened,
        Err(untried) => return Tried::Ended(untried),
    };
    // The envelope id names the letter in every report: its Message-ID, without the brackets.
    let envelope_id = shared
        .ask_dsn
        .then(|| work.letter.message_id.trim_matches(['<', '>']));
    if let Err(failure) = conn
        .begin(&shared.from, &work.letter.envelope, envelope_id)
        .await
    {
        *connection = keep(conn, &failure).await;
        return refused_before_data(shared, &letter, &failure, tries);
    }
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
            let outcome = match failure.kind {
                FailureKind::Permanent => Outcome::Rejected,
                FailureKind::Transient => Outcome::Deferred,
                _ => Outcome::Unknown,
            };
            *connection = keep(conn, &failure).await;
            record_outcome(shared, &letter, outcome, &failure);
            if outcome == Outcome::Unknown {
                let warning = t!(
                    "send-lost-after-sending",
                    key = &work.letter.key,
                    failure = failure.to_string()
                );
                shared.progress.lock().expect("progress").println(&warning);
            }
            again_or(shared, outcome, tries)
        }
    }
}

/// Everything up to MAIL FROM: a connection (the worker's, or a new one), a slot in the rate
/// limit, and the durable `attempt` record. Without them the letter is not tried now.
async fn open_attempt(
    shared: &Shared,
    connection: &mut Option<dispatch::Connection>,
    work: &Work,
    tries: u32,
) -> Result<(dispatch::Connection, Letter), Option<Outcome>> {
    if shared.stop.reason().is_some() {
        return Err(untried(tries));
    }
    let conn = match connection.take() {
        Some(conn) => conn,
        None => connect(shared).await.map_err(|()| untried(tries))?,
    };
    if !Limiter::acquire(&shared.limiter, &shared.stop).await {
        *connection = Some(conn);
        return Err(untried(tries));
    }
    let letter = letter_of(work, tries);
    // The reason the operator gave is for the first try; a retry in the same run is routine.
    let reason = if tries == 1 { work.reason } else { None };
    if !record(shared, letter.attempt(&work.letter.organisation, reason)).await {
        *connection = Some(conn);
        return Err(None);
    }
    Ok((conn, letter))
}

/// MAIL FROM, an RCPT or DATA was refused (or failed): nothing was sent.
fn refused_before_data(shared: &Shared, letter: &Letter, failure: &Failure, tries: u32) -> Tried {
    // A relay that demands or refuses our credentials says nothing about the recipient: the
    // letter stays deferred (sent by the next run) and the run stops.
    let fatal = failure.is_authentication();
    let outcome = match failure.kind {
        FailureKind::Permanent if !fatal => Outcome::Rejected,
        _ => Outcome::Deferred,
    };
    record_outcome(shared, letter, outcome, failure);
    if fatal {
        shared.stop.request(Stop::sender_refused(failure));
        return Tried::Ended(Some(outcome));
    }
    again_or(shared, outcome, tries)
}

/// A deferred letter with tries left in this run waits for a retry; anything else is done.
fn again_or(shared: &Shared, outcome: Outcome, tries: u32) -> Tried {
    if outcome == Outcome::Deferred && tries <= shared.retries {
        Tried::Again
    } else {
        Tried::Ended(Some(outcome))
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
                if i + 1 < tries {
                    tracing::info!(
                        "cannot connect to {} {failure}; trying again",
                        shared.relay.describe()
                    );
                }
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
    shared
        .stop
        .request(Stop::relay(&shared.relay.describe(), &failure));
    Err(())
}

async fn record(shared: &Shared, body: Body) -> bool {
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
fn record_outcome(shared: &Shared, letter: &Letter, outcome: Outcome, failure: &Failure) {
    tracing::info!(key = %letter.key, attempt = letter.attempt, "{outcome} {failure}");
    let body = letter.ended(
        outcome,
        failure.stage,
        failure.reply.clone(),
        failure.error.clone(),
    );
    shared.log.enqueue(body);
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

    /// Takes a slot if one more message fits in the window now; else says how long to wait.
    fn take(&mut self, now: SystemTime) -> Result<(), Duration> {
        let Rate::Limited { count, per } = self.rate else {
            return Ok(());
        };
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t).unwrap_or_default() >= per)
        {
            self.times.pop_front();
        }
        if self.times.len() < count as usize {
            self.times.push_back(now);
            return Ok(());
        }
        let oldest = *self.times.front().expect("full window");
        Err((oldest + per).duration_since(now).unwrap_or_default())
    }

    /// Waits until one more message fits in the window and takes its slot. False if stopped.
    async fn acquire(limiter: &Mutex<Limiter>, stop: &StopSignal) -> bool {
        loop {
            let taken = limiter.lock().expect("limiter").take(clock::now());
            match taken {
                Ok(()) => return true,
                Err(wait) => {
                    if !stop.sleep(wait.max(Duration::from_millis(10))).await {
                        return false;
                    }
                }
            }
        }
    }
}

/// Why a run stopped: in English as the log's `run_finished` records it, and as the operator
/// reads it, in the chosen language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stop {
    pub(super) recorded: String,
    pub(super) said: String,
}

impl Stop {
    /// An error from storing or syncing the archive: recorded as `{e:#}` (English: the archive's
    /// and the file system's words), said with a refused path's reason in the chosen language.
    pub(super) fn error(e: &anyhow::Error) -> Stop {
        Stop {
            recorded: format!("{e:#}"),
            said: crate::report::described(e),
        }
    }

    pub(super) fn interrupted() -> Stop {
        Stop {
            recorded: "interrupted by the operator".to_owned(),
            said: t!("send-stop-interrupted"),
        }
    }

    fn worker_failed(error: &str) -> Stop {
        Stop {
            recorded: format!("a delivery worker failed: {error}"),
            said: t!("send-stop-worker-failed", error = error),
        }
    }

    fn sender_refused(failure: &Failure) -> Stop {
        let failure = failure.to_string();
        Stop {
            recorded: format!("the relay refused to accept mail from us: {failure}"),
            said: t!("send-stop-sender-refused", failure = &failure),
        }
    }

    /// The relay could not be used: authentication, TLS, or not reachable.
    fn relay(relay: &str, failure: &Failure) -> Stop {
        let shown = failure.to_string();
        let (what, said) = if failure.is_authentication() {
            let said = t!("send-stop-authentication", relay = relay, failure = &shown);
            ("authentication failed", said)
        } else if failure.kind == FailureKind::Tls || failure.stage == dispatch::Stage::Starttls {
            let said = t!("send-stop-tls", relay = relay, failure = &shown);
            ("TLS could not be set up", said)
        } else {
            let said = t!("send-stop-unreachable", relay = relay, failure = &shown);
            ("the relay cannot be reached", said)
        };
        Stop {
            recorded: format!("{what}: {relay} {shown}"),
            said,
        }
    }

    fn log_not_written(e: &anyhow::Error) -> Stop {
        Stop {
            recorded: format!("{e:#}; no further letter is sent without its record"),
            said: t!(
                "send-stop-log-not-written",
                error = crate::report::described(e)
            ),
        }
    }

    /// The producer could not build again a letter the plan had built. A problem's words follow
    /// the language, so the record names only its place.
    pub(super) fn not_built_again(problem: &crate::problem::Problem) -> Stop {
        Stop {
            recorded: format!(
                "a letter that was checked could not be built again: {}",
                problem.place()
            ),
            said: t!("send-stop-not-built-again", what = problem.to_string()),
        }
    }

    /// Selected rows the producer did not find when it read the list again.
    pub(super) fn rows_missing(missing: usize) -> Stop {
        Stop {
            recorded: format!(
                "a letter that was checked could not be built again: {missing} selected \
                 recipients are missing from the list"
            ),
            said: t!("send-stop-rows-missing", count = missing),
        }
    }
}

/// Why the run should stop taking letters, shared by every task.
#[derive(Clone)]
pub(super) struct StopSignal {
    pub(super) tx: Arc<watch::Sender<Option<Stop>>>,
}

impl StopSignal {
    pub(super) fn new() -> StopSignal {
        StopSignal {
            tx: Arc::new(watch::channel(None).0),
        }
    }

    pub(super) fn request(&self, why: Stop) {
        self.tx.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(why);
                true
            } else {
                false
            }
        });
    }

    pub(super) fn reason(&self) -> Option<Stop> {
        self.tx.borrow().clone()
    }

    /// Sleeps for `d` unless asked to stop first; true if the whole delay passed.
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => self.reason().is_none(),
            () = self.requested() => false,
        }
    }

    /// Completes once the run is asked to stop (at once if it already was).
    pub(super) async fn requested(&self) {
        let mut rx = self.tx.subscribe();
        // `wait_for` sees the current value first, so a stop asked before this call counts.
        let _ = rx.wait_for(Option::is_some).await;
    }

    /// Ctrl-C or SIGTERM: stop taking letters and settle what is in flight. A second one ends the
    /// process at once (what was in flight is then resolved by the next run).
    fn listen_for_signals(&self) {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = self.clone();
        tokio::spawn(async move {
            let (Ok(mut interrupt), Ok(mut terminate)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            eprintln!("\n{}", t!("send-stopping"));
            stop.request(Stop::interrupted());
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            eprintln!("{}", t!("send-quitting"));
            std::process::exit(ExitCode::Stopped as i32);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In English, why a run stopped reads as the log records it.
    #[test]
    fn in_english_a_stop_is_said_as_it_is_recorded() {
        let failure = |stage, code: Option<u16>, kind| Failure {
            stage,
            reply: code.map(|c| crate::smtp::Reply::parse_text(c, "5.7.8 no")),
            error: code.is_none().then(|| "connection refused".to_owned()),
            kind,
        };
        let relay = "localhost:25 (none)";
        let stops = [
            Stop::interrupted(),
            Stop::worker_failed("panicked"),
            Stop::sender_refused(&failure(Stage::Mail, Some(530), FailureKind::Permanent)),
            Stop::relay(
                relay,
                &failure(Stage::Auth, Some(535), FailureKind::Permanent),
            ),
            Stop::relay(relay, &failure(Stage::Starttls, None, FailureKind::Tls)),
            Stop::relay(relay, &failure(Stage::Connect, None, FailureKind::Network)),
            Stop::log_not_written(&anyhow::anyhow!("disk full")),
            Stop::rows_missing(2),
            Stop::error(&anyhow::anyhow!("cannot archive")),
        ];
        for stop in stops {
            assert_eq!(stop.said, stop.recorded);
        }
        // A problem is worded in the chosen language: the record keeps only its place.
        let problem = crate::problem::Problem::new("a.csv", "bad").at_line(3);
        let stop = Stop::not_built_again(&problem);
        let recorded = "a letter that was checked could not be built again: a.csv:3";
        assert_eq!(stop.recorded, recorded);
        assert_eq!(stop.said, format!("{recorded}: bad"));
        assert_eq!(
            Stop::rows_missing(2).recorded,
            "a letter that was checked could not be built again: 2 selected recipients are \
             missing from the list"
        );
    }

    #[test]
    fn the_rate_limit_counts_the_log_and_this_run_over_a_sliding_window() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let at = |secs: f64| {
            let d = Duration::from_secs_f64(secs.abs());
            if secs < 0.0 { t0 - d } else { t0 + d }
        };
        let per = Duration::from_secs(60);
        // Two sends in the log, 50 s and 10 s before now; at most 3 a minute.
        let mut limiter = Limiter::new(Rate::Limited { count: 3, per }, vec![at(-50.0), at(-10.0)]);
        for (now, expected) in [
            (0.0, Ok(())),
            (1.0, Err(Duration::from_secs(9))),
            (10.0, Ok(())),
            (10.5, Err(Duration::from_secs_f64(39.5))),
            (50.0, Ok(())),
        ] {
            assert_eq!(limiter.take(at(now)), expected, "at {now} s");
        }
        let mut unlimited = Limiter::new(Rate::Unlimited, vec![at(0.0); 5]);
        assert_eq!(unlimited.take(at(0.0)), Ok(()));
    }

    #[test]
    fn retries_back_off_doubling_with_jitter_and_a_cap() {
        let base = Duration::from_secs(30);
        for (n, middle) in [(1, 30.0), (2, 60.0), (3, 120.0)] {
            let d = backoff(base, n).as_secs_f64();
            assert!((middle * 0.75..=middle * 1.25).contains(&d), "try {n}: {d}");
        }
        assert!(backoff(base, 30) <= Duration::from_secs(900));
    }
}
