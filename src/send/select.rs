//! Which letters a run sends: the operator's choice (`--only`, `--limit`, `--retry-failed`,
//! `--resend-unknown`), where a test send goes, and the resume decisions taken from the ledger,
//! with the two guards that keep a letter from going twice when keys change (`same_key_source`,
//! `no_second_letter`).
//!
//! Pure: it reads the plan and the ledger and decides; it reads no file, sends nothing and
//! prints nothing. Its refusals are worded in `locales/*/send.ftl`.

use std::collections::{HashMap, HashSet};

use anyhow::bail;

use super::job::Planned;
use crate::config::{Pick, SendOptions};
use crate::delivery_log::{Arrival, Mode, Reason};
#[cfg(test)]
use crate::ledger::Status;
use crate::ledger::{Ledger, State};
use crate::message::Redirect;
use crate::recipients::KeySource;

/// Where a run's letters go: to the organisations, or (a test send) all to one test mailbox,
/// marked as tests and never counted as delivered.
#[derive(Debug, Clone)]
pub(super) enum Destination {
    Campaign,
    Test(Redirect),
}

impl Destination {
    pub(super) fn of(options: &SendOptions, run: &str) -> Destination {
        match &options.redirect_to {
            None => Destination::Campaign,
            Some(to) => Destination::Test(Redirect {
                to: to.clone(),
                run: run.to_owned(),
            }),
        }
    }

    /// The test mailbox the letters are redirected to, if this is a test send.
    pub(super) fn redirect(&self) -> Option<&Redirect> {
        match self {
            Destination::Campaign => None,
            Destination::Test(redirect) => Some(redirect),
        }
    }

    /// The `mode` its `run_started` records.
    pub(super) fn mode(&self) -> Mode {
        match self {
            Destination::Campaign => Mode::Send,
            Destination::Test(_) => Mode::Test,
        }
    }
}

/// The operator's choice of rows as the rows come: the `--only` keys (all rows when none) and
/// at most `--limit` of them. The dry run asks it row by row; `select` asks it after the log's
/// own decisions.
pub(super) struct Choice<'o> {
    /// Every key the operator named, by `--only` or `--resend-unknown`.
    only: HashSet<&'o str>,
    pick: &'o Pick,
    limit: Option<usize>,
    taken: usize,
}

impl<'o> Choice<'o> {
    pub(super) fn new(options: &'o SendOptions) -> Choice<'o> {
        Choice {
            only: options.pick.named().collect(),
            pick: &options.pick,
            limit: options.limit,
            taken: 0,
        }
    }

    /// Whether the operator named this key (or named none).
    pub(super) fn named(&self, key: &str) -> bool {
        self.only.is_empty() || self.only.contains(key)
    }

    /// Whether the operator named this very key with `--only`.
    pub(super) fn named_explicitly(&self, key: &str) -> bool {
        self.only.contains(key)
    }

    /// Whether the limit leaves room for one more letter; if so, that letter is taken.
    pub(super) fn take(&mut self) -> bool {
        let room = self.limit.is_none_or(|n| self.taken < n);
        self.taken += usize::from(room);
        room
    }

    /// The named keys that are not in the list: a typing mistake to report, not to ignore,
    /// said with the flag that named them.
    pub(super) fn unknown_keys(&self, keys: &HashSet<&str>) -> anyhow::Result<()> {
        let named = [
            ("--only", self.pick.only()),
            ("--resend-unknown", self.pick.unknown()),
        ];
        for (flag, named) in named {
            let mut missing: Vec<&str> = named
                .iter()
                .map(String::as_str)
                .filter(|k| !keys.contains(k))
                .collect();
            if missing.is_empty() {
                continue;
            }
            missing.sort_unstable();
            let keys: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
            bail!(t!(
                "send-only-unknown-keys",
                flag = flag,
                keys = keys.join(", ")
            ))
        }
        Ok(())
    }
}

/// What a run will send, decided from the log.
#[derive(Debug)]
pub(super) struct Selection {
    pub(super) jobs: Vec<Job>,
    /// Letters settled before this run (accepted, or waiting for the operator's decision).
    pub(super) skipped: u64,
    /// Letters chosen but left for a later run by `--limit`.
    pub(super) pending: u64,
    pub(super) accepted_before: u64,
    pub(super) total: usize,
}

/// One letter to send, with what the log says of its earlier tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Job {
    pub(super) key: String,
    /// Attempts made in earlier runs.
    pub(super) attempts: u32,
    pub(super) reason: Option<Reason>,
    /// The Message-ID earlier attempts carried: every later try keeps it.
    pub(super) message_id: Option<String>,
}

impl Selection {
    pub(super) fn describe(&self) -> String {
        t!(
            "send-selection",
            accepted = self.accepted_before,
            total = self.total,
            waiting = self.skipped - self.accepted_before
        )
    }
}

/// Decides what a run sends. A test send ignores the log (tests never count); a real one sends
/// what was never sent, deferred or interrupted, plus what the operator asked for by flag.
pub(super) fn select(
    planned: &[Planned],
    ledger: &Ledger,
    options: &SendOptions,
    destination: &Destination,
) -> anyhow::Result<Selection> {
    let mut choice = Choice::new(options);
    choice.unknown_keys(&planned.iter().map(|p| p.key.as_str()).collect())?;
    let resend: HashSet<&str> = options.pick.unknown().iter().map(String::as_str).collect();
    for key in &resend {
        let state = ledger.recipients.get(*key).map(|r| r.state);
        if !state.is_some_and(State::in_doubt) {
            bail!(t!(
                "send-resend-unknown-not-unknown",
                key = *key,
                state = state.map_or_else(|| t!("send-not-attempted-yet"), State::described)
            ));
        }
    }
    let mut selection = Selection {
        jobs: Vec::new(),
        skipped: 0,
        pending: 0,
        accepted_before: 0,
        total: planned.len(),
    };
    for p in planned {
        if !choice.named(&p.key) {
            continue;
        }
        let history = match destination {
            Destination::Campaign => ledger.recipients.get(&p.key),
            Destination::Test(_) => None,
        };
        // A bounce that says the address does not exist is not sent again by `--retry-failed`
        // alone: the same address would bounce again. Naming the key says it was corrected.
        let hopeless = history
            .filter(|r| r.state.report() == Some(Arrival::Bounced))
            .and_then(|r| r.reports.bounce.as_ref())
            .is_some_and(|b| b.no_such_address())
            && !choice.named_explicitly(&p.key);
        let reason = match history.map(|r| r.state) {
            None => None,
            Some(state) if !state.settled() => None,
            Some(state) if state.failed() && options.retry_failed && !hopeless => {
                Some(Reason::RetryFailed)
            }
            Some(state) if state.in_doubt() && resend.contains(p.key.as_str()) => {
                Some(Reason::ResendUnknown)
            }
            Some(state) => {
                selection.skipped += 1;
                selection.accepted_before += u64::from(state.may_have_arrived());
                continue;
            }
        };
        if !choice.take() {
            selection.pending += 1;
            continue;
        }
        selection.jobs.push(Job {
            key: p.key.clone(),
            attempts: history.map_or(0, |r| r.attempts),
            reason,
            message_id: history.map(|r| r.message_id.clone()),
        });
    }
    Ok(selection)
}

/// Refuses a list whose keys come from somewhere else than the keys in the log: a renamed or
/// deleted `id` column would give every organisation a new key, and resume matches letters by
/// key, so every letter already accepted would go out again.
pub(super) fn same_key_source(csv: &str, now: &KeySource, ledger: &Ledger) -> anyhow::Result<()> {
    let Some(logged) = ledger.key_source.as_deref().map(KeySource::parse) else {
        return Ok(()); // A log from before key sources were recorded: the address check remains.
    };
    if now.same_as(&logged) {
        return Ok(());
    }
    bail!(match (&logged, now) {
        (KeySource::Column(old), KeySource::FirstAddress) => {
            t!("send-key-column-gone", old = old, list = csv)
        }
        (KeySource::FirstAddress, KeySource::Column(new)) => {
            t!("send-key-column-added", new = new, list = csv)
        }
        (KeySource::Column(old), new) => t!(
            "send-key-column-renamed",
            old = old,
            new = new.to_string(),
            list = csv
        ),
        (KeySource::FirstAddress, KeySource::FirstAddress) => unreachable!("same source"),
    })
}

/// Refuses to send a letter to an address that already accepted this campaign's letter under
/// another key (a key changed by hand, a row pasted with a new id): the organisation would get
/// the letter twice. An address that several rows of the list share (a common Cc) says nothing
/// about who a row is, and does not count. `--only KEY` sends such a letter on purpose.
pub(super) fn no_second_letter(
    csv: &str,
    planned: &[Planned],
    ledger: &Ledger,
    selection: &Selection,
    options: &SendOptions,
) -> anyhow::Result<()> {
    let conflicts = second_letters(planned, ledger, selection, options);
    if conflicts.is_empty() {
        return Ok(());
    }
    let n = conflicts.len();
    let mut lines: Vec<String> = conflicts
        .iter()
        .take(10)
        .map(|c| {
            let line = t!(
                "send-second-letter-line",
                line = c.line,
                key = &c.key,
                address = &c.address,
                earlier = &c.earlier
            );
            format!("  {line}")
        })
        .collect();
    if n > 10 {
        lines.push(format!(
            "  {}",
            t!("send-second-letter-more", count = n - 10)
        ));
    }
    bail!(t!(
        "send-second-letter",
        count = n,
        lines = lines.join("\n"),
        list = csv
    ))
}

/// A planned letter whose address accepted the letter under another key.
#[derive(Debug, PartialEq, Eq)]
struct Conflict {
    line: u64,
    key: String,
    address: String,
    earlier: String,
}

fn second_letters(
    planned: &[Planned],
    ledger: &Ledger,
    selection: &Selection,
    options: &SendOptions,
) -> Vec<Conflict> {
    let mut accepted_by: HashMap<String, &str> = HashMap::new();
    for (key, r) in &ledger.recipients {
        // Delivered, read, auto-replied or delayed after: the relay took it all the same.
        if r.state.may_have_arrived() {
            for address in &r.addresses {
                accepted_by.insert(address.to_lowercase(), key);
            }
        }
    }
    let mut uses: HashMap<&str, u32> = HashMap::new();
    for address in planned.iter().flat_map(|p| &p.addresses) {
        *uses.entry(address).or_default() += 1;
    }
    let by_key: HashMap<&str, &Planned> = planned.iter().map(|p| (p.key.as_str(), p)).collect();
    let named: HashSet<&str> = options.pick.named().collect();
    let mut conflicts = Vec::new();
    for job in &selection.jobs {
        let p = by_key[job.key.as_str()];
        if named.contains(p.key.as_str()) {
            continue;
        }
        let earlier = p.addresses.iter().find_map(|a| {
            let other = *accepted_by.get(a)?;
            (uses[a.as_str()] == 1 && other != p.key).then_some((a, other))
        });
        if let Some((address, other)) = earlier {
            conflicts.push(Conflict {
                line: p.line,
                key: p.key.clone(),
                address: address.clone(),
                earlier: other.to_owned(),
            });
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, text_in};

    #[test]
    fn the_second_letter_refusal_keeps_its_lines_in_both_languages() {
        let said = |lang, count: usize| {
            let args = vec![
                ("count", count.into()),
                ("lines", "  one\n  two".into()),
                ("list", "recipients/a.csv".into()),
            ];
            text_in(lang, "send-second-letter", args)
        };
        let one = said(Lang::En, 1);
        assert!(one.starts_with("1 letter would go to an address that already has"));
        assert!(one.contains("; nothing was sent:\n  one\n  two\nIf a row is the organisation"));
        assert!(said(Lang::En, 2).starts_with("2 letters would go"));
        let vi = said(Lang::Vi, 2);
        assert!(vi.starts_with("2 thư sẽ gửi đến"), "{vi}");
        assert!(
            vi.contains("chưa gửi thư nào:\n  one\n  two\nNếu dòng đó"),
            "{vi}"
        );
    }
    use crate::delivery_log::{Body, Letter, Outcome, Record};
    use crate::smtp::{Reply, Stage};

    fn planned(key: &str, addresses: &[&str]) -> Planned {
        Planned {
            key: key.into(),
            line: 2,
            organisation: format!("Sở {key}"),
            addresses: addresses.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    /// A ledger in which each key ended its one attempt so (`None`: attempted, no outcome).
    fn ledger(history: &[(&str, &str, Option<Outcome>)]) -> Ledger {
        let mut ledger = Ledger::for_sending();
        for (seq, (key, address, outcome)) in history.iter().enumerate() {
            let letter = Letter {
                key: (*key).into(),
                row: 2,
                to: vec![(*address).into()],
                message_id: format!("<{key}@x>"),
                sha256: "ab".into(),
                archive: "a.eml".into(),
                attempt: 1,
                test: false,
            };
            let mut add = |body| {
                ledger.add(&Record {
                    seq: seq as u64,
                    time: "2026-11-26T08:00:00.000Z".into(),
                    run: "r".into(),
                    prev: String::new(),
                    hash: String::new(),
                    body,
                })
            };
            add(letter.attempt("Sở", None));
            if let Some(outcome) = outcome {
                add(Body::Data(letter.clone()));
                let reply = Some(Reply::parse_text(250, "ok"));
                add(letter.ended(*outcome, Stage::Message, reply, None));
            }
        }
        ledger
    }

    fn options(only: &[&str], limit: Option<usize>, retry_failed: bool) -> SendOptions {
        let only: Vec<String> = only.iter().map(|k| (*k).to_owned()).collect();
        SendOptions {
            pick: if only.is_empty() {
                Pick::All
            } else {
                Pick::Only(only)
            },
            limit,
            retry_failed,
            ..SendOptions::default()
        }
    }

    fn keys(selection: &Selection) -> Vec<&str> {
        selection.jobs.iter().map(|j| j.key.as_str()).collect()
    }

    #[test]
    fn the_log_and_the_flags_decide_what_is_sent() {
        let plan = [
            planned("a", &["a@x"]),
            planned("b", &["b@x"]),
            planned("c", &["c@x"]),
            planned("d", &["d@x"]),
            planned("e", &["e@x"]),
        ];
        let log = ledger(&[
            ("a", "a@x", Some(Outcome::Accepted)),
            ("b", "b@x", Some(Outcome::Rejected)),
            ("c", "c@x", Some(Outcome::Deferred)),
            ("d", "d@x", None),
        ]);
        let test = Destination::Test(Redirect {
            to: "t@x.example".parse().unwrap(),
            run: "r".into(),
        });
        for (options, destination, expected, skipped, pending) in [
            (
                options(&[], None, false),
                Destination::Campaign,
                vec!["c", "d", "e"],
                2,
                0,
            ),
            (
                options(&[], None, true),
                Destination::Campaign,
                vec!["b", "c", "d", "e"],
                1,
                0,
            ),
            (
                options(&[], Some(1), false),
                Destination::Campaign,
                vec!["c"],
                2,
                2,
            ),
            (
                options(&["a", "e"], None, false),
                Destination::Campaign,
                vec!["e"],
                1,
                0,
            ),
            (
                options(&[], Some(2), false),
                test.clone(),
                vec!["a", "b"],
                0,
                3,
            ),
        ] {
            let s = select(&plan, &log, &options, &destination).unwrap();
            assert_eq!(keys(&s), expected, "{options:?}");
            assert_eq!((s.skipped, s.pending), (skipped, pending), "{options:?}");
        }
        let retry = select(
            &plan,
            &log,
            &options(&["b"], None, true),
            &Destination::Campaign,
        );
        let job = &retry.unwrap().jobs[0];
        assert_eq!(job.reason, Some(Reason::RetryFailed));
        assert_eq!(
            (job.attempts, job.message_id.as_deref()),
            (1, Some("<b@x>"))
        );
        let typo = select(
            &plan,
            &log,
            &options(&["zz"], None, false),
            &Destination::Campaign,
        );
        assert!(typo.unwrap_err().to_string().contains("`zz`"));
    }

    #[test]
    fn an_address_accepted_under_another_key_is_a_second_letter_unless_shared_or_named() {
        let plan = [
            planned("a2", &["a@x", "office@x"]),
            planned("b", &["b@x", "office@x"]),
            planned("c", &["c@x"]),
        ];
        let log = ledger(&[
            ("a", "a@x", Some(Outcome::Accepted)),
            ("z", "office@x", Some(Outcome::Accepted)),
        ]);
        let all = options(&[], None, false);
        let s = select(&plan, &log, &all, &Destination::Campaign).unwrap();
        let found = second_letters(&plan, &log, &s, &all);
        assert_eq!(
            found,
            [Conflict {
                line: 2,
                key: "a2".into(),
                address: "a@x".into(),
                earlier: "a".into(),
            }],
            "office@x is shared by two rows and says nothing"
        );
        let named = options(&["a2"], None, false);
        let s = select(&plan, &log, &named, &Destination::Campaign).unwrap();
        assert!(second_letters(&plan, &log, &s, &named).is_empty());
    }

    /// Adds a bounce report about `key`'s accepted letter.
    fn bounce(ledger: &mut Ledger, key: &str, status: &str) {
        use crate::delivery_log::{Evidence, ReportKind, Tracked};
        let arrival = Arrival::Bounced;
        let tracked = Tracked {
            key: key.into(),
            message_id: format!("<{key}@x>"),
            recipient: format!("{key}@x"),
            report: Evidence {
                kind: ReportKind::Dsn,
                status: Some(status.into()),
                action: Some("failed".into()),
                diagnostic: None,
                reporting_mta: None,
                arrival: None,
                uid: 1,
                sha256: format!("{key}{status}"),
                archive: "r.eml".into(),
            },
        };
        ledger.add(&Record {
            seq: 99,
            time: "2026-11-27T08:00:00.000Z".into(),
            run: "t".into(),
            prev: String::new(),
            hash: String::new(),
            body: Body::Report { arrival, tracked },
        });
    }

    #[test]
    fn retry_failed_sends_a_bounced_letter_again_unless_its_address_does_not_exist() {
        let plan = [planned("a", &["a@x"]), planned("b", &["b@x"])];
        let mut log = ledger(&[
            ("a", "a@x", Some(Outcome::Accepted)),
            ("b", "b@x", Some(Outcome::Accepted)),
        ]);
        bounce(&mut log, "a", "5.1.1"); // no such mailbox
        bounce(&mut log, "b", "4.4.7"); // expired in the queue
        assert_eq!(log.recipients["a"].state.status(), Status::Bounced);
        let plain = select(
            &plan,
            &log,
            &options(&[], None, false),
            &Destination::Campaign,
        );
        assert!(
            keys(&plain.unwrap()).is_empty(),
            "a bounce waits for the operator"
        );
        let retry = select(
            &plan,
            &log,
            &options(&[], None, true),
            &Destination::Campaign,
        );
        assert_eq!(keys(&retry.unwrap()), ["b"]);
        let named = select(
            &plan,
            &log,
            &options(&["a"], None, true),
            &Destination::Campaign,
        );
        let named = named.unwrap();
        assert_eq!(keys(&named), ["a"], "named: the address was corrected");
        assert_eq!(named.jobs[0].reason, Some(Reason::RetryFailed));
    }

    #[test]
    fn a_choice_takes_named_keys_up_to_the_limit() {
        let options = options(&["a", "b", "c"], Some(2), false);
        let mut choice = Choice::new(&options);
        let taken: Vec<&str> = ["a", "x", "b", "c"]
            .into_iter()
            .filter(|k| choice.named(k) && choice.take())
            .collect();
        assert_eq!(taken, ["a", "b"]);
    }
}
