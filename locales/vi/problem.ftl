# Cách ghi vị trí của một lỗi: `tệp:dòng: cột `x`: …`, `tệp: Trang tính, dòng 14: …`.

problem-column = cột `{ $column }`
problem-sheet-row = { $sheet }, dòng { $row }
