# Những gì `main` tự in: dòng kết thúc một lần chạy bị lỗi, và các lưu ý trước khi chạy lệnh.

main-error = lỗi: { $error }
main-unknown-language = cảnh báo: LETTERPOST_LANG={ $value } không phải ngôn ngữ letterpost hỗ trợ (vi, en); bỏ qua giá trị này
main-using = lưu ý: dùng { $file }
main-not-a-command = `letterpost { $command }` không phải là lệnh: xem danh sách lệnh bằng `letterpost --help`
main-cannot-write-man = không ghi được trang hướng dẫn: { $error }
main-cannot-write-stdout = không ghi được ra màn hình: { $error }
