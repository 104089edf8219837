//! The campaign lock: one run at a time holds a campaign. Taking it is also where a run makes
//! sure the files it keeps in `logs/` are its own: the lock and the delivery log must be regular
//! files, never links planted to make letterpost write elsewhere (see `private_fs`).

use std::fs::File;

use anyhow::Context;

use crate::clock;
use crate::config::Config;
use crate::private_fs;
use crate::report::Stopped;

/// `logs/<campaign>.lock`, held (an OS file lock) for the whole run; the kernel frees it if the
/// process dies, so a crash never leaves the campaign locked.
pub(super) struct Lock {
    pub(super) _file: File,
}

impl Lock {
    pub(super) fn acquire(config: &Config) -> anyhow::Result<Lock> {
        use std::io::{Read, Seek, Write};
        let path = config.lock_file();
        let dir = path.parent().expect("logs folder");
        private_fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // A link here used to be followed, truncated and overwritten with the holder's name.
        let mut file = private_fs::open_or_create(&path).with_context(|| {
            format!(
                "cannot open the campaign lock {}; nothing was sent",
                path.display()
            )
        })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(Stopped(format!(
                    "campaign {} is in use by another letterpost run ({}); wait for it to finish",
                    config.id,
                    holder.trim()
                ))
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // The delivery log is read before it is appended to: refuse a link now, before its
        // target is read as this campaign's history, rather than when the first record is due.
        let log = config.log_file();
        private_fs::absent_or_regular(&log).with_context(|| {
            format!(
                "cannot use the delivery log {}; nothing was sent",
                log.display()
            )
        })?;
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            gethostname::gethostname().to_string_lossy(),
            clock::rfc3339(clock::now())
        );
        file.set_len(0).ok();
        file.seek(std::io::SeekFrom::Start(0)).ok();
        let _ = file.write_all(holder.as_bytes());
        Ok(Lock { _file: file })
    }
}
