# Các lệnh của người kiểm tra: `log verify`, `log summary`, `log list`, `log show`, `log export`.
# Giữ nguyên từ ngữ của nhật ký: tên bản ghi (attempt, data, accepted…), `seq`, `sha256`,
# `run_started`, và các trạng thái `log list` in ra (giá trị mà `--status` nhận).

## Đọc nhật ký

audit-cannot-find = không tìm thấy { $path }
audit-no-log = đợt gửi { $campaign } chưa có nhật ký gửi ({ $log }): chưa có thư nào được gửi
audit-damaged = cảnh báo: { $log } bị hỏng tại { $broken }; nội dung dưới đây chỉ gồm các bản ghi trước chỗ hỏng (hãy chạy `letterpost log verify`)
audit-being-written = lưu ý: { $log }: dòng { $line } đang được ghi bởi lần chạy đang giữ đợt gửi; dòng này không được tính trong nội dung dưới đây

## Tình trạng thư trong bản lưu trữ; mỗi câu đứng sau "thư trong bản lưu trữ TỆP"

audit-archive-outside = có đường dẫn nằm ngoài thư mục đợt gửi
audit-archive-link = là liên kết tượng trưng (symlink), không phải tệp: tệp đã bị thay bằng một liên kết
audit-archive-not-a-file = không phải tệp thông thường: tệp đã bị thay thế
audit-archive-missing = bị thiếu
audit-archive-changed = không khớp mã băm sha256 trong bản ghi: thư đã bị thay thế hoặc sửa đổi

## log verify: các quy tắc lịch sử gửi của từng nơi nhận ($outcome và $record là tên bản ghi)

audit-finding-seq = dòng { $line } (seq { $seq }): { $message }
audit-finding = dòng { $line }: { $message }
audit-no-run-started-first = nhật ký không mở đầu bằng bản ghi run_started
audit-run-without-start = lần chạy `{ $run }` không có bản ghi run_started trước đó
audit-attempt-while-open = có lần gửi mới cho `{ $key }` trong khi lần gửi { $attempt } (seq { $seq }) chưa có kết quả
audit-attempt-out-of-order = lần gửi { $attempt } cho `{ $key }`, trong khi lần gửi tiếp theo phải là lần { $expected }
audit-message-id-changed = `{ $key }` đã đổi Message-ID từ { $before } sang { $after }
audit-report-before-data = có báo cáo phát thư loại { $name } về `{ $key }`, nhưng thư của nơi nhận này chưa từng được chuyển cho máy chủ thư
audit-report-other-message-id = báo cáo phát thư loại { $name } về `{ $key }` ghi Message-ID { $reported }, nhưng thư đã gửi có Message-ID { $sent }
audit-report-not-its-address = báo cáo phát thư loại { $name } về `{ $key }` nói về địa chỉ { $recipient }, nhưng thư không gửi đến địa chỉ đó
audit-data-without-attempt = bản ghi data của `{ $key }` không có lần gửi (attempt) nào trước đó
audit-second-data = có bản ghi data thứ hai cho `{ $key }`
audit-outcome-without-attempt = bản ghi { $outcome } của `{ $key }` không có lần gửi (attempt) nào trước đó
audit-outcome-without-data = bản ghi { $outcome } của `{ $key }`, nhưng thư chưa từng được gửi đi (không có bản ghi data)
audit-outcome-without-reason = bản ghi { $outcome } của `{ $key }` không có phản hồi của máy chủ thư, cũng không có thông báo lỗi
audit-accepted-twice = `{ $key }` được nhận lần thứ hai mà không có yêu cầu gửi lại
audit-not-its-attempt = bản ghi { $record } của `{ $key }` không khớp với lần gửi { $attempt } (seq { $seq }) của nó
audit-checkpoint-not-a-hash = --checkpoint `{ $text }` không phải là mã băm cuối: phải là 64 chữ số thập lục phân mà một lần chạy đã in sau `Mã băm cuối của nhật ký:`; nhật ký chưa được kiểm tra

## log verify: kết luận

audit-failed-chain = { $log }: KHÔNG ĐẠT tại { $broken }
audit-failed-reordered = { $log }: KHÔNG ĐẠT tại { $broken }; bản ghi có seq { $expected } nằm ở phía dưới, tại dòng { $line }: các dòng đã bị đảo thứ tự
audit-failed-deleted = { $log }: KHÔNG ĐẠT tại { $broken }; không dòng nào có seq { $expected }: đã có dòng bị xóa
audit-failed-repeated = { $log }: KHÔNG ĐẠT tại { $broken }; seq { $found } đã có ở dòng { $line }: có một dòng bị chèn thêm hoặc lặp lại trước dòng này
audit-trusted-up-to = Các bản ghi trước dòng { $line } còn nguyên vẹn; không thể tin bất kỳ bản ghi nào từ dòng { $line } trở đi.
audit-failed-finding = { $log }: KHÔNG ĐẠT tại { $finding }
audit-failed-archive = { $log }: KHÔNG ĐẠT tại dòng { $line } (seq { $seq }): thư trong bản lưu trữ { $archive } { $why }
audit-archives-failing = (tổng cộng { $count } thư trong bản lưu trữ không đạt bước kiểm tra này)
audit-checkpoint-found = Điểm kiểm tra { $checkpoint } là bản ghi có seq { $seq }; sau đó còn { $after } bản ghi.
audit-checkpoint-missing = { $log }: KHÔNG ĐẠT: không bản ghi nào có mã băm của điểm kiểm tra { $checkpoint }: nhật ký đã bị viết lại hoặc bị cắt bớt kể từ khi lấy điểm kiểm tra đó
audit-ok = { $log }: ĐẠT: { $records } bản ghi trong { $runs } lần chạy; chuỗi băm còn nguyên vẹn; lịch sử gửi của từng nơi nhận đúng trình tự; { $archives } thư trong bản lưu trữ khớp với bản ghi.
audit-head = Mã băm cuối: { $head }

## log summary

audit-summary-heading = Đợt gửi { $campaign } — nhật ký gửi { $log }
audit-run = Lần chạy { $run } ({ $mode }) do { $operator } thực hiện trên máy { $host }, { $tool }
audit-run-finished = {"  "}bắt đầu { $started }, kết thúc { $finished }
audit-run-stopped = {"  "}bắt đầu { $started }, dừng lúc { $stopped }: { $why }
audit-run-unfinished = {"  "}bắt đầu { $started }, không kết thúc (tiến trình đã dừng mà không đóng lần chạy)
audit-run-counts = {"  "}đã nhận { $accepted }, bị từ chối { $rejected }, tạm hoãn { $deferred }, chưa rõ { $unknown }, bỏ qua (đã xong từ trước) { $skipped }, chưa gửi { $pending }
audit-run-inputs = {"  "}tệp đầu vào: { $inputs }
# Một trạng thái và số nơi nhận ở trạng thái đó, trong danh sách nối bằng ", ".
audit-state-count = { $state } { $count }
audit-summary-recipients = Số nơi nhận trong nhật ký: { $count } — { $states }
audit-summary-reports = Báo cáo phát thư: { $reported } thư đã có báo cáo; đã nhận nhưng chưa có báo cáo: { $waiting }; thư chưa rõ nay đã được báo cáo làm rõ: { $settled }
audit-summary-no-dsn = Ở lần gửi gần nhất, máy chủ thư không hỗ trợ báo cáo phát thư (DSN): chỉ thấy được thư bị trả lại và xác nhận đã đọc, nên "đã nhận nhưng chưa có báo cáo" không chứng minh thêm điều gì.
audit-summary-not-accepted = Chưa được nhận, hoặc bị trả lại sau khi máy chủ thư đã nhận:
audit-summary-not-accepted-line = {"  "}{ $key } ({ $organisation }): { $state } lúc { $time } — { $happened }
audit-summary-next = {"      "}việc cần làm: { $next }

## log list ($state là từ mà `--status` nhận, đã căn lề)

audit-bad-status = --status { $error }
audit-bad-since = --since `{ $since }` không phải là thời điểm hợp lệ, ví dụ 2026-11-26T08:00:00Z hoặc 2026-11-26
audit-list-line = { $state } { $time }  { $key }  số lần gửi { $attempts }  { $message_id }  { $to }
audit-list-shown = { $shown }/{ $total } nơi nhận

## log show ($record là tên bản ghi, đã căn lề)

audit-show-no-record = nhật ký không có bản ghi nào về `{ $key }`
audit-show-state = { $key }: { $state } — { $next }
audit-show-organisation = cơ quan: { $organisation }
audit-show-to = địa chỉ nhận: { $to }
audit-history = seq { $seq } { $time }  { $record } lần gửi thứ { $attempt }
audit-history-test = seq { $seq } { $time }  { $record } lần gửi thứ { $attempt } (gửi thử)
# Bước SMTP nơi có kết quả (connect, rcpt, data…).
audit-history-stage = [ở bước { $stage }]
audit-history-message = {"           "}thư { $archive }  sha256 { $sha256 }  ({ $check })
audit-history-report = {"           "}báo cáo { $archive }  sha256 { $sha256 }  UID { $uid }  ({ $check })
audit-archive-matches = khớp
audit-archive-does-not-match = KHÔNG KHỚP

## log export

audit-xlsx-needs-file = --xlsx ghi ra một bảng tính nên cần có tệp: hãy thêm -o FILE
audit-cannot-write = không ghi được { $file }
audit-cannot-create = không tạo được { $file }
audit-exported = đã ghi { $count } nơi nhận vào { $file }
