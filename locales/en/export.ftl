# Why `log export --xlsx` (or `init --xlsx`) could not write its workbook. The sheet's name, its
# column names and its cells are never translated.

export-row-width = row { $row } of the export has { $cells } cells but the header has { $headers }
export-not-finite = row { $row }, column { $column } of the export is not a finite number
export-time-out-of-range = the time { $time } is outside the years 1900-9999 that Excel shows
export-bad-time = `{ $text }` is not an RFC 3339 time: { $reason }
# $what is one of the export-place- messages; $error is rust_xlsxwriter's own.
export-cannot-write = cannot write the workbook: { $what }: { $error }

## Where in the workbook

export-place-sheet-name = the sheet name
export-place-header = header { $column }
export-place-column-width = the width of column { $column }
export-place-freezing-the-header = freezing the header
export-place-saving = saving the workbook
export-place-column = column { $column }
export-place-row = row { $row }
export-place-cell = row { $row }, column { $column }
export-place-time = the time { $time }
