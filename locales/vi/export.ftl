# Vì sao `log export --xlsx` (hoặc `init --xlsx`) không ghi được bảng tính. Không dịch tên trang
# tính, tên cột và nội dung các ô.

export-row-width = dòng { $row } của bản xuất có { $cells } ô nhưng dòng tiêu đề có { $headers } cột
export-not-finite = dòng { $row }, cột { $column } của bản xuất không phải là một số hữu hạn
export-time-out-of-range = thời điểm { $time } nằm ngoài khoảng năm 1900-9999 mà Excel hiển thị được
export-bad-time = `{ $text }` không phải là thời điểm theo RFC 3339: { $reason }
# $what là một trong các thông báo export-place-; $error là thông báo của rust_xlsxwriter.
export-cannot-write = không ghi được bảng tính: { $what }: { $error }

## Vị trí trong bảng tính

export-place-sheet-name = tên trang tính
export-place-header = tiêu đề cột { $column }
export-place-column-width = độ rộng cột { $column }
export-place-freezing-the-header = cố định dòng tiêu đề
export-place-saving = lưu bảng tính
export-place-column = cột { $column }
export-place-row = dòng { $row }
export-place-cell = dòng { $row }, cột { $column }
export-place-time = thời điểm { $time }
