# A send, a dry run, a check and a preview, as the operator reads them.

send-nothing-sent-or-written = nothing was sent or written
send-nothing-written = nothing was written
send-check-passed = { $list }: { $count ->
        [one] 1 recipient
       *[other] { $count } recipients
    }; every letter and appendix renders; no problems found
# $unit: `line` (a CSV file) or `row` (a workbook).
send-preview-no-such-row = no recipient in { $list } has { $unit ->
        [row] row
       *[line] line
    } number or key `{ $row }`
send-preview-empty = { $list } has no recipients
send-cannot-write = cannot write { $file }
send-wrote-html = wrote the HTML part to { $file }
send-wrote-message = wrote the message to { $file }
send-wrote-pdf = wrote the document to { $file }
send-preview-no-document = this campaign typesets no document: `--pdf` needs an attachment with `template = "….typ"` in campaign.toml
# Aligned with `From:       ` and the other headers of the preview.
send-preview-attachment = Attachment: { $file } ({ $bytes } bytes)
send-preview-row = Row:        { $line } (key { $key })
send-nothing-to-send = Nothing to send: { $selection }.
send-cannot-send = cannot send
send-nothing-was-sent = Nothing was sent.
send-note = note: { $note }
send-note-source-date-epoch = note: SOURCE_DATE_EPOCH is set: every letter is dated { $date } instead of now, and the delivery log records that
send-log-damaged-after-run = the delivery log reads back damaged at { $place }
send-log-head = Log head: { $head } (keep it: `letterpost log verify --checkpoint { $head }` proves the log was not rewritten)
send-stopped-early = Stopped early: { $why }
send-resume = To resume, run: { $command }
send-nothing-to-resume = Every letter this run chose was settled; nothing is left to resume.
send-torn-tail = warning: the last line of { $log } was never finished (the machine stopped while writing it); it was moved to { $aside } and the log continues after the last complete record
send-log-damaged = the delivery log { $log } is damaged at { $place }; nothing was sent. Run `letterpost log verify` and keep a copy of the log for the auditor before doing anything else
send-input-changed = { $file } changed after it was checked; nothing was sent. Run the command again: it checks the new version first
send-dry-run-done = Dry run: wrote { $written ->
        [one] 1 letter
       *[other] { $written } letters
    } for { $count ->
        [one] 1 recipient
       *[other] { $count } recipients
    } to { $outbox } (with manifest.jsonl); nothing was sent.
send-needs-confirmation = a real send needs confirmation: run it at a terminal to be asked, or add --yes (try `letterpost send --dry-run` first); nothing was sent
# The answer is the word `yes` in every language: keep it in the question.
send-confirm = Send { $count ->
        [one] 1 letter
       *[other] { $count } letters
    } through { $relay }? Type yes to send:
send-confirm-test = TEST-send { $count ->
        [one] 1 letter
       *[other] { $count } letters
    } to { $to } through { $relay }? Type yes to send:
send-cannot-read-answer = cannot read the answer

## The end of a run.

send-input-changed-since-last-run = { $file } changed since the last run ({ $last_run }); letters already accepted are not sent again
send-last-run = run { $run } at { $time }
send-campaign-summary = Campaign { $campaign }: { $accepted } of { $total } recipients accepted, { $not_accepted } not accepted, { $not_sent } not sent yet.
send-this-run = This run: { $accepted } accepted, { $rejected } rejected, { $deferred } deferred, { $unknown } unknown.
send-not-accepted = Not accepted:
# One recipient not accepted; $state is a state's name, $next what to do about it.
send-not-accepted-line = { $key } (line { $line }, { $organisation }): { $state } — { $reply }. { $next }
send-test-report = Test send: { $accepted } of { $jobs } test letters accepted by the relay ({ $rejected } rejected, { $deferred } deferred, { $unknown } unknown); test letters never count as delivered.

## What a run sends.

send-selection = { $accepted } of { $total } recipients already accepted, { $waiting } left for an operator's decision
send-only-unknown-keys = { $flag }: no recipient has the key { $keys }
send-resend-unknown-not-unknown = --resend-unknown `{ $key }`: its delivery is not unknown (it is { $state }); nothing was sent
send-not-attempted-yet = not attempted yet
send-key-column-gone = the delivery log knows each organisation by the column `{ $old }`, but { $list } has no such column, so each row's key would be its first address. The keys would not match the letters already sent, so organisations could get the letter twice; nothing was sent. To go on, put the column `{ $old }` back in { $list } (any letter case will do), or name the column that holds those keys in campaign.toml: [recipients.columns] id = "…".
send-key-column-added = the delivery log knows each organisation by each row's first address (the list had no `id` column), but { $list } now takes its keys from the column `{ $new }`. The keys would not match the letters already sent, so organisations could get the letter twice; nothing was sent. To go on, remove or rename the column `{ $new }` so that the keys stay the first addresses.
send-key-column-renamed = the delivery log knows each organisation by the column `{ $old }`, but { $list } now takes its keys from the column `{ $new }`. The keys would not match the letters already sent, so organisations could get the letter twice; nothing was sent. To go on, give the key column back its name `{ $old }`, or map it in campaign.toml: [recipients.columns] id = "{ $old }".
send-second-letter-line = line { $line } (key `{ $key }`): { $address } already accepted the letter under the key `{ $earlier }`
send-second-letter-more = … and { $count } more
# $lines: one `send-second-letter-line` a line.
send-second-letter =
    { $count ->
        [one] 1 letter
       *[other] { $count } letters
    } would go to an address that already has this campaign's letter, under another key; nothing was sent:
    { $lines }
    If a row is the organisation that got the letter, give it back its old key in { $list }. If it really is another organisation that shares the address, send its letter on purpose with `letterpost send --only KEY`.

## Building and delivering.

send-cannot-build = cannot build the message: { $error }
send-list-empty = the list has a header but no recipients
send-cannot-start-runtime = cannot start the async runtime
# The progress bar's note after a letter: its key and how it ended.
send-progress-note = { $key } { $state }
send-lost-after-sending = warning: { $key }: the connection was lost after the letter was sent ({ $failure }); it may have arrived, so it will not be sent again automatically
send-stopping = Stopping: finishing the letters in flight (press Ctrl-C again to quit at once)…
send-quitting = Quitting at once; the next run will sort out the letters that were in flight.

## Why a run stopped (the log records the same words in English, from the code).

send-stop-interrupted = interrupted by the operator
send-stop-hung-up = the terminal was closed (SIGHUP)
send-stop-worker-failed = a delivery worker failed: { $error }
send-stop-sender-refused = the relay refused to accept mail from us: { $failure }
# $relay: `host:port (security)`; $failure: the stage and the server's reply or the error.
send-stop-authentication = authentication failed: { $relay } { $failure }
send-stop-tls = TLS could not be set up: { $relay } { $failure }
send-stop-unreachable = the relay cannot be reached: { $relay } { $failure }
send-stop-log-not-written = { $error }; no further letter is sent without its record
send-stop-not-built-again = a letter that was checked could not be built again: { $what }
send-stop-rows-missing = a letter that was checked could not be built again: { $count } selected recipients are missing from the list
send-message-too-large = the message is { $size } bytes, more than [sending] max_message_size ({ $max } bytes)
send-document-unfinished = [document] { $keys } is still empty or a placeholder; fill in the number and date of the document before a real send
send-document-unfinished-warning = warning: { $file }: [document] { $keys } is still empty or a placeholder; a real send will refuse it
