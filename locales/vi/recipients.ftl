# Danh sách nơi nhận: đọc tệp hoặc trang tính của bảng tính, dòng tiêu đề và từng ô của mỗi dòng.
# $where là `line` với tệp CSV, `row` với trang tính.

recipients-format-unreadable = không đọc được tệp .{ $extension }; hãy lưu danh sách thành .xlsx (Excel), .ods (LibreOffice) hoặc CSV UTF-8
recipients-cannot-open = không mở được danh sách nơi nhận: { $error }
recipients-cannot-read = không đọc được tệp: { $error }
recipients-too-large = tệp lớn hơn { $mib } MiB, lớn hơn mọi danh sách nơi nhận; có đúng tệp không?
recipients-file-empty = tệp trống: cần có dòng tiêu đề và ít nhất một dòng nơi nhận
recipients-workbook-as-csv = tệp này là { $kind ->
        [zip] tệp nén zip, chẳng hạn bảng tính .xlsx hoặc .ods
       *[ole2] bảng tính Excel 97-2003 (.xls), hoặc bảng tính có đặt mật khẩu
    }, không phải văn bản CSV; hãy đổi phần mở rộng của tệp cho đúng định dạng đã lưu (.xlsx, .xls hoặc .ods) để letterpost đọc như bảng tính, hoặc lưu thành "CSV UTF-8"
recipients-utf16-without-bom = tệp có vẻ là văn bản UTF-16 không có dấu BOM, không đọc an toàn được; trong Excel hãy chọn Save As > "CSV UTF-8 (Comma delimited)"
recipients-no-such-sheet = { $error }; hãy sửa `sheet` trong mục [recipients] của campaign.toml
recipients-mislabelled-utf8 = tệp là văn bản UTF-8, nhưng campaign.toml ghi `encoding = "{ $encoding }"` trong mục [recipients]; đọc theo cách đó thì mọi chữ có dấu sẽ sai. Hãy xóa dòng `encoding` (không có dòng này thì tệp được đọc là UTF-8)
recipients-not-utf8 = tệp không phải văn bản UTF-8 (có vẻ là { $guess }); trong Excel hãy chọn Save As > "CSV UTF-8 (Comma delimited)", hoặc nếu chắc chắn thì thêm `encoding = "{ $guess }"` vào mục [recipients] của campaign.toml

# Cách gọi danh sách: `recipients/danh-sach.xlsx (trang tính "Danh sách")`.
recipients-list-in-sheet = { $file } (trang tính "{ $sheet }")

# Dòng tiêu đề.
recipients-cannot-read-header = không đọc được dòng tiêu đề: { $error }
recipients-header-empty = dòng tiêu đề trống
recipients-header-name-too-long = tên của cột { $column } quá dài
recipients-header-name-missing = cột { $column } chưa có tên trong { $where ->
        [row] dòng tiêu đề của trang tính
       *[line] dòng tiêu đề
    }
recipients-header-name-control = một tên cột có chứa { $character }
recipients-header-twice-same = dòng tiêu đề có hai cột cùng tên `{ $name }` (cột { $first } và cột { $second }; chữ hoa và chữ thường coi là như nhau); hãy đổi tên một cột
recipients-header-twice = dòng tiêu đề có hai cột trùng tên: `{ $first_name }` và `{ $name }` (cột { $first } và cột { $second }; chữ hoa và chữ thường coi là như nhau); hãy đổi tên một cột
recipients-mapped-column-missing = campaign.toml gán `{ $role }` cho cột `{ $header }`, nhưng không có cột này
recipients-column-missing = { $where ->
        [row] dòng tiêu đề của trang tính
       *[line] dòng tiêu đề
    } thiếu cột bắt buộc `{ $name }`{ $sheet_hint }; các cột hiện có: { $found }{ $more ->
        [0] {""}
       *[other] {" "}và { $more } cột khác
    }{ $near }
# Thêm vào thông báo trên khi đọc trang tính đầu tiên vì campaign.toml không chỉ định trang nào.
recipients-other-sheet-hint = {" "}(dòng đầu tiên có dữ liệu của trang "{ $sheet }", trang tính đầu tiên của bảng tính; nếu danh sách nằm ở trang khác, hãy ghi tên trang đó bằng `sheet = "…"` trong mục [recipients] của campaign.toml)
# Thêm vào thông báo trên khi có tên cột gần giống tên cột bị thiếu.
recipients-column-near = ; nếu `{ $header }` chính là cột đó, hãy đổi tên thành `{ $name }`

# Ký tự không được có trong ô: `dấu xuống dòng (U+000A)`.
recipients-character = { $kind ->
        [line-break] dấu xuống dòng
        [tab] dấu tab
        [nul] ký tự NUL
       *[control] ký tự điều khiển
    } (U+{ $code })

# Một dòng và các ô của dòng.
recipients-csv-unreadable = không đọc được tệp CSV tại đây: { $error }
recipients-field-count = dòng này có { $fields } ô nhưng dòng tiêu đề có { $header_fields } cột; hãy kiểm tra xem có thiếu hoặc thừa dấu phân cách, hay có dấu ngoặc kép chưa đóng
recipients-cell-too-large = ô này chứa { $kib } KiB văn bản; mỗi ô chỉ được chứa tối đa { $cap } KiB (có dấu ngoặc kép nào ở dòng trên chưa đóng không?)
recipients-cell-control = có chứa { $character }; hãy xóa ký tự này
recipients-cell-required-empty = đang để trống, nhưng thư cần nội dung này
recipients-organisation-empty = đang để trống: mỗi dòng phải có tên cơ quan
recipients-email-empty = đang để trống: mỗi cơ quan phải có ít nhất một địa chỉ thư điện tử
recipients-id-empty = đang để trống: mỗi dòng phải có mã riêng (hoặc bỏ cột này đi)
recipients-key-used = mã `{ $key }` đã được dùng ở { $where ->
        [row] dòng
       *[line] dòng
    } { $first }; mỗi cơ quan phải có mã riêng

# Một địa chỉ trong ô, và lý do nó không phải là địa chỉ thư điện tử.
recipients-address-no-at = `{ $item }` không phải địa chỉ thư điện tử: thiếu ký tự @
recipients-address-part-missing = `{ $item }` không phải địa chỉ thư điện tử: thiếu phần trước hoặc sau ký tự @
recipients-address-quoted-local = `{ $item }` không phải địa chỉ thư điện tử: phần lớn máy chủ thư không nhận tên đặt trong ngoặc kép trước @; hãy viết địa chỉ không có ngoặc kép
recipients-address-accented-local = `{ $item }` không phải địa chỉ thư điện tử: phần lớn máy chủ thư không nhận chữ có dấu ở phần trước @
recipients-address-local-too-long = `{ $item }` không phải địa chỉ thư điện tử: phần trước @ dài quá 64 ký tự
recipients-address-ip = `{ $item }` không phải địa chỉ thư điện tử: sau @ phải là tên miền, không phải địa chỉ IP
recipients-address-bad-domain = `{ $item }` không phải địa chỉ thư điện tử: phần sau @ không phải tên miền hợp lệ
recipients-address-incomplete-domain = `{ $item }` không phải địa chỉ thư điện tử: phần sau @ chưa phải tên miền đầy đủ
recipients-address-too-long = `{ $item }` không phải địa chỉ thư điện tử: dài quá 254 ký tự
recipients-address-not-written = `{ $item }` không phải địa chỉ thư điện tử: viết không đúng dạng địa chỉ (`Tên <địa chỉ>` hoặc chỉ địa chỉ)
recipients-address-bad-name = `{ $item }` không phải địa chỉ thư điện tử: tên trước `<` viết chưa đúng; hãy đặt tên trong ngoặc kép

# Bảng tính (`sheet`). $format là xlsx, xls hoặc ods; $kind là loại tệp mà nội dung thực ra giống.
recipients-sheet-unknown-extension = `{ $extension }` không phải phần mở rộng của bảng tính đọc được; hãy dùng .xlsx, .xlsm, .xls, .ods hoặc .csv
recipients-sheet-not-a-workbook = tệp không phải bảng tính đọc được: tệp phải là { $format ->
        [xlsx] bảng tính Excel (.xlsx)
        [xls] bảng tính Excel 97-2003 (.xls)
       *[ods] bảng tính OpenDocument (.ods)
    } ({ $reason })
recipients-sheet-looks-like = tệp không phải bảng tính đọc được: tệp phải là { $format ->
        [xlsx] bảng tính Excel (.xlsx)
        [xls] bảng tính Excel 97-2003 (.xls)
       *[ods] bảng tính OpenDocument (.ods)
    } ({ $reason }); nội dung tệp giống { $kind ->
        [ods] bảng tính OpenDocument (.ods)
        [zip] tệp nén zip, chẳng hạn bảng tính .xlsx
        [ole2] bảng tính Excel 97-2003 (.xls), hoặc bảng tính có đặt mật khẩu (hãy lưu lại không đặt mật khẩu)
        [html] trang HTML hoặc XML (một số hệ thống xuất loại này dưới tên .xls; hãy mở bằng Excel rồi lưu thành .xlsx)
       *[text] văn bản thường, chẳng hạn tệp CSV
    }
recipients-sheet-not-found = bảng tính không có trang tính nào tên "{ $wanted }"; các trang tính hiện có: { $sheets }
recipients-sheet-no-worksheet = bảng tính không có trang tính nào đang hiện để đọc (các trang tính: { $sheets }); hãy ghi tên trang tính cần đọc
# Danh sách trang tính khi bảng tính không có trang nào.
recipients-sheet-none = không có
recipients-sheet-empty = trang tính "{ $sheet }" trống: cần có dòng tiêu đề và ít nhất một dòng nơi nhận
recipients-sheet-too-many-rows = trang tính "{ $sheet }" có dữ liệu ở dòng { $row }; danh sách nơi nhận chỉ được dùng tối đa { $cap } dòng (hãy xóa phần nằm dưới danh sách)
recipients-sheet-too-many-cells = trang tính "{ $sheet }" trải rộng từ { $cells } ô trở lên tính từ dòng tiêu đề đến dòng và cột cuối cùng; chỉ đọc tối đa { $cap } ô (hãy xóa các ô lạc ở xa bên phải hoặc bên dưới)
recipients-sheet-cell-too-large = ô này chứa { $kib } KiB văn bản; mỗi ô chỉ được chứa tối đa { $cap } KiB
recipients-sheet-cell-error = ô hiện lỗi { $error } thay vì giá trị; hãy sửa ô đó (hoặc các ô mà công thức của nó dùng) trong bảng tính
# Lý do bảng tính bị hỏng, trong ngoặc của `recipients-sheet-not-a-workbook` (bên cạnh lý do của
# chính bộ đọc, bằng tiếng Anh).
recipients-sheet-reader-stopped = bộ đọc dừng lại ở chỗ dữ liệu bị hỏng: { $error }
recipients-sheet-strings-no-table = { $part } không bắt đầu bằng bảng chuỗi của nó
recipients-sheet-strings-too-many = { $part } khai báo { $count } chuỗi khác nhau, nhiều hơn mức { $cap } được đọc
recipients-sheet-xls-damaged = cấu trúc tệp bị hỏng: { $error }
recipients-sheet-xls-stream = không đọc được luồng dữ liệu của bảng tính: { $error }
recipients-sheet-xls-span = một trang tính có ô từ { $from } đến { $to }, nhiều hơn sức chứa của một trang tính .xls
recipients-sheet-xls-dimensions = một trang tính khai báo { $rows } dòng và { $cols } cột, không trang tính .xls nào có kích thước đó
