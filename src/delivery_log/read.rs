//! Reading the delivery log back: line by line, each line checked against the chain rule and
//! parsed into a typed `Record`; the damage a line can show; and setting aside a torn last line.
//!
//! A torn last line is one of two things, and the reader cannot tell which from the bytes: a
//! write that never finished (damage: a send sets it aside before it appends again), or, if it
//! has no line end yet, the record a running send is writing at this moment (the writer puts a
//! line down with one `write`, which a reader can see half done). `Broken::unterminated` says
//! which lines could be the second; whether one is (the campaign is held) is the caller's
//! question to `lock::held_by_another`, since only a reader beside a live send asks it.
//!
//! It never writes a record (`write` does) and never interprets what records mean for a
//! recipient (`ledger` does).
//!
//! A damage's `Display` is data (`log summary --json` writes it) and stays English; `described`
//! says it to a person, in words from `locales/*/log.ftl`, as are this module's errors.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::format::{GENESIS, Record, VERSION, chain_hash, parse, split_hash};
use crate::private_fs;

/// One physical line of the log.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start.
    pub offset: u64,
    pub text: String,
    /// Whether the line ended with `\n` (only the last line of a torn file does not).
    pub complete: bool,
}

/// Reads the log line by line, never holding more than one line.
pub fn lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<Line>>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut number = 0;
    let mut offset = 0u64;
    Ok(std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(n) => {
                number += 1;
                let start = offset;
                offset += n as u64;
                let complete = buf.last() == Some(&b'\n');
                if complete {
                    buf.pop();
                }
                let text = String::from_utf8(buf)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                Some(Ok(Line {
                    number,
                    offset: start,
                    text,
                    complete,
                }))
            }
            Err(e) => Some(Err(e)),
        }
    }))
}

/// What is wrong with a line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The last line has no `\n` or cannot be parsed: the writer stopped in the middle of it.
    Torn,
    /// Not a JSON record of this format.
    Unreadable(String),
    /// A `v` this build does not know.
    UnknownVersion(u32),
    /// The line's `hash` does not match its own content: the line was edited.
    Edited,
    /// `seq` is higher than expected: lines before it are missing.
    Missing { expected: u64 },
    /// `seq` is lower than expected: lines were reordered, duplicated or inserted.
    OutOfOrder { expected: u64 },
    /// `seq` is right but `prev` is not the previous record's hash: a line was replaced or forged.
    BrokenLink,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Torn => write!(f, "torn last line: the writer stopped in the middle of it"),
            Damage::Unreadable(why) => write!(f, "not a record of this log format: {why}"),
            Damage::UnknownVersion(v) => {
                write!(
                    f,
                    "format version {v} is not known to this letterpost (it reads version {VERSION})"
                )
            }
            Damage::Edited => write!(f, "edited: its hash does not match its content"),
            Damage::Missing { expected } => {
                write!(
                    f,
                    "a gap in seq: the record with seq {expected} should be here (deleted or moved)"
                )
            }
            Damage::OutOfOrder { expected } => {
                write!(
                    f,
                    "seq goes back: seq {expected} should be here (a line inserted, repeated or moved)"
                )
            }
            Damage::BrokenLink => write!(
                f,
                "replaced or forged: its prev is not the hash of the line before it (this line \
                 or the one before it was replaced)"
            ),
        }
    }
}

impl Damage {
    /// The damage as a person reads it, in the chosen language (`Display` is the English
    /// recorded in JSON output). An unreadable line's reason is the parser's own.
    pub fn described(&self) -> String {
        match self {
            Damage::Torn => t!("log-damage-torn"),
            Damage::Unreadable(why) => t!("log-damage-unreadable", why = why),
            Damage::UnknownVersion(v) => t!(
                "log-damage-unknown-version",
                version = u64::from(*v),
                known = u64::from(VERSION)
            ),
            Damage::Edited => t!("log-damage-edited"),
            Damage::Missing { expected } => t!("log-damage-missing", expected = *expected),
            Damage::OutOfOrder { expected } => {
                t!("log-damage-out-of-order", expected = *expected)
            }
            Damage::BrokenLink => t!("log-damage-broken-link"),
        }
    }
}

/// Checks lines one after the other against the chain rule.
#[derive(Debug, Clone)]
pub struct Chain {
    pub next_seq: u64,
    pub head: String,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            next_seq: 0,
            head: GENESIS.to_owned(),
        }
    }
}

impl Chain {
    /// Checks `line` and, if it holds, moves the head to it. `last` says whether more lines follow.
    pub fn check(&mut self, line: &Line, last: bool) -> Result<Record, Damage> {
        let torn = |d: Damage| if last { Damage::Torn } else { d };
        if !line.complete {
            return Err(Damage::Torn);
        }
        let value: serde_json::Value = serde_json::from_str(&line.text)
            .map_err(|e| torn(Damage::Unreadable(e.to_string())))?;
        match value.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(Damage::UnknownVersion(v.try_into().unwrap_or(u32::MAX))),
            None => return Err(Damage::Unreadable("it has no `v`".into())),
        }
        let entry = parse(value).map_err(Damage::Unreadable)?;
        let Some((body, hash)) = split_hash(&line.text) else {
            return Err(Damage::Unreadable("it does not end with its hash".into()));
        };
        if chain_hash(&entry.prev, body.as_bytes()) != hash {
            return Err(Damage::Edited);
        }
        if entry.seq > self.next_seq {
            return Err(Damage::Missing {
                expected: self.next_seq,
            });
        }
        if entry.seq < self.next_seq {
            return Err(Damage::OutOfOrder {
                expected: self.next_seq,
            });
        }
        if entry.prev != self.head {
            return Err(Damage::BrokenLink);
        }
        self.next_seq += 1;
        self.head = hash.to_owned();
        Ok(entry)
    }
}

/// A log that fails the chain rule, at its first bad line.
#[derive(Debug, Clone)]
pub struct Broken {
    pub line: u64,
    pub offset: u64,
    pub seq: Option<u64>,
    pub damage: Damage,
    /// The break is a last line with no line end: while a send holds the campaign, the record
    /// it is writing now rather than damage.
    pub unterminated: bool,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.damage)?;
        if self.damage == Damage::Torn {
            write!(f, " (the line starts at byte {})", self.offset)?;
        }
        Ok(())
    }
}

impl Broken {
    /// Where the log breaks and how, as a person reads it, in the chosen language (`Display`
    /// is the English recorded in JSON output).
    pub fn described(&self) -> String {
        let damage = self.damage.described();
        match (self.seq, self.damage == Damage::Torn) {
            (Some(seq), false) => t!(
                "log-broken-at-seq",
                line = self.line,
                seq = seq,
                damage = damage
            ),
            (None, false) => t!("log-broken-at", line = self.line, damage = damage),
            (Some(seq), true) => t!(
                "log-broken-torn-at-seq",
                line = self.line,
                seq = seq,
                damage = damage,
                offset = self.offset
            ),
            (None, true) => t!(
                "log-broken-torn-at",
                line = self.line,
                damage = damage,
                offset = self.offset
            ),
        }
    }
}

/// Reads the whole log, checking the chain, and hands every good entry to `visit`. Stops at the
/// first bad line. A missing file is an empty log.
pub fn replay(
    path: &Path,
    mut visit: impl FnMut(&Line, &Record),
) -> anyhow::Result<Result<Chain, Broken>> {
    let mut chain = Chain::default();
    let iter = match lines(path) {
        Ok(iter) => iter,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ok(chain)),
        Err(e) => {
            let reading = t!("log-cannot-read", file = path.display());
            return Err(anyhow::Error::new(e).context(reading));
        }
    };
    let mut iter = iter.peekable();
    while let Some(line) = iter.next() {
        let line = line.map_err(|e| {
            anyhow::Error::new(e).context(t!("log-cannot-read", file = path.display()))
        })?;
        let last = iter.peek().is_none();
        match chain.check(&line, last) {
            Ok(entry) => visit(&line, &entry),
            Err(damage) => {
                let seq = serde_json::from_str::<serde_json::Value>(&line.text)
                    .ok()
                    .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
                return Ok(Err(Broken {
                    line: line.number,
                    offset: line.offset,
                    seq,
                    unterminated: last && !line.complete,
                    damage,
                }));
            }
        }
    }
    Ok(Ok(chain))
}

/// Moves a torn last line (a write the machine never finished, so never acknowledged and never
/// followed by a network step) out of the log into `<log>.torn-<offset>`, so the log can be
/// appended to again. The fragment is kept for the auditor, not deleted.
pub fn set_aside_torn_tail(path: &Path, offset: u64) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use std::io::{Seek, SeekFrom};
    let mut file = private_fs::open_existing(path)
        .with_context(|| t!("log-cannot-open", file = path.display()))?;
    let mut fragment = Vec::new();
    file.seek(SeekFrom::Start(offset))?;
    file.read_to_end(&mut fragment)?;
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".torn-{offset}"));
    let aside = PathBuf::from(aside);
    // A new file, never an existing one or a link: an earlier fragment is evidence too.
    let mut out = private_fs::create_new(&aside).with_context(|| {
        t!(
            "log-cannot-set-aside",
            log = path.display(),
            aside = aside.display()
        )
    })?;
    out.write_all(&fragment)?;
    out.sync_all()?;
    if let Some(dir) = path.parent() {
        // The fragment's name must be durable before the log is cut.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| t!("log-cannot-sync", file = dir.display()))?;
    }
    file.set_len(offset)
        .with_context(|| t!("log-cannot-truncate", file = path.display()))?;
    file.sync_all()?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::super::format::{Body, Counts, RunFinished, seal};
    use super::*;

    /// In English, the damage a person reads is the damage JSON output records.
    #[test]
    fn in_english_a_damage_described_is_its_display() {
        let damages = [
            Damage::Torn,
            Damage::Unreadable("it has no `v`".into()),
            Damage::UnknownVersion(9),
            Damage::Edited,
            Damage::Missing { expected: 4 },
            Damage::OutOfOrder { expected: 4 },
            Damage::BrokenLink,
        ];
        for damage in damages {
            for seq in [Some(5), None] {
                let broken = Broken {
                    line: 7,
                    offset: 812,
                    seq,
                    damage: damage.clone(),
                    unterminated: false,
                };
                assert_eq!(broken.described(), broken.to_string());
            }
        }
    }

    /// The next record of a chain, as the writer would seal it.
    fn sealed(chain: &mut Chain) -> String {
        let body = Body::RunFinished(RunFinished {
            counts: Counts::default(),
            stopped: None,
            mailbox: None,
        });
        let (line, hash) = seal(
            chain.next_seq,
            "2026-11-26T08:00:00.000Z",
            "r",
            &chain.head,
            &body,
        );
        chain.next_seq += 1;
        chain.head = hash;
        line
    }

    fn line(number: u64, text: &str) -> Line {
        Line {
            number,
            offset: 0,
            text: text.to_owned(),
            complete: true,
        }
    }

    fn check(texts: &[&str]) -> Result<(), Damage> {
        let mut chain = Chain::default();
        for (i, t) in texts.iter().enumerate() {
            chain.check(&line(i as u64 + 1, t), i + 1 == texts.len())?;
        }
        Ok(())
    }

    #[test]
    fn chain_names_each_kind_of_damage() {
        let mut writer = Chain::default();
        let lines: Vec<String> = (0..3).map(|_| sealed(&mut writer)).collect();
        let (a, b, c) = (lines[0].as_str(), lines[1].as_str(), lines[2].as_str());
        // Line 2 made again with a good hash of its own, but not linked to line 1.
        let forged = {
            let mut other = Chain {
                next_seq: 1,
                head: GENESIS.to_owned(),
            };
            sealed(&mut other)
        };
        let edited = b.replace("08:00:00", "09:00:00");
        let v2 = a.replacen("\"v\":1", "\"v\":2", 1);
        let stranger = b.replace(r#""counts":"#, r#""tally":1,"counts":"#);
        for (texts, damage) in [
            (vec![a, b, c], None),
            (vec![a, &edited, c], Some(Damage::Edited)),
            (vec![a, c], Some(Damage::Missing { expected: 1 })),
            (vec![a, c, b], Some(Damage::Missing { expected: 1 })),
            (vec![a, b, b], Some(Damage::OutOfOrder { expected: 2 })),
            (vec![a, &forged, c], Some(Damage::BrokenLink)),
            (vec![a, &b[..40]], Some(Damage::Torn)),
            (vec![&v2], Some(Damage::UnknownVersion(2))),
        ] {
            assert_eq!(check(&texts).err(), damage, "{texts:?}");
        }
        for (texts, why) in [
            (vec![a, "not json", c], "expected"),
            (vec![a, &stranger, c], "unknown field `tally`"),
        ] {
            match check(&texts) {
                Err(Damage::Unreadable(text)) => assert!(text.contains(why), "{text}"),
                other => panic!("{other:?} for {texts:?}"),
            }
        }
    }

    /// Only a last line with no line end can be a record being written; a complete last line
    /// that is not a record is torn too, but no writer leaves one mid-write.
    #[test]
    fn a_break_says_whether_its_last_line_has_no_line_end_yet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut writer = Chain::default();
        let whole = format!("{}\n", sealed(&mut writer));
        let partial = r#"{"v":1,"seq":1,"time":"2026-11-2"#;
        for (tail, unterminated) in [(partial.to_owned(), true), (format!("{partial}\n"), false)] {
            std::fs::write(&path, format!("{whole}{tail}")).unwrap();
            let broken = replay(&path, |_, _| {}).unwrap().unwrap_err();
            assert_eq!(broken.damage, Damage::Torn, "{tail:?}");
            assert_eq!(broken.line, 2);
            assert_eq!(broken.unterminated, unterminated, "{tail:?}");
        }
    }
}
