# Phần trợ giúp của dòng lệnh (`letterpost --help`, `letterpost send --help`, trang hướng dẫn man).
# Khóa: cli-<lệnh>-about (dòng đầu), -long (toàn văn của `--help`), cli-<lệnh>-arg-<tham số>
# cho từng tham số; cli-arg-<tham số> cho các tham số dùng chung. Mỗi đoạn viết trên một dòng.

## cli
cli-about = Gửi cho từng cơ quan trong danh sách nơi nhận một thư riêng, kèm phụ lục
cli-long =
    Gửi cho từng cơ quan trong danh sách nơi nhận một thư riêng, kèm phụ lục.

    Mỗi đợt gửi là một thư mục gồm campaign.toml, templates/ và recipients/. Trước hết chạy `letterpost check` để kiểm tra, xem trước một thư bằng `letterpost preview`, chạy thử toàn bộ bằng `letterpost send --dry-run`, rồi gửi thật bằng `letterpost send`. Mỗi thư đã gửi đều được ghi vào nhật ký gửi (logs/<đợt gửi>.jsonl); lệnh `letterpost log` đọc nhật ký này.

    Mã thoát: 0 mọi nơi nhận đều đã nhận thư; 1 đã chạy xong nhưng có nơi bị từ chối, tạm hoãn, chưa rõ kết quả hoặc chưa gửi; 2 không bắt đầu được và chưa gửi thư nào; 3 dừng giữa chừng.
cli-arg-campaign = Thư mục của đợt gửi, hoặc tệp campaign.toml của nó [mặc định: thư mục hiện tại, hoặc thư mục gần nhất phía trên có tệp campaign.toml]
cli-arg-recipients = Đọc danh sách nơi nhận từ tệp CSV hoặc bảng tính (.xlsx, .xls, .ods) này thay cho tệp ghi trong campaign.toml (ví dụ một danh sách ngắn để gửi thử)
cli-arg-verbose = In thêm chi tiết về việc đang làm (-vv để in chi tiết hơn nữa)
cli-arg-quiet = Chỉ in các lỗi

## cli-check
cli-check-about = Kiểm tra đợt gửi, không gửi thư nào
cli-check-long =
    Kiểm tra đợt gửi, không gửi thư nào

    Đọc campaign.toml, mọi mẫu thư và mọi dòng của danh sách nơi nhận, ghép từng thư và phụ lục, rồi báo cùng lúc mọi lỗi kèm tệp, dòng và cột. Không ghi gì và không kết nối mạng.

## cli-preview
cli-preview-about = Xem trước một thư đã ghép đúng như khi gửi
cli-preview-long =
    Xem trước một thư đã ghép đúng như khi gửi

    In nội dung thư dạng văn bản của một nơi nhận ra màn hình, hoặc ghi phần HTML hay toàn bộ thư ra tệp để mở bằng trình duyệt hoặc chương trình thư. Không kết nối mạng.
cli-preview-arg-row = Nơi nhận nào: số dòng trong tệp CSV (như trình soạn thảo hiển thị; dòng tiêu đề là dòng 1), số dòng trong bảng tính, hoặc mã của nơi nhận [mặc định: nơi nhận đầu tiên]
cli-preview-arg-html = Ghi phần HTML của thư ra tệp FILE để mở bằng trình duyệt
cli-preview-arg-eml = Ghi toàn bộ thư, đúng từng byte như khi gửi, ra tệp FILE (.eml)
cli-preview-arg-pdf = Ghi văn bản đã dàn trang của thư (công văn) ra tệp FILE (.pdf); văn bản thứ hai ra FILE-2.pdf, và cứ thế tiếp

## cli-send
cli-send-about = Gửi đợt thư (hoặc, với --dry-run, chạy thử vào thư mục outbox)
cli-send-long =
    Gửi đợt thư (hoặc, với --dry-run, chạy thử vào thư mục outbox)

    Kiểm tra mọi thứ trước; nếu có lỗi thì không gửi thư nào. Sau đó gửi cho mỗi cơ quan một thư qua máy chủ thư (SMTP) ghi trong campaign.toml và ghi từng thư vào nhật ký gửi. Chạy lại thì gửi tiếp phần còn lại: cơ quan nào máy chủ đã nhận thư thì không bao giờ bị gửi lần nữa.
cli-send-arg-dry_run = Không gửi gì: ghi mỗi cơ quan một tệp .eml và một bản kê vào outbox/<đợt gửi>/
cli-send-arg-yes = Không hỏi xác nhận trước khi gửi
cli-send-arg-limit = Lần chạy này gửi nhiều nhất N thư (phần còn lại để lần chạy sau)
cli-send-arg-only = Chỉ gửi cho các nơi nhận này (theo mã: cột id, hoặc địa chỉ thư đầu tiên)
cli-send-arg-redirect_to = Gửi thử: ghép đúng các thư thật nhưng gửi tất cả đến địa chỉ ADDR, tiêu đề có ghi là thư gửi thử; nhật ký ghi là gửi thử và không bao giờ tính là nơi nhận đã nhận thư
cli-send-arg-retry_failed = Gửi lại cả cho các nơi nhận mà máy chủ đã từ chối thư ở lần chạy trước
cli-send-arg-resend_unknown = Gửi lại cho các nơi nhận này, và chỉ những nơi này, khi chưa rõ thư trước đã đến hay chưa (mất kết nối sau khi đã gửi thư); thư giữ nguyên Message-ID
cli-send-arg-concurrency = Số kết nối tối đa đến máy chủ thư [mặc định: concurrency trong mục [sending], hoặc 1]
cli-send-arg-rate = Số thư gửi tối đa mỗi phút, giờ hoặc ngày, ví dụ 30/minute hoặc 500/day, tính gộp mọi lần chạy; `unlimited` là không giới hạn [mặc định: rate trong mục [sending]]

## cli-log
cli-log-about = Đọc nhật ký gửi: ai đã nhận thư gì, khi nào, và nhật ký có còn nguyên vẹn không
cli-arg-log = Đọc nhật ký gửi này thay cho nhật ký của đợt gửi (ví dụ bản sao giao cho người kiểm tra, có thư mục archive/ nằm cạnh thư mục logs/); không cần campaign.toml

## cli-log-summary
cli-log-summary-about = Theo từng lần chạy: ai chạy, khi nào, với dữ liệu nào, bao nhiêu thư có kết quả ra sao; sau đó là mọi cơ quan chưa nhận thư, kèm trả lời của máy chủ và việc cần làm tiếp
cli-log-summary-arg-json = In dạng JSON thay cho văn bản

## cli-log-list
cli-log-list-about = Mỗi cơ quan một dòng, kèm tình trạng hiện tại
cli-log-list-arg-status = Chỉ các cơ quan ở tình trạng này (accepted, rejected, deferred, unknown, hoặc interrupted: lần chạy đã dừng trước khi kịp gửi)
cli-log-list-arg-since = Chỉ các cơ quan có bản ghi cuối cùng từ thời điểm này trở đi (RFC 3339, ví dụ 2026-11-26T08:00:00Z, hoặc một ngày như 2026-11-26)

## cli-log-show
cli-log-show-about = Mọi điều nhật ký ghi về một cơ quan: từng lần gửi, trả lời của máy chủ, Message-ID, thư đã lưu trữ và mã băm của nó
cli-log-show-arg-key = Mã của nơi nhận

## cli-log-export
cli-log-export-about = Mỗi cơ quan một dòng kèm tình trạng cuối cùng, để mở bằng bảng tính
cli-log-export-arg-csv = Ghi dạng CSV (UTF-8 có BOM, mở an toàn bằng Excel hoặc LibreOffice) [mặc định]
cli-log-export-arg-json = Ghi dạng JSON Lines
cli-log-export-arg-xlsx = Ghi thành bảng tính Excel (.xlsx) vào tệp nêu ở -o: mọi chữ là ô văn bản (không bao giờ là công thức), thời gian là ngày giờ theo UTC, dòng tiêu đề được cố định
cli-log-export-arg-output = Ghi ra tệp FILE thay vì ra màn hình

## cli-log-verify
cli-log-verify-about = Kiểm tra nhật ký còn nguyên vẹn: chuỗi băm, thứ tự, từng thư đã lưu trữ
cli-log-verify-arg-checkpoint = Mã băm cuối được in ra khi kết thúc một lần chạy mà bạn đã lưu lại; nhật ký phải còn bản ghi có mã băm đó (các bản ghi của những lần chạy sau có thể nối tiếp)

## cli-track
cli-track-about = Đọc các báo cáo gửi về (đã phát, chậm phát, bị trả lại, đã đọc, trả lời tự động)
cli-track-long =
    Đọc các báo cáo gửi về (đã phát, chậm phát, bị trả lại, đã đọc, trả lời tự động)

    Đọc các thư mới đến hộp thư nhận báo cáo (mục [tracking.imap] trong campaign.toml) kể từ lần đọc trước, khớp từng báo cáo với thư đã gửi và ghi điều nó chứng minh vào nhật ký gửi, kèm nguyên văn báo cáo trong archive/. Không bao giờ xóa, chuyển hay đánh dấu đã đọc thư nào. Mã thoát: 0 đã đọc và không có thư bị trả lại; 1 có ít nhất một thư bị trả lại; 2 cấu hình sai; 3 không kết nối, đăng nhập hoặc mở được thư mục thư.
cli-track-arg-watch = Đọc tiếp theo chu kỳ poll (giây) trong mục [tracking] (mặc định 60) cho đến khi bấm Ctrl-C

## cli-init
cli-init-about = Tạo thư mục đợt gửi mới từ mẫu có sẵn (thư về trang fanpage)
cli-init-arg-dir = Thư mục cần tạo; phải chưa có hoặc đang trống
cli-init-arg-xlsx = Ghi danh sách nơi nhận mẫu thành bảng tính Excel (recipients/organisations.xlsx) thay cho tệp CSV

## cli-completions
cli-completions-about = In đoạn mã gợi ý lệnh cho trình shell của bạn, để phím Tab tự điền lệnh và tham số
cli-completions-long =
    In đoạn mã gợi ý lệnh cho trình shell của bạn, để phím Tab tự điền lệnh và tham số

    bash: `letterpost completions bash > ~/.local/share/bash-completion/completions/letterpost`; zsh: `letterpost completions zsh > _letterpost` trong một thư mục thuộc $fpath; fish: `letterpost completions fish > ~/.config/fish/completions/letterpost.fish`; PowerShell: thêm `letterpost completions powershell | Out-String | Invoke-Expression` vào $PROFILE.
cli-completions-arg-shell = Trình shell cần gợi ý: bash, zsh, fish hoặc powershell

## cli-man
cli-man-about = In trang hướng dẫn (man, dạng roff) của letterpost hoặc của một lệnh
cli-man-long =
    In trang hướng dẫn (man, dạng roff) của letterpost hoặc của một lệnh

    Đọc bằng `letterpost man | man -l -`, hoặc cài đặt bằng `letterpost man > ~/.local/share/man/man1/letterpost.1`. `letterpost man send` in trang của lệnh `send` (letterpost-send(1)), `letterpost man log verify` in trang của `log verify`.
cli-man-arg-command = Lệnh (và lệnh con) cần in trang hướng dẫn [mặc định: trang của chính letterpost]

## Tham số dùng chung và các phần clap tự thêm

cli-arg-lang = Ngôn ngữ của thông báo và trợ giúp: vi (tiếng Việt) hoặc en (tiếng Anh) [mặc định: LETTERPOST_LANG, nếu không có thì theo locale (LC_ALL, LC_MESSAGES, LANG), nếu không nữa thì tiếng Anh]
cli-arg-help = In trợ giúp
cli-arg-help-summary = In trợ giúp (xem đầy đủ hơn với '--help')
cli-arg-help-long = In trợ giúp (xem bản tóm tắt với '-h')
cli-arg-version = In số phiên bản
cli-help-about = In trợ giúp này hoặc trợ giúp của (các) lệnh con đã nêu
cli-help-arg-subcommand = In trợ giúp của (các) lệnh con
cli-heading-usage = Cách dùng:
cli-heading-commands = Lệnh
cli-heading-arguments = Đối số
cli-heading-options = Tùy chọn

## Lỗi gõ lệnh, letterpost tự báo bằng tiếng Việt (clap chỉ báo bằng tiếng Anh)

cli-error-command = không có lệnh '{ $command }'
cli-error-argument = không có tham số '{ $argument }'
cli-error-no-value = '{ $argument }' cần có giá trị đi kèm
cli-error-value = giá trị '{ $value }' không hợp lệ cho '{ $argument }'
cli-error-missing = còn thiếu tham số bắt buộc: { $arguments }
cli-error-conflict = không dùng được '{ $argument }' cùng với '{ $other }'
cli-error-values = các giá trị hợp lệ: { $values }
cli-error-tip-command = gợi ý: có lệnh gần giống: '{ $tip }'
cli-error-tip-argument = gợi ý: có tham số gần giống: '{ $tip }'
cli-error-tip-value = gợi ý: có giá trị gần giống: '{ $tip }'
cli-error-help = Xem thêm bằng '--help'.
