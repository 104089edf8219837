//! Why a run stops (`Stop`), and the signal every thread and task of a send watches for it
//! (`StopSignal`): a stop asked once (the first reason wins) ends the producer, the archiver,
//! the workers and their waits.
//!
//! A leaf of `send`: the producer (`plan`), the queue and the workers (`deliver`) all watch the
//! same signal without knowing of each other. It decides nothing about when to stop: each stage
//! asks for a stop with its reason. A reason is recorded in English in the log's `run_finished`
//! and said to the operator in the words of `locales/*/send.ftl`.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::dispatch::{Failure, FailureKind, Stage};
use crate::report::ExitCode;

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

    /// SIGHUP: the terminal or the SSH session the run was started from went away.
    pub(super) fn hung_up() -> Stop {
        Stop {
            recorded: "the terminal was closed (SIGHUP)".to_owned(),
            said: t!("send-stop-hung-up"),
        }
    }

    pub(super) fn worker_failed(error: &str) -> Stop {
        Stop {
            recorded: format!("a delivery worker failed: {error}"),
            said: t!("send-stop-worker-failed", error = error),
        }
    }

    pub(super) fn sender_refused(failure: &Failure) -> Stop {
        let failure = failure.to_string();
        Stop {
            recorded: format!("the relay refused to accept mail from us: {failure}"),
            said: t!("send-stop-sender-refused", failure = &failure),
        }
    }

    /// The relay could not be used: authentication, TLS, or not reachable.
    pub(super) fn relay(relay: &str, failure: &Failure) -> Stop {
        let shown = failure.to_string();
        let (what, said) = if failure.is_authentication() {
            let said = t!("send-stop-authentication", relay = relay, failure = &shown);
            ("authentication failed", said)
        } else if failure.kind == FailureKind::Tls || failure.stage == Stage::Starttls {
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

    pub(super) fn log_not_written(e: &anyhow::Error) -> Stop {
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
    pub(super) async fn sleep(&self, d: Duration) -> bool {
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
    /// process at once (what was in flight is then resolved by the next run). SIGHUP (the
    /// terminal or the SSH session closed) stops the same way, recorded as such, but never
    /// quits at once: a shell that hangs up passes its own SIGHUP on after the kernel's, and no
    /// one is left at the terminal to mean "now".
    pub(super) fn listen_for_signals(&self) {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = self.clone();
        tokio::spawn(async move {
            let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                return;
            };
            let why = tokio::select! {
                _ = interrupt.recv() => Stop::interrupted(),
                _ = terminate.recv() => Stop::interrupted(),
                _ = hangup.recv() => Stop::hung_up(),
            };
            // Asked before it is said: after a hang-up the terminal is gone, and what is
            // printed to it goes nowhere (`tell!` never panics on it).
            stop.request(why);
            tell!("\n{}", t!("send-stopping"));
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tell!("{}", t!("send-quitting"));
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
            Stop::hung_up(),
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
}
