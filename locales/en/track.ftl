# `letterpost track`: reading the reports that came back, and what it says about them. The
# records it writes, the server's own text and the reports' fields are not translated.

track-no-mailbox = there is no mailbox to read reports from: name it under [tracking.imap] in campaign.toml (host, username), or set LETTERPOST_IMAP_HOST
track-no-runtime = cannot start the async runtime
track-looking-again = warning: { $error }; looking again in { $seconds } s
track-cannot-read = cannot read the reports: { $error }
track-renumbered = note: the folder { $folder } was renumbered (its UIDVALIDITY changed): every message is read again, and reports already recorded are not recorded twice
track-nothing-new = No new messages in { $folder }.
track-locked-watch = A send holds campaign { $campaign } ({ $holder }); the reports are recorded at the next look.
track-locked = A send holds campaign { $campaign } ({ $holder }); the reports are recorded at the next look (run `letterpost track` again).
track-log-damaged = the delivery log { $log } is damaged at { $broken }; nothing was recorded. Run `letterpost log verify` first
# $from and $subject are quoted.
track-not-recorded = not recorded: UID { $uid } from { $from } subject { $subject }: { $why }
track-names-no-letter = it names no letter of this campaign
track-not-handed-over = its letter `{ $key }` was never handed to a server (refused before its body was sent): a report about it proves nothing
track-other-message-id = it names the letter `{ $key }` under another Message-ID than the one it was sent with ({ $sent })
track-not-its-address = it is about { $named }, which is not an address the letter `{ $key }` went to
track-too-large = not read: UID { $uid } is { $size } bytes, over the limit of { $limit }: it is tried again next time, and needs a look
track-not-returned = not read: UID { $uid } was listed but the server did not return it: it is tried again next time
track-uid-beyond-next = warning: the server listed UID { $uid } in { $folder }, at or above the folder's UIDNEXT, which no message can have: ignored

## A report recorded: $what is one of the track-arrival- words, padded

track-found = { $what } { $key }  { $recipient }  { $said }  (UID { $uid })
track-arrival-delivered = delivered
track-arrival-delayed = delayed
track-arrival-bounced = bounced
track-arrival-read = read
track-arrival-auto-reply = auto_reply

## Why a message in the mailbox is not a report this campaign can use

track-report-no-header = no header fields: not a mail message
track-report-no-mail-fields = none of the header fields a mail message has (From, Date, Subject, Message-ID, …)
track-report-part-missing = a multipart/report of type { $report_type } without its message/{ $report_type } part
track-report-other-type = a report of type { $report_type }, which is not about delivery or reading
track-report-none = no delivery report, read receipt or sign of an automatic reply
track-report-dsn-no-recipient = the message/delivery-status part names no recipient
track-report-mdn-no-disposition = a disposition notification without a Disposition field
# $format is the mail system's name: qmail, Exim, Sendmail, Exchange…
track-report-quoted-bounce = quotes a { $format } bounce but was sent by a person, not a mail system
track-report-bounce-no-recipient = a { $format } bounce that names no recipient this module can read
track-report-unknown-format = a delivery report from a mail system ("{ $subject }") in no format this module reads

## The IMAP mailbox. $step is one of the track-imap-step- words or an IMAP command.

track-imap-step-setup = TLS setup
track-imap-step-connect = connect
track-imap-step-tls-handshake = TLS handshake
track-imap-step-greeting = greeting
track-imap-cannot-connect = cannot connect to the IMAP server { $server }: { $detail } (check [tracking.imap] host and port)
track-imap-at-step = IMAP { $step }: { $detail }
# $username and $folder are quoted.
track-imap-login-refused = the IMAP server refused the login of { $username }: { $detail } (check [tracking.imap] username and the IMAP password)
track-imap-cannot-open-folder = the IMAP server cannot open the folder { $folder }: { $detail } (check [tracking.imap] folder; names other than INBOX are case-sensitive)
track-imap-timeout = the IMAP server did not answer within { $seconds } s at { $step }; the connection was dropped (check the server, or raise [tracking.imap] timeout)
track-imap-timeout-greeting = the IMAP server did not answer within { $seconds } s at { $step }; the connection was dropped (check the server, or raise [tracking.imap] timeout); a server that waits for TLS on this port (usually 993) needs [tracking.imap] security = "tls"
track-imap-cannot-read-ca-file = cannot read [tracking.imap] ca_file { $file }: { $error }
track-imap-ca-file-not-pem = [tracking.imap] ca_file { $file } is not valid PEM: { $error }
track-imap-ca-file-empty = [tracking.imap] ca_file { $file } holds no certificate (expected PEM, -----BEGIN CERTIFICATE-----)
track-imap-cannot-load-roots = cannot load the trusted certificates: { $error }
track-imap-cannot-set-up-tls = cannot set up TLS: { $error }
track-imap-host-not-checkable = [tracking.imap] host { $host } is not a name or address TLS can check
track-imap-certificate-refused = the server's certificate is not accepted for { $host }: { $why } (if an internal CA signed it, set [tracking.imap] ca_file to that CA's PEM file; [tracking.imap] host must be a name the certificate lists)
track-imap-not-tls = TLS failed: { $error } (the server may not speak TLS on this port: 993 is usually for security = "tls", 143 for "starttls")
track-imap-tls-failed = TLS failed: { $error }
track-imap-preauth-before-starttls = the server logged the plain connection in at once (PREAUTH), so STARTTLS is impossible; nothing was sent
track-imap-no-starttls = the server does not offer STARTTLS, which is required ([tracking.imap] security = "starttls"); no login was sent
track-imap-tls-not-prepared = TLS was not prepared
track-imap-no-greeting = the server closed the connection without a greeting
track-imap-connection-refused = the server refused the connection: { $text }
track-imap-not-a-greeting = not an IMAP greeting: { $response }
track-imap-no-capabilities = the server listed no capabilities
track-imap-starttls-refused = the server refused STARTTLS: { $text }
track-imap-starttls-twice = STARTTLS on a connection that is already TLS
track-imap-login-disabled = the server does not allow LOGIN on this connection (LOGINDISABLED) and offers no AUTH=PLAIN; use [tracking.imap] security = "tls" or "starttls"
track-imap-nul-in-credentials = the username or password contains a NUL character
track-imap-line-break-in-credentials = the username or password contains a line break or NUL, which LOGIN cannot carry
track-imap-no-folder-name = no folder name given
track-imap-no-uidvalidity = the server gave no UIDVALIDITY for { $folder }
track-imap-continue-after-end = the server asked for more of a command that was complete
track-imap-continue-too-often = the server asked for more than the command
# The code recognises this message around $text: keep $text in it once.
track-imap-bye-then-closed = the server said BYE ({ $text }) and closed the connection
track-imap-closed = the server closed the connection
track-imap-unparsable-reply = the server's reply could not be parsed: { $error }
track-imap-connection-failed = the connection failed: { $error }
# $status is NO or BAD.
track-imap-answered = the server answered { $status }: { $text }
track-imap-no-text = (no text)
track-logout-unclean = warning: the IMAP server did not log out cleanly: { $error }
