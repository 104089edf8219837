//! The rate limit (`--rate`) holds for what the relay receives: the DATA of each message.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::scripted::{Action, Event, Scripted};
use crate::support::{Campaign, csv};

fn list(n: usize) -> String {
    let rows: Vec<String> = (1..=n)
        .map(|i| format!("org-{i:03},Cơ quan số {i},vanthu{i}@co-quan.example,,"))
        .collect();
    csv(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The most DATA commands the relay saw in any window of `per` (less a little for the time a
/// command takes on the way, which no client can promise).
fn most_in_a_window(times: &[Instant], per: Duration) -> usize {
    let window = per - Duration::from_millis(30);
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn the_rate_holds_for_what_reaches_the_relay_when_a_recipient_is_slow() {
    // The relay answers the first RCPT after 1.5 s: the letter that took its slot before MAIL
    // reaches DATA late, when the rate has let others through.
    let rcpts = Arc::new(AtomicUsize::new(0));
    let data: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let server = {
        let (rcpts, data) = (rcpts.clone(), data.clone());
        Scripted::start(move |e| match e {
            Event::Command(c) if c.starts_with("RCPT") => {
                if rcpts.fetch_add(1, Ordering::SeqCst) == 0 {
                    Action::Delay(Duration::from_millis(1500))
                } else {
                    Action::Default
                }
            }
            Event::Command(c) if c.eq_ignore_ascii_case("DATA") => {
                data.lock().unwrap().push(Instant::now());
                Action::Default
            }
            _ => Action::Default,
        })
    };
    let mut c = Campaign::with_csv(&list(8));
    c.relay(server.port);
    c.run(&["send", "--yes", "--rate", "3/second", "--concurrency", "3"])
        .code(0);
    let mut times = data.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 8);
    let most = most_in_a_window(&times, Duration::from_secs(1));
    assert!(
        most <= 3,
        "{most} messages reached the relay within a second: {times:?}"
    );
}
