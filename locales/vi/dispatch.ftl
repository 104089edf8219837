# Chuẩn bị máy chủ thư, thư mục outbox của lần chạy thử và khóa đợt gửi. Câu trả lời của máy
# chủ thư và lý do gửi không được đều ghi nguyên văn vào nhật ký, không qua tệp này.

dispatch-no-password = [smtp] username đã được đặt nhưng không có mật khẩu
dispatch-cannot-read-ca = không đọc được tệp CA { $file }
dispatch-ca-not-pem = tệp CA { $file } không phải là chứng thư PEM: { $error }
dispatch-cannot-set-up-tls = không thiết lập được TLS: { $error }

## Thư mục outbox của lần chạy thử.

dispatch-outbox-no-parent = thư mục outbox không có thư mục cha
dispatch-outbox-no-name = thư mục outbox không có tên
dispatch-cannot-create = không tạo được { $file }
dispatch-cannot-create-manifest = không tạo được bản kê
dispatch-cannot-write = không ghi được { $file }
dispatch-cannot-write-manifest = không ghi được bản kê
dispatch-cannot-remove = không xóa được { $file }
dispatch-cannot-replace-outbox = không thay được thư mục outbox cũ { $outbox }
dispatch-cannot-move-outbox = không chuyển được thư mục outbox vào { $outbox }
dispatch-cannot-read = không đọc được { $file }
dispatch-outbox-is-a-link = thư mục outbox { $outbox } là một liên kết tượng trưng (symbolic link): chạy thử không bao giờ ghi qua liên kết (hãy xóa liên kết rồi chạy lại); chưa ghi tệp nào
dispatch-outbox-not-a-folder = { $outbox } đang chiếm chỗ của thư mục outbox: đó không phải là thư mục, mà chạy thử cần ghi một thư mục vào đó (hãy chuyển nó đi nơi khác rồi chạy lại); chưa ghi tệp nào
# $names: năm tệp đầu tiên; $more: số tệp còn lại.
dispatch-outbox-not-ours = thư mục outbox { $outbox } có các tệp không do letterpost ghi: { $names }{ $more ->
        [0] {""}
       *[other] {" "}và { $more } tệp khác
    }. Chạy thử sẽ thay thư mục đó nhưng không bao giờ xóa những gì nó không ghi: hãy chuyển các tệp đó đi nơi khác rồi chạy lại; chưa ghi tệp nào

## Khóa đợt gửi.

# $holder: nội dung tệp khóa về lần chạy đang giữ khóa (`pid … on … since …`).
dispatch-campaign-locked = đợt gửi { $campaign } đang được một lần chạy letterpost khác sử dụng ({ $holder }); hãy chờ lần chạy đó kết thúc
dispatch-cannot-open-lock = không mở được tệp khóa đợt gửi { $file }; chưa gửi thư nào
dispatch-cannot-lock = không khóa được { $file }
dispatch-cannot-use-log = không dùng được nhật ký gửi { $file }; chưa gửi thư nào
