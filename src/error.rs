//! The one error a command ends with, and the exit code it means.
//!
//! Three kinds, because a person reads them differently and the exit code tells them apart
//! (README's table): input problems, listed with their places, with nothing sent or written
//! (exit 2); a run that stopped early, or could not go on, for a reason of its own (exit 3);
//! anything else that kept a command from starting (exit 2), an `anyhow` chain with the context
//! of every I/O call kept for `main` to print once.
//!
//! It owns the exit codes (`ExitCode`, README's table) and how an error's chain of causes is
//! worded for a person (`described`), so `report`, which prints, sits above it.
//!
//! It prints nothing and decides nothing about what a stage does; `report::error` says it,
//! `main` turns `code()` into the process's status.

use crate::problem::Problem;

/// The process exit status; README's table of exit codes says what each means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every recipient accepted (or, for commands that do not send, all is well).
    Success = 0,
    /// The run finished but some recipients were rejected, deferred or unknown; or a check found
    /// the log damaged.
    Partial = 1,
    /// It could not start; nothing was sent.
    CouldNotStart = 2,
    /// It stopped early: interrupted, locked, log not writable, relay unreachable, TLS or AUTH.
    Stopped = 3,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(code as u8)
    }
}

/// Why a command did not finish as asked.
#[derive(Debug)]
pub enum Error {
    /// Problems in the campaign's input, found before anything happened, and what did not
    /// happen because of them (`nothing was sent or written`).
    Input {
        problems: Vec<Problem>,
        untouched: String,
    },
    /// Stopped early, or could not go on (a lock held, a damaged log, an input that changed,
    /// a mailbox out of reach).
    Stopped(Stop),
    /// Could not start: anything else, with its chain of causes.
    Setup(anyhow::Error),
}

impl Error {
    pub fn input(problems: Vec<Problem>, untouched: String) -> Error {
        Error::Input {
            problems,
            untouched,
        }
    }

    /// The exit code this error means.
    pub fn code(&self) -> ExitCode {
        match self {
            Error::Input { .. } | Error::Setup(_) => ExitCode::CouldNotStart,
            Error::Stopped(_) => ExitCode::Stopped,
        }
    }
}

/// Why a run stopped, in words a person reads (the chosen language).
#[derive(Debug)]
pub enum Stop {
    /// It could not go on: said as an error.
    Said(String),
    /// A send stopped early after letters went out, its summary already shown: why, and the
    /// command that resumes what is left (`None`: nothing is).
    Early { why: String, resume: Option<String> },
}

impl Stop {
    pub fn new(said: String) -> Stop {
        Stop::Said(said)
    }

    /// Stopped by `e`, said as a person reads it (`report::described`).
    pub fn by(e: &anyhow::Error) -> Stop {
        Stop::Said(described(e))
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Said(said) => f.write_str(said),
            Stop::Early { why, .. } => f.write_str(why),
        }
    }
}

/// A stage that returns `anyhow` marks a stop by putting a `Stop` at the head of its chain (the
/// lock, the log writer, the archive); it travels so until the command's end.
impl std::error::Error for Stop {}

impl From<Stop> for Error {
    fn from(stop: Stop) -> Error {
        Error::Stopped(stop)
    }
}

/// The boundary with the stages that return `anyhow`: a chain that holds a `Stop` is a stop,
/// said with the whole chain; anything else could not start.
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Error {
        if e.downcast_ref::<Stop>().is_some() {
            Error::Stopped(Stop::by(&e))
        } else {
            Error::Setup(e)
        }
    }
}

/// `e` and its causes as `{e:#}` shows them, except that a cause with words of its own for
/// people (a refused path, the archive's and the log writer's failures) is said in those, in the
/// chosen language.
/// For what a person reads; what is recorded keeps `{e:#}`.
pub fn described(e: &anyhow::Error) -> String {
    use crate::private_fs::Refused;
    let causes: Vec<String> = e
        .chain()
        .map(|cause| {
            if let Some(failed) = cause.downcast_ref::<crate::archive::Failed>() {
                return failed.described();
            }
            if let Some(failed) = cause.downcast_ref::<crate::delivery_log::NotWritten>() {
                return failed.described();
            }
            let refused = cause
                .downcast_ref::<Refused>()
                .copied()
                .or_else(|| cause.downcast_ref::<std::io::Error>().and_then(Refused::of));
            match refused {
                Some(refused) => refused.described(),
                None => cause.to_string(),
            }
        })
        .collect();
    causes.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_code() {
        let input = Error::input(vec![Problem::new("r.csv", "x")], String::new());
        assert_eq!(input.code(), ExitCode::CouldNotStart);
        let setup: Error = anyhow::anyhow!("no such file").into();
        assert_eq!(setup.code(), ExitCode::CouldNotStart);
        let stopped: Error = anyhow::Error::new(Stop::new("locked".into()))
            .context("campaign c")
            .into();
        assert_eq!(stopped.code(), ExitCode::Stopped);
        // The stop is said with the context it gathered on the way.
        assert_eq!(stopped_text(&stopped), "campaign c: locked");
    }

    fn stopped_text(e: &Error) -> String {
        match e {
            Error::Stopped(stop) => stop.to_string(),
            other => panic!("not a stop: {other:?}"),
        }
    }
}
