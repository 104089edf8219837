//! The rate limit (`--rate`): at most `count` messages in any window of `per`, counted over the
//! sends the log holds and this run's, so a run resumed soon after another keeps to the rate.
//!
//! It decides only when the next message may go; the workers in `deliver` ask it before each
//! `attempt` and wait. The clock is read through `clock`.
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
}

impl Limiter {
    pub(super) fn new(rate: Rate, sent: Vec<SystemTime>) -> Limiter {
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
    pub(super) async fn acquire(limiter: &Mutex<Limiter>, stop: &StopSignal) -> bool {
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
            assert_eq!(limiter.take(at(now)), expected, "at {now} s");
        }
        let mut unlimited = Limiter::new(Rate::Unlimited, vec![at(0.0); 5]);
        assert_eq!(unlimited.take(at(0.0)), Ok(()));
    }
}
