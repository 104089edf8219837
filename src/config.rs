//! One validated campaign: `campaign.toml`, the global flags and the `LETTERPOST_SMTP_*`
//! environment, resolved into plain settings types once, at start.
//!
//! This is the only module that reads `campaign.toml` or the environment (and, for the name of
//! the operator a send records, the process's user). The settings types it
//! fills belong to the stages that use them (`recipients::Settings`, `merge::Settings`,
//! `dispatch::SmtpSettings`), so no stage ever sees a clap type or a TOML table. It does not open
//! the recipient list or the templates: it only names them. What it says when something is
//! wrong is in `locales/{en,vi}/config.ftl`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::Address;
use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::Deserialize;

use crate::dispatch::{Security, SmtpSettings};
use crate::{merge, recipients};

/// The file name looked for in a campaign folder.
pub const CONFIG_FILE: &str = "campaign.toml";

/// Everything a command needs to know about the campaign, validated.
#[derive(Debug)]
pub struct Config {
    /// The campaign folder; relative paths in campaign.toml are relative to it.
    pub root: PathBuf,
    /// The campaign.toml that was read.
    pub config_file: PathBuf,
    /// Whether it was found in a folder above the current one (no `--campaign` was given).
    pub found_above: bool,
    /// SHA-256 of campaign.toml's bytes as they were read: the fingerprint a send records.
    pub config_sha256: String,
    /// `SOURCE_DATE_EPOCH`, when set: the `Date:` of every message instead of the run's start
    /// (the reproducible-builds convention), so a dry run and a send can be compared byte for
    /// byte. Seconds since 1970, checked to be a date mail can carry.
    pub source_date_epoch: Option<u64>,
    /// The campaign id: names the log, the outbox and the archive.
    pub id: String,
    /// The sender, `From:` and envelope sender.
    pub from: Mailbox,
    /// The subject line, a Tera template.
    pub subject: String,
    /// Where the recipients come from and how to read them.
    pub recipients: recipients::Settings,
    /// The letter and appendix templates and the campaign-wide template values.
    pub templates: merge::Settings,
    /// The SMTP relay, with environment overrides applied (the password is read only on demand).
    pub smtp: SmtpSettings,
    /// How fast and how hard to send.
    pub sending: Sending,
    /// Where reports come back, and whether to ask for them.
    pub tracking: Tracking,
}

/// The `[tracking]` table: the envelope sender reports come back to, whether to ask for
/// delivery reports (DSN) and read receipts (MDN), and the IMAP mailbox `track` reads.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// The envelope sender (MAIL FROM): `[tracking] return_path`, else the address in `from`.
    pub return_path: Address,
    /// Ask for delivery reports when the relay offers DSN.
    pub dsn: bool,
    /// Ask for read receipts (`Disposition-Notification-To`).
    pub mdn: bool,
    /// How long `track --watch` waits between two looks at the mailbox.
    pub poll: Duration,
    /// The mailbox, when `[tracking.imap]` or `LETTERPOST_IMAP_HOST` names one.
    pub imap: Option<ImapSettings>,
}

/// The `[tracking.imap]` table, with environment overrides applied.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// The folder reports arrive in (`INBOX`).
    pub folder: String,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// The deadline of each IMAP step.
    pub timeout: Duration,
}

/// The `[sending]` table.
#[derive(Debug, Clone)]
pub struct Sending {
    /// Connections to the relay at most.
    pub concurrency: usize,
    /// The most messages per period, counted across runs from the log.
    pub rate: Rate,
    /// Attempts after the first one for a deferred (4xx) recipient within one run.
    pub retries: u32,
    /// The delay before the first retry; it doubles for each further one (with jitter).
    pub retry_delay: Duration,
}

/// A sending rate limit: at most `count` messages in any window of `per`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Rate {
    #[default]
    Unlimited,
    Limited {
        count: u32,
        per: Duration,
    },
}

impl std::fmt::Display for Rate {
    /// As `parse` reads it: `unlimited`, `30/minute`, `2000/day`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Rate::Unlimited => f.write_str("unlimited"),
            Rate::Limited { count, per } => {
                let period = match per.as_secs() {
                    1 => "second",
                    60 => "minute",
                    3600 => "hour",
                    _ => "day",
                };
                write!(f, "{count}/{period}")
            }
        }
    }
}

impl Rate {
    /// Parses `unlimited`, `30/minute`, `500/hour`, `2000/day` (also `min`, `h`, `d`).
    pub fn parse(text: &str) -> anyhow::Result<Rate> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("unlimited") {
            return Ok(Rate::Unlimited);
        }
        let Some((count, period)) = text.split_once('/') else {
            bail!(t!("config-rate-no-slash", text = text))
        };
        let count: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .with_context(|| t!("config-rate-bad-count", text = text, count = count))?;
        let per = match period.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => {
                bail!(t!("config-rate-bad-period", text = text, period = other))
            }
        };
        Ok(Rate::Limited { count, per })
    }
}

impl Config {
    /// Finds and reads the campaign named by `--campaign` (a folder or its campaign.toml), or
    /// without it the campaign.toml of the current folder or the nearest folder above it (as
    /// cargo finds Cargo.toml), applying `--recipients` and the environment.
    pub fn load(
        campaign: Option<&Path>,
        recipients_override: Option<&Path>,
    ) -> anyhow::Result<Config> {
        let cwd = std::env::current_dir().with_context(|| t!("config-no-current-folder"))?;
        let config_file = match campaign {
            Some(path) => {
                let given = cwd.join(path);
                if given.is_dir() {
                    given.join(CONFIG_FILE)
                } else {
                    given
                }
            }
            None => find_upwards(&cwd).with_context(|| {
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
            .unwrap_or_else(|| cwd.clone());
        let found_above = campaign.is_none() && root != cwd;
        let bytes = std::fs::read(&config_file)
            .with_context(|| t!("config-cannot-read", file = config_file.display()))?;
        let config_sha256 = crate::message::sha256_hex(&bytes);
        let text = String::from_utf8(bytes)
            .with_context(|| t!("config-not-utf8", file = config_file.display()))?;
        let file: File = toml::from_str(&text)
            .with_context(|| t!("config-not-valid", file = config_file.display()))?;
        let recipients_file = recipients_override.map(|p| cwd.join(p));
        let mut config =
            Config::from_file(root, config_file, file, recipients_file, &Env::process())?;
        config.config_sha256 = config_sha256;
        config.found_above = found_above;
        tracing::info!("campaign {}: {}", config.id, config.config_file.display());
        Ok(config)
    }

    fn from_file(
        root: PathBuf,
        config_file: PathBuf,
        file: File,
        recipients_file: Option<PathBuf>,
        env: &Env,
    ) -> anyhow::Result<Config> {
        let shown = config_file.display().to_string();
        let id = file.campaign.id;
        if !valid_id(&id) {
            bail!(t!("config-bad-id", file = &shown, id = &id));
        }
        let from: Mailbox = file.campaign.from.parse::<Mailbox>().map_err(|e| {
            anyhow::anyhow!(t!(
                "config-bad-from",
                file = &shown,
                from = &file.campaign.from,
                error = e.to_string()
            ))
        })?;
        if crate::recipients::has_header_control(from.name.as_deref().unwrap_or("")) {
            bail!(t!("config-from-control", file = &shown));
        }

        let resolve = |p: &Path| root.join(p);
        let r = file.recipients;
        let encoding = match r.encoding.as_deref() {
            None | Some("auto") => None,
            Some(label) => Some(
                encoding_rs::Encoding::for_label(label.as_bytes())
                    .with_context(|| t!("config-bad-encoding", file = &shown, label = label))?,
            ),
        };
        let delimiter = match r.delimiter.as_deref() {
            None | Some("auto") => None,
            Some("\\t" | "\t" | "tab") => Some(b'\t'),
            Some(d) if d.len() == 1 && matches!(d, "," | ";" | "|") => Some(d.as_bytes()[0]),
            Some(d) => bail!(t!("config-bad-delimiter", file = &shown, delimiter = d)),
        };
        let recipients = recipients::Settings {
            file: recipients_file.unwrap_or_else(|| resolve(&r.file)),
            encoding,
            delimiter,
            columns: r.columns,
            required: r.required,
            sheet: r.sheet,
        };

        let t = file.templates;
        let vars = t_vars(file.vars).with_context(|| format!("{shown}: [vars]"))?;
        let templates = merge::Settings {
            letter_html: resolve(&t.letter_html),
            letter_text: resolve(&t.letter_text),
            appendix: resolve(&t.appendix),
            appendix_filename: t.appendix_filename,
            vars,
        };

        let smtp =
            smtp_settings(file.smtp, &root, env).with_context(|| format!("{shown}: [smtp]"))?;
        let source_date_epoch = env
            .get("SOURCE_DATE_EPOCH")
            .map(source_date_epoch)
            .transpose()?;
        let tracking = tracking(file.tracking, &from, &root, env)
            .with_context(|| format!("{shown}: [tracking]"))?;

        let s = file.sending;
        let sending = Sending {
            concurrency: s.concurrency.max(1),
            rate: Rate::parse(&s.rate).with_context(|| format!("{shown}: [sending] rate"))?,
            retries: s.retries,
            retry_delay: Duration::from_secs_f64(s.retry_delay.max(0.0)),
        };

        Ok(Config {
            root,
            config_file,
            found_above: false,
            config_sha256: String::new(),
            source_date_epoch,
            id,
            from,
            subject: file.campaign.subject,
            recipients,
            templates,
            smtp,
            sending,
            tracking,
        })
    }

    /// `logs/<id>.jsonl`: the delivery log.
    pub fn log_file(&self) -> PathBuf {
        self.root.join("logs").join(format!("{}.jsonl", self.id))
    }

    /// `logs/<id>.lock`: held by the run that owns the campaign.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("logs").join(format!("{}.lock", self.id))
    }

    /// `outbox/<id>/`: where a dry run writes.
    pub fn outbox_dir(&self) -> PathBuf {
        self.root.join("outbox").join(&self.id)
    }

    /// `archive/<id>/`: the exact bytes of every message handed to a server.
    pub fn archive_dir(&self) -> PathBuf {
        self.root.join("archive").join(&self.id)
    }

    /// A path as the operator should see it: relative to the campaign folder when inside it.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// What the operator asked of `send`, flags resolved against `[sending]`.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    pub dry_run: bool,
    pub yes: bool,
    pub limit: Option<usize>,
    /// The keys of `--only`, or of `--resend-unknown` when `--only` is not given.
    pub only: Vec<String>,
    /// A test send's mailbox (`--redirect-to`).
    pub redirect_to: Option<Address>,
    pub retry_failed: bool,
    pub resend_unknown: Vec<String>,
    pub concurrency: usize,
    pub rate: Rate,
    pub quiet: bool,
    /// Whether diagnostics (`-v`, RUST_LOG) may print lines on stderr during the run.
    pub diagnostics: bool,
    /// How the operator named the campaign and list, to print the command that resumes.
    pub resume_args: Vec<String>,
}

/// The `send` flags resolved against `[sending]`, plus how to print the command that resumes.
pub fn send_options(
    config: &Config,
    args: crate::cli::SendArgs,
    campaign: Option<&Path>,
    recipients: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<SendOptions> {
    let rate = match &args.rate {
        Some(text) => Rate::parse(text).context("--rate")?,
        None => config.sending.rate,
    };
    let concurrency = args.concurrency.unwrap_or(config.sending.concurrency);
    if concurrency == 0 || concurrency > 256 {
        bail!(t!("config-bad-concurrency"));
    }
    let mut resume_args = Vec::new();
    if let Some(c) = campaign {
        resume_args.extend(["--campaign".to_owned(), c.display().to_string()]);
    }
    if let Some(r) = recipients {
        resume_args.extend(["--recipients".to_owned(), r.display().to_string()]);
    }
    // A resend is a deliberate act on named letters: it sends those and nothing else.
    let only = if args.only.is_empty() {
        args.resend_unknown.clone()
    } else {
        args.only
    };
    let redirect_to = args
        .redirect_to
        .map(|addr| {
            recipients::parse_addresses(&addr)
                .ok()
                .filter(|list| list.len() == 1)
                .map(|mut list| list.remove(0))
                .with_context(|| t!("config-bad-redirect-to", address = &addr))
        })
        .transpose()?;
    Ok(SendOptions {
        dry_run: args.dry_run,
        yes: args.yes,
        limit: args.limit,
        only,
        redirect_to,
        retry_failed: args.retry_failed,
        resend_unknown: args.resend_unknown,
        concurrency,
        rate,
        quiet,
        diagnostics: false,
        resume_args,
    })
}

/// `SOURCE_DATE_EPOCH` as seconds since 1970: a whole number no later than the year 9999, the
/// last a `Date:` header can carry. Anything else is refused rather than ignored or wrapped.
fn source_date_epoch(text: &str) -> anyhow::Result<u64> {
    const LATEST: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&secs| secs <= LATEST)
        .with_context(|| {
            t!(
                "config-bad-source-date-epoch",
                value = text,
                latest = LATEST
            )
        })
}

/// The campaign.toml in `dir` or in the nearest folder above it that has one (a regular file, or
/// a link to one), as cargo finds Cargo.toml.
fn find_upwards(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|folder| folder.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// The login name of whoever runs letterpost: `$USER`/`$LOGNAME`, else the name of the process's
/// user id in /etc/passwd, else `uid N`.
pub fn operator() -> String {
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
    {
        return name;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(uid) = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
    else {
        return "unknown".to_owned();
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map_or_else(|| format!("uid {uid}"), |f| f[0].to_owned())
}

/// The SMTP password: `LETTERPOST_SMTP_PASSWORD`, else the file named by
/// `LETTERPOST_SMTP_PASSWORD_FILE` or `[smtp] password_file`, else a prompt at a terminal.
/// Never a flag, so it cannot appear in `ps` or shell history.
pub fn smtp_password(smtp: &SmtpSettings) -> anyhow::Result<Option<SecretString>> {
    let Some(username) = &smtp.username else {
        return Ok(None);
    };
    password("SMTP", smtp.password_file.as_deref(), username, &smtp.host).map(Some)
}

/// The IMAP password of `[tracking.imap]`, found the same way: `LETTERPOST_IMAP_PASSWORD`, else
/// `LETTERPOST_IMAP_PASSWORD_FILE` or `[tracking.imap] password_file`, else a prompt.
pub fn imap_password(imap: &ImapSettings) -> anyhow::Result<SecretString> {
    password(
        "IMAP",
        imap.password_file.as_deref(),
        &imap.username,
        &imap.host,
    )
}

/// A password from `LETTERPOST_<WHAT>_PASSWORD`, else the password file, else a prompt at a
/// terminal. Never a flag, so it cannot appear in `ps` or shell history.
fn password(
    what: &str,
    file: Option<&Path>,
    username: &str,
    host: &str,
) -> anyhow::Result<SecretString> {
    if let Ok(password) = std::env::var(format!("LETTERPOST_{what}_PASSWORD")) {
        return Ok(SecretString::from(password));
    }
    if let Some(file) = file {
        return read_password_file(what, file);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let prompt = t!(
            "config-password-prompt",
            what = what,
            username = username,
            host = host
        );
        let password = crate::report::ask_secret(&prompt)
            .with_context(|| t!("config-cannot-read-password"))?;
        return Ok(SecretString::from(password));
    }
    let table = if what == "SMTP" {
        "smtp"
    } else {
        "tracking.imap"
    };
    bail!(t!("config-no-password", table = table, what = what))
}

/// The most a password file may hold. A password is far shorter; the cap keeps a wrong path
/// (`/dev/zero`, a log) from being read into memory whole.
const PASSWORD_FILE_MAX: u64 = 4096;

/// Reads the password file: at most 4 KiB, one trailing line end dropped. A regular file that
/// other users may read (or write) is used, with a warning on stderr that names the file and its
/// mode, never its content: msmtp refuses such a file and ssh warns.
fn read_password_file(what: &str, file: &Path) -> anyhow::Result<SecretString> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let opened = std::fs::File::open(file).with_context(|| {
        t!(
            "config-cannot-read-password-file",
            what = what,
            file = file.display()
        )
    })?;
    let meta = opened.metadata().with_context(|| {
        t!(
            "config-cannot-read-password-file",
            what = what,
            file = file.display()
        )
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_file() && mode & 0o077 != 0 {
        eprintln!(
            "{}",
            t!(
                "config-password-file-open",
                what = what,
                file = file.display(),
                mode = format!("{mode:04o}")
            )
        );
    }
    let mut bytes = Vec::new();
    opened
        .take(PASSWORD_FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .with_context(|| {
            t!(
                "config-cannot-read-password-file",
                what = what,
                file = file.display()
            )
        })?;
    if bytes.len() as u64 > PASSWORD_FILE_MAX {
        bail!(t!(
            "config-password-file-too-large",
            what = what,
            file = file.display(),
            kib = PASSWORD_FILE_MAX / 1024
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(t!(
            "config-password-file-not-utf8",
            what = what,
            file = file.display()
        ))
    })?;
    for end in ['\n', '\r'] {
        if text.ends_with(end) {
            text.pop();
        }
    }
    Ok(SecretString::from(text))
}

/// The process environment, or a fixed one in tests.
struct Env(Vec<(String, String)>);

impl Env {
    fn process() -> Env {
        Env(std::env::vars()
            .filter(|(k, _)| k.starts_with("LETTERPOST_") || k == "SOURCE_DATE_EPOCH")
            .collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn smtp_settings(s: SmtpSection, root: &Path, env: &Env) -> anyhow::Result<SmtpSettings> {
    let host = env
        .get("LETTERPOST_SMTP_HOST")
        .map(str::to_owned)
        .unwrap_or(s.host);
    let security = match env.get("LETTERPOST_SMTP_SECURITY") {
        Some(v) => parse_security(v).context("LETTERPOST_SMTP_SECURITY")?,
        None => parse_security(&s.security).context("security")?,
    };
    let port = match env.get("LETTERPOST_SMTP_PORT") {
        Some(v) => v.parse().with_context(|| {
            t!(
                "config-env-not-port",
                variable = "LETTERPOST_SMTP_PORT",
                value = v
            )
        })?,
        None => s.port.unwrap_or(match security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::None => 25,
        }),
    };
    let timeout = match env.get("LETTERPOST_SMTP_TIMEOUT") {
        Some(v) => v.parse().with_context(|| {
            t!(
                "config-env-not-seconds",
                variable = "LETTERPOST_SMTP_TIMEOUT",
                value = v
            )
        })?,
        None => s.timeout,
    };
    if !(timeout > 0.0 && timeout.is_finite()) {
        bail!(t!("config-bad-timeout"));
    }
    let username = env
        .get("LETTERPOST_SMTP_USERNAME")
        .map(str::to_owned)
        .or(s.username);
    let ca_file = env
        .get("LETTERPOST_SMTP_CA_FILE")
        .map(PathBuf::from)
        .or(s.ca_file)
        .map(|p| root.join(p));
    let password_file = env
        .get("LETTERPOST_SMTP_PASSWORD_FILE")
        .map(PathBuf::from)
        .or(s.password_file)
        .map(|p| root.join(p));
    let hello_name = env
        .get("LETTERPOST_SMTP_HELLO_NAME")
        .map(str::to_owned)
        .or(s.hello_name);
    if host.trim().is_empty() {
        bail!(t!("config-host-empty"));
    }
    Ok(SmtpSettings {
        host,
        port,
        security,
        username,
        password_file,
        ca_file,
        hello_name,
        timeout: Duration::from_secs_f64(timeout),
    })
}

fn tracking(
    t: TrackingSection,
    from: &Mailbox,
    root: &Path,
    env: &Env,
) -> anyhow::Result<Tracking> {
    let return_path = match &t.return_path {
        None => from.email.clone(),
        Some(text) => {
            let mut list = recipients::parse_addresses(text)
                .ok()
                .filter(|list| list.len() == 1)
                .with_context(|| t!("config-bad-return-path", address = text))?;
            list.remove(0)
        }
    };
    if !(t.poll > 0.0 && t.poll.is_finite()) {
        bail!(t!("config-bad-poll"));
    }
    let imap = imap_settings(t.imap, &return_path, root, env).context("[tracking.imap]")?;
    Ok(Tracking {
        return_path,
        dsn: t.dsn,
        mdn: t.mdn,
        poll: Duration::from_secs_f64(t.poll),
        imap,
    })
}

/// `[tracking.imap]` with `LETTERPOST_IMAP_*` over it; `None` when neither names a host.
fn imap_settings(
    section: Option<ImapSection>,
    return_path: &Address,
    root: &Path,
    env: &Env,
) -> anyhow::Result<Option<ImapSettings>> {
    let s = section.unwrap_or_default();
    let text = |var: &str, value: Option<String>| env.get(var).map(str::to_owned).or(value);
    let Some(host) = text("LETTERPOST_IMAP_HOST", s.host) else {
        return Ok(None);
    };
    let security = match text("LETTERPOST_IMAP_SECURITY", s.security) {
        Some(v) => parse_security(&v).context("security")?,
        None => Security::Tls,
    };
    let port = match env.get("LETTERPOST_IMAP_PORT") {
        Some(v) => v.parse().with_context(|| {
            t!(
                "config-env-not-port",
                variable = "LETTERPOST_IMAP_PORT",
                value = v
            )
        })?,
        None => s.port.unwrap_or(match security {
            Security::Tls => 993,
            Security::Starttls | Security::None => 143,
        }),
    };
    let timeout = match env.get("LETTERPOST_IMAP_TIMEOUT") {
        Some(v) => v.parse().with_context(|| {
            t!(
                "config-env-not-seconds",
                variable = "LETTERPOST_IMAP_TIMEOUT",
                value = v
            )
        })?,
        None => s.timeout.unwrap_or(60.0),
    };
    if !(timeout > 0.0 && f64::is_finite(timeout)) {
        bail!(t!("config-bad-timeout"));
    }
    let path = |var: &str, value: Option<PathBuf>| {
        env.get(var)
            .map(PathBuf::from)
            .or(value)
            .map(|p| root.join(p))
    };
    Ok(Some(ImapSettings {
        host,
        port,
        security,
        username: text("LETTERPOST_IMAP_USERNAME", s.username)
            .unwrap_or_else(|| return_path.to_string()),
        folder: text("LETTERPOST_IMAP_FOLDER", s.folder).unwrap_or_else(|| "INBOX".to_owned()),
        password_file: path("LETTERPOST_IMAP_PASSWORD_FILE", s.password_file),
        ca_file: path("LETTERPOST_IMAP_CA_FILE", s.ca_file),
        timeout: Duration::from_secs_f64(timeout),
    }))
}

fn parse_security(v: &str) -> anyhow::Result<Security> {
    match v.trim().to_ascii_lowercase().as_str() {
        "starttls" => Ok(Security::Starttls),
        "tls" => Ok(Security::Tls),
        "none" => Ok(Security::None),
        other => bail!(t!("config-bad-security", value = other)),
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && id.len() <= 64
}

/// `[vars]` as JSON values for the template context.
fn t_vars(vars: toml::Table) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    vars.into_iter()
        .map(|(k, v)| {
            let json =
                serde_json::to_value(&v).with_context(|| t!("config-var-not-usable", name = &k))?;
            Ok((k, json))
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    campaign: CampaignSection,
    recipients: RecipientsSection,
    templates: TemplatesSection,
    #[serde(default)]
    vars: toml::Table,
    #[serde(default)]
    smtp: SmtpSection,
    #[serde(default)]
    sending: SendingSection,
    #[serde(default)]
    tracking: TrackingSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TrackingSection {
    return_path: Option<String>,
    dsn: bool,
    mdn: bool,
    poll: f64,
    imap: Option<ImapSection>,
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
struct ImapSection {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    folder: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    timeout: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignSection {
    id: String,
    from: String,
    subject: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientsSection {
    file: PathBuf,
    encoding: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    columns: recipients::ColumnMap,
    #[serde(default)]
    required: Vec<String>,
    sheet: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesSection {
    letter_html: PathBuf,
    letter_text: PathBuf,
    appendix: PathBuf,
    appendix_filename: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SmtpSection {
    host: String,
    port: Option<u16>,
    security: String,
    username: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    hello_name: Option<String>,
    timeout: f64,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SendingSection {
    concurrency: usize,
    rate: String,
    retries: u32,
    retry_delay: f64,
}

impl Default for SendingSection {
    fn default() -> SendingSection {
        SendingSection {
            concurrency: 1,
            rate: "unlimited".to_owned(),
            retries: 3,
            retry_delay: 30.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        let minute = Duration::from_secs(60);
        assert_eq!(Rate::parse("unlimited").unwrap(), Rate::Unlimited);
        assert_eq!(
            Rate::parse("30/minute").unwrap(),
            Rate::Limited {
                count: 30,
                per: minute
            }
        );
        assert_eq!(
            Rate::parse(" 500 / hour ").unwrap(),
            Rate::Limited {
                count: 500,
                per: minute * 60
            }
        );
        assert_eq!(
            Rate::parse("2000/d").unwrap(),
            Rate::Limited {
                count: 2000,
                per: minute * 1440
            }
        );
        for text in ["unlimited", "30/minute", "500/hour", "2000/day", "3/second"] {
            assert_eq!(Rate::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "30", "0/minute", "x/minute", "30/fortnight"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_overrides_smtp_settings() {
        let section = SmtpSection {
            host: "relay.example".into(),
            ..SmtpSection::default()
        };
        let env = Env(vec![
            ("LETTERPOST_SMTP_HOST".into(), "127.0.0.1".into()),
            ("LETTERPOST_SMTP_PORT".into(), "2525".into()),
            ("LETTERPOST_SMTP_SECURITY".into(), "none".into()),
            ("LETTERPOST_SMTP_TIMEOUT".into(), "2.5".into()),
        ]);
        let s = smtp_settings(section, Path::new("/c"), &env).unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("127.0.0.1", 2525, Security::None)
        );
        assert_eq!(s.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn port_defaults_follow_security() {
        let env = Env(vec![]);
        let tls = SmtpSection {
            security: "tls".into(),
            ..SmtpSection::default()
        };
        assert_eq!(smtp_settings(tls, Path::new("/"), &env).unwrap().port, 465);
        assert_eq!(
            smtp_settings(SmtpSection::default(), Path::new("/"), &env)
                .unwrap()
                .port,
            587
        );
    }

    #[test]
    fn source_date_epoch_is_checked() {
        assert_eq!(source_date_epoch("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(source_date_epoch(" 0 ").unwrap(), 0);
        for bad in ["99999999999999999", "-1", "1.5", "soon", ""] {
            assert!(source_date_epoch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn campaign_ids_are_file_name_safe() {
        assert!(valid_id("fanpage-2022"));
        for bad in ["", "-x", "a/b", "..", "a b", "ví-dụ"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
