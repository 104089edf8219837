# Tệp đính kèm ([[attachments]] trong campaign.toml) và các tệp PDF trong đó.
attach-missing = không có tệp đính kèm { $file }
attach-cannot-read = không đọc được tệp đính kèm { $file }: { $error }
attach-empty = tệp đính kèm { $file } rỗng
attach-bad-pdf = tệp đính kèm { $file } { $why }
attach-not-pdf = không phải tệp PDF (không bắt đầu bằng %PDF-), dù tên có đuôi .pdf
attach-pdf-damaged = là tệp PDF bị hỏng: { $error }
attach-outside-folder = đường dẫn tệp đính kèm { $file } trỏ ra ngoài thư mục chiến dịch
attach-name-empty = tên tệp đính kèm thứ { $number } bị trống
attach-name-bad = tên tệp đính kèm thứ { $number } (`{ $name }`) không dùng làm tên tệp được
attach-pdf-signed = { $file }: ký bởi { $signer } lúc { $time }
attach-pdf-unsigned = { $file }: chưa có chữ ký số
attach-pdf-unknown = (không ghi)
