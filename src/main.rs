//! letterpost: a mail-merge dispatcher for official letters. `main` is a shell: it parses the
//! command line, sets up diagnostics, runs the command and turns the result into an exit code.
//! See ARCHITECTURE.md for the map of the modules.

// First, so that their macros (`say!`, `t!`) are in scope in every module below.
#[macro_use]
mod i18n;
#[macro_use]
mod report;

mod archive;
mod attachments;
mod audit;
mod cli;
mod clock;
mod config;
mod delivery_log;
mod dispatch;
mod error;
mod evidence;
mod hash;
mod init;
mod ledger;
mod lock;
mod merge;
mod message;
mod order;
mod private_fs;
mod problem;
mod recipients;
mod send;
mod sheet;
mod smtp;
mod suggest;
mod tracking;
mod typeset;
mod visible;
mod xlsx_export;

use crate::cli::{Cli, Command};
use crate::config::{Config, SendOptions};
use crate::error::Error;
use crate::report::ExitCode;

fn main() -> std::process::ExitCode {
    // The language first: `--help` and clap's own messages are built in it.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let language = i18n::choose(i18n::flag_in(&args), |name| std::env::var(name).ok());
    i18n::set(language.lang);
    let cli = cli::parse();
    let diagnostics = init_tracing(cli.verbose, cli.quiet);
    if let Some(value) = &language.unknown_setting {
        eprintln!("{}", t!("main-unknown-language", value = value));
    }
    sheet::quiet_caught_panics();
    match run(cli, diagnostics) {
        Ok(code) => code.into(),
        Err(e) => {
            report::error(&e);
            e.code().into()
        }
    }
}

fn run(cli: Cli, diagnostics: bool) -> Result<ExitCode, Error> {
    let Cli {
        campaign,
        recipients,
        quiet,
        command,
        ..
    } = cli;
    let load = || {
        let config = Config::load(campaign.as_deref(), recipients.as_deref())?;
        // Found from a folder inside the campaign: say which one, as it is not the obvious one.
        if config.found_above && !quiet {
            eprintln!("{}", t!("main-using", file = config.config_file.display()));
        }
        Ok::<_, anyhow::Error>(config)
    };
    match command {
        Command::Init { dir, xlsx } => Ok(init::init(&dir, xlsx)?),
        Command::Check => send::check(&load()?),
        Command::Preview(args) => send::preview(
            &load()?,
            args.row.as_deref(),
            args.html.as_deref(),
            args.eml.as_deref(),
            args.pdf.as_deref(),
        ),
        Command::Send(args) => {
            let config = load()?;
            let global = config::Global {
                campaign,
                recipients,
                quiet,
                diagnostics,
            };
            let options = SendOptions::resolve(args, &config, global)?;
            send::send(&config, &options)
        }
        Command::Log(args) => Ok(log(args, load)?),
        Command::Track { watch } => tracking::track(&load()?, watch),
        Command::Completions { shell } => Ok(completions(shell)?),
        Command::Man { command } => Ok(man(&command)?),
    }
}

/// `letterpost completions SHELL`: the completion script, made from the same definition as
/// `--help`.
fn completions(shell: cli::Shell) -> anyhow::Result<ExitCode> {
    use clap_complete::Shell as For;
    let shell = match shell {
        cli::Shell::Bash => For::Bash,
        cli::Shell::Zsh => For::Zsh,
        cli::Shell::Fish => For::Fish,
        cli::Shell::Powershell => For::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "letterpost", &mut script);
    print_all(&script)
}

/// `letterpost man [COMMAND…]`: letterpost(1), or a command's page (`letterpost-send(1)`), in
/// roff, made from the same definition as `--help`.
fn man(path: &[String]) -> anyhow::Result<ExitCode> {
    // Built: every subcommand is named as the pages refer to it (`letterpost-send`) and as it
    // is typed (`letterpost send`).
    let mut command = cli::command();
    for (depth, name) in path.iter().enumerate() {
        let Some(sub) = command.find_subcommand(name).cloned() else {
            let typed = path[..=depth].join(" ");
            anyhow::bail!(t!("main-not-a-command", command = typed));
        };
        command = sub;
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| anyhow::anyhow!(t!("main-cannot-write-man", error = e.to_string())))?;
    print_all(&page)
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) read what it wanted, and the
/// command, which has nothing else to do, succeeds quietly.
fn print_all(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::Success);
        }
        return Err(anyhow::anyhow!(t!(
            "main-cannot-write-stdout",
            error = e.to_string()
        )));
    }
    Ok(ExitCode::Success)
}

/// `letterpost log …`: the auditor's commands, on the campaign's log or on `--log FILE`.
fn log(
    args: cli::LogArgs,
    load: impl FnOnce() -> anyhow::Result<Config>,
) -> anyhow::Result<ExitCode> {
    use cli::LogCommand;
    // A checkpoint that cannot be a hash is a typing mistake: say so before anything is read.
    if let LogCommand::Verify {
        checkpoint: Some(text),
    } = &args.command
    {
        audit::checkpoint_hash(text)?;
    }
    let source = match args.log {
        Some(file) => audit::Source::file(&file)?,
        None => audit::Source::campaign(&load()?),
    };
    match args.command {
        LogCommand::Verify { checkpoint } => audit::verify(&source, checkpoint.as_deref()),
        LogCommand::Summary { json } => audit::summary(&source, json),
        LogCommand::List { status, since } => {
            audit::list(&source, status.as_deref(), since.as_deref())
        }
        LogCommand::Show { key } => audit::show(&source, &key),
        LogCommand::Export {
            json, xlsx, output, ..
        } => {
            let format = if json {
                audit::Format::Json
            } else if xlsx {
                audit::Format::Xlsx
            } else {
                audit::Format::Csv
            };
            audit::export(&source, format, output.as_deref())
        }
    }
}

/// Diagnostics on stderr: letterpost's own events (targets `letterpost::…`) at INFO with `-v`
/// (the campaign file, each SMTP connection, retries, each letter's outcome) and at DEBUG with
/// `-vv` (each SMTP reply, each record written); otherwise, and with `-q`, warnings only.
/// RUST_LOG's directives come after these and refine them (`RUST_LOG=letterpost::dispatch=debug
/// letterpost -v send`); an invalid one is named and ignored. Returns whether anything below
/// WARN may be printed (then a progress bar would be torn by those lines).
///
/// lettre's own DEBUG output would show AUTH lines (the password, base64) and message bodies,
/// and async-imap's TRACE output the reports' bodies, so nothing from either above WARN is ever
/// printed, whatever RUST_LOG says (a more specific RUST_LOG directive cannot lift this cap).
fn init_tracing(verbose: u8, quiet: bool) -> bool {
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let mut directives = String::from("warn");
    match (quiet, verbose) {
        (true, _) | (false, 0) => {}
        (false, 1) => directives.push_str(",letterpost=info"),
        (false, _) => directives.push_str(",letterpost=debug"),
    }
    if let Ok(more) = std::env::var("RUST_LOG")
        && !more.trim().is_empty()
    {
        directives.push(',');
        directives.push_str(&more);
    }
    let chosen = tracing_subscriber::EnvFilter::builder().parse_lossy(directives);
    let diagnostics = chosen
        .max_level_hint()
        .is_some_and(|most| most > tracing_subscriber::filter::LevelFilter::WARN);
    let no_secrets = tracing_subscriber::filter::filter_fn(|meta| {
        let chatty = ["lettre", "async_imap", "imap_proto"];
        !(chatty.iter().any(|t| meta.target().starts_with(t))
            && *meta.level() > tracing::Level::WARN)
    });
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .with_filter(chosen)
        .with_filter(no_secrets);
    tracing_subscriber::registry().with(layer).init();
    diagnostics
}
