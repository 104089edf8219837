//! The campaign lock: one run at a time holds a campaign.

use std::fs::File;

use anyhow::Context;

use crate::clock;
use crate::config::Config;
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
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the campaign lock {}", path.display()))?;
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
