//! The campaign's `[[attachments]]`: which parts each letter carries after its appendix, in the
//! order listed, each as exact bytes with its file name, MIME type and SHA-256.
//!
//! It owns reading attachment files: each file is read once, hashed, kept, and inspected (a PDF
//! by `pdf`); the bytes a letter carries are those bytes, never read again (`files_read` gives
//! their fingerprints, so a send can see that none changed before its first letter). It does
//! not render templates (`merge` renders the name and path templates, which campaign.toml
//! holds as `merge::Inline`s, checked like every other template) and does not build MIME
//! (`message` does, from the `Part`s). A file that is missing, unreadable, empty, outside the
//! campaign folder when a row names it, or a damaged PDF, is a `Problem`. Its words are in
//! `locales/{en,vi}/attachments.ftl`.
//!
//! The kinds of attachment are `AttachmentSource`'s: a file, or a document typeset from a
//! template. Only files are built so far; `typeset_entry` is where a typeset kind plugs in.

pub mod pdf;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::merge::{Inline, Templates};
use crate::problem::Problem;
use crate::recipients::{Recipient, Source, first_control};

/// Where an attachment's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentSource {
    /// `file = "…"`: a Tera template of the file's path, relative to the campaign folder.
    File(String),
    /// `template = "…", format = "pdf"`: a document typeset per letter from a template.
    Template { path: String, format: String },
}

/// One `[[attachments]]` entry as campaign.toml says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `name = "…"`: a Tera template of the file name the recipient sees; default: the file's
    /// own name.
    pub name: Option<String>,
    pub source: AttachmentSource,
}

/// One attachment of one letter: what `message` puts in the MIME message, as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The file name the recipient sees (may be Vietnamese).
    pub name: String,
    /// Its MIME type (`application/pdf`).
    pub mime: String,
    /// The exact bytes, shared between the letters that carry the same file.
    pub bytes: Arc<[u8]>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The same for every letter (its path uses no value of the row): its hash is recorded once
    /// in `run_started`, not in every `attempt`.
    pub shared: bool,
    /// Where it came from, as the operator sees it (`dinh-kem/cong-van-125.pdf`, or the
    /// template `templates/cong-van.typ` of a typeset document).
    pub source: String,
    /// A document letterpost typeset (what the dry run writes beside the message, and
    /// `preview --pdf` writes).
    pub typeset: bool,
}

/// The last component of a path, as text.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file as read, once.
struct Read {
    bytes: Arc<[u8]>,
    sha256: String,
    /// For a `.pdf`: its signatures.
    signatures: Option<Vec<pdf::Signature>>,
}

/// What can go wrong reading a file, in the chosen language.
type Loaded = Result<Arc<Read>, String>;

/// One entry, ready for every row.
struct Entry {
    /// 1-based, as the operator counts the `[[attachments]]` tables.
    number: usize,
    /// The Tera name of its `name` template, when it has one.
    name: Option<String>,
    kind: Kind,
}

/// How an entry's bytes are produced for a row.
enum Kind {
    /// A file: the Tera name of its path template, and whether that path uses no row value.
    File { path: String, shared: bool },
    /// A document `merge` typesets: its index among the campaign's documents, its template
    /// file, and for a document the same for all, its hash once computed.
    Typeset {
        index: usize,
        template: PathBuf,
        shared: Option<OnceLock<String>>,
    },
}

/// The campaign's attachments, with every file read so far.
pub struct Attachments {
    root: PathBuf,
    entries: Vec<Entry>,
    files: Mutex<HashMap<PathBuf, Loaded>>,
}

/// The Tera name of entry `number`'s `what` template (`file` or `name`).
fn tera_name(number: usize, what: &str) -> String {
    format!("[attachments] {number} {what}")
}

/// The templates campaign.toml's `[[attachments]]` hold (names and file paths), for
/// `merge::load` to check and compile with the others.
pub fn templates(specs: &[Spec]) -> Vec<Inline> {
    let mut inline = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let number = i + 1;
        let mut add = |what: &str, source: &str| {
            inline.push(Inline {
                name: tera_name(number, what),
                source: source.to_owned(),
                place: format!("campaign.toml [[attachments]] {number} {what}"),
            })
        };
        if let Some(name) = &spec.name {
            add("name", name);
        }
        if let AttachmentSource::File(path) = &spec.source {
            add("file", path);
        }
    }
    inline
}

/// The kind of the `index`-th `template = …` entry: `merge` has loaded and checked its
/// template (the `index`-th of `merge::Settings::documents`).
fn typeset_entry(index: usize, path: &str, root: &Path, templates: &Templates) -> Kind {
    Kind::Typeset {
        index,
        template: root.join(path),
        shared: templates.document_shared(index).then(OnceLock::new),
    }
}

impl Attachments {
    /// The entries, with their templates compiled in `templates` (by `merge::load`, given
    /// `templates(specs)`). Files whose path uses no row value are read now, once.
    pub fn load(
        specs: &[Spec],
        templates: &Templates,
        list: &Source,
        root: &Path,
    ) -> Result<Attachments, Vec<Problem>> {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        let mut documents = 0;
        for (i, spec) in specs.iter().enumerate() {
            let number = i + 1;
            let kind = match &spec.source {
                AttachmentSource::File(_) => {
                    let path = tera_name(number, "file");
                    let shared = !templates.uses_row(&path);
                    Ok(Kind::File { path, shared })
                }
                AttachmentSource::Template { path, .. } => {
                    documents += 1;
                    Ok::<_, Problem>(typeset_entry(documents - 1, path, root, templates))
                }
            };
            match kind {
                Ok(kind) => entries.push(Entry {
                    number,
                    name: spec.name.as_ref().map(|_| tera_name(number, "name")),
                    kind,
                }),
                Err(problem) => problems.push(problem),
            }
        }
        let attachments = Attachments {
            root: root.to_path_buf(),
            entries,
            files: Mutex::new(HashMap::new()),
        };
        for entry in &attachments.entries {
            let Kind::File { path, shared: true } = &entry.kind else {
                continue;
            };
            let place = format!("campaign.toml [[attachments]] {} file", entry.number);
            let result = templates.render_inline(path, None, list).and_then(|rel| {
                let full = root.join(&rel);
                attachments
                    .read(&full)
                    .map(drop)
                    .map_err(|message| Problem::new(place.clone(), message))
            });
            if let Err(problem) = result {
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok(attachments)
        } else {
            Err(problems)
        }
    }

    /// The parts of one recipient's letter, in the order listed; a problem names its row.
    pub fn parts(
        &self,
        templates: &Templates,
        recipient: &Recipient,
        list: &Source,
    ) -> Result<Vec<Part>, Problem> {
        self.entries
            .iter()
            .map(|entry| self.part(entry, templates, recipient, list))
            .collect()
    }

    fn part(
        &self,
        entry: &Entry,
        templates: &Templates,
        recipient: &Recipient,
        list: &Source,
    ) -> Result<Part, Problem> {
        let at_row = |message: String| list.row_problem(recipient.line, message);
        let (full, read, shared) = match &entry.kind {
            Kind::File { path, shared } => {
                let rel = templates.render_inline(path, Some(recipient), list)?;
                if !*shared && leaves_folder(&rel) {
                    return Err(at_row(t!("attach-outside-folder", file = rel)));
                }
                let full = self.root.join(&rel);
                let read = self.read(&full).map_err(at_row)?;
                (full, read, *shared)
            }
            Kind::Typeset {
                index,
                template,
                shared,
            } => {
                let (bytes, sha256) = match shared {
                    Some(hash) => {
                        let bytes = templates.document(*index, None, list)?;
                        let sha256 = hash.get_or_init(|| crate::hash::sha256_hex(&bytes));
                        (bytes, sha256.clone())
                    }
                    None => {
                        let bytes = templates.document(*index, Some(recipient), list)?;
                        let sha256 = crate::hash::sha256_hex(&bytes);
                        (bytes, sha256)
                    }
                };
                let read = Arc::new(Read {
                    bytes,
                    sha256,
                    signatures: None,
                });
                (template.with_extension("pdf"), read, shared.is_some())
            }
        };
        let name = match &entry.name {
            Some(name) => templates.render_inline(name, Some(recipient), list)?,
            None => full
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        if name.is_empty() {
            return Err(at_row(t!("attach-name-empty", number = entry.number)));
        }
        // A typeset document is a PDF whatever its name says, and its name says so.
        let name = match &entry.kind {
            Kind::Typeset { .. } if !name.to_lowercase().ends_with(".pdf") => format!("{name}.pdf"),
            _ => name,
        };
        if first_control(&name, true).is_some() || name.contains(['/', '\\']) {
            return Err(at_row(t!(
                "attach-name-bad",
                number = entry.number,
                name = name.as_str()
            )));
        }
        let mime = match &entry.kind {
            Kind::Typeset { .. } => mime_guess::mime::APPLICATION_PDF,
            Kind::File { .. } => mime_guess::from_path(&full)
                .first()
                .or_else(|| mime_guess::from_path(&name).first())
                .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM),
        };
        Ok(Part {
            name,
            mime: mime.essence_str().to_owned(),
            bytes: read.bytes.clone(),
            sha256: read.sha256.clone(),
            shared,
            source: match &entry.kind {
                Kind::Typeset { template, .. } => self.show(template),
                Kind::File { .. } => self.show(&full),
            },
            typeset: matches!(entry.kind, Kind::Typeset { .. }),
        })
    }

    /// A file as the operator sees it: relative to the campaign folder when inside it.
    fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The file at `path`, read once: later calls return the same bytes.
    fn read(&self, path: &Path) -> Result<Arc<Read>, String> {
        if let Some(loaded) = self.files.lock().expect("files").get(path) {
            return loaded.clone();
        }
        let shown = self.show(path);
        let loaded = read_file(path, &shown);
        // Two threads may read it at once: the first one kept is the one every letter carries.
        self.files
            .lock()
            .expect("files")
            .entry(path.to_path_buf())
            .or_insert(loaded)
            .clone()
    }

    /// Every file read, with the SHA-256 of the bytes read: what a send checks again before its
    /// first letter.
    pub fn files_read(&self) -> Vec<(PathBuf, String)> {
        let files = self.files.lock().expect("files");
        let mut read: Vec<(PathBuf, String)> = files
            .iter()
            .filter_map(|(path, loaded)| Some((path.clone(), loaded.as_ref().ok()?.sha256.clone())))
            .collect();
        read.sort();
        read
    }

    /// The files the same for every letter, in the order listed: what `run_started` records.
    pub fn shared(&self, templates: &Templates, list: &Source) -> Vec<Part> {
        let mut parts = Vec::new();
        for entry in &self.entries {
            if let Kind::Typeset {
                index,
                template,
                shared: Some(hash),
            } = &entry.kind
            {
                let Ok(bytes) = templates.document(*index, None, list) else {
                    continue;
                };
                let name = match &entry.name {
                    Some(name) if !templates.uses_row(name) => templates
                        .render_inline(name, None, list)
                        .unwrap_or_default(),
                    Some(_) => String::new(),
                    None => file_name(&template.with_extension("pdf")),
                };
                parts.push(Part {
                    name,
                    mime: String::new(),
                    sha256: hash.get_or_init(|| crate::hash::sha256_hex(&bytes)).clone(),
                    bytes,
                    shared: true,
                    source: self.show(template),
                    typeset: true,
                });
                continue;
            }
            let Kind::File { path, shared: true } = &entry.kind else {
                continue;
            };
            let Ok(rel) = templates.render_inline(path, None, list) else {
                continue;
            };
            let full = self.root.join(&rel);
            let Ok(read) = self.read(&full) else { continue };
            // The name, when it is the same for everyone too.
            let name = match &entry.name {
                Some(name) if !templates.uses_row(name) => templates
                    .render_inline(name, None, list)
                    .unwrap_or_default(),
                Some(_) => String::new(),
                None => full
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            parts.push(Part {
                name,
                mime: String::new(),
                bytes: read.bytes.clone(),
                sha256: read.sha256.clone(),
                shared: true,
                source: self.show(&full),
                typeset: false,
            });
        }
        parts
    }

    /// Every PDF read, as the operator sees its path, with its signatures, in path order: what
    /// `check` lists.
    pub fn pdfs(&self) -> Vec<(String, Vec<pdf::Signature>)> {
        let files = self.files.lock().expect("files");
        let mut pdfs: Vec<(String, Vec<pdf::Signature>)> = files
            .iter()
            .filter_map(|(path, loaded)| {
                let signatures = loaded.as_ref().ok()?.signatures.clone()?;
                Some((self.show(path), signatures))
            })
            .collect();
        pdfs.sort();
        pdfs
    }
}

/// Whether a path a row's value made could lead out of the campaign folder.
fn leaves_folder(rel: &str) -> bool {
    Path::new(rel)
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Reads one attachment file: it must exist, be a regular file, be readable and not be empty;
/// a `.pdf` must be a PDF that opens.
fn read_file(path: &Path, shown: &str) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(t!("attach-missing", file = shown));
        }
        Err(e) => {
            return Err(t!(
                "attach-cannot-read",
                file = shown,
                error = e.to_string()
            ));
        }
    };
    if bytes.is_empty() {
        return Err(t!("attach-empty", file = shown));
    }
    let is_pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let signatures = if is_pdf {
        match pdf::inspect(&bytes) {
            Ok(signatures) => Some(signatures),
            Err(why) => return Err(t!("attach-bad-pdf", file = shown, why = why)),
        }
    } else {
        None
    };
    let sha256 = crate::hash::sha256_hex(&bytes);
    Ok(Arc::new(Read {
        bytes: Arc::from(bytes),
        sha256,
        signatures,
    }))
}

#[cfg(test)]
mod tests {
    use super::leaves_folder;

    #[test]
    fn a_row_cannot_lead_a_path_out_of_the_folder() {
        assert!(!leaves_folder("dinh-kem/so-y-te.xlsx"));
        assert!(!leaves_folder("./dinh-kem/a.pdf"));
        assert!(leaves_folder("dinh-kem/../../etc/passwd"));
        assert!(leaves_folder("/etc/passwd"));
    }
}
