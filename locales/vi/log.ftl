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
