# Mẫu thư và thư ghép từ mẫu: nạp mẫu, kiểm tra biến trong mẫu, ghép thư cho từng dòng.
# Thông báo của chính Tera (bộ lọc không có, lỗi cú pháp) giữ nguyên như Tera viết.

merge-outside-folder = các mẫu thư phải nằm cùng trong { $folder } (hoặc một thư mục con của nó)
merge-cannot-list = không xem được danh sách tệp: { $error }
merge-template-missing = không có tệp mẫu thư này
merge-cannot-read = không đọc được tệp: { $error }
merge-not-utf8 = không đọc được tệp: tệp không phải văn bản UTF-8; hãy lưu lại dạng UTF-8
merge-var-hides-column = [vars] `{ $name }` trùng tên với một cột của danh sách nơi nhận; hãy đổi một trong hai tên
merge-unknown-variable = biến `{ $name }` không phải cột của danh sách nơi nhận, cũng không phải giá trị trong mục [vars] của campaign.toml
merge-unknown-variable-near = biến `{ $name }` không phải cột của danh sách nơi nhận, cũng không phải giá trị trong mục [vars] của campaign.toml; có phải là `{ $meant }` không?

# Một dòng không ghép được thành thư.
merge-cannot-render-at = không ghép được { $template } (dòng { $line }, vị trí { $position }): { $error }
merge-cannot-render = không ghép được { $template }: { $error }
merge-subject-control = tiêu đề thư ghép cho dòng này có chứa { $character }; ký tự đó do một giá trị trong dòng này đưa vào
merge-subject-empty = tiêu đề thư ghép cho dòng này bị trống
merge-line-too-long = một dòng của thư sẽ dài { $octets } byte, vượt quá { $max } byte mà thư điện tử cho phép; hãy rút ngắn giá trị gây ra dòng đó
merge-cannot-typeset-at = không dàn trang được { $template } (dòng { $line }, vị trí { $position } của văn bản sau khi trộn): { $error }
merge-cannot-typeset = không dàn trang được { $template }: { $error }
merge-not-a-font = không phải tệp phông chữ dùng được (TrueType hoặc OpenType)
