//! The campaign lock: one run at a time holds a campaign. Taking it is also where a run makes
//! sure the files it keeps in `logs/` are its own: the lock and the delivery log must be regular
//! files, never links planted to make letterpost write elsewhere (see `private_fs`).
//!
//! Its errors are worded in `locales/*/dispatch.ftl`; the holder it writes in the lock file
//! (`pid … on … since …`) is data, and stays as it is.

use std::fs::File;

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
