//! campaign.toml's tables with the environment over them → the validated `Config`, in one
//! pass: each setting is read from its `LETTERPOST_*` variable, else the file, else its default,
//! and checked where the place it came from (file and key, or variable) can still be named.
//!
//! It reads nothing itself (`file` read the bytes, `env` the environment) and keeps no state.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::Address;
use lettre::message::Mailbox;

use super::env::Env;
use super::file::{self, ImapSection, SmtpSection, TrackingSection};
use super::seconds::{Least, Seconds};
use super::{Config, ImapSettings, Rate, Sending, Tracking};
use crate::dispatch::{Security, SmtpSettings};
use crate::{attachments, merge, recipients};

/// The most connections a send may open.
pub const MOST_CONNECTIONS: usize = 256;

impl Config {
    /// Finds and reads the campaign named by `--campaign` (a folder or its campaign.toml), or
    /// without it the campaign.toml of the current folder or the nearest folder above it (as
    /// cargo finds Cargo.toml), applying `--recipients` and the environment.
    pub fn load(
        campaign: Option<&Path>,
        recipients_override: Option<&Path>,
    ) -> anyhow::Result<Config> {
        let cwd = std::env::current_dir().with_context(|| t!("config-no-current-folder"))?;
        let read = file::read(campaign, &cwd)?;
        let recipients_file = recipients_override.map(|p| cwd.join(p));
        let config = resolve(read, recipients_file, Env::process())?;
        // The target that `-v` and RUST_LOG name (`letterpost::config`), whichever file says it.
        tracing::info!(
            target: "letterpost::config",
            "campaign {}: {}",
            config.id,
            config.config_file.display()
        );
        Ok(config)
    }
}

/// The campaign as `read` says it with `env` over it; `recipients_file` is `--recipients`.
pub fn resolve(
    read: file::Read,
    recipients_file: Option<PathBuf>,
    env: Env,
) -> anyhow::Result<Config> {
    let file::Read {
        root,
        config_file,
        found_above,
        sha256,
        file,
    } = read;
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
    let attachments = file
        .attachments
        .into_iter()
        .enumerate()
        .map(|(i, a)| attachment(a, i + 1, &shown))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The typeset documents, in the order listed: `merge` loads and typesets them, the k-th
    // `template` entry being document k.
    let documents = attachments
        .iter()
        .filter_map(|a| match &a.source {
            attachments::AttachmentSource::Template { path, .. } => Some(resolve(Path::new(path))),
            attachments::AttachmentSource::File(_) => None,
        })
        .collect();
    let fonts = file
        .document
        .as_ref()
        .map(|d| d.fonts.iter().map(|f| resolve(Path::new(f))).collect())
        .unwrap_or_default();
    let templates = merge::Settings {
        letter_html: resolve(&t.letter_html),
        letter_text: resolve(&t.letter_text),
        appendix_filename: t.appendix_filename.unwrap_or_else(|| {
            let name = t.appendix.as_deref().and_then(Path::file_name);
            name.map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        appendix: t.appendix.as_deref().map(resolve),
        vars,
        documents,
        fonts,
        document: file.document.map(|d| document(d, &shown)).transpose()?,
    };

    let smtp = smtp_settings(file.smtp, &shown, &root, &env)?;
    let source_date_epoch = env
        .get("SOURCE_DATE_EPOCH")
        .map(source_date_epoch)
        .transpose()?;
    let tracking = tracking(file.tracking, &shown, &from, &root, &env)?;

    let s = file.sending;
    if !(1..=MOST_CONNECTIONS).contains(&s.concurrency) {
        bail!(t!(
            "config-bad-concurrency-file",
            file = &shown,
            value = s.concurrency.to_string()
        ));
    }
    let sending = Sending {
        concurrency: s.concurrency,
        rate: Rate::parse(&s.rate).with_context(|| format!("{shown}: [sending] rate"))?,
        retries: s.retries,
        retry_delay: in_file(&shown, "sending", "retry_delay", s.retry_delay, Least::Zero)?,
        max_message_size: s.max_message_size,
    };
    if s.max_message_size == 0 {
        bail!(t!("config-bad-max-message-size", file = &shown));
    }

    Ok(Config {
        root,
        config_file,
        found_above,
        config_sha256: sha256,
        source_date_epoch,
        id,
        from,
        subject: file.campaign.subject,
        recipients,
        templates,
        attachments,
        smtp,
        sending,
        tracking,
        env,
    })
}

/// `value` seconds from `[table] key` of campaign.toml (`file`).
fn in_file(
    file: &str,
    table: &str,
    key: &str,
    value: f64,
    least: Least,
) -> anyhow::Result<Duration> {
    match Seconds::new(value, least) {
        Some(wait) => Ok(wait.into()),
        None => bail!(Seconds::refusal(
            &format!("{file}: [{table}] {key}"),
            value,
            least
        )),
    }
}

/// The seconds `variable` gives, when it is set.
fn in_env(env: &Env, variable: &str, least: Least) -> anyhow::Result<Option<Duration>> {
    let Some(text) = env.get(variable) else {
        return Ok(None);
    };
    let value: f64 = text
        .trim()
        .parse()
        .with_context(|| t!("config-env-not-seconds", variable = variable, value = text))?;
    match Seconds::new(value, least) {
        Some(wait) => Ok(Some(wait.into())),
        None => bail!(Seconds::refusal(variable, value, least)),
    }
}

/// `variable` as a port number, when it is set.
fn port_in_env(env: &Env, variable: &str) -> anyhow::Result<Option<u16>> {
    env.get(variable)
        .map(|v| {
            v.parse()
                .with_context(|| t!("config-env-not-port", variable = variable, value = v))
        })
        .transpose()
}

fn smtp_settings(
    s: SmtpSection,
    shown: &str,
    root: &Path,
    env: &Env,
) -> anyhow::Result<SmtpSettings> {
    let within = |e: anyhow::Error| e.context(format!("{shown}: [smtp]"));
    let host = env
        .get("LETTERPOST_SMTP_HOST")
        .map(str::to_owned)
        .unwrap_or(s.host);
    let security = match env.get("LETTERPOST_SMTP_SECURITY") {
        Some(v) => parse_security(v).context("LETTERPOST_SMTP_SECURITY"),
        None => parse_security(&s.security).context("security"),
    }
    .map_err(within)?;
    let port = port_in_env(env, "LETTERPOST_SMTP_PORT")
        .map_err(within)?
        .or(s.port)
        .unwrap_or(match security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::None => 25,
        });
    let timeout = match in_env(env, "LETTERPOST_SMTP_TIMEOUT", Least::AboveZero).map_err(within)? {
        Some(wait) => wait,
        None => in_file(shown, "smtp", "timeout", s.timeout, Least::AboveZero)?,
    };
    let path = |var: &str, value: Option<PathBuf>| {
        env.get(var)
            .map(PathBuf::from)
            .or(value)
            .map(|p| root.join(p))
    };
    let text = |var: &str, value: Option<String>| env.get(var).map(str::to_owned).or(value);
    if host.trim().is_empty() {
        return Err(within(anyhow::anyhow!(t!("config-host-empty"))));
    }
    Ok(SmtpSettings {
        host,
        port,
        security,
        username: text("LETTERPOST_SMTP_USERNAME", s.username),
        password_file: path("LETTERPOST_SMTP_PASSWORD_FILE", s.password_file),
        ca_file: path("LETTERPOST_SMTP_CA_FILE", s.ca_file),
        hello_name: text("LETTERPOST_SMTP_HELLO_NAME", s.hello_name),
        timeout,
    })
}

fn tracking(
    t: TrackingSection,
    shown: &str,
    from: &Mailbox,
    root: &Path,
    env: &Env,
) -> anyhow::Result<Tracking> {
    let within = |e: anyhow::Error| e.context(format!("{shown}: [tracking]"));
    let return_path = match &t.return_path {
        None => from.email.clone(),
        Some(text) => {
            let mut list = recipients::parse_addresses(text)
                .ok()
                .filter(|list| list.len() == 1)
                .with_context(|| t!("config-bad-return-path", address = text))
                .map_err(within)?;
            list.remove(0)
        }
    };
    let poll = in_file(shown, "tracking", "poll", t.poll, Least::AboveZero)?;
    let imap = imap_settings(t.imap, shown, &return_path, root, env)?;
    Ok(Tracking {
        return_path,
        dsn: t.dsn,
        mdn: t.mdn,
        poll,
        imap,
    })
}

/// `[tracking.imap]` with `LETTERPOST_IMAP_*` over it; `None` when neither names a host.
fn imap_settings(
    section: Option<ImapSection>,
    shown: &str,
    return_path: &Address,
    root: &Path,
    env: &Env,
) -> anyhow::Result<Option<ImapSettings>> {
    let within = |e: anyhow::Error| {
        e.context("[tracking.imap]")
            .context(format!("{shown}: [tracking]"))
    };
    let s = section.unwrap_or_default();
    let text = |var: &str, value: Option<String>| env.get(var).map(str::to_owned).or(value);
    let Some(host) = text("LETTERPOST_IMAP_HOST", s.host) else {
        return Ok(None);
    };
    let security = match text("LETTERPOST_IMAP_SECURITY", s.security) {
        Some(v) => parse_security(&v).context("security").map_err(within)?,
        None => Security::Tls,
    };
    let port = port_in_env(env, "LETTERPOST_IMAP_PORT")
        .map_err(within)?
        .or(s.port)
        .unwrap_or(match security {
            Security::Tls => 993,
            Security::Starttls | Security::None => 143,
        });
    let timeout = match in_env(env, "LETTERPOST_IMAP_TIMEOUT", Least::AboveZero).map_err(within)? {
        Some(wait) => wait,
        None => in_file(
            shown,
            "tracking.imap",
            "timeout",
            s.timeout.unwrap_or(60.0),
            Least::AboveZero,
        )?,
    };
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
        timeout,
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

/// `[document]`: its date must be a real `dd/mm/yyyy` date, unless it is still the placeholder
/// (empty, `dd/mm/yyyy`, dots), which only a real send refuses.
fn document(d: file::DocumentSection, shown: &str) -> anyhow::Result<merge::Document> {
    let mut document = merge::Document {
        number: d.number.trim().to_owned(),
        date: d.date.trim().to_owned(),
        day: String::new(),
        month: String::new(),
        year: String::new(),
    };
    if document.unfinished().contains(&"date") {
        return Ok(document);
    }
    let parts: Vec<&str> = document.date.split('/').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i16>().ok())?
    };
    let parsed = match parts[..] {
        [d, m, y] => match (number(d, 2), number(m, 2), number(y, 4)) {
            (Some(d), Some(m), Some(y)) => jiff::civil::Date::new(y, m as i8, d as i8).ok(),
            _ => None,
        },
        _ => None,
    };
    let Some(date) = parsed else {
        bail!(t!(
            "config-bad-document-date",
            file = shown,
            value = &document.date
        ));
    };
    document.day = format!("{:02}", date.day());
    document.month = format!("{:02}", date.month());
    document.year = format!("{:04}", date.year());
    Ok(document)
}

/// One `[[attachments]]` table (`number`, from 1): a `file`, or a `template` with its `format`.
fn attachment(
    a: file::AttachmentSection,
    number: usize,
    shown: &str,
) -> anyhow::Result<attachments::Spec> {
    let source = match (a.file, a.template, a.format) {
        (Some(file), None, None) if !file.trim().is_empty() => {
            attachments::AttachmentSource::File(file)
        }
        (None, Some(path), Some(format)) if format == "pdf" => {
            attachments::AttachmentSource::Template { path, format }
        }
        (None, Some(_), Some(format)) => bail!(t!(
            "config-attachment-format",
            file = shown,
            number = number,
            format = format
        )),
        _ => bail!(t!("config-bad-attachment", file = shown, number = number)),
    };
    Ok(attachments::Spec {
        name: a.name,
        source,
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

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[campaign]\nid = \"c\"\nfrom = \"A <a@example.org>\"\nsubject = \"s\"\n\
        [recipients]\nfile = \"r.csv\"\n\
        [templates]\nletter_html = \"l.html\"\nletter_text = \"l.txt\"\nappendix = \"a.html\"\n\
        appendix_filename = \"a.pdf\"\n";

    /// campaign.toml holding `MINIMAL` and then `more`, resolved with `env`.
    fn resolved(more: &str, env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let read = file::Read {
            root: "/c".into(),
            config_file: "/c/campaign.toml".into(),
            found_above: false,
            sha256: String::new(),
            file: toml::from_str(&format!("{MINIMAL}{more}")).unwrap(),
        };
        resolve(read, None, Env::of(env))
    }

    fn refusal(more: &str, env: &[(&str, &str)]) -> String {
        format!("{:#}", resolved(more, env).unwrap_err())
    }

    #[test]
    fn environment_overrides_smtp_settings() {
        let env = [
            ("LETTERPOST_SMTP_HOST", "127.0.0.1"),
            ("LETTERPOST_SMTP_PORT", "2525"),
            ("LETTERPOST_SMTP_SECURITY", "none"),
            ("LETTERPOST_SMTP_TIMEOUT", "2.5"),
        ];
        let s = resolved("[smtp]\nhost = \"relay.example\"\n", &env)
            .unwrap()
            .smtp;
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("127.0.0.1", 2525, Security::None)
        );
        assert_eq!(s.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn port_defaults_follow_security() {
        let port = |more| resolved(more, &[]).unwrap().smtp.port;
        assert_eq!(port("[smtp]\nsecurity = \"tls\"\n"), 465);
        assert_eq!(port(""), 587);
        assert_eq!(port("[smtp]\nsecurity = \"none\"\n"), 25);
    }

    #[test]
    fn the_defaults_of_a_minimal_file() {
        let c = resolved("", &[]).unwrap();
        assert_eq!(c.sending.concurrency, 1);
        assert_eq!(c.sending.retry_delay, Duration::from_secs(30));
        assert_eq!(c.smtp.timeout, Duration::from_secs(60));
        assert_eq!(c.tracking.poll, Duration::from_secs(60));
        assert!(c.tracking.imap.is_none());
        let c = resolved("[sending]\nretry_delay = 0\n", &[]).unwrap();
        assert_eq!(c.sending.retry_delay, Duration::ZERO);
    }

    /// A wait that is infinite, negative or absurd is refused with the file and key it came
    /// from (or the variable), never turned into a `Duration` that panics.
    #[test]
    fn seconds_are_refused_where_they_were_written() {
        let said = refusal("[sending]\nretry_delay = inf\n", &[]);
        assert!(
            said.starts_with(
                "/c/campaign.toml: [sending] retry_delay `inf` is not a number of seconds"
            ),
            "{said}"
        );
        let said = refusal("[sending]\nretry_delay = -1\n", &[]);
        assert!(said.contains("[sending] retry_delay `-1.0`"), "{said}");
        let said = refusal("[smtp]\ntimeout = 1e30\n", &[]);
        assert!(
            said.starts_with("/c/campaign.toml: [smtp] timeout `1e30`"),
            "{said}"
        );
        let said = refusal("[smtp]\ntimeout = 0\n", &[]);
        assert!(
            said.contains("[smtp] timeout `0.0` is not a number of seconds above 0"),
            "{said}"
        );
        let said = refusal("[tracking]\npoll = nan\n", &[]);
        assert!(
            said.starts_with("/c/campaign.toml: [tracking] poll `NaN`"),
            "{said}"
        );
        let imap = "[tracking.imap]\nhost = \"imap.example\"\ntimeout = inf\n";
        let said = refusal(imap, &[]);
        assert!(
            said.starts_with("/c/campaign.toml: [tracking.imap] timeout `inf`"),
            "{said}"
        );
        let said = refusal("", &[("LETTERPOST_SMTP_TIMEOUT", "inf")]);
        assert!(
            said.ends_with(
                "LETTERPOST_SMTP_TIMEOUT `inf` is not a number of seconds above 0 and at most 86400"
            ),
            "{said}"
        );
        let said = refusal("", &[("LETTERPOST_SMTP_TIMEOUT", "soon")]);
        assert!(
            said.contains("LETTERPOST_SMTP_TIMEOUT `soon` is not a number of seconds"),
            "{said}"
        );
    }

    #[test]
    fn concurrency_in_the_file_is_checked_like_the_flag() {
        for bad in ["0", "257"] {
            let said = refusal(&format!("[sending]\nconcurrency = {bad}\n"), &[]);
            assert_eq!(
                said,
                format!(
                    "/c/campaign.toml: [sending] concurrency `{bad}` must be between 1 and 256"
                )
            );
        }
        let c = resolved("[sending]\nconcurrency = 256\n", &[]).unwrap();
        assert_eq!(c.sending.concurrency, 256);
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
