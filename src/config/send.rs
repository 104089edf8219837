//! `letterpost send`'s own settings: its flags resolved against `[sending]` into one finished
//! `SendOptions` (`resolve`), and back into flags (`to_args`): what a run records as its options
//! and the command that resumes a stopped run are both written by `to_args`, so what is printed
//! is what `resolve` reads.
//!
//! It decides nothing about which letters a run sends (`send::select` does, from the log and
//! the `Pick`); it only says what the operator asked.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, bail};
use lettre::Address;

use super::resolve::MOST_CONNECTIONS;
use super::{Config, Rate};
use crate::cli::SendArgs;
use crate::recipients;

/// What the operator asked of `send`, flags resolved against `[sending]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    pub dry_run: bool,
    pub yes: bool,
    pub limit: Option<usize>,
    /// Which letters the operator named.
    pub pick: Pick,
    /// A test send's mailbox (`--redirect-to`).
    pub redirect_to: Option<Address>,
    pub retry_failed: bool,
    pub concurrency: usize,
    pub rate: Rate,
    pub quiet: bool,
    /// Whether diagnostics (`-v`, RUST_LOG) may print lines on stderr during the run.
    pub diagnostics: bool,
    /// `--campaign` and `--recipients` as typed, for the command that resumes.
    pub campaign: Option<PathBuf>,
    pub recipients: Option<PathBuf>,
}

/// The letters the operator named on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Pick {
    /// None: every letter the log says is due.
    #[default]
    All,
    /// `--only KEY…`: those letters and no others.
    Only(Vec<String>),
    /// `--resend-unknown KEY…`: letters whose fate is unknown, sent again on purpose, and with
    /// them any `--only` keys. A resend is a deliberate act on named letters: it sends those and
    /// nothing else.
    ResendUnknown {
        unknown: Vec<String>,
        only: Vec<String>,
    },
}

impl Pick {
    fn of(only: Vec<String>, unknown: Vec<String>) -> Pick {
        match (only.is_empty(), unknown.is_empty()) {
            (true, true) => Pick::All,
            (false, true) => Pick::Only(only),
            (_, false) => Pick::ResendUnknown { unknown, only },
        }
    }

    /// Every key named, by either flag (none for `All`).
    pub fn named(&self) -> impl Iterator<Item = &str> {
        let (only, unknown): (&[String], &[String]) = match self {
            Pick::All => (&[], &[]),
            Pick::Only(only) => (only, &[]),
            Pick::ResendUnknown { unknown, only } => (only, unknown),
        };
        only.iter().chain(unknown).map(String::as_str)
    }

    /// The keys of `--only`.
    pub fn only(&self) -> &[String] {
        match self {
            Pick::All => &[],
            Pick::Only(only) | Pick::ResendUnknown { only, .. } => only,
        }
    }

    /// The keys of `--resend-unknown`.
    pub fn unknown(&self) -> &[String] {
        match self {
            Pick::ResendUnknown { unknown, .. } => unknown,
            Pick::All | Pick::Only(_) => &[],
        }
    }
}

impl SendOptions {
    /// `send`'s flags (`args`) over `[sending]`; `quiet`, `diagnostics`, `campaign` and
    /// `recipients` are the global flags and what `main` set up from them.
    pub fn resolve(args: SendArgs, config: &Config, global: Global) -> anyhow::Result<SendOptions> {
        let rate = match &args.rate {
            Some(text) => Rate::parse(text).context("--rate")?,
            None => config.sending.rate,
        };
        let concurrency = args.concurrency.unwrap_or(config.sending.concurrency);
        if !(1..=MOST_CONNECTIONS).contains(&concurrency) {
            bail!(t!("config-bad-concurrency"));
        }
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
            pick: Pick::of(args.only, args.resend_unknown),
            redirect_to,
            retry_failed: args.retry_failed,
            concurrency,
            rate,
            quiet: global.quiet,
            diagnostics: global.diagnostics,
            campaign: global.campaign,
            recipients: global.recipients,
        })
    }

    /// The flags that say what this run sends and how fast, as `resolve` reads them: what a
    /// run records as its options, and (behind `letterpost … send`) the resume command. Not
    /// `--dry-run` or `--yes`, which say how a run is carried out, not what it sends.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut flag = |name: &str, values: &mut dyn Iterator<Item = String>| {
            args.push(name.to_owned());
            args.extend(values);
        };
        if let Some(n) = self.limit {
            flag("--limit", &mut std::iter::once(n.to_string()));
        }
        if let Some(to) = &self.redirect_to {
            flag("--redirect-to", &mut std::iter::once(to.to_string()));
        }
        if !self.pick.only().is_empty() {
            flag("--only", &mut self.pick.only().iter().cloned());
        }
        if !self.pick.unknown().is_empty() {
            flag("--resend-unknown", &mut self.pick.unknown().iter().cloned());
        }
        if self.retry_failed {
            flag("--retry-failed", &mut std::iter::empty());
        }
        flag(
            "--concurrency",
            &mut std::iter::once(self.concurrency.to_string()),
        );
        flag("--rate", &mut std::iter::once(self.rate.to_string()));
        args
    }

    /// The options that finish what this run was asked to do, and nothing more, once the keys
    /// in `remaining` are all that is left of its letters. A plain selection is recomputed
    /// from the log by the next run, so the same options are enough; a run cut by `--limit`, a
    /// test send (which the log never counts) or a resend names exactly the letters it did not
    /// settle. `None` when nothing is left.
    pub fn resumed(&self, remaining: &[&str]) -> Option<SendOptions> {
        let exact =
            self.limit.is_some() || self.redirect_to.is_some() || !self.pick.unknown().is_empty();
        let pick = if exact {
            if remaining.is_empty() {
                return None;
            }
            let resend: HashSet<&str> = self.pick.unknown().iter().map(String::as_str).collect();
            let (unknown, only): (Vec<&str>, Vec<&str>) =
                remaining.iter().partition(|k| resend.contains(**k));
            let owned = |keys: Vec<&str>| keys.into_iter().map(str::to_owned).collect();
            Pick::of(owned(only), owned(unknown))
        } else {
            self.pick.clone()
        };
        Some(SendOptions {
            dry_run: false,
            yes: false,
            limit: None,
            pick,
            ..self.clone()
        })
    }

    /// The whole command line of this send, `letterpost` first, as a shell reads it.
    pub fn command(&self) -> String {
        let mut words = vec!["letterpost".to_owned()];
        if let Some(c) = &self.campaign {
            words.extend(["--campaign".to_owned(), c.display().to_string()]);
        }
        if let Some(r) = &self.recipients {
            words.extend(["--recipients".to_owned(), r.display().to_string()]);
        }
        words.push("send".to_owned());
        words.extend(self.to_args());
        // A word with a NUL byte cannot be typed at all: it is written as it is.
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }
}

/// The global flags `send` needs, and whether diagnostics are on.
#[derive(Debug, Clone, Default)]
pub struct Global {
    pub campaign: Option<PathBuf>,
    pub recipients: Option<PathBuf>,
    pub quiet: bool,
    pub diagnostics: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(toml_sending: &str) -> Config {
        let text = format!(
            "[campaign]\nid = \"c\"\nfrom = \"A <a@example.org>\"\nsubject = \"s\"\n\
             [recipients]\nfile = \"r.csv\"\n\
             [templates]\nletter_html = \"l.html\"\nletter_text = \"l.txt\"\nappendix = \"a.html\"\nappendix_filename = \"a.pdf\"\n\
             [sending]\n{toml_sending}\n"
        );
        let read = super::super::file::Read {
            root: "/c".into(),
            config_file: "/c/campaign.toml".into(),
            found_above: false,
            sha256: String::new(),
            file: toml::from_str(&text).unwrap(),
        };
        super::super::resolve::resolve(read, None, super::super::env::Env::default()).unwrap()
    }

    /// `send`'s flags as the command line gives them.
    fn resolved(config: &Config, line: &str) -> anyhow::Result<SendOptions> {
        let words = shlex::split(line).unwrap();
        let cli = crate::cli::Cli::try_parse_from(words).unwrap();
        let crate::cli::Command::Send(args) = cli.command else {
            panic!("not send: {line}")
        };
        let global = Global {
            campaign: cli.campaign,
            recipients: cli.recipients,
            quiet: cli.quiet,
            diagnostics: false,
        };
        SendOptions::resolve(args, config, global)
    }

    #[test]
    fn flags_over_the_file() {
        let config = config("concurrency = 4\nrate = \"30/minute\"");
        let o = resolved(&config, "letterpost send").unwrap();
        assert_eq!(
            (o.concurrency, o.rate.to_string()),
            (4, "30/minute".to_owned())
        );
        assert_eq!(o.pick, Pick::All);
        let o = resolved(
            &config,
            "letterpost send --concurrency 2 --rate 5/hour --only a b",
        )
        .unwrap();
        assert_eq!(
            (o.concurrency, o.rate.to_string()),
            (2, "5/hour".to_owned())
        );
        assert_eq!(o.pick, Pick::Only(vec!["a".into(), "b".into()]));
        let o = resolved(&config, "letterpost send --resend-unknown u --only a").unwrap();
        assert_eq!(
            o.pick,
            Pick::ResendUnknown {
                unknown: vec!["u".into()],
                only: vec!["a".into()]
            }
        );
        assert_eq!(o.pick.named().collect::<Vec<_>>(), ["a", "u"]);
        for bad in [
            "--concurrency 0",
            "--concurrency 257",
            "--rate fast",
            "--redirect-to a,b",
        ] {
            let line = format!("letterpost send {bad}");
            assert!(resolved(&config, &line).is_err(), "{bad}");
        }
    }

    /// What `to_args` writes, `resolve` reads back into the same options.
    #[test]
    fn to_args_round_trips_through_resolve() {
        let config = config("");
        for line in [
            "letterpost send",
            "letterpost --campaign 'my campaign' --recipients r.csv send --limit 3 --only a 'b c'",
            "letterpost send --redirect-to me@example.org --only x --concurrency 8 --rate 2000/day",
            "letterpost send --retry-failed --resend-unknown k1 k2 --only o",
        ] {
            let options = resolved(&config, line).unwrap();
            let again = resolved(&config, &options.command()).unwrap();
            assert_eq!(again, options, "{line} → {}", options.command());
        }
    }

    #[test]
    fn the_resume_command_names_exactly_what_is_left_when_it_must() {
        let config = config("");
        let plain = resolved(&config, "letterpost send --retry-failed --rate 30/minute").unwrap();
        assert_eq!(
            plain.resumed(&["a"]).unwrap().command(),
            "letterpost send --retry-failed --concurrency 1 --rate 30/minute"
        );
        let limited = resolved(&config, "letterpost --campaign 'c d' send --limit 5 -y").unwrap();
        assert_eq!(limited.resumed(&[]), None);
        assert_eq!(
            limited.resumed(&["k1", "k's"]).unwrap().command(),
            "letterpost --campaign 'c d' send --only k1 \"k's\" --concurrency 1 --rate unlimited"
        );
        let resend = resolved(&config, "letterpost send --resend-unknown u1 u2 --only o").unwrap();
        assert_eq!(
            resend.resumed(&["o", "u2"]).unwrap().pick,
            Pick::ResendUnknown {
                unknown: vec!["u2".into()],
                only: vec!["o".into()]
            }
        );
        assert_eq!(
            resend.resumed(&["u1"]).unwrap().to_args().join(" "),
            "--resend-unknown u1 --concurrency 1 --rate unlimited"
        );
    }
}
