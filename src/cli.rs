//! The command line, as clap derive types. The doc comments here are the `--help` text, written
//! for the clerk who runs a campaign, not for a programmer.
//!
//! This module only describes arguments. It reads no files and no environment: `config` turns
//! these raw values into a validated campaign, and nothing downstream sees a clap type.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Send one personalised letter, with its appendix, to every organisation in a recipient list.
///
/// A campaign is a folder with campaign.toml, templates/ and recipients/. Start with
/// `letterpost check`, look at a letter with `letterpost preview`, render everything with
/// `letterpost send --dry-run`, then send with `letterpost send`. Every message sent is recorded
/// in the delivery log (logs/<campaign>.jsonl), which `letterpost log` reads.
///
/// Exit codes: 0 every recipient accepted; 1 the run finished but some recipients were rejected,
/// deferred or unknown, or are not sent yet; 2 it could not start and nothing was sent; 3 it
/// stopped early.
#[derive(Debug, Parser)]
#[command(name = "letterpost", version, max_term_width = 100)]
pub struct Cli {
    /// The campaign folder, or its campaign.toml [default: the current folder, or the nearest
    /// folder above it that has a campaign.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub campaign: Option<PathBuf>,

    /// Read the recipients from this CSV file or workbook (.xlsx, .xls, .ods) instead of the one in
    /// campaign.toml (for example a short test list)
    #[arg(long, global = true, value_name = "FILE")]
    pub recipients: Option<PathBuf>,

    /// Print more about what is happening (-vv for even more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only problems
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the campaign without sending anything
    ///
    /// Reads campaign.toml, every template and every row of the recipient list, renders every
    /// letter and appendix, and reports every problem at once with its file, line and column.
    /// Writes nothing and opens no network connection.
    Check,

    /// Show one merged letter as it will be sent
    ///
    /// Prints the plain-text letter for one recipient to the terminal, or writes its HTML part or
    /// the whole message to a file so you can open it in a browser or a mail program. Opens no
    /// network connection.
    Preview(PreviewArgs),

    /// Send the campaign (or, with --dry-run, render it into the outbox)
    ///
    /// Checks everything first; if any problem is found, nothing is sent. Then sends one message
    /// per organisation through the SMTP relay in campaign.toml and records each one in the
    /// delivery log. Running it again resumes: an organisation whose letter was accepted is never
    /// sent again.
    Send(SendArgs),

    /// Read the delivery log: who received what, when, and whether the log is intact
    Log(LogArgs),

    /// Read the reports that came back (delivered, delayed, bounced, read, automatic replies)
    ///
    /// Reads the messages that arrived in the return-path mailbox ([tracking.imap] in
    /// campaign.toml) since the last look, matches each report to a letter and records what it
    /// proves in the delivery log, with the report's exact bytes in archive/. Never deletes,
    /// moves or marks mail as read. Exit codes: 0 read, and no bounce recorded; 1 at least one
    /// bounce recorded; 2 bad configuration; 3 could not connect, log in or open the folder.
    Track {
        /// Keep looking, every [tracking] poll seconds (60), until Ctrl-C
        #[arg(long)]
        watch: bool,
    },

    /// Create a new campaign folder from the built-in example (the fanpage letter)
    Init {
        /// The folder to create; it must not exist yet or be empty
        dir: PathBuf,

        /// Write the example recipient list as an Excel workbook (recipients/organisations.xlsx)
        /// instead of a CSV file
        #[arg(long)]
        xlsx: bool,
    },

    /// Print a completion script for your shell, so Tab completes commands and flags
    ///
    /// bash: `letterpost completions bash > ~/.local/share/bash-completion/completions/letterpost`;
    /// zsh: `letterpost completions zsh > _letterpost` in a folder on $fpath; fish:
    /// `letterpost completions fish > ~/.config/fish/completions/letterpost.fish`; PowerShell:
    /// add `letterpost completions powershell | Out-String | Invoke-Expression` to $PROFILE.
    Completions {
        /// The shell to complete in
        shell: Shell,
    },

    /// Print the manual page (roff), of letterpost or of one command
    ///
    /// Read it with `letterpost man | man -l -`, or install it with `letterpost man >
    /// ~/.local/share/man/man1/letterpost.1`. `letterpost man send` prints the page of `send`
    /// (letterpost-send(1)), `letterpost man log verify` that of `log verify`.
    Man {
        /// A command, and its subcommand, whose page to print [default: letterpost's own]
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
    /// Which recipient: its line number in the CSV file (as an editor shows it; the header is
    /// line 1), its row number in a spreadsheet, or its key [default: the first recipient]
    #[arg(value_name = "ROW")]
    pub row: Option<String>,

    /// Write the HTML part of the letter to FILE, to open in a browser
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write the whole message, exactly as it would be sent, to FILE (.eml)
    #[arg(long, value_name = "FILE")]
    pub eml: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Send nothing: write one .eml per organisation and a manifest into outbox/<campaign>/
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation before sending
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Send at most N letters in this run (the rest stay for the next run)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Send only to these recipients (their keys: the id column, or the first address)
    #[arg(long, value_name = "KEY", num_args = 1..)]
    pub only: Vec<String>,

    /// A test send: render the real letters but deliver them to ADDR instead, with the subject
    /// marked as a test; logged as a test and never counted as delivered
    #[arg(long, value_name = "ADDR", conflicts_with = "dry_run")]
    pub redirect_to: Option<String>,

    /// Also send again to recipients whose letter the server rejected in an earlier run
    #[arg(long, conflicts_with = "dry_run")]
    pub retry_failed: bool,

    /// Send again to these recipients, and only these, whose earlier delivery is unknown (the
    /// connection was lost after the letter was sent); the letter keeps its Message-ID
    #[arg(long, value_name = "KEY", num_args = 1.., conflicts_with = "dry_run")]
    pub resend_unknown: Vec<String>,

    /// How many connections to the relay at most [default: [sending] concurrency, or 1]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// The most letters to send per minute, hour or day, e.g. 30/minute or 500/day, counted
    /// across runs; `unlimited` for none [default: [sending] rate]
    #[arg(long, value_name = "RATE")]
    pub rate: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Read this delivery log instead of the campaign's (for example a copy an auditor was
    /// given with its archive/ folder beside its logs/ folder); no campaign.toml is needed
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,

    #[command(subcommand)]
    pub command: LogCommand,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Per run: who ran it, when, with which inputs, and how many letters ended how; then every
    /// organisation not accepted with the server's reply and what to do next
    Summary {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },

    /// One line per organisation with its current state
    List {
        /// Only organisations in this state (accepted, rejected, deferred, unknown, or
        /// interrupted: attempted by a run that stopped before sending it)
        #[arg(long, value_name = "STATE")]
        status: Option<String>,

        /// Only organisations whose last record is at or after this time (RFC 3339, e.g.
        /// 2026-11-26T08:00:00Z, or a date such as 2026-11-26)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },

    /// Everything the log holds about one organisation: every attempt, the replies, the
    /// Message-ID, the archived message and its hash
    Show {
        /// The recipient's key
        key: String,
    },

    /// One row per organisation with its final state, for a spreadsheet
    Export {
        /// Write CSV (UTF-8 with BOM, safe to open in Excel or LibreOffice) [default]
        #[arg(long, conflicts_with = "json")]
        csv: bool,

        /// Write JSON Lines instead
        #[arg(long, conflicts_with = "xlsx")]
        json: bool,

        /// Write an Excel workbook (.xlsx) instead, to the file -o names: every text a text cell
        /// (never a formula), times as date-times in UTC, the header row frozen
        #[arg(long, conflicts_with = "csv", requires = "output")]
        xlsx: bool,

        /// Write to FILE instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Check that the log is intact: the hash chain, the order, each archived message
    Verify {
        /// A head hash printed at the end of a run, which you kept; the log must still contain
        /// the record with that hash (records appended by later runs may follow it)
        #[arg(long, value_name = "HASH")]
        checkpoint: Option<String>,
    },
}
