//! What a failure means: for the letter being tried (rejected, deferred, unknown), for the
//! rest of this run (try again later, or stop), and for the relay itself (try connecting
//! again, or give up at once); and how long a deferred letter waits for its retry.
//!
//! Pure: the workers in `deliver` report what `dispatch` said and do what this module decides,
//! the way ripgrep's printer knows nothing of how a search runs. Nothing here touches the
//! network, the log or the clock, so every rule is a row in a table test.
use std::time::Duration;

use crate::delivery_log::Outcome;
use crate::dispatch::{Failure, FailureKind, Stage};

/// What one failed try of a letter comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Done for this run, ending as this outcome.
    Ended(Outcome),
    /// Deferred, with tries left in this run: it waits for its retry.
    Retry,
    /// Ends as this outcome, and the run stops: the relay refused *us* (our credentials), which
    /// says nothing about the recipient, so the letter stays deferred for the next run.
    StopRun(Outcome),
}

impl Verdict {
    /// The outcome the try's record says.
    pub(super) fn outcome(self) -> Outcome {
        match self {
            Verdict::Ended(outcome) | Verdict::StopRun(outcome) => outcome,
            Verdict::Retry => Outcome::Deferred,
        }
    }
}

/// What try number `tries` (in this run, from 1) of a letter comes to when its transaction
/// failed, with `retries` tries after the first allowed per run.
///
/// Before the message (MAIL, RCPT, DATA) nothing was sent: a 5xx rejects the recipient, and
/// anything else (a 4xx, silence, a lost connection) defers it. After the message went (its
/// final reply), a 5xx rejects it and a 4xx defers it, but no reply at all leaves it `unknown`:
/// the server may have taken it, so it is never sent again without being asked.
pub(super) fn verdict(failure: &Failure, tries: u32, retries: u32) -> Verdict {
    let outcome = if failure.stage == Stage::Message {
        match failure.kind {
            FailureKind::Permanent => Outcome::Rejected,
            FailureKind::Transient => Outcome::Deferred,
            _ => Outcome::Unknown,
        }
    } else if failure.is_authentication() {
        return Verdict::StopRun(Outcome::Deferred);
    } else if failure.kind == FailureKind::Permanent {
        Outcome::Rejected
    } else {
        Outcome::Deferred
    };
    if outcome == Outcome::Deferred && tries <= retries {
        Verdict::Retry
    } else {
        Verdict::Ended(outcome)
    }
}

/// What a letter comes to when this run cannot try it now (it stopped, or the relay is gone):
/// nothing on its first try (it was not attempted); else it stays deferred by its last try,
/// whose outcome is recorded.
pub(super) fn untried(tries: u32) -> Option<Outcome> {
    (tries > 1).then_some(Outcome::Deferred)
}

/// Whether a failure to open a connection stops the run at once: the relay refused our
/// credentials, TLS failed, our side refused (no STARTTLS offered), or the relay said 5xx. A
/// relay that is silent or unreachable is tried again a few times first.
pub(super) fn relay_refused(failure: &Failure) -> bool {
    failure.is_authentication()
        || matches!(
            failure.kind,
            FailureKind::Tls | FailureKind::Client | FailureKind::Permanent
        )
}

/// The delay before try `n + 1`: `base * 2^(n-1)`, with ±25 % jitter, at most 15 minutes.
pub(super) fn backoff(base: Duration, n: u32) -> Duration {
    let factor = 2f64.powi(n.saturating_sub(1).min(16) as i32);
    let jitter = 0.75 + fastrand::f64() * 0.5;
    Duration::from_secs_f64((base.as_secs_f64() * factor * jitter).min(900.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::Reply;

    fn failure(stage: Stage, code: Option<u16>, kind: FailureKind) -> Failure {
        Failure {
            stage,
            reply: code.map(|c| Reply::parse_text(c, "x.y.z no")),
            error: code.is_none().then(|| "connection lost".to_owned()),
            kind,
        }
    }

    #[test]
    fn a_failed_try_is_rejected_deferred_unknown_retried_or_stops_the_run() {
        use FailureKind::{Client, Network, Permanent, Timeout, Tls, Transient};
        use Outcome::{Deferred, Rejected, Unknown};
        use Stage::{Data, Mail, Message, Rcpt};
        use Verdict::{Ended, Retry, StopRun};
        // (stage, reply code, kind, try in this run, retries allowed) → verdict
        let table = [
            // Before the message: a 5xx rejects, anything else defers (retried while tries last).
            (Rcpt, Some(550), Permanent, 1, 2, Ended(Rejected)),
            (Mail, Some(553), Permanent, 1, 2, Ended(Rejected)),
            (Data, Some(554), Permanent, 3, 2, Ended(Rejected)),
            (Rcpt, Some(450), Transient, 1, 2, Retry),
            (Rcpt, Some(450), Transient, 2, 2, Retry),
            (Rcpt, Some(450), Transient, 3, 2, Ended(Deferred)),
            (Rcpt, Some(451), Transient, 1, 0, Ended(Deferred)),
            (Mail, Some(421), Transient, 1, 2, Retry),
            (Data, None, Timeout, 1, 2, Retry),
            (Rcpt, None, Network, 1, 0, Ended(Deferred)),
            (Mail, None, Tls, 1, 2, Retry),
            (Mail, None, Client, 1, 2, Retry),
            // The relay refusing our credentials says nothing of the recipient: stop the run.
            (Mail, Some(530), Permanent, 1, 2, StopRun(Deferred)),
            (Rcpt, Some(535), Permanent, 3, 2, StopRun(Deferred)),
            (Mail, Some(534), Transient, 1, 2, StopRun(Deferred)),
            (Data, Some(538), Permanent, 1, 0, StopRun(Deferred)),
            // After the message: a 5xx rejects, a 4xx defers, no reply leaves it unknown.
            (Message, Some(554), Permanent, 1, 2, Ended(Rejected)),
            (Message, Some(452), Transient, 1, 2, Retry),
            (Message, Some(452), Transient, 3, 2, Ended(Deferred)),
            (Message, None, Timeout, 1, 2, Ended(Unknown)),
            (Message, None, Network, 1, 2, Ended(Unknown)),
            (Message, None, Tls, 1, 2, Ended(Unknown)),
            // A 530 to the message itself is about this letter, not a stop.
            (Message, Some(530), Permanent, 1, 2, Ended(Rejected)),
        ];
        for (stage, code, kind, tries, retries, expected) in table {
            let f = failure(stage, code, kind);
            assert_eq!(
                verdict(&f, tries, retries),
                expected,
                "{f} ({kind:?}), try {tries} of 1 + {retries}"
            );
        }
        assert_eq!(Retry.outcome(), Deferred);
        assert_eq!(StopRun(Deferred).outcome(), Deferred);
        assert_eq!(Ended(Unknown).outcome(), Unknown);
    }

    #[test]
    fn a_letter_not_tried_now_is_untouched_on_its_first_try_and_deferred_after() {
        assert_eq!(untried(1), None);
        assert_eq!(untried(2), Some(Outcome::Deferred));
        assert_eq!(untried(5), Some(Outcome::Deferred));
    }

    #[test]
    fn credentials_tls_our_own_refusal_or_a_5xx_stop_connecting_at_once() {
        use FailureKind::{Client, Network, Permanent, Timeout, Tls, Transient};
        use Stage::{Auth, Connect, Greeting, Starttls};
        let table = [
            (Auth, Some(535), Permanent, true),
            (Auth, Some(454), Transient, true),
            (Greeting, Some(530), Permanent, true),
            (Starttls, None, Tls, true),
            (Starttls, None, Client, true),
            (Greeting, Some(554), Permanent, true),
            (Connect, None, Network, false),
            (Connect, None, Timeout, false),
            (Greeting, Some(421), Transient, false),
            // Silence during AUTH is no verdict on the credentials.
            (Auth, None, Timeout, false),
        ];
        for (stage, code, kind, stops) in table {
            let f = failure(stage, code, kind);
            assert_eq!(relay_refused(&f), stops, "{f} ({kind:?})");
        }
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
