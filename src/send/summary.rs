//! What a send tells the operator: the notes before it starts (inputs changed since the last
//! run), the end-of-run summary of the whole campaign from the log, a test send's own summary,
//! and the options a run records (`SendOptions::to_args`, which also writes the command that
//! resumes a stopped run).
//!
//! It decides nothing about what is sent; it reads the plan, the ledger and this run's counts.
//! Its words are in `locales/*/send.ftl`; the options it records stay as typed.

use super::job::Planned;
use super::plan::Pipeline;
use super::select::Choice;
use crate::config::{Config, SendOptions};
use crate::delivery_log::{Body, Counts};
use crate::ledger::Ledger;
use crate::report::ExitCode;

/// Names what changed since the last run, from the fingerprints in its `run_started`.
pub(super) fn changed_inputs(pipeline: &Pipeline, ledger: &Ledger) -> Vec<String> {
    let Some(Body::RunStarted(last)) = ledger.last_run.as_ref().map(|r| &r.body) else {
        return Vec::new();
    };
    let last = &last.inputs;
    let mut changed = Vec::new();
    for (name, input) in pipeline.inputs() {
        match last.get(&name) {
            Some(before) if before.sha256 != input.sha256 => changed.push(t!(
                "send-input-changed-since-last-run",
                file = &input.file,
                last_run = last_run_time(ledger)
            )),
            _ => {}
        }
    }
    changed
}

fn last_run_time(ledger: &Ledger) -> String {
    ledger.last_run.as_ref().map_or_else(String::new, |e| {
        t!("send-last-run", run = &e.run, time = &e.time)
    })
}

/// The summary at the end: the whole campaign's state from the log (whatever this run chose),
/// what this run did, and every organisation not accepted with the reply and what to do. The
/// exit code speaks for what the operator asked of this run: the `--only` keys, else the list.
pub(super) fn final_report(
    config: &Config,
    planned: &[Planned],
    ledger: &Ledger,
    this_run: Option<&Counts>,
    options: &SendOptions,
    stopped: bool,
) -> ExitCode {
    let choice = Choice::new(options);
    let asked = |p: &Planned| choice.named(&p.key);
    let (mut accepted, mut not_yet) = (0u64, 0u64);
    let mut problems = Vec::new();
    let mut asked_ok = true;
    for p in planned {
        match ledger.recipients.get(&p.key) {
            Some(r) if r.state.may_have_arrived() => accepted += 1,
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
        "{}",
        t!(
            "send-campaign-summary",
            campaign = &config.id,
            accepted = accepted,
            total = planned.len(),
            not_accepted = problems.len(),
            not_sent = not_yet
        )
    );
    if let Some(c) = this_run {
        say!(
            "{}",
            t!(
                "send-this-run",
                accepted = c.accepted,
                rejected = c.rejected,
                deferred = c.deferred,
                unknown = c.unknown
            )
        );
    }
    if !problems.is_empty() {
        say!("{}", t!("send-not-accepted"));
        for (p, r) in &problems {
            let line = t!(
                "send-not-accepted-line",
                key = &p.key,
                line = p.line,
                organisation = &p.organisation,
                state = r.state.described(),
                reply = r.what_happened(),
                next = r.next_step(&p.key)
            );
            say!("  {line}");
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
pub(super) fn test_report(counts: &Counts, jobs: usize, stopped: bool) -> ExitCode {
    say!(
        "{}",
        t!(
            "send-test-report",
            accepted = counts.accepted,
            jobs = jobs,
            rejected = counts.rejected,
            deferred = counts.deferred,
            unknown = counts.unknown
        )
    );
    if stopped {
        ExitCode::Stopped
    } else if counts.accepted < jobs as u64 {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

/// The options a run records in its `run_started`: the flags `SendOptions::to_args` writes, the
/// same words the resume command is made of.
pub(super) fn describe_options(options: &SendOptions) -> String {
    options.to_args().join(" ")
}
