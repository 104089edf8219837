//! The command line: its shape as clap derive types, and its words from the Fluent files. Every
//! `about` and help text, and clap's own (`Usage:`, `Options`, `Print help`) where the language's
//! differ, comes from `locales/<lang>/cli.ftl` when the command is built, so `--help`, the manual
//! page and the completion scripts speak the chosen language. The English text, written for the
//! clerk who runs a campaign, lives in `locales/en/cli.ftl`, not in doc comments here. In
//! Vietnamese it also words the commonest mistakes on the command line itself (clap has no
//! translations) and ends the process with exit 2, as clap does.
//!
//! It reads no files and no environment (the language is chosen before, by `i18n`): `config`
//! turns these raw values into a validated campaign, and nothing downstream sees a clap type.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::i18n::{self, Lang};

#[derive(Debug, Parser)]
#[command(name = "letterpost", version, max_term_width = 100)]
pub struct Cli {
    #[arg(long, global = true, value_name = "PATH")]
    pub campaign: Option<PathBuf>,

    #[arg(long, global = true, value_name = "FILE")]
    pub recipients: Option<PathBuf>,

    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    // Defined here so that clap accepts and checks it, and lists it in --help; `main` reads it
    // before clap parses (`i18n::flag_in`), to build --help itself in that language.
    #[arg(long, global = true, value_name = "LANG", hide_possible_values = true)]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Check,

    Preview(PreviewArgs),

    Send(SendArgs),

    Log(LogArgs),

    Track {
        #[arg(long)]
        watch: bool,
    },

    Init {
        dir: PathBuf,

        #[arg(long)]
        xlsx: bool,
    },

    Completions {
        shell: Shell,
    },

    Man {
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

/// A shell `letterpost completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[arg(value_name = "ROW")]
    pub row: Option<String>,

    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    #[arg(long, value_name = "FILE")]
    pub eml: Option<PathBuf>,

    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[arg(long)]
    pub dry_run: bool,

    #[arg(long, short = 'y')]
    pub yes: bool,

    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    #[arg(long, value_name = "KEY", num_args = 1..)]
    pub only: Vec<String>,

    #[arg(long, value_name = "ADDR", conflicts_with = "dry_run")]
    pub redirect_to: Option<String>,

    #[arg(long, conflicts_with = "dry_run")]
    pub retry_failed: bool,

    #[arg(long, value_name = "KEY", num_args = 1.., conflicts_with = "dry_run")]
    pub resend_unknown: Vec<String>,

    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    #[arg(long, value_name = "RATE")]
    pub rate: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,

    #[command(subcommand)]
    pub command: LogCommand,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    Summary {
        #[arg(long)]
        json: bool,
    },

    List {
        #[arg(long, value_name = "STATE")]
        status: Option<String>,

        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },

    Show {
        key: String,
    },

    Export {
        #[arg(long, conflicts_with = "json")]
        csv: bool,

        #[arg(long, conflicts_with = "xlsx")]
        json: bool,

        #[arg(long, conflicts_with = "csv", requires = "output")]
        xlsx: bool,

        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    Verify {
        #[arg(long, value_name = "HASH")]
        checkpoint: Option<String>,
    },
}

/// The whole command line, built, with every text in the current language.
pub fn command() -> clap::Command {
    command_with(&|key| i18n::lookup(key))
}

/// The command line with its texts from `text` (a key's words, or `None` when it has none).
pub fn command_with(text: &dyn Fn(&str) -> Option<String>) -> clap::Command {
    // clap's own words, replaced only where the language's differ from them: in English the
    // help and the manual pages stay exactly as clap lays them out (`SUBCOMMANDS`, positional
    // arguments among the options).
    let word = |key: &str, clap: &str| text(key).filter(|ours| ours != clap);
    let usage = word("cli-heading-usage", "Usage:");
    let headings = Headings {
        template: usage.map(|usage| {
            format!("{{before-help}}{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}")
        }),
        commands: word("cli-heading-commands", "Commands"),
        arguments: word("cli-heading-arguments", "Arguments"),
        options: word("cli-heading-options", "Options"),
    };
    // Twice: before building, so that clap sees which commands have a long help and makes
    // `--help` show it; after, for what building adds (--help, --version, the `help` command).
    let mut command = localise(Cli::command(), "cli", "cli", text, &headings);
    command.build();
    localise(command, "cli", "cli", text, &headings)
}

/// clap's fixed words in the chosen language, where they differ from clap's.
struct Headings {
    template: Option<String>,
    commands: Option<String>,
    arguments: Option<String>,
    options: Option<String>,
}

/// `command` (whose keys start with `path`: `cli`, `cli-send`, `cli-log-verify`) and its
/// subcommands (whose keys start with `children`) with their texts from `text`. A missing text
/// leaves clap's own (the `every_help_text_exists` test makes sure none is missing).
fn localise(
    command: clap::Command,
    path: &str,
    children: &str,
    text: &dyn Fn(&str) -> Option<String>,
    headings: &Headings,
) -> clap::Command {
    let mut command = command;
    if let Some(template) = &headings.template {
        command = command.help_template(template.clone());
    }
    if let Some(commands) = &headings.commands {
        command = command.subcommand_help_heading(commands.clone());
    }
    if let Some(about) = text(&format!("{path}-about")) {
        command = command.about(about);
    }
    if let Some(long) = text(&format!("{path}-long")) {
        command = command.long_about(long);
    }
    command = command.mut_args(|arg| {
        let id = arg.get_id().as_str().to_owned();
        let key = match id.as_str() {
            "help" if arg.get_long_help().is_some() => "cli-arg-help-summary".to_owned(),
            "help" | "version" => format!("cli-arg-{id}"),
            _ if arg.is_global_set() => format!("cli-arg-{id}"),
            _ => format!("{path}-arg-{id}"),
        };
        let heading = if arg.is_positional() {
            &headings.arguments
        } else {
            &headings.options
        };
        let mut arg = match heading {
            Some(heading) => arg.help_heading(heading.clone()),
            None => arg,
        };
        // clap would add `[possible values: …]` in English: the texts name them instead.
        if heading.is_some() && arg.get_action().takes_values() {
            arg = arg.hide_possible_values(true);
        }
        if let Some(help) = text(&key) {
            arg = arg.help(help);
        }
        let long_key = if id == "help" {
            "cli-arg-help-long".to_owned()
        } else {
            format!("{key}-long")
        };
        let has_long = id != "help" || arg.get_long_help().is_some();
        if has_long && let Some(long) = text(&long_key) {
            arg = arg.long_help(long);
        }
        arg
    });
    command.mut_subcommands(|sub| {
        let name = format!("{children}-{}", sub.get_name());
        match sub.get_name() {
            // clap's `help` command is the same under every command; the commands under it
            // (`help send`) are copies of the commands beside it, with their texts.
            "help" => localise(sub, "cli-help", children, text, headings),
            _ => localise(sub, &name, &name, text, headings),
        }
    })
}

/// The arguments parsed by the command in the current language; like `Cli::parse`, `--help`
/// and `--version` end the process with their text, and a mistake with its message and exit 2.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().try_get_matches().unwrap_or_else(|e| refuse(e));
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| refuse(e))
}

/// Ends the process for clap's `e`. clap has no translations: in Vietnamese, the mistakes a
/// clerk makes (an unknown command, flag or value, one missing, two that conflict) are told in
/// our words, with clap's suggestion and the usage line; anything else is clap's own.
fn refuse(e: clap::Error) -> ! {
    if i18n::current() == Lang::Vi
        && let Some(text) = in_our_words(&e)
    {
        eprintln!("{text}");
        std::process::exit(2);
    }
    e.exit()
}

fn in_our_words(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind as Is, ErrorKind};
    let get = |kind| e.get(kind).map(ToString::to_string);
    let problem = match e.kind() {
        ErrorKind::InvalidSubcommand => {
            t!("cli-error-command", command = get(Is::InvalidSubcommand)?)
        }
        ErrorKind::UnknownArgument => t!("cli-error-argument", argument = get(Is::InvalidArg)?),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let (value, argument) = (get(Is::InvalidValue)?, get(Is::InvalidArg)?);
            // clap says a flag given without its value is an empty value.
            if value.is_empty() {
                t!("cli-error-no-value", argument = argument)
            } else {
                t!("cli-error-value", value = value, argument = argument)
            }
        }
        ErrorKind::MissingRequiredArgument => {
            t!("cli-error-missing", arguments = get(Is::InvalidArg)?)
        }
        ErrorKind::ArgumentConflict => t!(
            "cli-error-conflict",
            argument = get(Is::InvalidArg)?,
            other = get(Is::PriorArg)?
        ),
        _ => return None,
    };
    let mut text = t!("main-error", error = problem);
    text.push('\n');
    if let Some(values) = get(Is::ValidValue).filter(|v| !v.is_empty()) {
        text.push_str(&format!(
            "\n  {}\n",
            t!("cli-error-values", values = values)
        ));
    }
    let tips = [
        get(Is::SuggestedSubcommand).map(|tip| t!("cli-error-tip-command", tip = tip)),
        get(Is::SuggestedArg).map(|tip| t!("cli-error-tip-argument", tip = tip)),
        get(Is::SuggestedValue).map(|tip| t!("cli-error-tip-value", tip = tip)),
    ];
    for tip in tips.into_iter().flatten() {
        text.push_str(&format!("\n  {tip}\n"));
    }
    if let Some(usage) = get(Is::Usage) {
        let usage = usage.replacen("Usage:", &t!("cli-heading-usage"), 1);
        text.push_str(&format!("\n{usage}\n"));
    }
    text.push_str(&format!("\n{}", t!("cli-error-help")));
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::command_with;
    use crate::i18n::{self, Lang};

    /// Every command and argument has its texts in both languages: none falls back to clap's
    /// English or to nothing. (Only the long texts are optional.)
    #[test]
    fn every_help_text_exists_in_both_languages() {
        for lang in [Lang::En, Lang::Vi] {
            let missing = RefCell::new(BTreeSet::new());
            let command = command_with(&|key| {
                let found = i18n::lookup_strictly(lang, key);
                if found.is_none() && !key.ends_with("-long") {
                    missing.borrow_mut().insert(key.to_owned());
                }
                found
            });
            assert!(missing.borrow().is_empty(), "{lang:?} lacks {missing:?}");
            fn all_helped(command: &clap::Command) {
                assert!(
                    command.get_about().is_some(),
                    "{} has no about",
                    command.get_name()
                );
                for arg in command.get_arguments() {
                    assert!(arg.get_help().is_some(), "{:?} has no help", arg.get_id());
                }
                command.get_subcommands().for_each(all_helped);
            }
            all_helped(&command);
        }
    }

    #[test]
    fn vietnamese_help_uses_vietnamese_headings() {
        let mut command = command_with(&|key| i18n::lookup_strictly(Lang::Vi, key));
        let help = command.render_long_help().to_string();
        for heading in ["Cách dùng: letterpost", "Lệnh:", "Tùy chọn:", "In trợ giúp"] {
            assert!(help.contains(heading), "no {heading:?} in\n{help}");
        }
        for english in ["Usage:", "Commands:", "Options:", "Print help"] {
            assert!(!help.contains(english), "{english:?} left in\n{help}");
        }
    }
}
