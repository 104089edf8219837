# The auditor's commands: `log verify`, `log summary`, `log list`, `log show`, `log export`.
# The log's own words stay as they are: record names (attempt, data, accepted…), `seq`,
# `sha256`, `run_started`, and the states `log list` prints (the values `--status` takes).

## Reading the log

audit-cannot-find = cannot find { $path }
audit-no-log = there is no delivery log for campaign { $campaign } yet ({ $log }): nothing has been sent
audit-damaged = warning: { $log } is damaged at { $broken }; what follows covers only the records before it (run `letterpost log verify`)
audit-being-written = note: { $log }: line { $line } is being written by the run that holds the campaign; it is left out of what follows

## What the archive holds for a record; each follows "the archived message FILE"

audit-archive-outside = its path leaves the campaign folder
audit-archive-link = is a symbolic link, not a file: it was replaced by a link
audit-archive-not-a-file = is not a regular file: it was replaced
audit-archive-missing = is missing
audit-archive-changed = does not hash to its record's sha256: it was replaced or changed

## log verify: the rules each recipient's history keeps ($outcome and $record are record names)

audit-finding-seq = line { $line } (seq { $seq }): { $message }
audit-finding = line { $line }: { $message }
audit-no-run-started-first = the log does not begin with run_started
audit-run-without-start = run `{ $run }` has no run_started before it
audit-attempt-while-open = a new attempt for `{ $key }` while attempt { $attempt } (seq { $seq }) has no outcome
audit-attempt-out-of-order = attempt { $attempt } for `{ $key }`, but attempt { $expected } was next
audit-message-id-changed = `{ $key }` changed its Message-ID from { $before } to { $after }
audit-report-before-data = a { $name } report about `{ $key }`, whose letter was never handed to a server
audit-report-other-message-id = a { $name } report about `{ $key }` names the Message-ID { $reported }, but its letter has { $sent }
audit-report-not-its-address = a { $name } report about `{ $key }` is about { $recipient }, which is not an address its letter went to
audit-data-without-attempt = data for `{ $key }` without an attempt
audit-second-data = a second data record for `{ $key }`
audit-outcome-without-attempt = { $outcome } for `{ $key }` without an attempt
audit-outcome-without-data = { $outcome } for `{ $key }`, but the message was never sent (no data record)
audit-outcome-without-reason = { $outcome } for `{ $key }` with neither the server's reply nor an error
audit-accepted-twice = `{ $key }` accepted a second time without a requested resend
audit-not-its-attempt = { $record } for `{ $key }` does not match its attempt { $attempt } (seq { $seq })
audit-checkpoint-not-a-hash = --checkpoint `{ $text }` is not a head hash: it must be the 64 hexadecimal digits a run printed after `Log head:`; the log was not checked

## log verify: the verdict

audit-failed-chain = { $log }: FAILED at { $broken }
audit-failed-reordered = { $log }: FAILED at { $broken }; the record with seq { $expected } is further down, on line { $line }: the lines were reordered
audit-failed-deleted = { $log }: FAILED at { $broken }; no line holds seq { $expected }: lines were deleted
audit-failed-repeated = { $log }: FAILED at { $broken }; seq { $found } was already on line { $line }: a line was inserted or repeated before this one
audit-trusted-up-to = The records before line { $line } hold; nothing from line { $line } on can be trusted.
audit-failed-finding = { $log }: FAILED at { $finding }
audit-failed-archive = { $log }: FAILED at line { $line } (seq { $seq }): the archived message { $archive } { $why }
audit-archives-failing = ({ $count } archived messages in all fail this check)
audit-checkpoint-found = The checkpoint { $checkpoint } is the record with seq { $seq }; { $after } records follow it.
audit-checkpoint-missing = { $log }: FAILED: no record has the checkpoint hash { $checkpoint }: the log was rewritten or cut short since that checkpoint was taken
audit-ok = { $log }: OK: { $records } records in { $runs } run(s); the hash chain holds; every recipient's history is in order; { $archives } archived messages match their records.
audit-head = Head: { $head }

## log summary

audit-summary-heading = Campaign { $campaign } — delivery log { $log }
audit-run = Run { $run } ({ $mode }) by { $operator } on { $host }, { $tool }
audit-run-finished = {"  "}started { $started }, finished { $finished }
audit-run-stopped = {"  "}started { $started }, stopped { $stopped }: { $why }
audit-run-unfinished = {"  "}started { $started }, did not finish (the process ended without closing the run)
audit-run-counts = {"  "}accepted { $accepted }, rejected { $rejected }, deferred { $deferred }, unknown { $unknown }, skipped (settled before) { $skipped }, not attempted { $pending }
audit-run-inputs = {"  "}inputs: { $inputs }
# One state and how many recipients are in it, in a list joined by ", ".
audit-state-count = { $state } { $count }
audit-summary-recipients = Recipients in the log: { $count } — { $states }
audit-summary-reports = Reports: { $reported } letters have one; accepted, no report yet: { $waiting }; unknown letters settled by a report: { $settled }
audit-summary-no-dsn = The relay did not offer delivery reports (DSN) at the last send: only bounces and read receipts can be seen, so "accepted, no report yet" proves nothing more.
audit-summary-not-accepted = Not accepted, or bounced after the relay took it:
audit-summary-not-accepted-line = {"  "}{ $key } ({ $organisation }): { $state } at { $time } — { $happened }
audit-summary-next = {"      "}next: { $next }

## log list ($state is the word `--status` takes, padded)

audit-bad-status = --status { $error }
audit-bad-since = --since `{ $since }` is not a time such as 2026-11-26T08:00:00Z or 2026-11-26
audit-list-line = { $state } { $time }  { $key }  attempts { $attempts }  { $message_id }  { $to }
audit-list-shown = { $shown } of { $total } recipients

## log show ($record is the record's name, padded)

audit-show-no-record = the log has no record about `{ $key }`
audit-show-state = { $key }: { $state } — { $next }
audit-show-organisation = organisation: { $organisation }
audit-show-to = to: { $to }
audit-history = seq { $seq } { $time }  { $record } attempt { $attempt }
audit-history-test = seq { $seq } { $time }  { $record } attempt { $attempt } (test)
# The SMTP stage the outcome came at (connect, rcpt, data…).
audit-history-stage = [at { $stage }]
audit-history-message = {"           "}message { $archive }  sha256 { $sha256 }  ({ $check })
audit-history-report = {"           "}report { $archive }  sha256 { $sha256 }  UID { $uid }  ({ $check })
audit-archive-matches = matches
audit-archive-does-not-match = DOES NOT MATCH

## log export

audit-xlsx-needs-file = --xlsx writes a workbook, which needs a file: add -o FILE
audit-cannot-write = cannot write { $file }
audit-cannot-create = cannot create { $file }
audit-exported = wrote { $count } recipients to { $file }
