# Nhật ký gửi, sổ trạng thái và bản lưu trữ, ở những gì người đọc. Bản ghi, tệp xuất và giá trị
# của `--status` giữ nguyên tên trạng thái (`accepted`) như dữ liệu, dù chọn ngôn ngữ nào.

## Tên trạng thái trong câu.

log-state-accepted = đã nhận
log-state-rejected = bị từ chối
log-state-deferred = tạm hoãn
log-state-unknown = chưa rõ
log-state-interrupted = bị ngắt
log-state-delayed = đang chậm phát
log-state-bounced = bị trả lại
log-state-auto-replied = có thư trả lời tự động
log-state-delivered = đã phát
log-state-read = đã đọc

## Việc cần làm với một thư (tệp xuất ghi bản tiếng Anh, từ mã nguồn).

log-next-nothing = Không cần làm gì
log-next-rejected = Sửa địa chỉ trong danh sách (hoặc hỏi lại cơ quan), rồi chạy `letterpost send --retry-failed --only { $key }`
log-next-retry = Lần chạy `letterpost send` sau sẽ gửi lại
log-next-unknown = Hỏi cơ quan xem đã nhận được thư chưa; nếu chưa, chạy `letterpost send --resend-unknown { $key }` (giữ nguyên Message-ID)
log-next-delayed = Chờ thêm: máy chủ thư của nơi nhận vẫn đang thử phát; chạy lại `letterpost track` sau
log-next-bounced = Kiểm tra lại địa chỉ với cơ quan, rồi chạy `letterpost send --retry-failed --only { $key }`
log-next-auto-replied = Không cần làm gì; xem thư trả lời tự động: `letterpost log show { $key }`
log-next-no-such-address = Địa chỉ { $address } không tồn tại ({ $status }): sửa lại trong danh sách, rồi chạy `letterpost send --retry-failed --only { $key }`
# $said: mã trạng thái và chẩn đoán trong báo cáo, đúng như máy chủ ghi.
log-bounced = thư gửi { $recipient } bị trả lại: { $said }
log-not-a-state = `{ $value }` không phải là một trong các giá trị { $states }

## Nhật ký hỏng ở đâu, hỏng thế nào (đầu ra JSON giữ bản tiếng Anh, từ mã nguồn).

log-broken-at = dòng { $line }: { $damage }
log-broken-at-seq = dòng { $line } (seq { $seq }): { $damage }
log-broken-torn-at = dòng { $line }: { $damage } (dòng bắt đầu ở byte { $offset })
log-broken-torn-at-seq = dòng { $line } (seq { $seq }): { $damage } (dòng bắt đầu ở byte { $offset })
log-damage-torn = dòng cuối bị dở dang: việc ghi bị dừng giữa chừng
# $why: nguyên văn lời báo của bộ đọc JSON.
log-damage-unreadable = không phải là bản ghi theo định dạng của nhật ký này: { $why }
log-damage-unknown-version = phiên bản định dạng { $version } không được phiên bản letterpost này hỗ trợ (chỉ đọc được phiên bản { $known })
log-damage-edited = đã bị sửa: mã băm không khớp với nội dung
log-damage-missing = seq bị hụt: bản ghi có seq { $expected } lẽ ra phải ở đây (đã bị xóa hoặc di chuyển)
log-damage-out-of-order = seq bị lùi: lẽ ra ở đây phải là seq { $expected } (có dòng bị chèn, lặp lại hoặc di chuyển)
log-damage-broken-link = bị thay thế hoặc giả mạo: giá trị prev không phải mã băm của dòng trước (dòng này hoặc dòng trước đó đã bị thay)

## Mở, đọc và tách riêng.

log-cannot-read = không đọc được { $file }
log-cannot-open = không mở được { $file }
log-cannot-create = không tạo được { $file }
log-cannot-sync = không đồng bộ được { $file } xuống đĩa
log-cannot-truncate = không cắt ngắn được { $file }
log-cannot-set-aside = không tách được dòng cuối dở dang của { $log } sang { $aside }; chưa gửi thư nào (hãy chuyển { $aside } đi nơi khác rồi chạy lại)
log-cannot-open-for-writing = không mở được nhật ký gửi { $file } để ghi
log-cannot-start-writer = không khởi động được luồng ghi nhật ký
log-cannot-create-archive = không tạo được thư mục lưu trữ { $folder }

## Lưu thư vào bản lưu trữ (nói với người dùng; nhật ký ghi bản tiếng Anh trong mã nguồn)

log-archive-cannot-store = không lưu được thư vào bản lưu trữ { $file }
log-archive-cannot-sync = không ghi chắc chắn được bản lưu trữ { $folder } xuống đĩa
log-archive-occupied = đã có một tệp khác nội dung mang tên này: letterpost giữ nguyên tệp đó cho người kiểm tra và không ghi đè; hãy chuyển tệp đó ra khỏi bản lưu trữ rồi chạy lại
log-writer-stopped = luồng ghi nhật ký gửi đã dừng
log-cannot-write-record = không ghi được nhật ký gửi: { $error }
