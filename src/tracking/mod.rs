//! Proof of arrival: what happened to the letters after the relay took them. `letterpost track`
//! reads the reports that came back to the campaign's return path (delivery status
//! notifications, older MTAs' bounces, read receipts, automatic replies) from an IMAP mailbox,
//! matches each to a letter, archives its exact bytes and appends what it proves to the delivery
//! log.
//!
//! `report` parses one message (no I/O); `imap` reads the folder (never changes it); this module
//! matches reports to letters (by envelope id, then the original Message-ID, then In-Reply-To
//! and References; never by subject) and writes the records. It holds the campaign lock only
//! while it appends, so `track --watch` can run beside a send; what is read while a send holds
//! the campaign waits for the next poll.
//!
//! What `track` says to a person is worded in `locales/*/track.ftl`; what it records is not.

pub mod imap;
pub mod report;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;

use crate::archive::Archive;
use crate::clock;
use crate::config::{Config, ImapSettings, operator};
use crate::delivery_log::{
    self, Arrival, Body, Counts, Evidence, Log, MailboxMark, Mode, RunFinished, RunStarted,
    Tracked, Unread,
};
use crate::error::{Error, Stop};
use crate::evidence::{Letters, Refused};
use crate::ledger::Ledger;
use crate::lock::Lock;
use crate::report::ExitCode;

/// How long a poll waits for a send to let go of the campaign before it leaves its reports for
/// the next poll.
const PATIENCE: Duration = Duration::from_secs(5);

/// `letterpost track [--watch]`.
pub fn track(config: &Config, watch: bool) -> Result<ExitCode, Error> {
    let Some(settings) = &config.tracking.imap else {
        return Err(anyhow::anyhow!(t!("track-no-mailbox")).into());
    };
    let password = config.imap_password(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .with_context(|| t!("track-no-runtime"))?;
    runtime.block_on(async {
        let mut look = false;
        loop {
            match poll(config, settings, &password, watch).await? {
                Ok(needs_a_look) => look |= needs_a_look,
                // A watch outlives a server that is down for a while: it says so and looks
                // again at the next poll. A single look reports it (exit 3), as it does a
                // refused login, a missing folder or a certificate problem, which will not
                // mend by themselves.
                Err(e) if watch && may_come_back(&e) => {
                    eprintln!(
                        "{}",
                        t!(
                            "track-looking-again",
                            error = t!("track-cannot-read", error = e.to_string()),
                            seconds = config.tracking.poll.as_secs()
                        )
                    );
                }
                Err(e) => {
                    let said = t!("track-cannot-read", error = e.to_string());
                    return Err(Stop::new(said).into());
                }
            }
            if !watch {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(config.tracking.poll) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        Ok(if look {
            ExitCode::Partial
        } else {
            ExitCode::Success
        })
    })
}

/// Whether a mailbox that could not be read may be back at the next look: a server that cannot
/// be reached or stops answering.
fn may_come_back(e: &imap::Error) -> bool {
    matches!(
        e,
        imap::Error::Connect { .. }
            | imap::Error::Timeout { .. }
            | imap::Error::Protocol { .. }
            | imap::Error::Closed { .. }
    )
}

/// One look at the mailbox: reads what is new, records what it proves. True if something needs
/// a look (it recorded a bounce, or could not read a message); the mailbox's own error, as it
/// is, when it could not be read.
async fn poll(
    config: &Config,
    settings: &ImapSettings,
    password: &secrecy::SecretString,
    watch: bool,
) -> anyhow::Result<Result<bool, imap::Error>> {
    let (ledger, letters, _) = read_log(config)?;
    let cursor = ledger
        .mailbox
        .as_ref()
        .filter(|m| m.folder == settings.folder)
        .map(|m| imap::Cursor {
            uidvalidity: m.uidvalidity,
            last_uid: m.last_uid,
        });
    let mailbox = match imap::read(settings, password, cursor, imap::Limits::default()).await {
        Ok(mailbox) => mailbox,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(e) = &mailbox.logout_error {
        eprintln!("{}", t!("track-logout-unclean", error = e.to_string()));
    }
    if mailbox.reread {
        eprintln!("{}", t!("track-renumbered", folder = &settings.folder));
    }
    for uid in &mailbox.beyond_next {
        eprintln!(
            "{}",
            t!(
                "track-uid-beyond-next",
                uid = *uid,
                folder = &settings.folder
            )
        );
    }
    let unread = unread(&mailbox);
    if mailbox.messages.is_empty()
        && unread.is_empty()
        && mailbox.last_uid == cursor.map_or(0, |c| c.last_uid)
    {
        say!("{}", t!("track-nothing-new", folder = &settings.folder));
        return Ok(Ok(false));
    }
    let read = Read::of(&mailbox, &ledger, &letters);
    read.list_unmatched();
    list_unread(&unread);
    // Appending needs the campaign: a send may hold it. Wait a little, else leave the reports
    // for the next poll (nothing was recorded, so nothing is lost).
    let lock = match Lock::acquire_within(config, PATIENCE)? {
        Ok(lock) => lock,
        Err(holder) => {
            let (campaign, holder) = (&config.id, holder.to_string());
            let text = if watch {
                t!("track-locked-watch", campaign = campaign, holder = holder)
            } else {
                t!("track-locked", campaign = campaign, holder = holder)
            };
            say!("{text}");
            return Ok(Ok(!unread.is_empty()));
        }
    };
    let look = !unread.is_empty();
    let bounced = append(config, settings, &mailbox, read, unread, watch).await?;
    drop(lock);
    Ok(Ok(bounced || look))
}

/// The messages listed but not read: over the size limit, or not returned by the server.
fn unread(mailbox: &imap::Mailbox) -> Vec<Unread> {
    let large = mailbox.too_large.iter().map(|b| Unread {
        uid: b.uid,
        size: Some(b.size),
    });
    let missing = mailbox
        .missing
        .iter()
        .map(|&uid| Unread { uid, size: None });
    let mut unread: Vec<Unread> = large.chain(missing).collect();
    unread.sort_by_key(|u| u.uid);
    unread
}

/// Names each message that could not be read, with its UID: it is tried again next time.
fn list_unread(unread: &[Unread]) {
    let limit = imap::Limits::default().max_message_bytes;
    for u in unread {
        let text = match u.size {
            Some(size) => t!("track-too-large", uid = u.uid, size = size, limit = limit),
            None => t!("track-not-returned", uid = u.uid),
        };
        say!("{text}");
    }
}

/// The delivery log read for tracking: its ledger, the letters handed to a server (what a
/// report may be proof of), and its chain. Any damage stops the run.
fn read_log(config: &Config) -> anyhow::Result<(Ledger, Letters, delivery_log::Chain)> {
    let path = config.log_file();
    let mut ledger = Ledger::for_sending();
    let mut letters = Letters::default();
    let fold = |_: &_, r: &_| {
        ledger.add(r);
        letters.add(r);
    };
    match delivery_log::replay(&path, fold)? {
        Ok(chain) => Ok((ledger, letters, chain)),
        Err(broken) => Err(Stop::new(t!(
            "track-log-damaged",
            log = config.show(&path),
            broken = broken.to_string()
        ))
        .into()),
    }
}

/// One report about one address of one letter, ready to be recorded.
struct Found {
    uid: u32,
    arrival: Arrival,
    tracked: Tracked,
}

/// What a look at the mailbox found: reports matched to letters, and what matched nothing.
struct Read {
    found: Vec<Found>,
    /// (UID, sender, subject, why) of messages that prove nothing about a letter.
    unmatched: Vec<(u32, String, String, String)>,
}

impl Read {
    fn of(mailbox: &imap::Mailbox, ledger: &Ledger, letters: &Letters) -> Read {
        let by_id: HashMap<&str, &str> = ledger
            .recipients
            .iter()
            .map(|(key, r)| (r.message_id.as_str(), key.as_str()))
            .collect();
        let mut read = Read {
            found: Vec::new(),
            unmatched: Vec::new(),
        };
        for message in &mailbox.messages {
            read.message(message, &by_id, letters);
        }
        read
    }

    fn message(&mut self, message: &imap::Fetched, by_id: &HashMap<&str, &str>, letters: &Letters) {
        let uid = message.uid;
        let report = match report::parse(&message.bytes) {
            report::Parsed::Report(report) => report,
            report::Parsed::NotAReport {
                from, subject, why, ..
            } => {
                let (from, subject) = (from.unwrap_or_default(), subject.unwrap_or_default());
                self.unmatched.push((uid, from, subject, why.described()));
                return;
            }
            report::Parsed::Unreadable(why) => {
                self.unmatched
                    .push((uid, String::new(), String::new(), why.described()));
                return;
            }
        };
        // By the envelope id (our Message-ID without its brackets), then the Message-ID the
        // report quotes, then the ids an answer refers to. Never by subject.
        let envelope = report.envelope_id.as_ref().map(|id| format!("<{id}>"));
        let candidates = envelope
            .iter()
            .chain(&report.original_message_id)
            .chain(&report.in_reply_to);
        let Some((message_id, key)) = candidates
            .filter_map(|id| by_id.get_key_value(id.as_str()))
            .map(|(id, key)| ((*id).to_owned(), (*key).to_owned()))
            .next()
        else {
            let (from, subject) = (
                report.from.clone().unwrap_or_default(),
                report.subject.clone().unwrap_or_default(),
            );
            let why = t!("track-names-no-letter");
            self.unmatched.push((uid, from, subject, why));
            return;
        };
        let sha256 = crate::message::sha256_hex(&message.bytes);
        // Proof only for an address of the letter, once each (`evidence`'s rule, the one `log
        // verify` applies): the blocks about other addresses are ignored.
        let mut proved: Vec<String> = Vec::new();
        let mut refused = None;
        for per in &report.recipients {
            let Some(arrival) = arrival(&per.action) else {
                continue;
            };
            let named = [&per.recipient, &per.original_recipient];
            let named = named.into_iter().flatten().map(String::as_str);
            let recipient = match letters.proves(&key, &message_id, named) {
                Ok(address) => address.to_owned(),
                Err(why) => {
                    refused.get_or_insert(why);
                    continue;
                }
            };
            let address = crate::evidence::normalised(&recipient);
            if proved.contains(&address) {
                continue;
            }
            proved.push(address);
            let evidence = Evidence {
                kind: report.kind,
                status: per.status.clone(),
                action: action_name(&per.action),
                diagnostic: per.diagnostic.clone(),
                reporting_mta: report.reporter.clone(),
                arrival: report.arrival.clone().or_else(|| report.date.clone()),
                uid,
                sha256: sha256.clone(),
                archive: String::new(), // set when the bytes are stored
            };
            self.found.push(Found {
                uid,
                arrival,
                tracked: Tracked {
                    key: key.clone(),
                    message_id: message_id.clone(),
                    recipient,
                    report: evidence,
                },
            });
        }
        if let (true, Some(why)) = (proved.is_empty(), refused) {
            let (from, subject) = (
                report.from.clone().unwrap_or_default(),
                report.subject.clone().unwrap_or_default(),
            );
            self.unmatched
                .push((uid, from, subject, refusal(&why, &key)));
        }
    }

    fn list_unmatched(&self) {
        for (uid, from, subject, why) in &self.unmatched {
            say!(
                "{}",
                t!(
                    "track-not-recorded",
                    uid = *uid,
                    from = format!("{from:?}"),
                    subject = format!("{subject:?}"),
                    why = why
                )
            );
        }
    }
}

/// Why a report about the letter of `key` is not proof, as `track` lists it.
fn refusal(why: &Refused, key: &str) -> String {
    match why {
        Refused::NotHandedOver => t!("track-not-handed-over", key = key),
        Refused::OtherMessageId { sent } => t!("track-other-message-id", key = key, sent = sent),
        Refused::NotItsAddress { named } => t!(
            "track-not-its-address",
            key = key,
            named = format!("{:?}", named.as_deref().unwrap_or_default())
        ),
    }
}

/// The letter's fate a report action proves, if any: a disposition other than `displayed`
/// (deleted unread, say) and an action this build does not know prove nothing.
fn arrival(action: &report::Action) -> Option<Arrival> {
    use report::Action;
    match action {
        Action::Failed => Some(Arrival::Bounced),
        Action::Delayed => Some(Arrival::Delayed),
        Action::Delivered | Action::Relayed | Action::Expanded => Some(Arrival::Delivered),
        Action::Displayed => Some(Arrival::Read),
        Action::AutoReplied => Some(Arrival::AutoReply),
        Action::OtherDisposition(_) | Action::Unrecognised(_) => None,
    }
}

fn action_name(action: &report::Action) -> Option<String> {
    use report::Action;
    Some(
        match action {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
            Action::Displayed => "displayed",
            Action::AutoReplied => "auto-replied",
            Action::OtherDisposition(other) | Action::Unrecognised(other) => other,
        }
        .to_owned(),
    )
}

/// Under the campaign lock: reads the log again (a send may have appended since), archives the
/// reports not recorded yet, and appends one record per report and address, between the track
/// run's `run_started` and `run_finished`. True if a bounce was recorded.
async fn append(
    config: &Config,
    settings: &ImapSettings,
    mailbox: &imap::Mailbox,
    read: Read,
    unread: Vec<Unread>,
    watch: bool,
) -> anyhow::Result<bool> {
    let (ledger, _, chain) = read_log(config)?;
    let mut new: Vec<Found> = read
        .found
        .into_iter()
        .filter(|f| {
            let seen = (
                f.tracked.report.sha256.clone(),
                f.tracked.recipient.to_lowercase(),
            );
            !ledger.reports_seen.contains(&seen)
        })
        .collect();
    let dir = config.archive_dir().join("reports");
    let archive = Archive::open(dir.clone(), config.show(&dir)).map_err(|e| Stop::by(&e))?;
    for found in &mut new {
        let bytes = &mailbox
            .messages
            .iter()
            .find(|m| m.uid == found.uid)
            .expect("found in this read")
            .bytes;
        let report = &mut found.tracked.report;
        let name = format!(
            "{}-{}.{}.eml",
            mailbox.uidvalidity,
            found.uid,
            &report.sha256[..16]
        );
        report.archive = archive.store_as(&name, bytes).map_err(|e| Stop::by(&e))?;
    }
    archive.sync().map_err(|e| Stop::by(&e))?;
    let run = delivery_log::run_id(clock::now());
    let log = Log::open(delivery_log::Opening {
        path: config.log_file(),
        run,
        chain,
    })
    .map_err(|e| Stop::by(&e))?;
    let mark = |last_uid, unread| MailboxMark {
        folder: settings.folder.clone(),
        uidvalidity: mailbox.uidvalidity,
        last_uid,
        unread,
    };
    let before = ledger
        .mailbox
        .as_ref()
        .filter(|m| m.folder == settings.folder && m.uidvalidity == mailbox.uidvalidity)
        .map_or(0, |m| m.last_uid);
    let started = started(config, watch, mark(before, Vec::new()));
    let write = |e: anyhow::Error| Stop::by(&e);
    log.append(started).await.map_err(write)?;
    let mut bounced = false;
    // Queued, not awaited one by one: the writer commits whatever waits together, and the
    // awaited `run_finished` behind them makes them all durable (a kill before it leaves a
    // run without its end, whose reports the next run finds recorded and does not repeat).
    for found in new {
        bounced |= found.arrival == Arrival::Bounced;
        say_found(&found);
        log.enqueue(Body::Report {
            arrival: found.arrival,
            tracked: found.tracked,
        });
    }
    let finished = Body::RunFinished(RunFinished {
        counts: Counts::default(),
        stopped: None,
        mailbox: Some(mark(mailbox.last_uid, unread)),
    });
    log.append(finished).await.map_err(write)?;
    Ok(bounced)
}

fn started(config: &Config, watch: bool, mark: MailboxMark) -> Body {
    let input = delivery_log::Input {
        file: config.show(&config.config_file),
        sha256: config.config_sha256.clone(),
    };
    Body::RunStarted(RunStarted {
        mode: Mode::Track,
        campaign: config.id.clone(),
        operator: operator(),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        tool: format!("letterpost {}", env!("CARGO_PKG_VERSION")),
        inputs: [("config".to_owned(), input)].into_iter().collect(),
        options: if watch { "track --watch" } else { "track" }.to_owned(),
        key_source: None,
        source_date_epoch: None,
        dsn: None,
        mailbox: Some(mark),
        attachments: Vec::new(),
    })
}

fn say_found(found: &Found) {
    let t = &found.tracked;
    let r = &t.report;
    let said = [r.status.as_deref(), r.diagnostic.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    say!(
        "{}",
        t!(
            "track-found",
            what = format!(
                "{:<width$}",
                found.tracked_name(),
                width = Found::name_width()
            ),
            key = &t.key,
            recipient = &t.recipient,
            said = said,
            uid = r.uid
        )
    );
}

impl Found {
    /// What the report proves, as the line `track` prints for it names it.
    fn tracked_name(&self) -> String {
        Found::name(self.arrival)
    }

    /// The column the names fill: the widest of them in the chosen language, and at least 12,
    /// so that the lines' columns align.
    fn name_width() -> usize {
        [
            Arrival::Delivered,
            Arrival::Delayed,
            Arrival::Bounced,
            Arrival::Read,
            Arrival::AutoReply,
        ]
        .map(|arrival| Found::name(arrival).chars().count())
        .into_iter()
        .fold(12, usize::max)
    }

    fn name(arrival: Arrival) -> String {
        match arrival {
            Arrival::Delivered => t!("track-arrival-delivered"),
            Arrival::Delayed => t!("track-arrival-delayed"),
            Arrival::Bounced => t!("track-arrival-bounced"),
            Arrival::Read => t!("track-arrival-read"),
            Arrival::AutoReply => t!("track-arrival-auto-reply"),
        }
    }
}
