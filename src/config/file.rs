//! `campaign.toml` as written: finding it (`--campaign`, else the current folder or the nearest
//! one above it), reading its bytes once (their SHA-256 is what a send records), and its tables
//! as serde types with the defaults a missing key takes.
//!
//! Nothing here is checked beyond what TOML and `deny_unknown_fields` check: `resolve` turns
//! these raw values (with the environment over them) into the settings the stages use. The
//! types are the file's; no stage sees them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::recipients;

/// The file name looked for in a campaign folder.
pub const CONFIG_FILE: &str = "campaign.toml";

/// campaign.toml as read, and where it was found.
pub struct Read {
    /// The campaign folder; relative paths in campaign.toml are relative to it.
    pub root: PathBuf,
    pub config_file: PathBuf,
    /// Whether it was found in a folder above the current one (no `--campaign` was given).
    pub found_above: bool,
    /// SHA-256 of its bytes as they were read.
    pub sha256: String,
    pub file: File,
}

/// Finds and reads the campaign named by `campaign` (a folder or its campaign.toml), or without
/// it the campaign.toml of `cwd` or the nearest folder above it (as cargo finds Cargo.toml).
pub fn read(campaign: Option<&Path>, cwd: &Path) -> anyhow::Result<Read> {
    let config_file = match campaign {
        Some(path) => {
            let given = cwd.join(path);
            if given.is_dir() {
                given.join(CONFIG_FILE)
            } else {
                given
            }
        }
        None => find_upwards(cwd).with_context(|| {
            t!(
                "config-not-found",
                file = CONFIG_FILE,
                folder = cwd.display()
            )
        })?,
    };
    let root = config_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf());
    let found_above = campaign.is_none() && root != cwd;
    let bytes = std::fs::read(&config_file)
        .with_context(|| t!("config-cannot-read", file = config_file.display()))?;
    let sha256 = crate::message::sha256_hex(&bytes);
    let text = String::from_utf8(bytes)
        .with_context(|| t!("config-not-utf8", file = config_file.display()))?;
    let file: File = toml::from_str(&text)
        .with_context(|| t!("config-not-valid", file = config_file.display()))?;
    Ok(Read {
        root,
        config_file,
        found_above,
        sha256,
        file,
    })
}

/// The campaign.toml in `dir` or in the nearest folder above it that has one (a regular file, or
/// a link to one), as cargo finds Cargo.toml.
fn find_upwards(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|folder| folder.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub campaign: CampaignSection,
    pub recipients: RecipientsSection,
    pub templates: TemplatesSection,
    #[serde(default)]
    pub vars: toml::Table,
    #[serde(default)]
    pub smtp: SmtpSection,
    #[serde(default)]
    pub sending: SendingSection,
    #[serde(default)]
    pub tracking: TrackingSection,
    pub document: Option<DocumentSection>,
    #[serde(default)]
    pub attachments: Vec<AttachmentSection>,
}

/// `[document]`: the letter's number and date.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSection {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub date: String,
    /// Font files the typeset documents use before the built-in Tinos (an office's own Times
    /// New Roman: `times.ttf`, `timesbd.ttf`, `timesi.ttf`, `timesbi.ttf`).
    #[serde(default)]
    pub fonts: Vec<String>,
}

/// One `[[attachments]]` entry: a `file` (a Tera template of its path) or a `template` typeset
/// into `format`, with an optional `name` (a Tera template).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSection {
    pub name: Option<String>,
    pub file: Option<String>,
    pub template: Option<String>,
    pub format: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackingSection {
    pub return_path: Option<String>,
    pub dsn: bool,
    pub mdn: bool,
    pub poll: f64,
    pub imap: Option<ImapSection>,
}

impl Default for TrackingSection {
    fn default() -> TrackingSection {
        TrackingSection {
            return_path: None,
            dsn: true,
            mdn: false,
            poll: 60.0,
            imap: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ImapSection {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub folder: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSection {
    pub id: String,
    pub from: String,
    pub subject: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientsSection {
    pub file: PathBuf,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    #[serde(default)]
    pub columns: recipients::ColumnMap,
    #[serde(default)]
    pub required: Vec<String>,
    pub sheet: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesSection {
    pub letter_html: PathBuf,
    pub letter_text: PathBuf,
    /// The letter's appendix as an HTML attachment (the older form; a campaign of PDFs lists
    /// its phụ lục under `[[attachments]]`).
    pub appendix: Option<PathBuf>,
    pub appendix_filename: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSection {
    pub host: String,
    pub port: Option<u16>,
    pub security: String,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub hello_name: Option<String>,
    pub timeout: f64,
}

impl Default for SmtpSection {
    fn default() -> SmtpSection {
        SmtpSection {
            host: "localhost".to_owned(),
            port: None,
            security: "starttls".to_owned(),
            username: None,
            password_file: None,
            ca_file: None,
            hello_name: None,
            timeout: 60.0,
        }
    }
}

/// `[sending] max_message_size` when not given: 25 MB, in bytes.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 25_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendingSection {
    pub concurrency: usize,
    pub rate: String,
    pub retries: u32,
    pub retry_delay: f64,
    pub max_message_size: u64,
}

impl Default for SendingSection {
    fn default() -> SendingSection {
        SendingSection {
            concurrency: 1,
            rate: "unlimited".to_owned(),
            retries: 3,
            retry_delay: 30.0,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}
