//! The templates: Tera loaded once, every variable checked against the CSV header before any row
//! renders, and one `Recipient` rendered into one `Rendered` (subject, plain text, HTML, appendix).
//!
//! Rendering is pure: no I/O after `load`, no network, no clock. CSV values are only ever context
//! values, never template source or template names, so `{{ 7*7 }}` in a cell is text; HTML
//! templates (names ending in `.html`) escape every value. An undefined variable is an error,
//! never an empty string.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use crate::problem::Problem;
use crate::recipients::{Recipient, Source, describe, first_control};

/// The `[templates]` and `[vars]` tables.
#[derive(Debug, Clone)]
pub struct Settings {
    pub letter_html: PathBuf,
    pub letter_text: PathBuf,
    pub appendix: PathBuf,
    /// The attachment's file name (may be Vietnamese; lettre encodes it per RFC 2231).
    pub appendix_filename: String,
    /// Campaign-wide values: document number, date, signer, fanpage URL…
    pub vars: serde_json::Map<String, serde_json::Value>,
}

/// What one recipient's letter says. The bodies are UTF-8 bytes (Tera renders UTF-8 templates
/// and values to UTF-8); they go to the MIME encoder as bytes, so they are never re-validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: Vec<u8>,
    pub html: Vec<u8>,
    pub appendix: Vec<u8>,
}

/// Tera with the campaign's templates, checked and ready to render any row.
pub struct Templates {
    tera: Tera,
    names: Names,
    /// Every template file read, with the SHA-256 of the bytes read: the fingerprints a send
    /// records, of exactly what it renders.
    files: Vec<(PathBuf, String)>,
}

struct Names {
    letter_html: String,
    letter_text: String,
    appendix: String,
}

const SUBJECT: &str = "[campaign] subject";

/// Loads every template file in the folder of the letter template (so partials can be included
/// by their path relative to it), plus the subject, and checks that each variable they use is a
/// column of the recipient list or a value under `[vars]`.
///
/// `columns` are the names the recipient list provides; `show` turns a path into the name the
/// operator sees.
pub fn load(
    settings: &Settings,
    subject: &str,
    columns: &[String],
    show: &dyn Fn(&Path) -> String,
) -> Result<Templates, Vec<Problem>> {
    let dir = settings
        .letter_html
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let names = names(settings, &dir, show)?;
    let (sources, files) = read_sources(settings, &dir, show)?;
    let mut problems = Vec::new();
    // All at once: a template may include another that comes later in the folder.
    let mut tera = Tera::default();
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str()))) {
        problems.push(problem_from_tera(&e, &|name| show(&dir.join(name))));
    }
    if let Err(e) = tera.add_raw_template(SUBJECT, subject) {
        problems.push(problem_from_tera(&e, &|_| SUBJECT_PLACE.to_owned()));
    }
    if problems.is_empty() {
        let file_of = |name: &str| -> String {
            if name == SUBJECT {
                SUBJECT_PLACE.to_owned()
            } else {
                show(&dir.join(name))
            }
        };
        problems = undefined_variables(&tera, &names, settings, columns, &file_of);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (key, value) in &settings.vars {
        tera.global_context().insert(key.clone(), value);
    }
    Ok(Templates { tera, names, files })
}

/// Where the subject template is, for problems.
const SUBJECT_PLACE: &str = "campaign.toml [campaign] subject";

/// The Tera names of the three templates: their paths inside the letter template's folder.
fn names(
    settings: &Settings,
    dir: &Path,
    show: &dyn Fn(&Path) -> String,
) -> Result<Names, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut name_of = |path: &Path| -> String {
        match path.strip_prefix(dir) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => {
                problems.push(Problem::new(
                    show(path),
                    format!(
                        "templates must all be in {} (or a folder inside it)",
                        show(dir)
                    ),
                ));
                String::new()
            }
        }
    };
    let names = Names {
        letter_html: name_of(&settings.letter_html),
        letter_text: name_of(&settings.letter_text),
        appendix: name_of(&settings.appendix),
    };
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(problems)
    }
}

/// Every template file in the folder, read once: (Tera name, text) and (path, SHA-256 of its
/// bytes), the fingerprints a send records.
#[allow(clippy::type_complexity)]
fn read_sources(
    settings: &Settings,
    dir: &Path,
    show: &dyn Fn(&Path) -> String,
) -> Result<(Vec<(String, String)>, Vec<(PathBuf, String)>), Vec<Problem>> {
    let mut files = Vec::new();
    collect_template_files(dir, &mut files)
        .map_err(|e| vec![Problem::new(show(dir), format!("cannot list: {e}"))])?;
    let mut problems: Vec<Problem> = [
        &settings.letter_html,
        &settings.letter_text,
        &settings.appendix,
    ]
    .into_iter()
    .filter(|required| !required.is_file())
    .map(|required| Problem::new(show(required), "the template file does not exist"))
    .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut sources = Vec::with_capacity(files.len());
    let mut fingerprints = Vec::with_capacity(files.len());
    for path in &files {
        let name = path
            .strip_prefix(dir)
            .expect("listed inside dir")
            .to_string_lossy()
            .replace('\\', "/");
        let read = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                let sha256 = crate::message::sha256_hex(&bytes);
                String::from_utf8(bytes)
                    .map(|text| (text, sha256))
                    .map_err(|_| "the file is not UTF-8 text; save it as UTF-8".to_owned())
            });
        match read {
            Ok((source, sha256)) => {
                sources.push((name, source));
                fingerprints.push((path.clone(), sha256));
            }
            Err(e) => problems.push(Problem::new(show(path), format!("cannot read: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok((sources, fingerprints))
    } else {
        Err(problems)
    }
}

/// Every variable a template uses that is neither a column nor a `[vars]` value, and every
/// `[vars]` value that a column's name would hide.
fn undefined_variables(
    tera: &Tera,
    names: &Names,
    settings: &Settings,
    columns: &[String],
    file_of: &dyn Fn(&str) -> String,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for column in columns {
        if settings.vars.contains_key(column) {
            problems.push(Problem::new(
                "campaign.toml",
                format!("[vars] `{column}` has the same name as a column of the recipient list; rename one"),
            ));
        }
    }
    for name in [
        SUBJECT,
        &names.letter_html,
        &names.letter_text,
        &names.appendix,
    ] {
        let used = match tera.get_template_variables(name) {
            Ok(used) => used.into_iter().collect::<BTreeSet<_>>(),
            Err(e) => {
                problems.push(problem_from_tera(&e, file_of));
                continue;
            }
        };
        for var in used {
            if !columns.iter().any(|c| c == var) && !settings.vars.contains_key(var) {
                problems.push(
                    Problem::new(
                        file_of(name),
                        format!(
                            "uses `{var}`, which is neither a column of the recipient list nor a value \
                             under [vars] in campaign.toml"
                        ),
                    )
                    .in_column(var),
                );
            }
        }
    }
    problems
}

impl Templates {
    /// Every template file read, with the SHA-256 of its bytes as read.
    pub fn files(&self) -> &[(PathBuf, String)] {
        &self.files
    }

    /// Renders one recipient. `list` names the recipient's row in a problem.
    pub fn render(&self, recipient: &Recipient, list: &Source) -> Result<Rendered, Problem> {
        let mut context = Context::new();
        for (name, value) in &recipient.fields {
            context.insert(name.clone(), value);
        }
        let at_row = |message: String| list.row_problem(recipient.line, message);
        let render = |name: &str| {
            let mut out = Vec::with_capacity(16 * 1024);
            self.tera.render_to(name, &context, &mut out).map_err(|e| {
                let p = problem_from_tera(&e, &|file| file.to_owned());
                at_row(format!("cannot render {name}: {}", p.message))
            })?;
            Ok::<_, Problem>(out)
        };
        let subject = String::from_utf8_lossy(&render(SUBJECT)?).trim().to_owned();
        if let Some(c) = first_control(&subject, true) {
            return Err(at_row(format!(
                "the subject rendered for this row contains {}; a value in this row put it there",
                describe(c)
            )));
        }
        if subject.is_empty() {
            return Err(at_row("the subject rendered for this row is empty".into()));
        }
        Ok(Rendered {
            subject,
            text: render(&self.names.letter_text)?,
            html: render(&self.names.letter_html)?,
            appendix: render(&self.names.appendix)?,
        })
    }
}

/// A Tera error as a problem: the template file, the line in it, and Tera's own message.
fn problem_from_tera(e: &tera::Error, file: &dyn Fn(&str) -> String) -> Problem {
    match e.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            Problem::new(file(report.filename()), report.message().to_owned())
                .at_line(report.span().start_line as u64)
        }
        other => {
            let mut message = other.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Problem::new(file(""), message)
        }
    }
}

/// Every template file `load` reads: the folder of the letter template and its subfolders.
pub fn template_files(settings: &Settings) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    collect_template_files(
        settings.letter_html.parent().unwrap_or(Path::new(".")),
        &mut files,
    )?;
    Ok(files)
}

fn collect_template_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect_template_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| matches!(e.to_str(), Some("html" | "htm" | "txt" | "xml")))
        {
            out.push(path);
        }
    }
    Ok(())
}
