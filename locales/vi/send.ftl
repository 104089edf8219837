# Gửi thư, chạy thử, kiểm tra và xem trước, như người gửi đọc.

send-nothing-sent-or-written = chưa gửi thư nào, chưa ghi tệp nào
send-nothing-written = chưa ghi tệp nào
send-check-passed = { $list }: { $count } nơi nhận; mọi thư và phụ lục đều ghép được; không có lỗi
# $unit: `line` (tệp CSV) hoặc `row` (bảng tính); tiếng Việt đều là «dòng».
send-preview-no-such-row = trong { $list } không có nơi nhận nào có { $unit ->
       *[other] số dòng
    } hoặc mã là `{ $row }`
send-preview-empty = { $list } không có nơi nhận nào
send-cannot-write = không ghi được { $file }
send-wrote-html = đã ghi phần HTML vào { $file }
send-wrote-message = đã ghi thư vào { $file }
send-wrote-pdf = đã ghi văn bản vào { $file }
send-preview-no-document = đợt gửi này không dàn trang văn bản nào: `--pdf` cần một tệp đính kèm có `template = "….typ"` trong campaign.toml
# Thẳng cột với `From:       ` và các tiêu đề khác của bản xem trước.
send-preview-attachment = Phụ lục:    { $file } ({ $bytes } byte)
send-preview-row = Dòng:       { $line } (mã { $key })
send-nothing-to-send = Không có thư nào cần gửi: { $selection }.
send-cannot-send = không gửi được
send-nothing-was-sent = Chưa gửi thư nào.
send-note = lưu ý: { $note }
send-note-source-date-epoch = lưu ý: SOURCE_DATE_EPOCH đã được đặt: mọi thư đều ghi ngày { $date } thay cho thời điểm gửi, và nhật ký gửi có ghi lại việc này
send-log-damaged-after-run = đọc lại nhật ký gửi thì thấy bị hỏng tại { $place }
send-log-head = Mã băm cuối của nhật ký: { $head } (hãy lưu lại: lệnh `letterpost log verify --checkpoint { $head }` chứng minh nhật ký không bị viết lại)
send-stopped-early = Đã dừng giữa chừng: { $why }
send-resume = Để gửi tiếp, chạy: { $command }
send-nothing-to-resume = Mọi thư lần chạy này đã chọn đều đã có kết quả; không còn thư nào phải gửi tiếp.
send-torn-tail = cảnh báo: dòng cuối của { $log } chưa ghi xong (máy dừng khi đang ghi); dòng đó đã được chuyển sang { $aside } và nhật ký được ghi tiếp sau bản ghi đầy đủ cuối cùng
send-log-damaged = nhật ký gửi { $log } bị hỏng tại { $place }; chưa gửi thư nào. Hãy chạy `letterpost log verify` và giữ một bản sao nhật ký cho người kiểm tra trước khi làm bất cứ việc gì khác
send-input-changed = { $file } đã thay đổi sau khi được kiểm tra; chưa gửi thư nào. Hãy chạy lại lệnh: lệnh sẽ kiểm tra bản mới trước
send-dry-run-done = Chạy thử: đã ghi { $written } thư cho { $count } nơi nhận vào { $outbox } (kèm manifest.jsonl); chưa gửi thư nào.
send-needs-confirmation = gửi thật thì phải xác nhận: hãy chạy lệnh ở cửa sổ dòng lệnh để được hỏi, hoặc thêm --yes (nên chạy thử `letterpost send --dry-run` trước); chưa gửi thư nào
# Câu trả lời là `có` hoặc `yes` (ở mọi ngôn ngữ đều nhận cả hai).
send-confirm = Gửi { $count } thư qua { $relay }? Gõ có (hoặc yes) để gửi:
send-confirm-test = GỬI THỬ { $count } thư đến { $to } qua { $relay }? Gõ có (hoặc yes) để gửi:
send-cannot-read-answer = không đọc được câu trả lời

## Cuối lần chạy.

send-input-changed-since-last-run = { $file } đã thay đổi so với lần chạy trước ({ $last_run }); thư đã được nhận sẽ không gửi lại
send-last-run = lần chạy { $run } lúc { $time }
send-campaign-summary = Đợt gửi { $campaign }: { $accepted }/{ $total } nơi nhận đã nhận thư, { $not_accepted } nơi chưa nhận, chưa gửi cho { $not_sent } nơi.
send-this-run = Lần chạy này: { $accepted } đã nhận, { $rejected } bị từ chối, { $deferred } tạm hoãn, { $unknown } chưa rõ.
send-not-accepted = Chưa nhận:
# Một nơi nhận chưa nhận thư; $state là tên trạng thái, $next là việc cần làm.
send-not-accepted-line = { $key } (dòng { $line }, { $organisation }): { $state } — { $reply }. { $next }
send-test-report = Gửi thử: máy chủ thư đã nhận { $accepted }/{ $jobs } thư gửi thử ({ $rejected } bị từ chối, { $deferred } tạm hoãn, { $unknown } chưa rõ); thư gửi thử không bao giờ được tính là nơi nhận đã nhận thư.

## Những thư một lần chạy sẽ gửi.

send-selection = { $accepted }/{ $total } nơi nhận đã nhận thư, { $waiting } nơi chờ người gửi quyết định
send-only-unknown-keys = { $flag }: không có nơi nhận nào mang mã { $keys }
send-resend-unknown-not-unknown = --resend-unknown `{ $key }`: thư này không ở trạng thái chưa rõ (hiện là: { $state }); chưa gửi thư nào
send-not-attempted-yet = chưa gửi lần nào
send-key-column-gone = nhật ký gửi nhận biết mỗi cơ quan theo cột `{ $old }`, nhưng { $list } không còn cột đó, nên mã của mỗi dòng sẽ là địa chỉ đầu tiên của dòng. Mã sẽ không khớp với các thư đã gửi, nên có cơ quan có thể nhận thư hai lần; chưa gửi thư nào. Để tiếp tục, hãy thêm lại cột `{ $old }` vào { $list } (chữ hoa hay chữ thường đều được), hoặc khai báo cột chứa các mã đó trong campaign.toml: [recipients.columns] id = "…".
send-key-column-added = nhật ký gửi nhận biết mỗi cơ quan theo địa chỉ đầu tiên của mỗi dòng (danh sách trước đây không có cột `id`), nhưng { $list } nay lấy mã từ cột `{ $new }`. Mã sẽ không khớp với các thư đã gửi, nên có cơ quan có thể nhận thư hai lần; chưa gửi thư nào. Để tiếp tục, hãy xóa hoặc đổi tên cột `{ $new }` để mã vẫn là địa chỉ đầu tiên.
send-key-column-renamed = nhật ký gửi nhận biết mỗi cơ quan theo cột `{ $old }`, nhưng { $list } nay lấy mã từ cột `{ $new }`. Mã sẽ không khớp với các thư đã gửi, nên có cơ quan có thể nhận thư hai lần; chưa gửi thư nào. Để tiếp tục, hãy đặt lại tên `{ $old }` cho cột mã, hoặc khai báo trong campaign.toml: [recipients.columns] id = "{ $old }".
send-second-letter-line = dòng { $line } (mã `{ $key }`): { $address } đã nhận thư này theo mã `{ $earlier }`
send-second-letter-more = … và { $count } dòng khác
# $lines: mỗi dòng là một `send-second-letter-line`.
send-second-letter =
    { $count } thư sẽ gửi đến địa chỉ đã nhận thư của đợt gửi này theo một mã khác; chưa gửi thư nào:
    { $lines }
    Nếu dòng đó chính là cơ quan đã nhận thư, hãy trả lại mã cũ cho dòng đó trong { $list }. Nếu đó thật sự là một cơ quan khác dùng chung địa chỉ, hãy chủ động gửi thư cho cơ quan đó bằng `letterpost send --only KEY`.

## Tạo thư và gửi thư.

send-cannot-build = không tạo được thư: { $error }
send-list-empty = danh sách có dòng tiêu đề nhưng không có nơi nhận nào
send-cannot-start-runtime = không khởi động được bộ chạy bất đồng bộ (async runtime)
# Ghi chú trên thanh tiến độ sau mỗi thư: mã nơi nhận và kết quả.
send-progress-note = { $key } { $state }
send-lost-after-sending = cảnh báo: { $key }: mất kết nối sau khi thư đã được gửi đi ({ $failure }); thư có thể đã đến nơi, nên sẽ không được tự động gửi lại
send-stopping = Đang dừng: chờ gửi xong các thư đang gửi dở (nhấn Ctrl-C lần nữa để thoát ngay)…
send-quitting = Thoát ngay; lần chạy sau sẽ xử lý các thư đang gửi dở.

## Lý do một lần chạy dừng lại (nhật ký vẫn ghi bằng tiếng Anh, từ mã nguồn).

send-stop-interrupted = người gửi đã cho dừng
send-stop-hung-up = cửa sổ dòng lệnh đã bị đóng (SIGHUP)
send-stop-worker-failed = một luồng gửi thư bị lỗi: { $error }
send-stop-sender-refused = máy chủ thư từ chối nhận thư của đơn vị gửi: { $failure }
# $relay: `máy:cổng (bảo mật)`; $failure: bước SMTP và câu trả lời của máy chủ, hoặc lỗi.
send-stop-authentication = xác thực không thành công: { $relay } { $failure }
send-stop-tls = không thiết lập được TLS: { $relay } { $failure }
send-stop-unreachable = không kết nối được máy chủ thư: { $relay } { $failure }
send-stop-log-not-written = { $error }; không gửi thêm thư nào khi chưa ghi được bản ghi của thư đó
send-stop-not-built-again = một thư đã kiểm tra không tạo lại được: { $what }
send-stop-rows-missing = một thư đã kiểm tra không tạo lại được: { $count } nơi nhận đã chọn không còn trong danh sách
send-message-too-large = thư nặng { $size } byte, vượt quá [sending] max_message_size ({ $max } byte)
send-document-unfinished = [document] { $keys } vẫn còn trống hoặc chưa điền; hãy điền số và ngày của văn bản trước khi gửi thật
send-document-unfinished-warning = cảnh báo: { $file }: [document] { $keys } vẫn còn trống hoặc chưa điền; khi gửi thật, lệnh sẽ từ chối
