//! `archive/<campaign>/`: the exact bytes of every message handed to a server, one file per
//! message, made durable in batches before any log record names them.
//!
//! It stores and syncs; it does not decide what is sent (that is `send`), does not write the
//! delivery log, and is read by `audit` only through the paths the log records.
//!
//! Why the archive cannot be opened is worded in `locales/*/log.ftl`. Why a message could not
//! be stored or synced (`Failed`) becomes the reason a run stopped, which the log records: its
//! `Display` stays English, and `described` says it to people in the chosen language.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::private_fs;

/// Why the archive could not take a message. `Display` is English, as a stopped run records it
/// (the cause follows in the error's chain); `described` says the same to a person.
#[derive(Debug)]
pub enum Failed {
    /// The message could not be stored at this path.
    Store { path: String, cause: anyhow::Error },
    /// The archive folder could not be made durable.
    Sync { dir: String, cause: io::Error },
    /// A file with other content already has the message's name.
    Occupied,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Store { path, .. } => write!(f, "cannot archive the message in {path}"),
            Failed::Sync { dir, .. } => write!(f, "cannot make the archive {dir} durable"),
            Failed::Occupied => f.write_str(
                "a file with other content already has its name: letterpost keeps it as it is \
                 for the auditor and will not overwrite it; move it out of the archive and run \
                 again",
            ),
        }
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failed::Store { cause, .. } => Some(cause.as_ref()),
            Failed::Sync { cause, .. } => Some(cause),
            Failed::Occupied => None,
        }
    }
}

impl Failed {
    /// The failure as a person reads it, in the chosen language (without its cause).
    pub fn described(&self) -> String {
        match self {
            Failed::Store { path, .. } => t!("log-archive-cannot-store", file = path),
            Failed::Sync { dir, .. } => t!("log-archive-cannot-sync", folder = dir),
            Failed::Occupied => t!("log-archive-occupied"),
        }
    }
}

/// `archive/<campaign>/`: the exact bytes of every message handed to a server, one file each,
/// named by key and content hash so the same bytes always land in the same file. Files are 0600
/// in a 0700 folder, created new and never through a link (`private_fs`); a file that is already
/// there is kept only if it holds these very bytes (see `store`).
#[derive(Debug, Clone)]
pub struct Archive {
    dir: PathBuf,
    /// The folder as written in records: relative to the campaign folder.
    shown: String,
}

impl Archive {
    /// Creates the folder if needed (and makes its entry durable).
    pub fn open(dir: PathBuf, shown: String) -> anyhow::Result<Archive> {
        use anyhow::Context;
        if !dir.is_dir() {
            private_fs::create_dir_all(&dir)
                .with_context(|| t!("log-cannot-create-archive", folder = dir.display()))?;
            if let Some(parent) = dir.parent() {
                File::open(parent)
                    .and_then(|d| d.sync_all())
                    .with_context(|| t!("log-cannot-sync", file = parent.display()))?;
            }
        }
        Ok(Archive { dir, shown })
    }

    /// Stores a message; returns its path relative to the campaign folder. The bytes are
    /// durable only after the next `sync` (where there is no `syncfs`, right here).
    ///
    /// The name is the key's stem and the first 16 hex digits of the bytes' SHA-256, so a file
    /// already there under that name (an earlier run built the same letter with the same
    /// `Date:`) should hold the same bytes. It is never truncated or replaced: it is kept as it
    /// is when it does, completed when it holds the beginning of them (a run killed while
    /// writing it; no record can name such a file, as records name only files made durable
    /// whole), and refused otherwise, as is a link or anything but a regular file, with the
    /// path named. A link planted here was once followed and its target overwritten.
    pub fn store(&self, key: &str, sha256: &str, bytes: &[u8]) -> anyhow::Result<String> {
        let name = format!("{}.{}.eml", crate::message::file_stem(key), &sha256[..16]);
        self.store_as(&name, bytes)
    }

    /// Stores bytes under `name` (a report read back: `<uidvalidity>-<uid>.<sha16>.eml`), with
    /// the same rules as a message: never through a link, never over other bytes.
    pub fn store_as(&self, name: &str, bytes: &[u8]) -> anyhow::Result<String> {
        let path = self.dir.join(name);
        let fail = |cause: anyhow::Error| Failed::Store {
            path: path.display().to_string(),
            cause,
        };
        match private_fs::create_new(&path) {
            Ok(file) => {
                if let Err(e) = write_whole(file, bytes) {
                    // Ours, just created and incomplete: take it back rather than leave a
                    // stranger to the next run.
                    let _ = std::fs::remove_file(&path);
                    return Err(fail(e.into()).into());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                keep_or_complete(&path, bytes).map_err(fail)?;
            }
            Err(e) => return Err(fail(e.into()).into()),
        }
        Ok(format!("{}/{name}", self.shown))
    }

    /// Makes every message stored so far durable: one `syncfs` of the archive's file system
    /// covers a whole batch (group commit; a per-file fsync costs a journal commit each).
    /// Elsewhere than Linux, `store` synced each file itself.
    pub fn sync(&self) -> anyhow::Result<()> {
        #[cfg(target_os = "linux")]
        File::open(&self.dir)
            .and_then(|dir| rustix::fs::syncfs(&dir).map_err(io::Error::from))
            .map_err(|cause| Failed::Sync {
                dir: self.dir.display().to_string(),
                cause,
            })?;
        Ok(())
    }
}

/// Writes a whole archived message (synced here only where `Archive::sync` has no `syncfs`).
fn write_whole(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    if cfg!(not(target_os = "linux")) {
        file.sync_data()?;
    }
    Ok(())
}

/// An archived message that already exists: kept if it holds `bytes`, completed if it holds a
/// beginning of them, refused otherwise. Opened without following a link.
fn keep_or_complete(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = private_fs::open_existing(path)?;
    let mut existing = Vec::with_capacity(bytes.len());
    // One byte more than ours is enough to tell that it differs.
    (&mut file)
        .take(bytes.len() as u64 + 1)
        .read_to_end(&mut existing)?;
    if existing == bytes {
        return Ok(());
    }
    if bytes.starts_with(&existing) {
        // The read left the offset at the end of what is there.
        return Ok(write_whole(file, &bytes[existing.len()..])?);
    }
    Err(Failed::Occupied.into())
}
