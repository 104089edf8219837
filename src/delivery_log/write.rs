//! Writing the delivery log: one thread owns the file and commits records in groups, each group
//! with one `write` and one `fdatasync`; nobody is told a record is written before its fsync
//! returned.
//!
//! It seals records (the chain members and the hash, `format`) and appends them; it does not
//! decide which records to write (that is `send`) and never reads the log back (`read`).
//!
//! Why the log cannot be opened is worded in `locales/*/log.ftl`. Why a record could not be
//! written (`NotWritten`) becomes the reason a run stopped, which the log records: its `Display`
//! stays English, and `described` says it to people in the chosen language.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::format::{Body, seal};
use super::read::Chain;
use crate::clock;
use crate::private_fs;

/// Why a record was not written. `Display` is English, as a stopped run records it; `described`
/// says the same to a person.
#[derive(Debug)]
pub enum NotWritten {
    /// The writer thread is gone (it stopped at an earlier failure).
    WriterStopped,
    /// Writing or syncing the file failed: the system's words.
    Failed(String),
}

impl std::fmt::Display for NotWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotWritten::WriterStopped => f.write_str("the delivery log writer has stopped"),
            NotWritten::Failed(why) => write!(f, "cannot write the delivery log: {why}"),
        }
    }
}

impl std::error::Error for NotWritten {}

impl NotWritten {
    /// Why, as a person reads it, in the chosen language.
    pub fn described(&self) -> String {
        match self {
            NotWritten::WriterStopped => t!("log-writer-stopped"),
            NotWritten::Failed(why) => t!("log-cannot-write-record", error = why),
        }
    }
}

/// A handle on the log's writer thread; clone it into every worker.
#[derive(Clone)]
pub struct Log {
    requests: mpsc::Sender<Request>,
}

/// A record to append, and where to say once it is on disk (with its hash) or why not.
struct Request {
    body: Body,
    done: tokio::sync::oneshot::Sender<Result<String, String>>,
}

/// What the writer needs to continue a log: where, which run, and the chain so far.
pub struct Opening {
    pub path: PathBuf,
    pub run: String,
    pub chain: Chain,
}

impl Log {
    /// Opens (or creates) the log for appending and starts its writer thread.
    pub fn open(opening: Opening) -> anyhow::Result<Log> {
        use anyhow::Context;
        let dir = opening.path.parent().unwrap_or(Path::new("."));
        private_fs::create_dir_all(dir)
            .with_context(|| t!("log-cannot-create", file = dir.display()))?;
        let created = std::fs::symlink_metadata(&opening.path).is_err();
        // Never through a link: records appended to a planted link would land outside.
        let file = private_fs::append(&opening.path)
            .with_context(|| t!("log-cannot-open-for-writing", file = opening.path.display()))?;
        if created {
            // The new file's name must survive a crash too.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| t!("log-cannot-sync", file = dir.display()))?;
        }
        let (requests, receiver) = mpsc::channel::<Request>();
        let len = file
            .metadata()
            .with_context(|| t!("log-cannot-read", file = opening.path.display()))?
            .len();
        let mut writer = Writer {
            file,
            len,
            run: opening.run,
            chain: opening.chain,
            failed: None,
        };
        std::thread::Builder::new()
            .name("delivery-log".into())
            .spawn(move || writer.serve(receiver))
            .with_context(|| t!("log-cannot-start-writer"))?;
        Ok(Log { requests })
    }

    /// Appends `entry` without waiting for it: for an outcome, whose durability nothing waits
    /// on but the next record (the writer keeps order, so any later record that is awaited makes
    /// this one durable too). A failure shows in the next `append`.
    pub fn enqueue(&self, body: Body) {
        let (done, _) = tokio::sync::oneshot::channel();
        let _ = self.requests.send(Request { body, done });
    }

    /// Appends a record (the writer fills in the chain members) and returns its hash once it is
    /// on disk.
    pub async fn append(&self, body: Body) -> anyhow::Result<String> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.requests
            .send(Request { body, done })
            .map_err(|_| NotWritten::WriterStopped)?;
        let written = wait.await.map_err(|_| NotWritten::WriterStopped)?;
        Ok(written.map_err(NotWritten::Failed)?)
    }
}

struct Writer {
    file: File,
    /// The file's length after the last acknowledged batch.
    len: u64,
    run: String,
    chain: Chain,
    failed: Option<String>,
}

impl Writer {
    fn serve(&mut self, receiver: mpsc::Receiver<Request>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            batch.extend(receiver.try_iter());
            self.commit(batch);
        }
    }

    /// Writes a batch with one write and one fsync, then answers each request.
    fn commit(&mut self, batch: Vec<Request>) {
        if let Some(why) = &self.failed {
            for request in batch {
                let _ = request.done.send(Err(why.clone()));
            }
            return;
        }
        let saved = self.chain.clone();
        let mut bytes = Vec::with_capacity(batch.len() * 512);
        let mut sealed = Vec::with_capacity(batch.len());
        // What `-vv` says once the batch is on disk: seq, type and key of each record.
        let told = tracing::enabled!(tracing::Level::DEBUG);
        let mut written_records = Vec::new();
        for Request { body, done } in batch {
            if told {
                written_records.push((
                    self.chain.next_seq,
                    body.name(),
                    body.key().map(str::to_owned),
                ));
            }
            let time = clock::rfc3339(clock::now());
            let (line, hash) = seal(
                self.chain.next_seq,
                &time,
                &self.run,
                &self.chain.head,
                &body,
            );
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            self.chain.next_seq += 1;
            self.chain.head.clone_from(&hash);
            sealed.push((hash, done));
        }
        let written = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                for (seq, kind, key) in written_records {
                    let key = key.map(|k| format!(" {k}")).unwrap_or_default();
                    tracing::debug!("record {seq} written: {kind}{key}");
                }
                for (hash, done) in sealed {
                    let _ = done.send(Ok(hash));
                }
            }
            Err(e) => {
                // Nothing of this batch was acknowledged; take back whatever part of it reached
                // the file, so the log does not end in a torn line. Then refuse every later
                // append: after a failed fsync the kernel may have dropped the data.
                let _ = self.file.set_len(self.len);
                let _ = self.file.sync_data();
                self.chain = saved;
                let why = e.to_string();
                self.failed = Some(why.clone());
                for (_, done) in sealed {
                    let _ = done.send(Err(why.clone()));
                }
            }
        }
    }
}
