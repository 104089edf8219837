# How a problem's place is written: `file:line: column `x`: …`, `file: Sheet, row 14: …`.

problem-column = column `{ $column }`
problem-sheet-row = { $sheet }, row { $row }
