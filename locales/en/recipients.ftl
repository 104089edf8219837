# The recipient list: reading the file or the workbook's sheet, its header, and each row's cells.
# $where is `line` in a CSV file, `row` in a workbook's sheet.

recipients-format-unreadable = a .{ $extension } file cannot be read; save the list as .xlsx (Excel), .ods (LibreOffice) or CSV UTF-8
recipients-cannot-open = cannot open the recipient list: { $error }
recipients-cannot-read = cannot read: { $error }
recipients-too-large = the file is larger than { $mib } MiB, which is more than any recipient list; is it the right file?
recipients-file-empty = the file is empty: it needs a header line and at least one row
recipients-workbook-as-csv = the file is { $kind ->
        [zip] a zip archive, such as an .xlsx or .ods workbook
       *[ole2] an Excel 97-2003 (.xls) workbook, or a workbook saved with a password
    }, not CSV text; give it the extension it was saved with (.xlsx, .xls or .ods) and letterpost reads it as a workbook, or save it as "CSV UTF-8"
recipients-utf16-without-bom = the file looks like UTF-16 text without a byte-order mark, which cannot be read safely; in Excel use Save As > "CSV UTF-8 (Comma delimited)"
recipients-no-such-sheet = { $error }; correct `sheet` under [recipients] in campaign.toml
recipients-mislabelled-utf8 = the file is UTF-8 text, but campaign.toml says `encoding = "{ $encoding }"` under [recipients]; read that way every accented letter would come out wrong. Remove the `encoding` line (UTF-8 is read without it)
recipients-not-utf8 = the file is not UTF-8 text (it looks like { $guess }); in Excel use Save As > "CSV UTF-8 (Comma delimited)", or add `encoding = "{ $guess }"` under [recipients] in campaign.toml if you are sure

# How the list is named: `recipients/danh-sach.xlsx (sheet "Danh sách")`.
recipients-list-in-sheet = { $file } (sheet "{ $sheet }")

# The header.
recipients-cannot-read-header = cannot read the header line: { $error }
recipients-header-empty = the header line is empty
recipients-header-name-too-long = the name of column { $column } is too long
recipients-header-name-missing = column { $column } has no name in the { $where ->
        [row] header row
       *[line] header line
    }
recipients-header-name-control = a header name contains { $character }
recipients-header-twice-same = the header names the same column twice: `{ $name }` (columns { $first } and { $second }; letter case does not count); rename one of them
recipients-header-twice = the header names the same column twice: `{ $first_name }` and `{ $name }` (columns { $first } and { $second }; letter case does not count); rename one of them
recipients-mapped-column-missing = campaign.toml maps `{ $role }` to column `{ $header }`, which is missing
recipients-column-missing = the required column `{ $name }` is missing from the { $where ->
        [row] header row
       *[line] header line
    }{ $sheet_hint }; it holds { $found }{ $more ->
        [0] {""}
       *[other] {" "}and { $more } more
    }{ $near }
# Added to the message above when the sheet read is the workbook's first because none is named.
recipients-other-sheet-hint = {" "}(the first row that is not empty on "{ $sheet }", the workbook's first sheet; if the list is on another sheet, name it with `sheet = "…"` under [recipients] in campaign.toml)
# Added to the message above when a header name is close to the missing one.
recipients-column-near = ; if `{ $header }` is that column, rename it `{ $name }`

# A character that has no place in a cell: `a line break (U+000A)`.
recipients-character = { $kind ->
        [line-break] a line break
        [tab] a tab
        [nul] a NUL character
       *[control] a control character
    } (U+{ $code })

# A row and its cells.
recipients-csv-unreadable = the CSV cannot be read here: { $error }
recipients-field-count = this row has { $fields } fields but the header has { $header_fields }; check for a missing or extra separator or an unclosed quote
recipients-cell-too-large = this cell holds { $kib } KiB of text; a cell may hold at most { $cap } KiB (is a quote left open on an earlier line?)
recipients-cell-control = contains { $character }; remove it
recipients-cell-required-empty = is empty, but the letter needs it
recipients-organisation-empty = is empty: every row needs the organisation's name
recipients-email-empty = is empty: every organisation needs at least one address
recipients-id-empty = is empty: every row needs its own id (or remove the column)
recipients-key-used = the key `{ $key }` is already used on { $where ->
        [row] row
       *[line] line
    } { $first }; every organisation needs its own

# An address in a cell, and why it is not one.
recipients-address-no-at = `{ $item }` is not an email address: it has no @
recipients-address-part-missing = `{ $item }` is not an email address: something is missing before or after the @
recipients-address-quoted-local = `{ $item }` is not an email address: a quoted name before the @ is not accepted by most mail servers; write the address without quotes
recipients-address-accented-local = `{ $item }` is not an email address: letters with accents before the @ are not accepted by most mail servers
recipients-address-local-too-long = `{ $item }` is not an email address: the part before the @ is longer than 64 characters
recipients-address-ip = `{ $item }` is not an email address: write a domain name after the @, not an IP address
recipients-address-bad-domain = `{ $item }` is not an email address: the part after the @ is not a valid domain name
recipients-address-incomplete-domain = `{ $item }` is not an email address: the part after the @ is not a complete domain name
recipients-address-too-long = `{ $item }` is not an email address: it is longer than 254 characters
recipients-address-not-written = `{ $item }` is not an email address: it is not written as an address (`Name <address>` or just the address)
recipients-address-bad-name = `{ $item }` is not an email address: the name before `<` is not written correctly; put it in double quotes

# A workbook (`sheet`). $format is xlsx, xls or ods; $kind what the bytes look like instead.
recipients-sheet-unknown-extension = `{ $extension }` is not a workbook extension that can be read; use .xlsx, .xlsm, .xls, .ods or .csv
recipients-sheet-not-a-workbook = the file is not a readable workbook: it should be { $format ->
        [xlsx] an Excel (.xlsx) workbook
        [xls] an Excel 97-2003 (.xls) workbook
       *[ods] an OpenDocument (.ods) spreadsheet
    } ({ $reason })
recipients-sheet-looks-like = the file is not a readable workbook: it should be { $format ->
        [xlsx] an Excel (.xlsx) workbook
        [xls] an Excel 97-2003 (.xls) workbook
       *[ods] an OpenDocument (.ods) spreadsheet
    } ({ $reason }); its content looks like { $kind ->
        [ods] an OpenDocument (.ods) spreadsheet
        [zip] a zip archive, such as an .xlsx workbook
        [ole2] an Excel 97-2003 (.xls) workbook, or a workbook protected with a password (save it without one)
        [html] an HTML or XML page (some systems export these under an .xls name; open it in Excel and save it as .xlsx)
       *[text] plain text, such as a CSV file
    }
recipients-sheet-not-found = the workbook has no sheet named "{ $wanted }"; its sheets are { $sheets }
recipients-sheet-no-worksheet = the workbook has no visible worksheet to read (its sheets are { $sheets }); name the sheet to read
# The list of a workbook's sheets when it has none.
recipients-sheet-none = none
recipients-sheet-empty = the sheet "{ $sheet }" is empty: it needs a header row and at least one row
recipients-sheet-too-many-rows = the sheet "{ $sheet }" has something in row { $row }; a recipient list may use at most { $cap } rows (delete what is below the list)
recipients-sheet-too-many-cells = the sheet "{ $sheet }" spans { $cells } cells or more from its header to its last row and column; at most { $cap } are read (delete stray cells far to the right or below)
recipients-sheet-cell-too-large = this cell holds { $kib } KiB of text; a cell may hold at most { $cap } KiB
recipients-sheet-cell-error = the cell shows the error { $error } instead of a value; correct it (or the cells its formula uses) in the spreadsheet
# Why a workbook is damaged, in the parentheses of `recipients-sheet-not-a-workbook` (beside the
# reader's own reasons, which are in English).
recipients-sheet-reader-stopped = the reader stopped on damaged data: { $error }
recipients-sheet-strings-no-table = { $part } does not start with its string table
recipients-sheet-strings-too-many = { $part } declares { $count } distinct strings, more than the { $cap } read
recipients-sheet-xls-damaged = its compound-file structure is damaged: { $error }
recipients-sheet-xls-stream = its workbook stream cannot be read: { $error }
recipients-sheet-xls-span = a sheet has cells from { $from } to { $to }, more than an .xls sheet holds
recipients-sheet-xls-dimensions = a sheet declares { $rows } rows by { $cols } columns, which no .xls sheet holds
