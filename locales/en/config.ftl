# campaign.toml, the global flags and the LETTERPOST_* environment, as `config` reads them.

# A sending rate: `30/minute`, `500/hour`, `2000/day` or `unlimited`.
config-rate-no-slash = `{ $text }` is not a rate: write it as 30/minute, 500/hour, 2000/day or unlimited
config-rate-bad-count = `{ $text }` is not a rate: `{ $count }` is not a positive number
config-rate-bad-period = `{ $text }` is not a rate: the period `{ $period }` is not minute, hour or day

# Finding and reading campaign.toml.
config-no-current-folder = cannot read the current folder
config-not-found = there is no { $file } in { $folder } or in any folder above it: is this a campaign folder? (`letterpost init DIR` creates one; `--campaign PATH` names one)
config-cannot-read = cannot read { $file }: is this a campaign folder? (`letterpost init DIR` creates one)
config-not-utf8 = { $file } is not UTF-8 text
config-not-valid = { $file } is not valid
config-bad-id = { $file }: [campaign] id `{ $id }` may use only letters a-z, digits, `.`, `_` and `-`, and must start with a letter or digit
config-bad-from = { $file }: [campaign] from `{ $from }` is not a mailbox: { $error }
config-from-control = { $file }: [campaign] from has a control character in its name
config-bad-encoding = { $file }: [recipients] encoding `{ $label }` is not an encoding name (try utf-8 or windows-1258)
config-bad-delimiter = { $file }: [recipients] delimiter `{ $delimiter }` must be `,`, `;`, `|`, `tab` or `auto`
config-var-not-usable = `{ $name }` cannot be used in a template

# The flags of `send`, and the environment.
config-bad-concurrency = --concurrency must be between 1 and 256
config-bad-concurrency-file = { $file }: [sending] concurrency `{ $value }` must be between 1 and 256
config-bad-redirect-to = --redirect-to `{ $address }` is not one email address
config-bad-source-date-epoch = SOURCE_DATE_EPOCH `{ $value }` is not a date letterpost can put on a letter: give whole seconds since 1970-01-01 (at most { $latest }, the end of the year 9999), or unset it
config-env-not-port = { $variable } `{ $value }` is not a port number
config-env-not-seconds = { $variable } `{ $value }` is not a number of seconds
config-bad-seconds = { $place } `{ $value }` is not a number of seconds from 0 to { $most }
config-bad-seconds-positive = { $place } `{ $value }` is not a number of seconds above 0 and at most { $most }

# [smtp] and [tracking].
config-host-empty = host is empty
config-bad-return-path = return_path `{ $address }` is not one email address
config-bad-security = `{ $value }` is not starttls, tls or none

# Passwords. $what is SMTP or IMAP.
config-password-prompt = { $what } password for { $username } at { $host }:{" "}
config-cannot-read-password = cannot read the password
config-no-password = [{ $table }] username is set but no password was given: set LETTERPOST_{ $what }_PASSWORD, or LETTERPOST_{ $what }_PASSWORD_FILE / [{ $table }] password_file, or run at a terminal to be asked
config-cannot-read-password-file = cannot read the { $what } password file { $file }
config-password-file-open = warning: the { $what } password file { $file } is open to other users (mode { $mode }); make it private: chmod 600 { $file }
config-password-file-too-large = the { $what } password file { $file } holds more than { $kib } KiB: it should hold the password alone, on one line
config-password-file-not-utf8 = the { $what } password file { $file } is not UTF-8 text
config-bad-document-date = { $file }: [document] date `{ $value }` is not a real date written dd/mm/yyyy (for example 07/12/2026)
config-attachment-format = { $file }: [[attachments]] { $number } asks for `format = "{ $format }"`; letterpost typesets documents as `pdf`
config-bad-attachment = { $file }: [[attachments]] { $number } needs either `file = "…"`, or `template = "…"` with `format = "pdf"`
config-bad-max-message-size = { $file }: [sending] max_message_size must be a number of bytes greater than 0
