//! The campaign lock: one run at a time holds a campaign. Taking it is also where a run makes
//! sure the files it keeps in `logs/` are its own: the lock and the delivery log must be regular
//! files, never links planted to make letterpost write elsewhere (see `private_fs`).
//!
//! It also answers, for readers of the log, whether a campaign is held right now
//! (`held_by_another`), without taking it.
//!
//! Its errors are worded in `locales/*/dispatch.ftl`; the holder it writes in the lock file
//! (`pid … on … since …`) is data, and stays as it is.

use std::fs::File;
use std::path::Path;

use anyhow::Context;

use crate::clock;
use crate::config::Config;
use crate::error::Stop;
use crate::private_fs;

/// `logs/<campaign>.lock`, held (an OS file lock) for the whole run; the kernel frees it if the
/// process dies, so a crash never leaves the campaign locked.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the campaign, or stops (exit 3) naming the run that holds it.
    pub fn acquire(config: &Config) -> anyhow::Result<Lock> {
        match Lock::take(config)? {
            Ok(lock) => Ok(lock),
            Err(holder) => Err(Stop::new(t!(
                "dispatch-campaign-locked",
                campaign = &config.id,
                holder = holder
            ))
            .into()),
        }
    }

    /// Takes the campaign if it becomes free within `patience` (a track run that appends beside
    /// a send); otherwise the holder's description.
    pub fn acquire_within(
        config: &Config,
        patience: std::time::Duration,
    ) -> anyhow::Result<Result<Lock, String>> {
        let until = std::time::Instant::now() + patience;
        loop {
            match Lock::take(config)? {
                Err(_) if std::time::Instant::now() < until => {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                taken => return Ok(taken),
            }
        }
    }

    /// One try: the lock, or who holds it.
    fn take(config: &Config) -> anyhow::Result<Result<Lock, String>> {
        use std::io::{Read, Seek, Write};
        let path = config.lock_file();
        let dir = path.parent().expect("logs folder");
        private_fs::create_dir_all(dir)
            .with_context(|| t!("dispatch-cannot-create", file = dir.display()))?;
        // A link here used to be followed, truncated and overwritten with the holder's name.
        let mut file = private_fs::open_or_create(&path)
            .with_context(|| t!("dispatch-cannot-open-lock", file = path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Ok(Err(holder.trim().to_owned()));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| t!("dispatch-cannot-lock", file = path.display()));
            }
        }
        // The delivery log is read before it is appended to: refuse a link now, before its
        // target is read as this campaign's history, rather than when the first record is due.
        let log = config.log_file();
        private_fs::absent_or_regular(&log)
            .with_context(|| t!("dispatch-cannot-use-log", file = log.display()))?;
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            gethostname::gethostname().to_string_lossy(),
            clock::rfc3339(clock::now())
        );
        file.set_len(0).ok();
        file.seek(std::io::SeekFrom::Start(0)).ok();
        let _ = file.write_all(holder.as_bytes());
        Ok(Ok(Lock { _file: file }))
    }
}

/// Whether another open of `<id>.lock` beside the delivery log `log` holds the campaign now: a
/// send appending to that log. Only looks: the lock file is opened read-only, never created and
/// never through a link, and a lock free now is taken (shared) for an instant and let go. A send
/// that tries to take the campaign in that instant is refused as if it were held (exit 3,
/// nothing sent), the price of asking the kernel rather than guessing from the holder's name.
pub fn held_by_another(log: &Path) -> bool {
    let path = log.with_extension("lock");
    let Ok(file) = private_fs::read_only(&path) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::held_by_another;

    #[test]
    fn a_campaign_is_held_only_while_its_lock_file_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.jsonl");
        assert!(!held_by_another(&log), "no lock file");
        let lock = std::fs::File::create(dir.path().join("c.lock")).unwrap();
        assert!(!held_by_another(&log), "a lock file nobody holds");
        lock.lock().unwrap();
        assert!(held_by_another(&log));
        lock.unlock().unwrap();
        assert!(!held_by_another(&log));
        assert!(!dir.path().join("c.jsonl").exists(), "nothing written");
    }
}
