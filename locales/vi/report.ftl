# Lỗi, tiến độ và hàng chờ gửi lại, như `report` in ra stderr.

report-problem = lỗi: { $problem }
report-problems-found = Có { $count } lỗi; { $what_happened }
# Mẫu của thanh tiến độ (indicatif): {bar:30} {pos} {len} {per_sec} {eta} {msg} do thanh tự điền.
report-bar = {"{"}bar:30{"}"} {"{"}pos{"}"}/{"{"}len{"}"} thư  {"{"}per_sec{"}"}  còn khoảng {"{"}eta{"}"}  {"{"}msg{"}"}
report-progress = tiến độ: { $done }/{ $total } thư, { $rate } thư/giây, còn khoảng { $seconds_left } giây
report-note-waiting = { $note }; đang chờ: { $waiting }
report-idle = đang chờ: { $waiting }
report-waiting = { $letters } thư bị máy chủ tạm hoãn, { $seconds ->
        [0] gửi lại ngay
       *[other] gửi lại sau { $seconds } giây
    }
