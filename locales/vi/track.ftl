# `letterpost track`: đọc các báo cáo phát thư gửi về và thông báo về chúng. Không dịch các bản
# ghi được ghi vào nhật ký, nội dung do máy chủ trả về và các trường của báo cáo.

track-no-mailbox = chưa có hộp thư để đọc báo cáo phát thư: hãy khai báo trong mục [tracking.imap] của campaign.toml (host, username), hoặc đặt biến LETTERPOST_IMAP_HOST
track-no-runtime = không khởi động được bộ chạy bất đồng bộ (async runtime)
track-looking-again = cảnh báo: { $error }; sẽ kiểm tra lại sau { $seconds } giây
track-cannot-read = không đọc được các báo cáo phát thư: { $error }
track-renumbered = lưu ý: thư mục { $folder } đã được đánh số lại (UIDVALIDITY đã thay đổi): mọi thư sẽ được đọc lại, và các báo cáo đã ghi nhận sẽ không bị ghi lần thứ hai
track-nothing-new = Không có thư mới trong { $folder }.
track-locked-watch = Một lần gửi đang giữ khóa của đợt gửi { $campaign } ({ $holder }); các báo cáo sẽ được ghi nhận ở lần kiểm tra sau.
track-locked = Một lần gửi đang giữ khóa của đợt gửi { $campaign } ({ $holder }); các báo cáo sẽ được ghi nhận ở lần kiểm tra sau (hãy chạy lại `letterpost track`).
track-log-damaged = nhật ký gửi { $log } bị hỏng tại { $broken }; chưa ghi nhận gì. Hãy chạy `letterpost log verify` trước
# $from và $subject nằm trong dấu ngoặc kép.
track-not-recorded = không ghi nhận: UID { $uid } từ { $from }, tiêu đề { $subject }: { $why }
track-names-no-letter = thư này không gắn với thư nào của đợt gửi này
track-not-handed-over = thư `{ $key }` chưa từng được chuyển cho máy chủ thư (bị từ chối trước khi gửi nội dung): báo cáo về thư này không chứng minh được gì
track-other-message-id = báo cáo ghi thư `{ $key }` với một Message-ID khác với Message-ID đã gửi ({ $sent })
track-not-its-address = báo cáo nói về địa chỉ { $named }, nhưng thư `{ $key }` không gửi đến địa chỉ đó
track-too-large = chưa đọc: thư UID { $uid } có { $size } byte, vượt giới hạn { $limit }: lần sau sẽ đọc lại, cần xem xét
track-not-returned = chưa đọc: thư UID { $uid } có trong danh sách nhưng máy chủ không trả về: lần sau sẽ đọc lại
track-uid-beyond-next = cảnh báo: máy chủ liệt kê UID { $uid } trong { $folder }, bằng hoặc vượt UIDNEXT của thư mục, không thư nào có được UID đó: bỏ qua

## Một báo cáo đã ghi nhận: $what là một trong các từ track-arrival-, đã căn lề

track-found = { $what } { $key }  { $recipient }  { $said }  (UID { $uid })
track-arrival-delivered = đã phát
track-arrival-delayed = chậm phát
track-arrival-bounced = bị trả lại
track-arrival-read = đã đọc
track-arrival-auto-reply = trả lời tự động

## Vì sao một thư trong hộp thư không phải là báo cáo mà đợt gửi dùng được

track-report-no-header = không có trường header nào: không phải là thư điện tử
track-report-no-mail-fields = không có trường header nào mà một thư điện tử phải có (From, Date, Subject, Message-ID, …)
track-report-part-missing = báo cáo multipart/report loại { $report_type } nhưng thiếu phần message/{ $report_type }
track-report-other-type = báo cáo loại { $report_type }, không liên quan đến việc phát thư hay đọc thư
track-report-none = không phải báo cáo phát thư, không phải xác nhận đã đọc, cũng không có dấu hiệu trả lời tự động
track-report-dsn-no-recipient = phần message/delivery-status không nêu nơi nhận nào
track-report-mdn-no-disposition = xác nhận đã đọc nhưng không có trường Disposition
# $format là tên hệ thống thư: qmail, Exim, Sendmail, Exchange…
track-report-quoted-bounce = có trích dẫn thư bị trả lại của { $format } nhưng do một người gửi, không phải do hệ thống thư
track-report-bounce-no-recipient = thư bị trả lại của { $format } nhưng không nêu nơi nhận nào mà chương trình đọc được
track-report-unknown-format = báo cáo phát thư từ một hệ thống thư ("{ $subject }") theo định dạng mà chương trình không đọc được

## Hộp thư IMAP. $step là một trong các từ track-imap-step- hoặc một lệnh IMAP.

track-imap-step-setup = bước chuẩn bị TLS
track-imap-step-connect = bước kết nối
track-imap-step-tls-handshake = bước bắt tay TLS
track-imap-step-greeting = bước chào của máy chủ
track-imap-cannot-connect = không kết nối được với máy chủ IMAP { $server }: { $detail } (hãy kiểm tra host và port trong [tracking.imap])
track-imap-at-step = IMAP, { $step }: { $detail }
# $username và $folder nằm trong dấu ngoặc kép.
track-imap-login-refused = máy chủ IMAP từ chối đăng nhập của { $username }: { $detail } (hãy kiểm tra username trong [tracking.imap] và mật khẩu IMAP)
track-imap-cannot-open-folder = máy chủ IMAP không mở được thư mục { $folder }: { $detail } (hãy kiểm tra folder trong [tracking.imap]; tên thư mục khác INBOX phân biệt chữ hoa, chữ thường)
track-imap-timeout = máy chủ IMAP không trả lời trong vòng { $seconds } giây ở { $step }; kết nối đã bị ngắt (hãy kiểm tra máy chủ, hoặc tăng timeout trong [tracking.imap])
track-imap-timeout-greeting = máy chủ IMAP không trả lời trong vòng { $seconds } giây ở { $step }; kết nối đã bị ngắt (hãy kiểm tra máy chủ, hoặc tăng timeout trong [tracking.imap]); máy chủ chờ TLS ngay trên cổng này (thường là 993) thì cần đặt security = "tls" trong [tracking.imap]
track-imap-cannot-read-ca-file = không đọc được tệp ca_file { $file } trong [tracking.imap]: { $error }
track-imap-ca-file-not-pem = tệp ca_file { $file } trong [tracking.imap] không phải PEM hợp lệ: { $error }
track-imap-ca-file-empty = tệp ca_file { $file } trong [tracking.imap] không chứa chứng thư nào (cần định dạng PEM, -----BEGIN CERTIFICATE-----)
track-imap-cannot-load-roots = không nạp được các chứng thư tin cậy: { $error }
track-imap-cannot-set-up-tls = không thiết lập được TLS: { $error }
track-imap-host-not-checkable = host { $host } trong [tracking.imap] không phải là tên hay địa chỉ mà TLS kiểm tra được
track-imap-certificate-refused = chứng thư của máy chủ không được chấp nhận cho { $host }: { $why } (nếu chứng thư do CA nội bộ cấp, hãy đặt ca_file trong [tracking.imap] là tệp PEM của CA đó; host trong [tracking.imap] phải là một tên có trong chứng thư)
track-imap-not-tls = TLS không thành công: { $error } (có thể máy chủ không dùng TLS trên cổng này: cổng 993 thường dùng với security = "tls", cổng 143 với "starttls")
track-imap-tls-failed = TLS không thành công: { $error }
track-imap-preauth-before-starttls = máy chủ đã đăng nhập ngay cho kết nối chưa mã hóa (PREAUTH), nên không thể dùng STARTTLS; chưa gửi gì
track-imap-no-starttls = máy chủ không hỗ trợ STARTTLS, trong khi cấu hình bắt buộc dùng ([tracking.imap] security = "starttls"); chưa gửi thông tin đăng nhập
track-imap-tls-not-prepared = TLS chưa được chuẩn bị
track-imap-no-greeting = máy chủ đóng kết nối mà không gửi lời chào
track-imap-connection-refused = máy chủ từ chối kết nối: { $text }
track-imap-not-a-greeting = không phải lời chào của máy chủ IMAP: { $response }
track-imap-no-capabilities = máy chủ không liệt kê khả năng (capability) nào
track-imap-starttls-refused = máy chủ từ chối STARTTLS: { $text }
track-imap-starttls-twice = STARTTLS trên một kết nối đã dùng TLS
track-imap-login-disabled = máy chủ không cho phép LOGIN trên kết nối này (LOGINDISABLED) và không hỗ trợ AUTH=PLAIN; hãy đặt security = "tls" hoặc "starttls" trong [tracking.imap]
track-imap-nul-in-credentials = tên đăng nhập hoặc mật khẩu chứa ký tự NUL
track-imap-line-break-in-credentials = tên đăng nhập hoặc mật khẩu chứa dấu xuống dòng hoặc ký tự NUL, mà lệnh LOGIN không truyền được
track-imap-no-folder-name = chưa nêu tên thư mục
track-imap-no-uidvalidity = máy chủ không cho biết UIDVALIDITY của { $folder }
track-imap-continue-after-end = máy chủ đòi thêm dữ liệu cho một lệnh đã gửi đủ
track-imap-continue-too-often = máy chủ đòi nhiều dữ liệu hơn nội dung của lệnh
# Chương trình nhận ra câu này quanh $text: giữ $text trong câu đúng một lần.
track-imap-bye-then-closed = máy chủ đã gửi BYE ({ $text }) và đóng kết nối
track-imap-closed = máy chủ đã đóng kết nối
track-imap-unparsable-reply = không phân tích được phản hồi của máy chủ: { $error }
track-imap-connection-failed = kết nối bị lỗi: { $error }
# $status là NO hoặc BAD.
track-imap-answered = máy chủ trả lời { $status }: { $text }
track-imap-no-text = (không có nội dung)
track-logout-unclean = cảnh báo: máy chủ IMAP không đăng xuất đúng cách: { $error }
