//! Results made on several threads, handed on in list order.
//!
//! The plan and the producer render and build letters on every core; the manifest and the
//! delivery queue still follow the order of the recipient list, so progress, logs and outboxes
//! read in the order the clerk wrote the list. This module only reorders; it does no work.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Items by position (0, 1, 2, …), released strictly in that order.
pub struct InOrder<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    next: usize,
    waiting: BTreeMap<usize, Option<T>>,
}

impl<T> InOrder<T> {
    pub fn new() -> InOrder<T> {
        InOrder {
            state: Mutex::new(State {
                next: 0,
                waiting: BTreeMap::new(),
            }),
        }
    }

    /// Settles position `index` with `item` (`None`: nothing at this position) and hands every
    /// item whose turn has come to `emit`, in order. `emit` runs under a lock, so only one thread
    /// emits at a time.
    pub fn settle<E>(
        &self,
        index: usize,
        item: Option<T>,
        mut emit: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut state = self.state.lock().expect("in-order state");
        state.waiting.insert(index, item);
        loop {
            let next = state.next;
            let Some(item) = state.waiting.remove(&next) else {
                return Ok(());
            };
            state.next += 1;
            if let Some(item) = item {
                emit(item)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InOrder;

    #[test]
    fn releases_in_order_whatever_order_they_come_in() {
        let order = InOrder::new();
        let mut out = Vec::new();
        for (index, item) in [
            (2, Some('c')),
            (0, Some('a')),
            (3, None),
            (1, Some('b')),
            (4, Some('e')),
        ] {
            order
                .settle(index, item, |c| {
                    out.push(c);
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        assert_eq!(out, ['a', 'b', 'c', 'e']);
    }
}
