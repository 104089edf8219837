//! The secrets and the name a run needs from the person running it: the SMTP and IMAP
//! passwords (from the environment, a password file, or a prompt at the terminal) and the
//! operator's login name that a send and a track run record.
//!
//! A password is never a flag, so it cannot appear in `ps` or shell history, and it lives in a
//! `SecretString` from the moment it is read. Everything comes through `Env`; the password file
//! is read within a bound. It decides nothing about where a password is used.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::SecretString;

use super::env::Env;
use super::{Config, ImapSettings};
use crate::dispatch::SmtpSettings;

/// The login name of whoever runs letterpost: `$USER`/`$LOGNAME`, else the name of the process's
/// user id in the system's user database, else `uid N`.
pub fn operator() -> String {
    operator_in(&Env::process())
}

fn operator_in(env: &Env) -> String {
    if let Some(name) = ["USER", "LOGNAME"].iter().find_map(|v| env.get(v)) {
        return name.to_owned();
    }
    let uid = rustix::process::getuid();
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid.as_raw())) {
        Ok(Some(user)) => user.name,
        _ => format!("uid {}", uid.as_raw()),
    }
}

impl Config {
    /// The SMTP password: `LETTERPOST_SMTP_PASSWORD`, else the file named by
    /// `LETTERPOST_SMTP_PASSWORD_FILE` or `[smtp] password_file`, else a prompt at a terminal.
    /// `None` when `[smtp]` names no username.
    pub fn smtp_password(&self) -> anyhow::Result<Option<SecretString>> {
        smtp_password(&self.smtp, &self.env)
    }

    /// The IMAP password of `[tracking.imap]`, found the same way: `LETTERPOST_IMAP_PASSWORD`,
    /// else `LETTERPOST_IMAP_PASSWORD_FILE` or `[tracking.imap] password_file`, else a prompt.
    pub fn imap_password(&self, imap: &ImapSettings) -> anyhow::Result<SecretString> {
        password(
            "IMAP",
            imap.password_file.as_deref(),
            &imap.username,
            &imap.host,
            &self.env,
        )
    }
}

fn smtp_password(smtp: &SmtpSettings, env: &Env) -> anyhow::Result<Option<SecretString>> {
    let Some(username) = &smtp.username else {
        return Ok(None);
    };
    password(
        "SMTP",
        smtp.password_file.as_deref(),
        username,
        &smtp.host,
        env,
    )
    .map(Some)
}

/// A password from `LETTERPOST_<WHAT>_PASSWORD`, else the password file, else a prompt at a
/// terminal.
fn password(
    what: &str,
    file: Option<&Path>,
    username: &str,
    host: &str,
    env: &Env,
) -> anyhow::Result<SecretString> {
    if let Some(password) = env.password(&format!("LETTERPOST_{what}_PASSWORD")) {
        return Ok(SecretString::from(password.to_owned()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_is_user_else_logname_else_the_user_database() {
        assert_eq!(
            operator_in(&Env::of(&[("USER", "lan"), ("LOGNAME", "x")])),
            "lan"
        );
        assert_eq!(
            operator_in(&Env::of(&[("USER", ""), ("LOGNAME", "minh")])),
            "minh"
        );
        let uid = rustix::process::getuid().as_raw();
        let found = operator_in(&Env::of(&[]));
        assert!(!found.is_empty());
        if uid == 0 {
            assert_eq!(found, "root");
        }
    }

    #[test]
    fn a_password_comes_from_the_environment_first() {
        use secrecy::ExposeSecret;
        let env = Env::of(&[("LETTERPOST_IMAP_PASSWORD", "s3cret")]);
        let got = password("IMAP", Some(Path::new("/nonexistent")), "u", "h", &env).unwrap();
        assert_eq!(got.expose_secret(), "s3cret");
        // Set but empty is an empty password, as the shell writes one.
        let env = Env::of(&[("LETTERPOST_SMTP_PASSWORD", "")]);
        let got = password("SMTP", None, "u", "h", &env).unwrap();
        assert_eq!(got.expose_secret(), "");
    }
}
