//! The templates: Tera loaded once, every variable checked against the CSV header before any row
//! renders, and one `Recipient` rendered into one `Rendered` (subject, plain text, HTML, appendix,
//! and the PDF of each document template).
//!
//! Rendering is pure: no network, no clock, and no I/O after `load` but the files a document
//! reads beside its template (once per run, through `typeset`). CSV values are only ever context
//! values, never template source or template names, so `{{ 7*7 }}` in a cell is text; HTML
//! templates (names ending in `.html`) escape every value for HTML, and document templates
//! (`.typ`, in a Tera of their own) for Typst markup, so no value becomes markup; their
//! `typst_str` filter writes a value as a Typst string literal. A document that uses no value of
//! the row is typeset once and shared by every letter. An undefined variable is an error,
//! never an empty string. Its problems are worded in `locales/{en,vi}/merge.ftl`; Tera's own
//! messages stay Tera's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tera::{Context, Tera};

use crate::problem::Problem;
use crate::recipients::{Recipient, Source, describe, first_control};

mod documents;

use documents::Documents;

/// The `[templates]` and `[vars]` tables.
#[derive(Debug, Clone)]
pub struct Settings {
    pub letter_html: PathBuf,
    pub letter_text: PathBuf,
    /// The appendix as an HTML attachment, when there is one.
    pub appendix: Option<PathBuf>,
    /// The attachment's file name (may be Vietnamese; lettre encodes it per RFC 2231).
    pub appendix_filename: String,
    /// Campaign-wide values: document number, date, signer, fanpage URL…
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// The `[document]` table, when campaign.toml has one: templates see it as `document`.
    pub document: Option<Document>,
    /// Document templates (`.typ`, inside the letter template's folder), each typeset to a PDF
    /// per letter, in this order.
    pub documents: Vec<PathBuf>,
    /// Font files the documents may use before the built-in ones (an office's own Times New
    /// Roman), read once by `load`.
    pub fonts: Vec<PathBuf>,
}

/// The `[document]` table: the letter's number and date (checked to be a real date), and the
/// date's parts as a template writes them (`ngày {{ document.day }} tháng …`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Document {
    pub number: String,
    /// `dd/mm/yyyy`, as written.
    pub date: String,
    /// Two digits: `07`.
    pub day: String,
    /// Two digits: `12`.
    pub month: String,
    /// Four digits: `2026`.
    pub year: String,
}

impl Document {
    /// The keys of `[document]` still empty or a placeholder (`      /STTTT-TTBCXB`, `…/STTTT`,
    /// `dd/mm/yyyy`, anything with `....`): a real send refuses them.
    pub fn unfinished(&self) -> Vec<&'static str> {
        let placeholder = |value: &str| {
            let value = value.trim();
            let before_symbol = value.split('/').next().unwrap_or("");
            value.is_empty()
                || value.contains("....")
                || value.eq_ignore_ascii_case("dd/mm/yyyy")
                || (value.contains('/')
                    && before_symbol
                        .chars()
                        .all(|c| c.is_whitespace() || matches!(c, '.' | '…' | '/')))
        };
        let mut keys = Vec::new();
        if placeholder(&self.number) {
            keys.push("number");
        }
        if placeholder(&self.date) {
            keys.push("date");
        }
        keys
    }
}

/// A template written in campaign.toml itself (the subject, an attachment's name or path): its
/// Tera name, its text, and the place a problem names (`campaign.toml [[attachments]] 1 file`).
#[derive(Debug, Clone)]
pub struct Inline {
    pub name: String,
    pub source: String,
    pub place: String,
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
    documents: Documents,
    /// Every template file read, with the SHA-256 of the bytes read: the fingerprints a send
    /// records, of exactly what it renders.
    files: Vec<(PathBuf, String)>,
    /// The names every row sees the same value of: the `[vars]` keys, and `document`.
    globals: BTreeSet<String>,
}

struct Names {
    letter_html: String,
    letter_text: String,
    appendix: Option<String>,
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
    inline: &[Inline],
    columns: &[String],
    show: &dyn Fn(&Path) -> String,
    date: SystemTime,
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
    // Document templates (`.typ`) are in a Tera of their own, with Typst's escaping.
    let letter_sources = sources.iter().filter(|(n, _)| !n.ends_with(".typ"));
    if let Err(e) = tera.add_raw_templates(letter_sources.map(|(n, s)| (n.as_str(), s.as_str()))) {
        problems.extend(problems_from_tera(&e, &|name| show(&dir.join(name))));
    }
    let mut inline = inline.to_vec();
    inline.insert(
        0,
        Inline {
            name: SUBJECT.to_owned(),
            source: subject.to_owned(),
            place: SUBJECT_PLACE.to_owned(),
        },
    );
    for template in &inline {
        if let Err(e) = tera.add_raw_template(&template.name, &template.source) {
            problems.extend(problems_from_tera(&e, &|_| template.place.clone()));
        }
    }
    if problems.is_empty() {
        let file_of = |name: &str| -> String {
            match inline.iter().find(|t| t.name == name) {
                Some(t) => t.place.clone(),
                None => show(&dir.join(name)),
            }
        };
        let known = Known { settings, columns };
        let files: Vec<&str> = [Some(&names.letter_html), Some(&names.letter_text)]
            .into_iter()
            .chain([names.appendix.as_ref()])
            .flatten()
            .map(String::as_str)
            .collect();
        problems = hidden_vars(&known);
        problems.extend(undefined_variables(
            &tera, &files, &inline, &sources, &known, &file_of,
        ));
    }
    let documents = match documents::load(settings, &dir, &sources, columns, show, date) {
        Ok(documents) => Some(documents),
        Err(more) => {
            problems.extend(more);
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut documents = documents.expect("no problems");
    let mut globals: BTreeSet<String> = settings.vars.keys().cloned().collect();
    for (key, value) in &settings.vars {
        tera.global_context().insert(key.clone(), value);
        documents.tera.global_context().insert(key.clone(), value);
    }
    if let Some(document) = &settings.document {
        tera.global_context().insert("document", document);
        documents.tera.global_context().insert("document", document);
        globals.insert("document".to_owned());
    }
    Ok(Templates {
        tera,
        names,
        documents,
        files,
        globals,
    })
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
                    t!("merge-outside-folder", folder = show(dir)),
                ));
                String::new()
            }
        }
    };
    let names = Names {
        letter_html: name_of(&settings.letter_html),
        letter_text: name_of(&settings.letter_text),
        appendix: settings.appendix.as_deref().map(&mut name_of),
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
    collect_template_files(dir, &mut files).map_err(|e| {
        vec![Problem::new(
            show(dir),
            t!("merge-cannot-list", error = e.to_string()),
        )]
    })?;
    let mut problems: Vec<Problem> = [Some(&settings.letter_html), Some(&settings.letter_text)]
        .into_iter()
        .chain([settings.appendix.as_ref()])
        .flatten()
        .filter(|required| !required.is_file())
        .map(|required| Problem::new(show(required), t!("merge-template-missing")))
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
            .map_err(|e| t!("merge-cannot-read", error = e.to_string()))
            .and_then(|bytes| {
                let sha256 = crate::hash::sha256_hex(&bytes);
                String::from_utf8(bytes)
                    .map(|text| (text, sha256))
                    .map_err(|_| t!("merge-not-utf8"))
            });
        match read {
            Ok((source, sha256)) => {
                sources.push((name, source));
                fingerprints.push((path.clone(), sha256));
            }
            Err(message) => problems.push(Problem::new(show(path), message)),
        }
    }
    if problems.is_empty() {
        Ok((sources, fingerprints))
    } else {
        Err(problems)
    }
}

/// The names a template may use: the recipient list's columns and the `[vars]` values.
struct Known<'a> {
    settings: &'a Settings,
    columns: &'a [String],
}

impl Known<'_> {
    fn contains(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
            || self.settings.vars.contains_key(name)
            || (name == "document" && self.settings.document.is_some())
    }

    /// The known name closest to a misspelled one, if any is close.
    fn closest(&self, name: &str) -> Option<&str> {
        let columns = self.columns.iter().map(String::as_str);
        crate::suggest::closest(
            name,
            columns.chain(self.settings.vars.keys().map(String::as_str)),
        )
    }
}

/// Every `[vars]` value that a column's name would hide.
fn hidden_vars(known: &Known<'_>) -> Vec<Problem> {
    known
        .columns
        .iter()
        .filter(|column| known.settings.vars.contains_key(column.as_str()))
        .map(|column| Problem::new("campaign.toml", t!("merge-var-hides-column", name = column)))
        .collect()
}

/// Every variable the `inline` templates and the template `files` use that is neither a column
/// nor a `[vars]` value, where it is first used (file, line, position) and the known name it
/// may be a misspelling of.
fn undefined_variables(
    tera: &Tera,
    files: &[&str],
    inline: &[Inline],
    sources: &[(String, String)],
    known: &Known<'_>,
    file_of: &dyn Fn(&str) -> String,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    // A template's variables include those of the templates it includes: each unknown one is
    // reported once, where it is written, in the order of the files and lines.
    let mut reported = BTreeSet::new();
    let mut unknown = Vec::new();
    let inline_names = inline.iter().map(|t| t.name.as_str());
    for name in inline_names.clone().chain(files.iter().copied()) {
        let used = match tera.get_template_variables(name) {
            Ok(used) => used.into_iter().collect::<BTreeSet<_>>(),
            Err(e) => {
                problems.extend(problems_from_tera(&e, file_of));
                continue;
            }
        };
        for var in used.into_iter().filter(|var| !known.contains(var)) {
            let (file, place) = if inline_names.clone().any(|n| n == name) {
                (name, None)
            } else {
                where_used(name, var, sources)
            };
            if !reported.insert((file.to_owned(), var.to_owned())) {
                continue;
            }
            let message = match known.closest(var) {
                Some(meant) => t!("merge-unknown-variable-near", name = var, meant = meant),
                None => t!("merge-unknown-variable", name = var),
            };
            let problem = Problem::new(file_of(file), message);
            unknown.push(match place {
                Some((line, position)) => problem.at(line, position),
                None => problem,
            });
        }
    }
    unknown.sort_by(|a, b| (&a.file, a.line, a.position).cmp(&(&b.file, b.line, b.position)));
    problems.extend(unknown);
    problems
}

/// The template that writes `var` (the one named, else the first other one in the folder that
/// does: an included one) and where in it.
fn where_used<'a>(
    name: &'a str,
    var: &str,
    sources: &'a [(String, String)],
) -> (&'a str, Option<(u64, u64)>) {
    let own = sources.iter().filter(|(n, _)| n == name);
    let others = sources.iter().filter(|(n, _)| n != name);
    own.chain(others)
        .find_map(|(n, source)| Some((n.as_str(), Some(find_variable(source, var)?))))
        .unwrap_or((name, None))
}

/// Where a template first uses `var` as a variable: line and position (1-based, in characters)
/// of its first appearance inside `{{ }}` or `{% %}` that is not in a string or a comment, nor
/// an attribute (`x.var`), a filter or test name (`| var`, `is var`), a function (`var(`) or an
/// argument or `set` name (`var=`). `None` when this scan does not find it.
fn find_variable(source: &str, var: &str) -> Option<(u64, u64)> {
    let b = source.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let word_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut i = 0;
    while i + 1 < b.len() {
        let close: &[u8] = match (at(i), at(i + 1)) {
            (b'{', b'{') => b"}}",
            (b'{', b'%') => b"%}",
            (b'{', b'#') => b"#}",
            _ => {
                i += 1;
                continue;
            }
        };
        let mut j = i + 2;
        if close == b"#}" {
            i = j + memchr::memmem::find(&b[j..], close)? + 2;
            continue;
        }
        let mut first: Option<&str> = None;
        let mut previous = "";
        loop {
            if j >= b.len() {
                return None;
            }
            if b[j..].starts_with(close) {
                j += 2;
                break;
            }
            match at(j) {
                quote @ (b'"' | b'\'' | b'`') => {
                    j += 1 + memchr::memchr(quote, &b[j + 1..])? + 1;
                    previous = "string";
                }
                c if c.is_ascii_whitespace() => j += 1,
                c if word_byte(c) && !c.is_ascii_digit() => {
                    let start = j;
                    while j < b.len() && word_byte(b[j]) {
                        j += 1;
                    }
                    let word = &source[start..j];
                    first.get_or_insert(word);
                    let mut next = j;
                    while at(next).is_ascii_whitespace() {
                        next += 1;
                    }
                    let named = at(next) == b'=' && at(next + 1) != b'=';
                    let called = at(next) == b'(';
                    if word == var && !matches!(previous, "." | "|" | "is") && !named && !called {
                        let before = &source[..start];
                        let line = before.matches('\n').count() as u64 + 1;
                        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
                        let position = source[line_start..start].chars().count() as u64 + 1;
                        return Some((line, position));
                    }
                    previous = word;
                }
                c => {
                    previous = match c {
                        b'.' => ".",
                        b'|' => "|",
                        _ => "other",
                    };
                    j += 1;
                }
            }
        }
        // Nothing inside `{% raw %}` … `{% endraw %}` is a template.
        if close == b"%}" && first == Some("raw") {
            let end = memchr::memmem::find(&b[j..], b"endraw")?;
            j += end + memchr::memmem::find(&b[j + end..], b"%}")? + 2;
        }
        i = j;
    }
    None
}

impl Templates {
    /// Every template file read, with the SHA-256 of its bytes as read.
    pub fn files(&self) -> &[(PathBuf, String)] {
        &self.files
    }

    /// Renders one recipient. `list` names the recipient's row in a problem.
    pub fn render(&self, recipient: &Recipient, list: &Source) -> Result<Rendered, Problem> {
        let context = row_context(recipient);
        let at_row = |message: String| list.row_problem(recipient.line, message);
        let render = |name: &str| self.render_to(name, &context, &at_row);
        let subject = String::from_utf8_lossy(&render(SUBJECT)?).trim().to_owned();
        if let Some(c) = first_control(&subject, true) {
            return Err(at_row(t!("merge-subject-control", character = describe(c))));
        }
        if subject.is_empty() {
            return Err(at_row(t!("merge-subject-empty")));
        }
        Ok(Rendered {
            subject,
            text: render(&self.names.letter_text)?,
            html: render(&self.names.letter_html)?,
            appendix: match &self.names.appendix {
                Some(name) => render(name)?,
                None => Vec::new(),
            },
        })
    }

    /// Renders one of the `Inline` templates `load` was given, for one recipient (`None`: one
    /// that uses no row value, `uses_row` says so), as trimmed text.
    pub fn render_inline(
        &self,
        name: &str,
        recipient: Option<&Recipient>,
        list: &Source,
    ) -> Result<String, Problem> {
        let context = recipient.map_or_else(Context::new, row_context);
        let at_row = |message: String| match recipient {
            Some(r) => list.row_problem(r.line, message),
            None => Problem::new("campaign.toml", message),
        };
        let out = self.render_to(name, &context, &at_row)?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Whether a template uses a value of the row (a column), not only `[vars]` and `document`.
    pub fn uses_row(&self, name: &str) -> bool {
        self.tera
            .get_template_variables(name)
            .map(|used| used.iter().any(|v| !self.globals.contains(*v)))
            .unwrap_or(true)
    }

    /// One template rendered with `context`; a failure is a problem on the row (`at_row`) that
    /// tells where in which template it broke.
    fn render_to(
        &self,
        name: &str,
        context: &Context,
        at_row: &dyn Fn(String) -> Problem,
    ) -> Result<Vec<u8>, Problem> {
        let mut out = Vec::with_capacity(16 * 1024);
        self.tera.render_to(name, context, &mut out).map_err(|e| {
            // The row is the problem's place; where in which template it broke is told.
            at_row(match e.kind() {
                tera::ErrorKind::RenderingError(report) => {
                    let span = report.span();
                    t!(
                        "merge-cannot-render-at",
                        template = report.filename(),
                        line = span.start_line,
                        position = span.start_col + 1,
                        error = report.message()
                    )
                }
                _ => {
                    let p = problems_from_tera(&e, &|file| file.to_owned());
                    let messages: Vec<String> = p.into_iter().map(|p| p.message).collect();
                    t!(
                        "merge-cannot-render",
                        template = name,
                        error = messages.join("; ")
                    )
                }
            })
        })?;
        Ok(out)
    }
}

/// The row's values, by column name.
fn row_context(recipient: &Recipient) -> Context {
    let mut context = Context::new();
    for (name, value) in &recipient.fields {
        context.insert(name.clone(), value);
    }
    context
}

/// A Tera error as problems: the template file, the line and position in it, and Tera's own
/// message (never Tera's own `error:` report, which `report::problems` would print after its
/// own `error:`). Tera reports every unknown filter, test, function or included template at
/// once, as one message of such reports: each becomes a problem.
fn problems_from_tera(e: &tera::Error, file: &dyn Fn(&str) -> String) -> Vec<Problem> {
    match e.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            let problem = Problem::new(file(report.filename()), report.message().to_owned());
            vec![problem.at(span.start_line as u64, span.start_col as u64 + 1)]
        }
        tera::ErrorKind::Msg(text) if text.starts_with("error: ") => reports(text, file),
        other => {
            let mut message = other.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            vec![Problem::new(file(""), message)]
        }
    }
}

/// Tera's reports, as its `generate_report` writes them (`error: MESSAGE`, then `--> NAME:LINE:COL`,
/// then the source line), each as a problem. A report whose place cannot be read keeps its
/// message.
fn reports(text: &str, file: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let place = lines
            .peek()
            .and_then(|next| next.trim_start().strip_prefix("--> "))
            .and_then(|place| {
                let mut parts = place.rsplitn(3, ':');
                let position = parts.next()?.parse::<u64>().ok()?;
                let line = parts.next()?.parse::<u64>().ok()?;
                Some((parts.next()?, line, position))
            });
        problems.push(match place {
            Some((name, line, position)) => {
                Problem::new(file(name), message.to_owned()).at(line, position)
            }
            None => Problem::new(file(""), message.to_owned()),
        });
    }
    problems
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
            .is_some_and(|e| matches!(e.to_str(), Some("html" | "htm" | "txt" | "xml" | "typ")))
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{find_variable, problems_from_tera};

    #[test]
    fn finds_where_a_variable_is_used() {
        let source = "Kính gửi: {{ organisation }}\n  {% if  orgnisation %}x{% endif %}\n";
        assert_eq!(find_variable(source, "organisation"), Some((1, 14)));
        assert_eq!(find_variable(source, "orgnisation"), Some((2, 10)));
        // Characters, not bytes: the accents before it count one each.
        assert_eq!(find_variable("Tên: {{ x }}", "x"), Some((1, 9)));
    }

    #[test]
    fn skips_what_is_not_that_variable() {
        let source = concat!(
            "x {# {{ x }} #} {{ \"x\" }} {{ a.x }} {{ a | x }} {% if a is x %}{% endif %}",
            "{{ x() }} {{ f(x=1) }} {% set x = 1 %} {% raw %}{{ x }}{% endraw %}\n",
            "{{ 'a' ~ x }}"
        );
        assert_eq!(find_variable(source, "x"), Some((2, 10)));
        assert_eq!(find_variable("{{ xy }} {{ ax }}", "x"), None);
    }

    #[test]
    fn tera_reports_become_one_problem_each_without_a_second_error_word() {
        let mut tera = tera::Tera::default();
        let e = tera
            .add_raw_templates([("a.txt", "{{ x | nope }}\n\n  {{ y | nah }}")])
            .unwrap_err();
        let problems = problems_from_tera(&e, &|name| format!("templates/{name}"));
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "templates/a.txt:1:8: Unknown filter `nope`",
                "templates/a.txt:3:10: Unknown filter `nah`"
            ]
        );
        let e = tera.add_raw_template("b.txt", "\n{{ x ").unwrap_err();
        let problems = problems_from_tera(&e, &|name| format!("templates/{name}"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, "templates/b.txt");
        assert_eq!(problems[0].line, Some(2));
        assert!(
            !problems[0].message.contains("error"),
            "{}",
            problems[0].message
        );
    }
}
