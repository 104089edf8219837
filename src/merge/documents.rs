//! The document templates (`.typ`): a Tera of their own whose escape is Typst's
//! (`typeset::escape`), their variables checked like the letter's, and each typeset to PDF for
//! one row, or once for all when it uses no column. It owns nothing of the letter's templates
//! and writes no file.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use tera::{Context, Tera};

use super::{Known, Settings, Templates, problems_from_tera, row_context, undefined_variables};
use crate::problem::Problem;
use crate::recipients::{Recipient, Source};
use crate::typeset::{self, Typesetter};

/// A document the same for every letter: typeset on first use, then the same bytes for all.
type Shared = OnceLock<Result<Arc<[u8]>, Problem>>;

/// The document templates: their own Tera (Typst escaping), and the typesetter.
pub(super) struct Documents {
    pub(super) tera: Tera,
    /// Tera names, in the order of `Settings::documents`, each with its PDF when it uses no
    /// value of the row (typeset on first use, then shared).
    templates: Vec<(String, Option<Shared>)>,
    typesetter: Option<Typesetter>,
    /// How a template's name shows to the operator.
    shown: Vec<String>,
}

/// The document templates in a Tera of their own that escapes every value for Typst markup,
/// their variables checked like the letter's, and the typesetter with the campaign's fonts.
pub(super) fn load(
    settings: &Settings,
    dir: &Path,
    sources: &[(String, String)],
    columns: &[String],
    show: &dyn Fn(&Path) -> String,
    date: SystemTime,
) -> Result<Documents, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut tera = Tera::default();
    tera.autoescape_on([".typ"]);
    tera.set_escape_fn(typeset::escape::markup);
    tera.register_filter(
        "typst_str",
        |value: &str, _: tera::Kwargs, _: &tera::State| {
            tera::Value::safe_string(&typeset::escape::string(value))
        },
    );
    let mut names = Vec::new();
    for path in &settings.documents {
        match path.strip_prefix(dir) {
            Ok(rel) => names.push(rel.to_string_lossy().replace('\\', "/")),
            Err(_) => problems.push(Problem::new(
                show(path),
                t!("merge-outside-folder", folder = show(dir)),
            )),
        }
    }
    for name in &names {
        if !sources.iter().any(|(n, _)| n == name) {
            problems.push(Problem::new(
                show(&dir.join(name)),
                t!("merge-template-missing"),
            ));
        }
    }
    if names.is_empty() || !problems.is_empty() {
        return match problems.is_empty() {
            true => Ok(Documents {
                tera,
                templates: Vec::new(),
                typesetter: None,
                shown: Vec::new(),
            }),
            false => Err(problems),
        };
    }
    let typst_sources = sources.iter().filter(|(n, _)| n.ends_with(".typ"));
    if let Err(e) = tera.add_raw_templates(typst_sources.map(|(n, s)| (n.as_str(), s.as_str()))) {
        return Err(problems_from_tera(&e, &|name| show(&dir.join(name))));
    }
    let known = Known { settings, columns };
    let used: Vec<&str> = names.iter().map(String::as_str).collect();
    let file_of = |name: &str| show(&dir.join(name));
    problems = undefined_variables(&tera, &used, &[], sources, &known, &file_of);
    let mut fonts = Vec::new();
    for path in &settings.fonts {
        match std::fs::read(path) {
            Ok(bytes) if Typesetter::is_font(&bytes) => fonts.push((path.clone(), bytes)),
            Ok(_) => problems.push(Problem::new(show(path), t!("merge-not-a-font"))),
            Err(e) => problems.push(Problem::new(
                show(path),
                t!("merge-cannot-read", error = e.to_string()),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let templates = names
        .iter()
        .map(|name| {
            let used = tera.get_template_variables(name).unwrap_or_default();
            let personal = used.iter().any(|var| columns.iter().any(|c| c == *var));
            (name.clone(), (!personal).then(OnceLock::new))
        })
        .collect();
    Ok(Documents {
        tera,
        templates,
        typesetter: Some(Typesetter::new(dir, &fonts, date)),
        shown: names.iter().map(|name| show(&dir.join(name))).collect(),
    })
}

impl Templates {
    /// Whether document `i` (of `Settings::documents`) is the same for every letter: its
    /// template uses no value of the row.
    pub fn document_shared(&self, i: usize) -> bool {
        self.documents.templates[i].1.is_some()
    }

    /// The PDF of document `i` for one recipient (`None`: a document the same for all, typeset
    /// on first use, then the same bytes for every letter). `list` names the row in a problem.
    pub fn document(
        &self,
        i: usize,
        recipient: Option<&Recipient>,
        list: &Source,
    ) -> Result<Arc<[u8]>, Problem> {
        let (name, shared) = &self.documents.templates[i];
        match (shared, recipient) {
            (Some(once), _) => once
                .get_or_init(|| self.typeset(i, &Context::new(), name, None))
                .clone(),
            (None, Some(recipient)) => {
                let at_row = |message: String| list.row_problem(recipient.line, message);
                self.typeset(i, &row_context(recipient), &recipient.key, Some(&at_row))
            }
            (None, None) => unreachable!("a personal document is typeset for a row"),
        }
    }
    /// Renders document `i` with `context` (the row's values; the campaign's are global) and
    /// typesets it. `ident` names the PDF stably across runs; `at_row` places a problem on the
    /// row, or for a document the same for all, on its template.
    fn typeset(
        &self,
        i: usize,
        context: &Context,
        ident: &str,
        at_row: Option<&dyn Fn(String) -> Problem>,
    ) -> Result<Arc<[u8]>, Problem> {
        let documents = &self.documents;
        let (name, _) = &documents.templates[i];
        let shown = &documents.shown[i];
        let problem = |message: String| match at_row {
            Some(at_row) => at_row(message),
            None => Problem::new(shown.clone(), message),
        };
        let source = documents.tera.render(name, context).map_err(|e| {
            let p = problems_from_tera(&e, &|file| file.to_owned());
            let messages: Vec<String> = p.into_iter().map(|p| p.message).collect();
            problem(t!(
                "merge-cannot-render",
                template = shown,
                error = messages.join("; ")
            ))
        })?;
        let typesetter = documents.typesetter.as_ref().expect("documents have one");
        let ident = format!("{name}\0{ident}");
        typesetter
            .pdf(name, &source, &ident)
            .map(Arc::from)
            .map_err(|failure| {
                problem(match (failure.line, failure.position) {
                    (Some(line), Some(position)) => t!(
                        "merge-cannot-typeset-at",
                        template = shown,
                        line = line,
                        position = position,
                        error = failure.message
                    ),
                    _ => t!(
                        "merge-cannot-typeset",
                        template = shown,
                        error = failure.message
                    ),
                })
            })
    }
}
