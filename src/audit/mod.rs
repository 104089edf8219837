//! The auditor's commands over the delivery log: `summary`, `list`, `show`, `export`, `verify`.
//!
//! Everything here reads the log (and, for `verify` and `show`, the archived messages); nothing
//! writes to the campaign, touches the network or depends on the recipient list, the templates,
//! the command line or the sending code, so an auditor can run it on a copy of `logs/` and
//! `archive/` alone. `verify` holds the rules a log must keep (a pure fold over its records);
//! `views` turns the ledger into what a person reads, in the words of `locales/*/audit.ftl`.

mod verify;
mod views;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::delivery_log::{self, Broken, Record};
use crate::report::ExitCode;

pub use verify::{checkpoint_hash, verify};
pub use views::{Format, export, list, show, summary};

/// Where the log is, and the folder its archive paths are relative to.
pub struct Source {
    /// The campaign id, for headings.
    pub id: String,
    /// The campaign folder: `archive` members are relative to it.
    pub root: PathBuf,
    log: PathBuf,
}

impl Source {
    /// The campaign's own log, `logs/<id>.jsonl`.
    pub fn campaign(config: &crate::config::Config) -> Source {
        Source {
            id: config.id.clone(),
            root: config.root.clone(),
            log: config.log_file(),
        }
    }

    /// A log file on its own, as `<folder>/logs/<id>.jsonl`: the archive is under `<folder>`.
    pub fn file(path: &Path) -> anyhow::Result<Source> {
        let log = std::path::absolute(path)
            .with_context(|| t!("audit-cannot-find", path = path.display()))?;
        let id = log
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let root = log
            .parent()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Source { id, root, log })
    }

    /// A path as the auditor should see it: relative to the campaign folder when inside it.
    fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The log file, which must exist: an absent log means nothing was sent yet.
    fn existing_log(&self) -> anyhow::Result<&Path> {
        if !self.log.exists() {
            bail!(t!(
                "audit-no-log",
                campaign = &self.id,
                log = self.show(&self.log)
            ));
        }
        Ok(&self.log)
    }

    /// The rule for a torn last line: with no line end yet and the campaign held by a send, it
    /// is the record that send is writing now, left out and not called damage; otherwise it is
    /// damage, as any other break is.
    fn being_written(&self, broken: &Broken) -> bool {
        broken.unterminated && crate::lock::held_by_another(&self.log)
    }

    /// Reads the whole log with the chain checked; a damaged log is read up to the damage, a
    /// warning says so, and the damage is returned beside the records.
    fn read(&self) -> anyhow::Result<(Vec<Record>, Option<Broken>)> {
        let path = self.existing_log()?;
        let mut records = Vec::new();
        let mut broken = delivery_log::replay(path, |_, r| records.push(r.clone()))?.err();
        if let Some(b) = broken.take_if(|b| self.being_written(b)) {
            let note = t!("audit-being-written", log = self.show(path), line = b.line);
            tell!("{note}");
        }
        if let Some(b) = &broken {
            eprintln!(
                "{}",
                t!(
                    "audit-damaged",
                    log = self.show(path),
                    broken = b.described()
                )
            );
        }
        Ok((records, broken))
    }
}

/// Exit 1 when the log was damaged, whatever was shown of it.
fn damaged_code(broken: &Option<Broken>) -> ExitCode {
    if broken.is_some() {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

/// What the archive holds for a record: the file's SHA-256, or why there is none. A link in
/// the archived message's place is damage, not the message: it is never followed (its target
/// may well hold the right bytes, which proves nothing about what was archived).
fn archived_sha256(root: &Path, relative: &str) -> Result<String, String> {
    use std::io::Read;
    let path = safe_join(root, relative).ok_or_else(|| t!("audit-archive-outside"))?;
    let mut bytes = Vec::new();
    crate::private_fs::read_only(&path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map(|_| crate::message::sha256_hex(&bytes))
        .map_err(|e| match crate::private_fs::Refused::of(&e) {
            Some(crate::private_fs::Refused::Link) => t!("audit-archive-link"),
            Some(crate::private_fs::Refused::NotAFile) => t!("audit-archive-not-a-file"),
            None if e.kind() == std::io::ErrorKind::NotFound => t!("audit-archive-missing"),
            None => e.to_string(),
        })
}

fn safe_join(root: &Path, relative: &str) -> Option<PathBuf> {
    let rel = Path::new(relative);
    let ok = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    ok.then(|| root.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_stay_inside_the_campaign() {
        assert!(safe_join(Path::new("/c"), "archive/x/a.eml").is_some());
        assert!(safe_join(Path::new("/c"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/c"), "/etc/passwd").is_none());
    }
}
