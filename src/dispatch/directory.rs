//! The dry-run outbox: `outbox/<campaign>/`, written into a staging folder beside it and put in
//! place only when every letter is there. Only its own files are ever replaced.
//!
//! It writes the bytes it is given (`message::build`'s) and knows nothing of SMTP or the log.
//! Its errors are worded in `locales/*/dispatch.ftl`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::Serialize;

use crate::message::Letter;
use crate::order::InOrder;
use crate::private_fs;

/// `outbox/<campaign>/`: one `.eml` per letter and `manifest.jsonl`, written into a fresh folder
/// beside it and put in place only when every letter is there, so a failed dry run leaves the
/// previous outbox as it was and never a half-written one. Letters may be written from several
/// threads in any order; the manifest keeps the order of the list.
///
/// The folder is the operator's to read, not letterpost's to empty: a commit removes only what
/// an earlier dry run wrote there (`manifest.jsonl` and the letters it names). If anything else
/// is in it, or `outbox/<campaign>` is a file or a link, `create` refuses before writing
/// anything, naming what is in the way. Files are 0600 and folders 0700 (`private_fs`), and the
/// staging folder is removed on every path but a successful commit (on drop).
pub struct Directory {
    staging: PathBuf,
    target: PathBuf,
    order: InOrder<String>,
    /// Taken by `commit`; `None` only then.
    manifest: Mutex<Option<(BufWriter<File>, usize)>>,
    committed: bool,
}

#[derive(Serialize)]
struct ManifestLine<'a> {
    key: &'a str,
    row: u64,
    to: Vec<String>,
    message_id: &'a str,
    sha256: &'a str,
    file: String,
    /// The typeset documents written beside the message, each the letter's file name, a dot
    /// and the attachment's name (`so-y-te.Công văn 125-STTTT-TTBCXB.pdf`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    documents: Vec<String>,
}

/// The manifest's name in an outbox.
const MANIFEST: &str = "manifest.jsonl";

impl Directory {
    pub fn create(target: &Path) -> anyhow::Result<Directory> {
        let parent = target
            .parent()
            .with_context(|| t!("dispatch-outbox-no-parent"))?;
        // Before anything is written: what is in the way is named now, not after the letters.
        previous_outbox(target)?;
        private_fs::create_dir_all(parent)
            .with_context(|| t!("dispatch-cannot-create", file = parent.display()))?;
        let name = target
            .file_name()
            .with_context(|| t!("dispatch-outbox-no-name"))?
            .to_string_lossy();
        // A name nothing else has: a staging folder left by a killed run whose process id came
        // round again is not ours to empty.
        let mut n = 0u32;
        let staging = loop {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            let staging = parent.join(format!(".{name}.partial-{}{suffix}", std::process::id()));
            match private_fs::create_dir(&staging) {
                Ok(()) => break staging,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => {
                    return Err(e)
                        .with_context(|| t!("dispatch-cannot-create", file = staging.display()));
                }
            }
        };
        let directory = Directory {
            staging,
            target: target.to_path_buf(),
            order: InOrder::new(),
            manifest: Mutex::new(None),
            committed: false,
        };
        // From here on, dropping `directory` on an error removes the staging folder.
        let out = private_fs::create_new(&directory.staging.join(MANIFEST))
            .with_context(|| t!("dispatch-cannot-create-manifest"))?;
        *directory.manifest.lock().expect("manifest") = Some((BufWriter::new(out), 0));
        Ok(directory)
    }

    /// Settles position `index` of the list: writes `letter` as `<key>.eml` with its manifest
    /// line, or, with `None`, records that this position has no letter.
    pub fn record(&self, index: usize, letter: Option<&Letter>) -> anyhow::Result<()> {
        let line = match letter {
            None => None,
            Some(letter) => {
                let stem = crate::message::file_stem(&letter.key);
                let file = format!("{stem}.eml");
                private_fs::create_new(&self.staging.join(&file))
                    .and_then(|mut out| out.write_all(&letter.bytes))
                    .with_context(|| t!("dispatch-cannot-write", file = &file))?;
                let mut documents = Vec::with_capacity(letter.documents.len());
                for (name, bytes) in &letter.documents {
                    let document = format!("{stem}.{name}");
                    private_fs::create_new(&self.staging.join(&document))
                        .and_then(|mut out| out.write_all(bytes))
                        .with_context(|| t!("dispatch-cannot-write", file = &document))?;
                    documents.push(document);
                }
                let line = ManifestLine {
                    key: &letter.key,
                    row: letter.line,
                    to: letter.envelope.iter().map(ToString::to_string).collect(),
                    message_id: &letter.message_id,
                    sha256: &letter.sha256,
                    file,
                    documents,
                };
                let json = serde_json::to_string(&line)
                    .with_context(|| t!("dispatch-cannot-write-manifest"))?;
                Some(json)
            }
        };
        self.order.settle(index, line, |line| {
            let mut manifest = self.manifest.lock().expect("manifest");
            let (out, written) = manifest
                .as_mut()
                .expect("the manifest is open until commit");
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .with_context(|| t!("dispatch-cannot-write-manifest"))?;
            *written += 1;
            Ok(())
        })
    }

    /// Puts the finished outbox in place of the previous one, removing only the files the
    /// previous dry run wrote (checked again now: a file put there during the run is kept, and
    /// the new outbox is not put in place).
    pub fn commit(mut self) -> anyhow::Result<usize> {
        let (mut out, written) = self
            .manifest
            .get_mut()
            .expect("manifest")
            .take()
            .expect("commit runs once");
        out.flush()
            .with_context(|| t!("dispatch-cannot-write-manifest"))?;
        drop(out);
        if let Some(ours) = previous_outbox(&self.target)? {
            for name in &ours {
                let path = self.target.join(name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e)
                            .with_context(|| t!("dispatch-cannot-remove", file = path.display()));
                    }
                    _ => {}
                }
            }
            // Not remove_dir_all: whatever is left was not written by letterpost.
            std::fs::remove_dir(&self.target).with_context(|| {
                t!(
                    "dispatch-cannot-replace-outbox",
                    outbox = self.target.display()
                )
            })?;
        }
        std::fs::rename(&self.staging, &self.target).with_context(|| {
            t!(
                "dispatch-cannot-move-outbox",
                outbox = self.target.display()
            )
        })?;
        self.committed = true;
        Ok(written)
    }

    /// Removes the unfinished outbox.
    pub fn discard(self) {
        drop(self);
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        if !self.committed {
            // Created by this process under a name nothing else had: all of it is ours.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// What a dry run may remove from the outbox folder `target`: `None` if there is no folder yet,
/// else `manifest.jsonl` and the letters it names, when they are regular files. Refuses a
/// `target` that is a link or not a folder, and a folder holding anything else, naming it.
fn previous_outbox(target: &Path) -> anyhow::Result<Option<Vec<std::ffi::OsString>>> {
    use std::collections::HashSet;
    use std::ffi::OsString;
    use std::io::BufRead;
    let shown = target.display().to_string();
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| t!("dispatch-cannot-read", file = &shown)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        anyhow::bail!(t!("dispatch-outbox-is-a-link", outbox = &shown));
    }
    if !meta.is_dir() {
        anyhow::bail!(t!("dispatch-outbox-not-a-folder", outbox = &shown));
    }
    let mut ours: HashSet<OsString> = HashSet::new();
    match private_fs::read_only(&target.join(MANIFEST)) {
        Ok(manifest) => {
            ours.insert(MANIFEST.into());
            for line in std::io::BufReader::new(manifest).lines() {
                let line = line.with_context(|| {
                    t!("dispatch-cannot-read", file = format!("{shown}/{MANIFEST}"))
                })?;
                let value = serde_json::from_str::<serde_json::Value>(&line).ok();
                let file = value
                    .as_ref()
                    .and_then(|v| v.get("file")?.as_str().map(str::to_owned));
                let plain = |f: &String| !f.starts_with('.') && !f.contains(['/', '\0']);
                // Only what letterpost names its letters: one plain `.eml` name, no path.
                if let Some(file) = file.filter(|f| f.ends_with(".eml") && plain(f)) {
                    ours.insert(file.into());
                }
                // And the documents written beside them: plain `.pdf` names.
                let documents = value.as_ref().and_then(|v| v.get("documents")?.as_array());
                for document in documents.into_iter().flatten() {
                    if let Some(document) = document
                        .as_str()
                        .map(str::to_owned)
                        .filter(|f| f.ends_with(".pdf") && plain(f))
                    {
                        ours.insert(document.into());
                    }
                }
            }
        }
        // No manifest (or a link or a folder by that name): none of the files there are ours.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || crate::private_fs::Refused::of(&e).is_some() => {}
        Err(e) => {
            return Err(e)
                .with_context(|| t!("dispatch-cannot-read", file = format!("{shown}/{MANIFEST}")));
        }
    }
    let mut owned = Vec::new();
    let mut foreign = Vec::new();
    for entry in
        std::fs::read_dir(target).with_context(|| t!("dispatch-cannot-read", file = &shown))?
    {
        let entry = entry.with_context(|| t!("dispatch-cannot-read", file = &shown))?;
        let name = entry.file_name();
        // `file_type` does not follow links: a link named like a letter is not a letter.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && ours.contains(&name) {
            owned.push(name);
        } else {
            foreign.push(name.to_string_lossy().into_owned());
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        let more = foreign.len().saturating_sub(5);
        foreign.truncate(5);
        let names = foreign.join(", ");
        anyhow::bail!(t!(
            "dispatch-outbox-not-ours",
            outbox = &shown,
            names = names,
            more = more
        ));
    }
    Ok(Some(owned))
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Lang, text_in};

    #[test]
    fn files_in_the_way_are_named_with_how_many_more_in_both_languages() {
        let said = |lang, more: usize| {
            let args = vec![
                ("outbox", "outbox".into()),
                ("names", "a.txt, b.txt".into()),
                ("more", more.into()),
            ];
            text_in(lang, "dispatch-outbox-not-ours", args)
        };
        assert!(said(Lang::En, 0).contains("did not write: a.txt, b.txt. A dry run replaces"));
        assert!(said(Lang::En, 3).contains("did not write: a.txt, b.txt and 3 more. A dry run"));
        assert!(said(Lang::Vi, 0).contains(": a.txt, b.txt. Chạy thử"));
        assert!(said(Lang::Vi, 3).contains(": a.txt, b.txt và 3 tệp khác. Chạy thử"));
    }
}
