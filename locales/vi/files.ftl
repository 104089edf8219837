# `letterpost init`, và các tệp letterpost từ chối ghi qua (`private_fs`).

files-cannot-read-folder = không đọc được { $folder }
files-folder-not-empty = { $folder } không trống; hãy chọn một thư mục mới cho đợt gửi
files-cannot-create-folder = không tạo được { $folder }
files-cannot-write = không ghi được { $file }
files-init-created = Đã tạo đợt gửi trong { $folder } từ mẫu có sẵn (thư giới thiệu fanpage).
files-init-next = Tiếp theo: sửa campaign.toml và { $list }, rồi chạy `letterpost check` trong thư mục đó.

# Lý do không mở một tệp trong logs/, archive/ hoặc outbox/.
files-refused-link = đây là liên kết tượng trưng (symbolic link), mà letterpost không bao giờ đi theo liên kết trong logs/, archive/ hoặc outbox/: hãy xóa liên kết đó (và đặt tệp thật vào chỗ của nó, nếu có)
files-refused-not-a-file = đây không phải tệp thông thường
