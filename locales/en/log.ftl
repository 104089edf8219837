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
