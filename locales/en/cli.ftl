# The command line's help (`letterpost --help`, `letterpost send --help`, the manual page).
# Keys: cli-<command path>-about (the first line), -long (the whole text of `--help`), and
# cli-<command path>-arg-<argument> for each argument; cli-arg-<argument> for the global ones.
# One paragraph per line: clap wraps the text to the terminal itself.

## cli
cli-about = Send one personalised letter, with its appendix, to every organisation in a recipient list
cli-long =
    Send one personalised letter, with its appendix, to every organisation in a recipient list.

    A campaign is a folder with campaign.toml, templates/ and recipients/. Start with `letterpost check`, look at a letter with `letterpost preview`, render everything with `letterpost send --dry-run`, then send with `letterpost send`. Every message sent is recorded in the delivery log (logs/<campaign>.jsonl), which `letterpost log` reads.

    Exit codes: 0 every recipient accepted; 1 the run finished but some recipients were rejected, deferred or unknown, or are not sent yet; 2 it could not start and nothing was sent; 3 it stopped early.
cli-arg-campaign = The campaign folder, or its campaign.toml [default: the current folder, or the nearest folder above it that has a campaign.toml]
cli-arg-recipients = Read the recipients from this CSV file or workbook (.xlsx, .xls, .ods) instead of the one in campaign.toml (for example a short test list)
cli-arg-verbose = Print more about what is happening (-vv for even more)
cli-arg-quiet = Print only problems

## cli-check
cli-check-about = Check the campaign without sending anything
cli-check-long =
    Check the campaign without sending anything

    Reads campaign.toml, every template and every row of the recipient list, renders every letter and appendix, and reports every problem at once with its file, line and column. Writes nothing and opens no network connection.

## cli-preview
cli-preview-about = Show one merged letter as it will be sent
cli-preview-long =
    Show one merged letter as it will be sent

    Prints the plain-text letter for one recipient to the terminal, or writes its HTML part or the whole message to a file so you can open it in a browser or a mail program. Opens no network connection.
cli-preview-arg-row = Which recipient: its line number in the CSV file (as an editor shows it; the header is line 1), its row number in a spreadsheet, or its key [default: the first recipient]
cli-preview-arg-html = Write the HTML part of the letter to FILE, to open in a browser
cli-preview-arg-eml = Write the whole message, exactly as it would be sent, to FILE (.eml)
cli-preview-arg-pdf = Write the letter's typeset document (the công văn) to FILE (.pdf); a second document goes to FILE-2.pdf, and so on

## cli-send
cli-send-about = Send the campaign (or, with --dry-run, render it into the outbox)
cli-send-long =
    Send the campaign (or, with --dry-run, render it into the outbox)

    Checks everything first; if any problem is found, nothing is sent. Then sends one message per organisation through the SMTP relay in campaign.toml and records each one in the delivery log. Running it again resumes: an organisation whose letter was accepted is never sent again.
cli-send-arg-dry_run = Send nothing: write one .eml per organisation and a manifest into outbox/<campaign>/
cli-send-arg-yes = Do not ask for confirmation before sending
cli-send-arg-limit = Send at most N letters in this run (the rest stay for the next run)
cli-send-arg-only = Send only to these recipients (their keys: the id column, or the first address)
cli-send-arg-redirect_to = A test send: render the real letters but deliver them to ADDR instead, with the subject marked as a test; logged as a test and never counted as delivered
cli-send-arg-retry_failed = Also send again to recipients whose letter the server rejected in an earlier run
cli-send-arg-resend_unknown = Send again to these recipients, and only these, whose earlier delivery is unknown (the connection was lost after the letter was sent); the letter keeps its Message-ID
cli-send-arg-concurrency = How many connections to the relay at most [default: [sending] concurrency, or 1]
cli-send-arg-rate = The most letters to send per minute, hour or day, e.g. 30/minute or 500/day, counted across runs; `unlimited` for none [default: [sending] rate]

## cli-log
cli-log-about = Read the delivery log: who received what, when, and whether the log is intact
cli-arg-log = Read this delivery log instead of the campaign's (for example a copy an auditor was given with its archive/ folder beside its logs/ folder); no campaign.toml is needed

## cli-log-summary
cli-log-summary-about = Per run: who ran it, when, with which inputs, and how many letters ended how; then every organisation not accepted with the server's reply and what to do next
cli-log-summary-arg-json = Print JSON instead of text

## cli-log-list
cli-log-list-about = One line per organisation with its current state
cli-log-list-arg-status = Only organisations in this state (accepted, rejected, deferred, unknown, or interrupted: attempted by a run that stopped before sending it)
cli-log-list-arg-since = Only organisations whose last record is at or after this time (RFC 3339, e.g. 2026-11-26T08:00:00Z, or a date such as 2026-11-26)

## cli-log-show
cli-log-show-about = Everything the log holds about one organisation: every attempt, the replies, the Message-ID, the archived message and its hash
cli-log-show-arg-key = The recipient's key

## cli-log-export
cli-log-export-about = One row per organisation with its final state, for a spreadsheet
cli-log-export-arg-csv = Write CSV (UTF-8 with BOM, safe to open in Excel or LibreOffice) [default]
cli-log-export-arg-json = Write JSON Lines instead
cli-log-export-arg-xlsx = Write an Excel workbook (.xlsx) instead, to the file -o names: every text a text cell (never a formula), times as date-times in UTC, the header row frozen
cli-log-export-arg-output = Write to FILE instead of standard output

## cli-log-verify
cli-log-verify-about = Check that the log is intact: the hash chain, the order, each archived message
cli-log-verify-arg-checkpoint = A head hash printed at the end of a run, which you kept; the log must still contain the record with that hash (records appended by later runs may follow it)

## cli-track
cli-track-about = Read the reports that came back (delivered, delayed, bounced, read, automatic replies)
cli-track-long =
    Read the reports that came back (delivered, delayed, bounced, read, automatic replies)

    Reads the messages that arrived in the return-path mailbox ([tracking.imap] in campaign.toml) since the last look, matches each report to a letter and records what it proves in the delivery log, with the report's exact bytes in archive/. Never deletes, moves or marks mail as read. Exit codes: 0 read, and no bounce recorded; 1 at least one bounce recorded; 2 bad configuration; 3 could not connect, log in or open the folder.
cli-track-arg-watch = Keep looking, every [tracking] poll seconds (60), until Ctrl-C

## cli-init
cli-init-about = Create a new campaign folder from the built-in example (the fanpage letter)
cli-init-arg-dir = The folder to create; it must not exist yet or be empty
cli-init-arg-xlsx = Write the example recipient list as an Excel workbook (recipients/organisations.xlsx) instead of a CSV file

## cli-completions
cli-completions-about = Print a completion script for your shell, so Tab completes commands and flags
cli-completions-long =
    Print a completion script for your shell, so Tab completes commands and flags

    bash: `letterpost completions bash > ~/.local/share/bash-completion/completions/letterpost`; zsh: `letterpost completions zsh > _letterpost` in a folder on $fpath; fish: `letterpost completions fish > ~/.config/fish/completions/letterpost.fish`; PowerShell: add `letterpost completions powershell | Out-String | Invoke-Expression` to $PROFILE.
cli-completions-arg-shell = The shell to complete in

## cli-man
cli-man-about = Print the manual page (roff), of letterpost or of one command
cli-man-long =
    Print the manual page (roff), of letterpost or of one command

    Read it with `letterpost man | man -l -`, or install it with `letterpost man > ~/.local/share/man/man1/letterpost.1`. `letterpost man send` prints the page of `send` (letterpost-send(1)), `letterpost man log verify` that of `log verify`.
cli-man-arg-command = A command, and its subcommand, whose page to print [default: letterpost's own]

## Global arguments and the parts clap adds itself

cli-arg-lang = The language of messages and help: vi (Vietnamese) or en (English) [default: LETTERPOST_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else English]
cli-arg-help = Print help
cli-arg-help-summary = Print help (see more with '--help')
cli-arg-help-long = Print help (see a summary with '-h')
cli-arg-version = Print version
cli-help-about = Print this message or the help of the given subcommand(s)
cli-help-arg-subcommand = Print help for the subcommand(s)
cli-heading-usage = Usage:
cli-heading-commands = Commands
cli-heading-arguments = Arguments
cli-heading-options = Options

## Mistakes on the command line, as letterpost tells them in Vietnamese (clap tells them in English)

cli-error-command = unrecognized subcommand '{ $command }'
cli-error-argument = unexpected argument '{ $argument }' found
cli-error-no-value = a value is required for '{ $argument }' but none was supplied
cli-error-value = invalid value '{ $value }' for '{ $argument }'
cli-error-missing = the following required arguments were not provided: { $arguments }
cli-error-conflict = the argument '{ $argument }' cannot be used with '{ $other }'
cli-error-values = [possible values: { $values }]
cli-error-tip-command = tip: a similar subcommand exists: '{ $tip }'
cli-error-tip-argument = tip: a similar argument exists: '{ $tip }'
cli-error-tip-value = tip: a similar value exists: '{ $tip }'
cli-error-help = For more information, try '--help'.
