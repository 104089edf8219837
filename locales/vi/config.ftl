# campaign.toml, các tùy chọn chung và biến môi trường LETTERPOST_*, như `config` đọc.

# Tốc độ gửi: `30/minute`, `500/hour`, `2000/day` hoặc `unlimited`.
config-rate-no-slash = `{ $text }` không phải tốc độ gửi: hãy viết dạng 30/minute, 500/hour, 2000/day hoặc unlimited
config-rate-bad-count = `{ $text }` không phải tốc độ gửi: `{ $count }` không phải số dương
config-rate-bad-period = `{ $text }` không phải tốc độ gửi: khoảng thời gian `{ $period }` phải là minute, hour hoặc day

# Tìm và đọc campaign.toml.
config-no-current-folder = không đọc được thư mục hiện tại
config-not-found = không có tệp { $file } trong { $folder } hay thư mục nào phía trên: đây có phải thư mục đợt gửi không? (`letterpost init DIR` tạo một đợt gửi mới; `--campaign PATH` chỉ định đợt gửi)
config-cannot-read = không đọc được { $file }: đây có phải thư mục đợt gửi không? (`letterpost init DIR` tạo một đợt gửi mới)
config-not-utf8 = { $file } không phải văn bản UTF-8
config-not-valid = { $file } viết không hợp lệ
config-bad-id = { $file }: [campaign] id `{ $id }` chỉ được dùng chữ a-z, chữ số, `.`, `_` và `-`, và phải bắt đầu bằng chữ hoặc chữ số
config-bad-from = { $file }: [campaign] from `{ $from }` không phải địa chỉ gửi hợp lệ: { $error }
config-from-control = { $file }: tên trong [campaign] from có ký tự điều khiển
config-bad-encoding = { $file }: [recipients] encoding `{ $label }` không phải tên bảng mã (hãy thử utf-8 hoặc windows-1258)
config-bad-delimiter = { $file }: [recipients] delimiter `{ $delimiter }` phải là `,`, `;`, `|`, `tab` hoặc `auto`
config-var-not-usable = không dùng được `{ $name }` trong mẫu thư

# Các tùy chọn của `send`, và biến môi trường.
config-bad-concurrency = --concurrency phải từ 1 đến 256
config-bad-concurrency-file = { $file }: [sending] concurrency `{ $value }` phải từ 1 đến 256
config-bad-redirect-to = --redirect-to `{ $address }` không phải một địa chỉ thư điện tử duy nhất
config-bad-source-date-epoch = SOURCE_DATE_EPOCH `{ $value }` không phải ngày letterpost ghi được lên thư: hãy ghi số giây tròn tính từ 1970-01-01 (tối đa { $latest }, cuối năm 9999), hoặc bỏ biến này đi
config-env-not-port = { $variable } `{ $value }` không phải số cổng
config-env-not-seconds = { $variable } `{ $value }` không phải số giây
config-bad-seconds = { $place } `{ $value }` không phải số giây từ 0 đến { $most }
config-bad-seconds-positive = { $place } `{ $value }` không phải số giây lớn hơn 0 và không quá { $most }

# [smtp] và [tracking].
config-host-empty = host đang để trống
config-bad-return-path = return_path `{ $address }` không phải một địa chỉ thư điện tử duy nhất
config-bad-security = `{ $value }` phải là starttls, tls hoặc none

# Mật khẩu. $what là SMTP hoặc IMAP.
config-password-prompt = Mật khẩu { $what } của { $username } tại { $host }:{" "}
config-cannot-read-password = không đọc được mật khẩu
config-no-password = [{ $table }] đã có username nhưng chưa có mật khẩu: hãy đặt LETTERPOST_{ $what }_PASSWORD, hoặc LETTERPOST_{ $what }_PASSWORD_FILE / [{ $table }] password_file, hoặc chạy tại cửa sổ dòng lệnh để được hỏi mật khẩu
config-cannot-read-password-file = không đọc được tệp mật khẩu { $what } { $file }
config-password-file-open = cảnh báo: tệp mật khẩu { $what } { $file } đang để người dùng khác đọc được (quyền { $mode }); hãy chỉ để riêng mình đọc: chmod 600 { $file }
config-password-file-too-large = tệp mật khẩu { $what } { $file } chứa hơn { $kib } KiB: tệp chỉ nên có mật khẩu, trên một dòng
config-password-file-not-utf8 = tệp mật khẩu { $what } { $file } không phải văn bản UTF-8
config-bad-document-date = { $file }: [document] date `{ $value }` không phải ngày có thật viết theo dd/mm/yyyy (ví dụ 07/12/2026)
config-attachment-format = { $file }: [[attachments]] thứ { $number } đòi `format = "{ $format }"`; letterpost chỉ dàn trang văn bản ra `pdf`
config-bad-attachment = { $file }: [[attachments]] thứ { $number } cần có `file = "…"`, hoặc `template = "…"` cùng `format = "pdf"`
config-bad-max-message-size = { $file }: [sending] max_message_size phải là số byte lớn hơn 0
