//! The rate limit (`--rate`): at most `count` messages in any window of `per`, counted over the
//! sends the log holds and this run's, so a run resumed soon after another keeps to the rate.
//!
//! What counts is the moment a message goes to the relay: the `data` record, which is also what
//! a later run reads back. A worker reserves a slot before MAIL FROM (waiting there, with no
//! transaction open) and stamps it with the time right before DATA; a reservation counts as
//! taken until then and is given back when the letter goes no further (a refused RCPT, a stop).
//! As every reserved slot counts in the window at any instant and a stamped one is stamped
//! "now", no window ending at any instant holds more than `count` messages, however many
//! workers there are. The clock is read through `clock`.
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::stop::StopSignal;
use crate::clock;
use crate::config::Rate;

/// The rate limit, counted over the log's sends and this run's.
pub(super) struct Limiter {
    rate: Rate,
    times: VecDeque<SystemTime>,
    /// Slots reserved and not yet stamped: they count in every window until they are.
    reserved: usize,
}

/// A reserved slot: `send` stamps it right before DATA; dropped unstamped, it is given back.
pub(super) struct Slot<'a> {
    limiter: Option<&'a Mutex<Limiter>>,
}

impl Slot<'_> {
    /// The message goes to the relay now: the slot counts from this moment.
    pub(super) fn send(mut self) {
        if let Some(limiter) = self.limiter.take() {
            limiter.lock().expect("limiter").stamp(clock::now());
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(limiter) = self.limiter.take() {
            limiter.lock().expect("limiter").release();
        }
    }
}

impl Limiter {
    pub(super) fn new(rate: Rate, sent: Vec<SystemTime>) -> Limiter {
        let mut times: VecDeque<SystemTime> = sent.into();
        if let Rate::Limited { count, .. } = rate {
            while times.len() > count as usize {
                times.pop_front();
            }
        }
        Limiter {
            rate,
            times,
            reserved: 0,
        }
    }

    /// Reserves a slot if one more message fits in the window now; else says how long to wait.
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
        if self.times.len() + self.reserved < count as usize {
            self.reserved += 1;
            return Ok(());
        }
        // Full: the oldest stamped slot leaving the window frees one; a reserved one frees one
        // when it is given back, which `acquire` notices on its next look.
        let leaves = self.times.front().map_or(per, |oldest| {
            (*oldest + per).duration_since(now).unwrap_or_default()
        });
        if self.reserved > 0 {
            return Err(leaves.min(Duration::from_millis(100)));
        }
        Err(leaves)
    }

    /// A reserved slot's message goes now.
    fn stamp(&mut self, now: SystemTime) {
        if let Rate::Limited { .. } = self.rate {
            self.reserved -= 1;
            self.times.push_back(now);
        }
    }

    /// A reserved slot's message does not go.
    fn release(&mut self) {
        if let Rate::Limited { .. } = self.rate {
            self.reserved -= 1;
        }
    }

    /// Waits until one more message fits in the window and reserves its slot. None if stopped.
    pub(super) async fn acquire<'a>(
        limiter: &'a Mutex<Limiter>,
        stop: &StopSignal,
    ) -> Option<Slot<'a>> {
        loop {
            let taken = limiter.lock().expect("limiter").take(clock::now());
            match taken {
                Ok(()) => {
                    return Some(Slot {
                        limiter: Some(limiter),
                    });
                }
                Err(wait) => {
                    if !stop.sleep(wait.max(Duration::from_millis(10))).await {
                        return None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let taken = limiter.take(at(now));
            assert_eq!(taken, expected, "at {now} s");
            if taken.is_ok() {
                limiter.stamp(at(now));
            }
        }
        // A reserved slot counts until it is stamped or given back; given back, it is free.
        assert_eq!(limiter.take(at(60.0)), Ok(()));
        assert_eq!(limiter.take(at(60.0)), Err(Duration::from_millis(100)));
        limiter.release();
        assert_eq!(limiter.take(at(60.0)), Ok(()));
        // Stamped late (before DATA), it counts from then.
        limiter.stamp(at(65.0));
        assert_eq!(limiter.take(at(110.5)), Ok(()));
        limiter.stamp(at(110.5));
        assert_eq!(limiter.take(at(111.0)), Ok(()));
        limiter.stamp(at(111.0));
        assert_eq!(limiter.take(at(111.5)), Err(Duration::from_secs_f64(13.5)));
        let mut unlimited = Limiter::new(Rate::Unlimited, vec![at(0.0); 5]);
        assert_eq!(unlimited.take(at(0.0)), Ok(()));
    }
}
