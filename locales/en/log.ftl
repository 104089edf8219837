# The delivery log, the ledger and the archive, in what a person reads. Records, exports and
# `--status` values keep the states' names as data (`accepted`), whatever the language.

## A state's name in a sentence.

log-state-accepted = accepted
log-state-rejected = rejected
log-state-deferred = deferred
log-state-unknown = unknown
log-state-interrupted = interrupted
log-state-delayed = delayed
log-state-bounced = bounced
log-state-auto-replied = auto_replied
log-state-delivered = delivered
log-state-read = read

## What to do about a letter (exports write the English, from the code).

log-next-nothing = Nothing to do
log-next-rejected = Fix the address in the list (or ask the organisation), then `letterpost send --retry-failed --only { $key }`
log-next-retry = The next `letterpost send` tries it again
log-next-unknown = Ask the organisation whether it arrived; if not, `letterpost send --resend-unknown { $key }` (same Message-ID)
log-next-delayed = Wait: the recipient's server is still trying; run `letterpost track` again later
log-next-bounced = Check the address with the organisation, then `letterpost send --retry-failed --only { $key }`
log-next-auto-replied = Nothing to do; read the automatic reply: `letterpost log show { $key }`
log-next-no-such-address = The address { $address } does not exist ({ $status }): correct it in the list, then `letterpost send --retry-failed --only { $key }`
# $said: the report's status and diagnostic, as the server wrote them.
log-bounced = { $recipient } bounced: { $said }
log-not-a-state = `{ $value }` is not one of { $states }

## Where the log breaks, and how (JSON output keeps the English, from the code).

log-broken-at = line { $line }: { $damage }
log-broken-at-seq = line { $line } (seq { $seq }): { $damage }
log-broken-torn-at = line { $line }: { $damage } (the line starts at byte { $offset })
log-broken-torn-at-seq = line { $line } (seq { $seq }): { $damage } (the line starts at byte { $offset })
log-damage-torn = torn last line: the writer stopped in the middle of it
# $why: the JSON parser's own words.
log-damage-unreadable = not a record of this log format: { $why }
log-damage-unknown-version = format version { $version } is not known to this letterpost (it reads version { $known })
log-damage-edited = edited: its hash does not match its content
log-damage-missing = a gap in seq: the record with seq { $expected } should be here (deleted or moved)
log-damage-out-of-order = seq goes back: seq { $expected } should be here (a line inserted, repeated or moved)
log-damage-broken-link = replaced or forged: its prev is not the hash of the line before it (this line or the one before it was replaced)

## Opening, reading and setting aside.

log-cannot-read = cannot read { $file }
log-cannot-open = cannot open { $file }
log-cannot-create = cannot create { $file }
log-cannot-sync = cannot sync { $file }
log-cannot-truncate = cannot truncate { $file }
log-cannot-set-aside = cannot set the torn last line of { $log } aside in { $aside }; nothing was sent (move { $aside } away and run again)
log-cannot-open-for-writing = cannot open the delivery log { $file } for writing
log-cannot-start-writer = cannot start the log writer
log-cannot-create-archive = cannot create the archive { $folder }

## Storing a message in the archive (said to people; the log records the English in code)

log-archive-cannot-store = cannot archive the message in { $file }
log-archive-cannot-sync = cannot make the archive { $folder } durable
log-archive-occupied = a file with other content already has its name: letterpost keeps it as it is for the auditor and will not overwrite it; move it out of the archive and run again
log-writer-stopped = the delivery log writer has stopped
log-cannot-write-record = cannot write the delivery log: { $error }
