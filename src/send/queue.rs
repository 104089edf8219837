//! Where a delivery worker's next letter comes from: a retry whose time has come, else the
//! producer's next letter.
//!
//! A letter the relay deferred (a 4xx, greylisting, a connection lost before the message) waits
//! here with a not-before time instead of in its worker: no worker and no connection is held
//! while it waits, so one greylisted address cannot stall the campaign. Retries are ordered by
//! the time they are due (then by when they were deferred); a due retry goes before the next
//! new letter. This module decides nothing about a letter: `deliver` says when to retry it, and
//! what a try came to.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::job::Work;
use super::stop::StopSignal;

/// A letter and the tries it has had in this run.
pub(super) struct Turn {
    pub(super) work: Work,
    /// Tries made in this run so far (0 for a letter from the producer).
    pub(super) tries: u32,
}

/// What a worker should do next. (One lives at a time per worker, so the size of a `Letter`
/// is not worth a box.)
#[allow(clippy::large_enum_variant)]
pub(super) enum Next {
    /// Try this letter.
    Letter(Turn),
    /// Nothing but retries is left and none is due: come back at `until` (or sooner).
    Wait { until: Instant },
    /// Nothing is left, or the run is stopping.
    Done,
}

/// How many letters wait for a retry, and when the first is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Waiting {
    pub(super) letters: usize,
    pub(super) next: Instant,
}

/// The producer's channel and the letters waiting for their retry, shared by the workers.
pub(super) struct Queue {
    letters: tokio::sync::Mutex<Receiver<Work>>,
    /// The producer is done and its channel is empty: only retries can come now.
    drained: AtomicBool,
    retries: Mutex<Retries>,
}

#[derive(Default)]
struct Retries {
    /// By (due, order of deferral): the first entry is the next retry due.
    due: BTreeMap<(Instant, u64), Turn>,
    deferrals: u64,
}

impl Queue {
    pub(super) fn new(letters: Receiver<Work>) -> Queue {
        Queue {
            letters: tokio::sync::Mutex::new(letters),
            drained: AtomicBool::new(false),
            retries: Mutex::new(Retries::default()),
        }
    }

    /// Puts a deferred letter back, not to be tried before `due`.
    pub(super) fn defer(&self, turn: Turn, due: Instant) {
        let mut retries = self.retries.lock().expect("retries");
        let order = retries.deferrals;
        retries.deferrals += 1;
        retries.due.insert((due, order), turn);
    }

    /// The letters waiting for a retry, if any.
    pub(super) fn waiting(&self) -> Option<Waiting> {
        let retries = self.retries.lock().expect("retries");
        let (&(next, _), _) = retries.due.first_key_value()?;
        Some(Waiting {
            letters: retries.due.len(),
            next,
        })
    }

    /// Takes every letter still waiting (the run is over): they stay deferred.
    pub(super) fn take_waiting(&self) -> Vec<Turn> {
        let mut retries = self.retries.lock().expect("retries");
        std::mem::take(&mut retries.due).into_values().collect()
    }

    /// The next letter: a retry that is due, else the producer's next letter, whichever comes
    /// first; `Wait` once the producer is done and the retries left are not due yet; `Done` when
    /// nothing is left or the run is stopping. A worker that puts a retry back always asks again,
    /// so a retry never waits without a worker to take it.
    pub(super) async fn next(&self, stop: &StopSignal) -> Next {
        loop {
            if stop.reason().is_some() {
                return Next::Done;
            }
            let first_due = {
                let mut retries = self.retries.lock().expect("retries");
                match retries.due.first_entry() {
                    Some(first) if first.key().0 <= Instant::now() => {
                        return Next::Letter(first.remove());
                    }
                    Some(first) => Some(first.key().0),
                    None => None,
                }
            };
            if self.drained.load(Ordering::SeqCst) {
                return first_due.map_or(Next::Done, |until| Next::Wait { until });
            }
            // Cancelling either wait loses nothing: a letter is handed over only by a `recv`
            // that completed, and tokio's `recv` is cancel-safe.
            tokio::select! {
                received = async { self.letters.lock().await.recv().await } => match received {
                    Some(work) => return Next::Letter(Turn { work, tries: 0 }),
                    None => self.drained.store(true, Ordering::SeqCst),
                },
                () = sleep_until(first_due) => {}
                () = stop.requested() => return Next::Done,
            }
        }
    }
}

/// Sleeps until `until`, or forever without one.
async fn sleep_until(until: Option<Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::super::stop::Stop;
    use super::*;
    use crate::message::Letter;

    fn work(key: &str) -> Work {
        Work {
            letter: Letter {
                key: key.to_owned(),
                line: 2,
                organisation: key.to_owned(),
                envelope: vec!["vanthu@co-quan.example".parse().unwrap()],
                message_id: format!("<{key}@test>"),
                bytes: Vec::new(),
                sha256: String::new(),
                attached: Vec::new(),
                documents: Vec::new(),
            },
            archive: String::new(),
            attempts: 0,
            reason: None,
            test: false,
        }
    }

    fn key(next: Next) -> String {
        match next {
            Next::Letter(turn) => turn.work.letter.key,
            Next::Wait { .. } => "(wait)".to_owned(),
            Next::Done => "(done)".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_due_retry_goes_before_new_letters_and_retries_go_in_due_order() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(work("new")).await.unwrap();
        let queue = Queue::new(rx);
        let stop = StopSignal::new();
        let now = Instant::now();
        let later = now - Duration::from_secs(1);
        queue.defer(
            Turn {
                work: work("second"),
                tries: 1,
            },
            later,
        );
        queue.defer(
            Turn {
                work: work("first"),
                tries: 2,
            },
            now - Duration::from_secs(2),
        );
        queue.defer(
            Turn {
                work: work("third"),
                tries: 1,
            },
            later,
        );
        let mut order = Vec::new();
        for _ in 0..4 {
            order.push(key(queue.next(&stop).await));
        }
        assert_eq!(order, ["first", "second", "third", "new"]);
    }

    #[tokio::test]
    async fn a_retry_not_due_lets_new_letters_go_then_is_waited_for() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(work("new")).await.unwrap();
        drop(tx);
        let queue = Queue::new(rx);
        let stop = StopSignal::new();
        let due = Instant::now() + Duration::from_secs(60);
        queue.defer(
            Turn {
                work: work("grey"),
                tries: 1,
            },
            due,
        );
        assert_eq!(key(queue.next(&stop).await), "new");
        assert!(matches!(queue.next(&stop).await, Next::Wait { until } if until == due));
        assert_eq!(
            queue.waiting(),
            Some(Waiting {
                letters: 1,
                next: due
            })
        );
        assert_eq!(queue.take_waiting().len(), 1);
        assert!(matches!(queue.next(&stop).await, Next::Done));
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait_for_the_producer() {
        let (_tx, rx) = mpsc::channel::<Work>(4);
        let queue = std::sync::Arc::new(Queue::new(rx));
        let stop = StopSignal::new();
        let waiting = {
            let (queue, stop) = (queue.clone(), stop.clone());
            tokio::spawn(async move { key(queue.next(&stop).await) })
        };
        tokio::task::yield_now().await;
        stop.request(Stop::interrupted());
        assert_eq!(waiting.await.unwrap(), "(done)");
    }
}
