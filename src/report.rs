//! What a person sees: the exit status, problems, progress, and end-of-run summaries.
//!
//! Results and summaries go to stdout; problems, progress and diagnostics go to stderr. A
//! progress bar is drawn only on a terminal; elsewhere progress is a plain line now and then.
//! A write to either that fails (a reader gone, a terminal closed, a full disk) loses what it
//! printed, never the run: no panic, no early exit, so the log is closed and the exit code holds.
//! This module decides nothing: callers hand it what happened.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::problem::Problem;
use crate::visible::visible_lines;

pub use crate::error::{ExitCode, described};

/// A stop, under the name the stages that return `anyhow` use for it (`send::deliver` has a
/// `Stop` of its own: the reason it records).
pub use crate::error::Stop as Stopped;

/// Says how a command ended when it did not finish: its input problems, why it stopped (and
/// how to resume), or the error and its causes.
pub fn error(e: &crate::error::Error) {
    use crate::error::{Error, Stop};
    match e {
        Error::Input {
            problems: list,
            untouched,
        } => problems(list, untouched),
        Error::Stopped(Stop::Early { why, resume }) => {
            crate::tell!("{}", t!("send-stopped-early", why = why));
            match resume {
                Some(command) => crate::tell!("{}", t!("send-resume", command = command)),
                None => crate::tell!("{}", t!("send-nothing-to-resume")),
            }
        }
        Error::Stopped(Stop::Said(said)) => crate::tell!("{}", t!("main-error", error = said)),
        Error::Setup(e) => crate::tell!("{}", t!("main-error", error = described(e))),
    }
}

/// Prints a line on stdout. A reader that went away (`letterpost log list | head`, `| true`)
/// ends the printing, never the run: what follows is still done and recorded, and the exit code
/// still says what happened.
#[macro_export]
macro_rules! say {
    () => {
        $crate::report::say_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::report::say_line(format_args!($($arg)*))
    };
}

/// Prints a line on stderr (a message, a warning, progress), like `eprintln!` except that a
/// stderr that cannot be written (`2>/dev/full`, a terminal closed under a running send) loses
/// the line instead of panicking: a panic would end the run before its log is closed.
#[macro_export]
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::report::tell_line(format_args!($($arg)*))
    };
}

/// Set once stdout's reader is gone: nothing more is written there.
static STDOUT_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Every line goes through `visible_lines` here, the one door to the terminal: a report's
/// diagnostic, a server's reply, a subject or a cell can hold escape sequences that would clear
/// the screen or paint a lie over it, and letterpost's own words hold none, so nothing printed
/// by `say!` or `tell!` can command the terminal. (Records and exports keep the exact text.)
pub fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let line = line.to_string();
    let mut out = std::io::stdout().lock();
    // Any other failure loses this line only, as before.
    if let Err(e) = writeln!(out, "{}", visible_lines(&line))
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_GONE.store(true, Ordering::Relaxed);
    }
}

pub fn tell_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let line = line.to_string();
    let _ = writeln!(std::io::stderr().lock(), "{}", visible_lines(&line));
}

/// Prints every problem, then a line saying how many and that nothing happened.
pub fn problems(problems: &[Problem], what_happened: &str) {
    for p in problems {
        tell!("{}", t!("report-problem", problem = p.to_string()));
    }
    tell!(
        "{}",
        t!(
            "report-problems-found",
            count = problems.len(),
            what_happened = what_happened
        )
    );
}

/// Progress of a run: a bar on a terminal, plain lines every few seconds elsewhere.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
    quiet: bool,
    /// Letters the relay deferred that wait for their retry in this run.
    waiting: Option<Waiting>,
    /// What the last `waiting:` line said, so a change is told at once.
    told: Option<Waiting>,
}

/// Letters the relay deferred that wait for a retry, and when the first is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub letters: u64,
    pub next: Instant,
}

impl Waiting {
    /// `1 letter deferred by the relay, next retry in 28 s`.
    fn describe(&self, now: Instant) -> String {
        let secs = self
            .next
            .saturating_duration_since(now)
            .as_secs_f64()
            .ceil() as u64;
        t!("report-waiting", letters = self.letters, seconds = secs)
    }
}

/// How often a plain progress line may be printed.
const LINE_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// `diagnostics`: whether diagnostics (`-v`) are printed on stderr. They are lines that a bar
    /// redrawn beneath them would tear: with them, progress is plain lines too.
    pub fn new(total: u64, quiet: bool, diagnostics: bool) -> Progress {
        let bar = (!quiet && !diagnostics && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&t!("report-bar")).expect("valid template"),
            );
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            total,
            done: 0,
            started: now,
            last_line: now,
            quiet,
            waiting: None,
            told: None,
        }
    }

    /// One more letter settled; `note` (its key and how it ended) is worded only when a bar shows
    /// it, not for every letter of a run without a terminal.
    pub fn advance(&mut self, note: impl FnOnce() -> String) {
        self.done += 1;
        let now = Instant::now();
        if let Some(bar) = &self.bar {
            let note = note();
            bar.set_message(match self.waiting {
                Some(w) => t!(
                    "report-note-waiting",
                    note = note,
                    waiting = w.describe(now)
                ),
                None => note,
            });
            bar.inc(1);
            return;
        }
        if self.quiet {
            return;
        }
        if now.duration_since(self.last_line) >= LINE_EVERY || self.done == self.total {
            self.last_line = now;
            let secs = now.duration_since(self.started).as_secs_f64().max(0.001);
            let rate = self.done as f64 / secs;
            let eta = if rate > 0.0 {
                (self.total - self.done) as f64 / rate
            } else {
                0.0
            };
            let line = t!(
                "report-progress",
                done = self.done,
                total = self.total,
                rate = format!("{rate:.1}"),
                seconds_left = format!("{eta:.0}")
            );
            match self.waiting {
                Some(w) => tell!(
                    "{}",
                    t!(
                        "report-note-waiting",
                        note = line,
                        waiting = w.describe(now)
                    )
                ),
                None => tell!("{line}"),
            }
        }
    }

    /// What waits for a retry now (`None`: nothing).
    pub fn set_waiting(&mut self, waiting: Option<Waiting>) {
        self.waiting = waiting;
    }

    /// Nothing but retries is left to do: says what waits and when the next retry is due (on a
    /// terminal in the bar, elsewhere a line at once when that changed, then every few seconds),
    /// so a run that is waiting does not look hung.
    pub fn idle(&mut self, waiting: Waiting) {
        self.waiting = Some(waiting);
        let now = Instant::now();
        let line = t!("report-idle", waiting = waiting.describe(now));
        if let Some(bar) = &self.bar {
            bar.set_message(line);
            return;
        }
        if self.quiet {
            return;
        }
        if self.told != Some(waiting) || now.duration_since(self.last_line) >= LINE_EVERY {
            self.told = Some(waiting);
            self.last_line = now;
            tell!("{line}");
        }
    }

    /// A line that must not be torn by the bar.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| tell!("{line}")),
            None if !self.quiet => tell!("{line}"),
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Asks for a secret at the terminal (`/dev/tty`) with echo off. Echo is turned off before the
/// prompt is shown, so whatever is typed once the prompt is there (or pasted at once) is never
/// echoed; it is turned back on however the read ends.
pub fn ask_secret(prompt: &str) -> std::io::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::io::{BufRead, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let saved = tcgetattr(&tty)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&tty, OptionalActions::Flush, &quiet)?;
    let read = (|| {
        (&tty).write_all(prompt.as_bytes())?;
        (&tty).flush()?;
        let mut line = String::new();
        std::io::BufReader::new(&tty).read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    })();
    tcsetattr(&tty, OptionalActions::Now, &saved)?;
    read
}

#[cfg(test)]
mod tests {
    use super::Waiting;
    use std::time::{Duration, Instant};

    #[test]
    fn says_how_many_letters_wait_and_when_the_next_retry_is_due() {
        let now = Instant::now();
        let one = Waiting {
            letters: 1,
            next: now + Duration::from_millis(27_400),
        };
        assert_eq!(
            one.describe(now),
            "1 letter deferred by the relay, next retry in 28 s"
        );
        let due = Waiting {
            letters: 3,
            next: now,
        };
        assert_eq!(
            due.describe(now + Duration::from_secs(1)),
            "3 letters deferred by the relay, next retry now"
        );
    }

    /// In English a person reads an error's chain as `{e:#}` records it, whatever it holds.
    #[test]
    fn in_english_an_error_is_described_as_it_is_recorded() {
        use crate::archive::Failed;
        use crate::delivery_log::NotWritten;
        use crate::private_fs::Refused;
        let refused = std::io::Error::other(Refused::Link);
        let errors: Vec<anyhow::Error> = vec![
            Failed::Store {
                path: "archive/x/a.eml".into(),
                cause: refused.into(),
            }
            .into(),
            Failed::Store {
                path: "archive/x/b.eml".into(),
                cause: Failed::Occupied.into(),
            }
            .into(),
            Failed::Sync {
                dir: "archive/x".into(),
                cause: std::io::Error::other("No space left on device"),
            }
            .into(),
            anyhow::Error::new(NotWritten::Failed("Input/output error".into())).context("why"),
            NotWritten::WriterStopped.into(),
        ];
        for e in errors {
            assert_eq!(super::described(&e), format!("{e:#}"));
        }
    }
}
