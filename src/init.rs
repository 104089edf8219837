//! `letterpost init DIR [--xlsx]`: a new campaign folder from the built-in example, which is the
//! repository's own fanpage campaign compiled into the binary (a covering email with the công văn
//! and phụ lục typeset as PDF in Decree 30's layout, and the older HTML letter beside it); with `--xlsx` its recipient list
//! is an Excel workbook (`recipients/organisations.xlsx`, every cell text) instead of the CSV
//! file, and campaign.toml names it.
//!
//! It writes only into a folder that does not exist or is empty, and never overwrites a file.
//! What it says is in `locales/{en,vi}/files.ftl`; the example's files are written as they are.

use std::path::Path;

use anyhow::{Context, bail};

use crate::report::ExitCode;
use crate::xlsx_export::{self, Cell};

/// The built-in list as CSV, and where campaign.toml names it.
const CSV_LIST: &str = "recipients/organisations.csv";
const CSV_FILE_LINE: &str = "file = \"recipients/organisations.csv\"";

/// The list as a workbook: its path, and its sheet's name (the one sheet, so it is the first).
const XLSX_LIST: &str = "recipients/organisations.xlsx";
const XLSX_SHEET: &str = "Danh sách";

/// The example campaign: (path inside the folder, content).
const FILES: &[(&str, &str)] = &[
    ("campaign.toml", include_str!("../campaign.toml")),
    (
        "recipients/organisations.csv",
        include_str!("../recipients/organisations.csv"),
    ),
    (
        "templates/letter.html",
        include_str!("../templates/letter.html"),
    ),
    (
        "templates/letter.txt",
        include_str!("../templates/letter.txt"),
    ),
    (
        "templates/appendix.html",
        include_str!("../templates/appendix.html"),
    ),
    (
        "templates/partials/motto.html",
        include_str!("../templates/partials/motto.html"),
    ),
    (
        "templates/email.html",
        include_str!("../templates/email.html"),
    ),
    (
        "templates/email.txt",
        include_str!("../templates/email.txt"),
    ),
    (
        "templates/cong-van.typ",
        include_str!("../templates/cong-van.typ"),
    ),
    (
        "templates/phu-luc.typ",
        include_str!("../templates/phu-luc.typ"),
    ),
    (".gitignore", "/outbox/\n/logs/*.lock\n"),
];

pub fn init(dir: &Path, xlsx: bool) -> anyhow::Result<ExitCode> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| t!("files-cannot-read-folder", folder = dir.display()))?;
        if entries.next().is_some() {
            bail!(t!("files-folder-not-empty", folder = dir.display()));
        }
    }
    let mut files: Vec<(&str, Vec<u8>)> = FILES
        .iter()
        .map(|(path, content)| (*path, content.as_bytes().to_vec()))
        .collect();
    let list = if xlsx {
        as_workbook(&mut files)?;
        XLSX_LIST
    } else {
        CSV_LIST
    };
    for (path, content) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| t!("files-cannot-create-folder", folder = parent.display()))?;
        }
        std::fs::write(&target, content)
            .with_context(|| t!("files-cannot-write", file = target.display()))?;
    }
    say!("{}", t!("files-init-created", folder = dir.display()));
    say!("{}", t!("files-init-next", list = list));
    Ok(ExitCode::Success)
}

/// Replaces the CSV list by the same list as a workbook, and points campaign.toml at it.
fn as_workbook(files: &mut Vec<(&str, Vec<u8>)>) -> anyhow::Result<()> {
    let at = files
        .iter()
        .position(|(path, _)| *path == CSV_LIST)
        .expect("the example has a list");
    let (_, csv) = files.remove(at);
    files.insert(at, (XLSX_LIST, workbook(&csv)?));
    let (_, toml) = files
        .iter_mut()
        .find(|(path, _)| *path == "campaign.toml")
        .expect("the example has a campaign.toml");
    let text = String::from_utf8(std::mem::take(toml)).expect("campaign.toml is UTF-8");
    assert!(text.contains(CSV_FILE_LINE), "campaign.toml names the list");
    *toml = text
        .replace(CSV_FILE_LINE, &format!("file = \"{XLSX_LIST}\""))
        .replace(
            "(CSV, UTF-8)",
            "(Excel; the first sheet, or the one `sheet = \"…\"` names)",
        )
        .into_bytes();
    Ok(())
}

/// The example list as an .xlsx: every cell a text cell, as the CSV has it (an id such as
/// `0012` keeps its zeros, nothing is taken for a number, a date or a formula), the header bold
/// and frozen.
fn workbook(csv: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut reader = csv::Reader::from_reader(csv);
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let cells = record?
            .iter()
            .map(|cell| match cell {
                "" => Cell::Empty,
                text => Cell::Text(text.to_owned()),
            })
            .collect();
        rows.push(cells);
    }
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let created =
        jiff::Timestamp::try_from(crate::clock::now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    Ok(xlsx_export::sheet_bytes(
        XLSX_SHEET, &headers, &rows, created,
    )?)
}
