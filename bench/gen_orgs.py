#!/usr/bin/env python3
"""Writes a recipient list of N Vietnamese organisations for the benchmark.

    python3 bench/gen_orgs.py N OUT.csv [--seed S]

Columns: id,organisation,email,cc,group (the columns of recipients/organisations.csv). The list is
deterministic for a given N and seed. Every id and every address is unique; every address is at a
`.example` domain (RFC 2606), so nothing could ever reach a real mailbox. About one row in ten has
two addresses in `email` (comma-separated, a quoted cell) and about one in five has a `cc`, so both
tools send some envelopes with several recipients, as a real provincial list does.

Only the standard library is used.
"""

import argparse
import csv
import random
import sys
import unicodedata

# The 63 provinces and centrally-run cities (before the 2025 merger, as in the 2022 letter).
PROVINCES = [
    ("thành phố", "Hà Nội"), ("thành phố", "Hồ Chí Minh"), ("thành phố", "Hải Phòng"),
    ("thành phố", "Đà Nẵng"), ("thành phố", "Cần Thơ"), ("tỉnh", "An Giang"),
    ("tỉnh", "Bà Rịa - Vũng Tàu"), ("tỉnh", "Bắc Giang"), ("tỉnh", "Bắc Kạn"),
    ("tỉnh", "Bạc Liêu"), ("tỉnh", "Bắc Ninh"), ("tỉnh", "Bến Tre"), ("tỉnh", "Bình Định"),
    ("tỉnh", "Bình Dương"), ("tỉnh", "Bình Phước"), ("tỉnh", "Bình Thuận"), ("tỉnh", "Cà Mau"),
    ("tỉnh", "Cao Bằng"), ("tỉnh", "Đắk Lắk"), ("tỉnh", "Đắk Nông"), ("tỉnh", "Điện Biên"),
    ("tỉnh", "Đồng Nai"), ("tỉnh", "Đồng Tháp"), ("tỉnh", "Gia Lai"), ("tỉnh", "Hà Giang"),
    ("tỉnh", "Hà Nam"), ("tỉnh", "Hà Tĩnh"), ("tỉnh", "Hải Dương"), ("tỉnh", "Hậu Giang"),
    ("tỉnh", "Hòa Bình"), ("tỉnh", "Hưng Yên"), ("tỉnh", "Khánh Hòa"), ("tỉnh", "Kiên Giang"),
    ("tỉnh", "Kon Tum"), ("tỉnh", "Lai Châu"), ("tỉnh", "Lâm Đồng"), ("tỉnh", "Lạng Sơn"),
    ("tỉnh", "Lào Cai"), ("tỉnh", "Long An"), ("tỉnh", "Nam Định"), ("tỉnh", "Nghệ An"),
    ("tỉnh", "Ninh Bình"), ("tỉnh", "Ninh Thuận"), ("tỉnh", "Phú Thọ"), ("tỉnh", "Phú Yên"),
    ("tỉnh", "Quảng Bình"), ("tỉnh", "Quảng Nam"), ("tỉnh", "Quảng Ngãi"),
    ("tỉnh", "Quảng Ninh"), ("tỉnh", "Quảng Trị"), ("tỉnh", "Sóc Trăng"), ("tỉnh", "Sơn La"),
    ("tỉnh", "Tây Ninh"), ("tỉnh", "Thái Bình"), ("tỉnh", "Thái Nguyên"),
    ("tỉnh", "Thanh Hóa"), ("tỉnh", "Thừa Thiên Huế"), ("tỉnh", "Tiền Giang"),
    ("tỉnh", "Trà Vinh"), ("tỉnh", "Tuyên Quang"), ("tỉnh", "Vĩnh Long"), ("tỉnh", "Vĩnh Phúc"),
    ("tỉnh", "Yên Bái"),
]

# District-level and commune-level place names (common ones; they recur across provinces).
DISTRICTS = [
    "Thủ Dầu Một", "Dĩ An", "Thuận An", "Tân Uyên", "Bến Cát", "Bàu Bàng", "Phú Giáo",
    "Dầu Tiếng", "Bắc Tân Uyên", "Long Thành", "Nhơn Trạch", "Trảng Bom", "Thống Nhất",
    "Cẩm Mỹ", "Xuân Lộc", "Định Quán", "Tân Phú", "Vĩnh Cửu", "Châu Thành", "Cai Lậy",
    "Cái Bè", "Gò Công", "Mỏ Cày", "Ba Tri", "Thạnh Phú", "Hòa Vang", "Điện Bàn", "Duy Xuyên",
    "Thăng Bình", "Núi Thành", "Quế Sơn", "Đông Anh", "Gia Lâm", "Sóc Sơn", "Mê Linh",
    "Thạch Thất", "Quốc Oai", "Chương Mỹ", "Thanh Oai", "Ứng Hòa", "Mỹ Đức", "Phú Xuyên",
    "Thường Tín", "Hoài Đức", "Đan Phượng", "Phúc Thọ", "Ba Vì", "Sơn Tây", "Củ Chi",
    "Hóc Môn", "Bình Chánh", "Nhà Bè", "Cần Giờ", "Thủ Đức", "Ninh Kiều", "Cái Răng",
    "Ô Môn", "Thốt Nốt", "Phong Điền", "Cờ Đỏ", "Vĩnh Thạnh", "Long Xuyên", "Châu Đốc",
    "Tân Châu", "An Phú", "Phú Tân", "Chợ Mới", "Thoại Sơn", "Tri Tôn", "Tịnh Biên",
]
COMMUNES = [
    "An Bình", "An Phú", "An Thạnh", "Bình An", "Bình Chuẩn", "Bình Hòa", "Bình Nhâm",
    "Chánh Nghĩa", "Chánh Mỹ", "Định Hòa", "Đông Hòa", "Hiệp An", "Hiệp Thành", "Hòa Lợi",
    "Hòa Phú", "Hưng Định", "Khánh Bình", "Lái Thiêu", "Long Nguyên", "Mỹ Phước",
    "Phú Chánh", "Phú Cường", "Phú Hòa", "Phú Lợi", "Phú Mỹ", "Phú Tân", "Phước Hòa",
    "Phước Vĩnh", "Tân An", "Tân Bình", "Tân Định", "Tân Đông Hiệp", "Tân Hiệp", "Tân Phước",
    "Tân Vĩnh Hiệp", "Thạnh Phước", "Thới Hòa", "Thuận Giao", "Tương Bình Hiệp",
    "Vĩnh Phú", "Vĩnh Tân", "Xuân Thới Sơn", "Long Hưng", "Long Tân", "Minh Hòa",
    "Minh Thạnh", "Thanh An", "Thanh Tuyền", "Định An", "Định Thành", "Lai Hưng", "Lai Uyên",
    "Cây Trường", "Trừ Văn Thố", "Hưng Hòa", "Lạc An", "Thường Tân", "Tân Mỹ", "Đất Cuốc",
    "Hội Nghĩa", "Uyên Hưng", "Khánh Hòa", "Phú Mỹ Hưng", "Nghĩa Đô", "Dịch Vọng",
]
PEOPLE = [
    "Nguyễn Du", "Lê Quý Đôn", "Trần Hưng Đạo", "Nguyễn Trãi", "Chu Văn An", "Lê Lợi",
    "Nguyễn Huệ", "Trần Phú", "Võ Thị Sáu", "Nguyễn Đình Chiểu", "Lý Thường Kiệt",
    "Hùng Vương", "Phan Bội Châu", "Phan Chu Trinh", "Huỳnh Thúc Kháng", "Trần Quốc Toản",
    "Lê Văn Tám", "Kim Đồng", "Nguyễn Văn Trỗi", "Võ Trường Toản", "Bùi Thị Xuân",
    "Nguyễn Thị Minh Khai", "Ngô Quyền", "Đinh Tiên Hoàng", "Hai Bà Trưng", "Tô Vĩnh Diện",
    "Lương Thế Vinh", "Nguyễn Khuyến", "Trần Đại Nghĩa", "Nguyễn Bỉnh Khiêm",
]
DEPARTMENTS = [
    ("Sở Nội vụ", "snv"), ("Sở Tư pháp", "stp"), ("Sở Tài chính", "stc"),
    ("Sở Kế hoạch và Đầu tư", "skhdt"), ("Sở Công Thương", "sct"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "snnptnt"), ("Sở Giao thông vận tải", "sgtvt"),
    ("Sở Xây dựng", "sxd"), ("Sở Tài nguyên và Môi trường", "stnmt"),
    ("Sở Lao động - Thương binh và Xã hội", "sldtbxh"),
    ("Sở Văn hóa, Thể thao và Du lịch", "svhttdl"), ("Sở Khoa học và Công nghệ", "skhcn"),
    ("Sở Giáo dục và Đào tạo", "sgddt"), ("Sở Y tế", "syt"), ("Sở Ngoại vụ", "sngv"),
    ("Sở Thông tin và Truyền thông", "stttt"), ("Thanh tra tỉnh", "thanhtra"),
    ("Ban Dân tộc", "bdt"), ("Bảo hiểm xã hội", "bhxh"), ("Cục Thuế", "cucthue"),
]
DISTRICT_OFFICES = [
    ("Phòng Văn hóa và Thông tin", "pvhtt"), ("Phòng Giáo dục và Đào tạo", "pgddt"),
    ("Phòng Tài chính - Kế hoạch", "ptckh"), ("Phòng Nội vụ", "pnv"), ("Phòng Tư pháp", "ptp"),
    ("Phòng Tài nguyên và Môi trường", "ptnmt"), ("Phòng Y tế", "pyt"),
    ("Phòng Lao động - Thương binh và Xã hội", "pldtbxh"), ("Phòng Kinh tế", "pkt"),
    ("Trung tâm Văn hóa, Thể thao và Truyền thanh", "ttvhtt"),
]
MASS_ORGS = [
    ("Hội Liên hiệp Phụ nữ", "hlhpn"), ("Hội Nông dân", "hnd"), ("Hội Cựu chiến binh", "hccb"),
    ("Đoàn Thanh niên Cộng sản Hồ Chí Minh", "doantn"), ("Ủy ban Mặt trận Tổ quốc Việt Nam", "mttq"),
    ("Hội Chữ thập đỏ", "hctd"), ("Hội Người cao tuổi", "hnct"),
]
TRADES = [
    "Sản xuất Bao bì", "Thương mại Dịch vụ", "Xây dựng và Đầu tư", "Vận tải", "Gỗ Nội thất",
    "Dệt may", "Cơ khí Chính xác", "Thực phẩm", "Điện tử", "Nhựa", "Gốm sứ", "Nông sản",
    "Phần mềm", "Du lịch Lữ hành", "Dược phẩm", "Thủy sản", "Cao su", "Sơn mài",
]
COMPANY_WORDS = [
    "Phúc Thịnh", "Hưng Phát", "Thành Công", "Minh Long", "Đại Việt", "Sao Mai", "Trường Sơn",
    "Hoàng Gia", "An Khang", "Tân Tiến", "Phương Nam", "Kim Ngân", "Bảo Châu", "Vạn Xuân",
    "Thiên Phú", "Hòa Bình", "Nam Việt", "Đông Á", "Quang Minh", "Hồng Hà",
]
COOP_TRADES = ["nông nghiệp", "dịch vụ nông nghiệp", "rau an toàn", "chăn nuôi", "thủy sản",
               "vận tải", "tiểu thủ công nghiệp", "mây tre đan", "cây ăn trái", "cà phê"]

GROUPS = {
    "dept": "Sở, ban, ngành của tỉnh",
    "ubnd": "Ủy ban nhân dân cấp xã",
    "office": "Phòng, ban cấp huyện",
    "school": "Cơ sở giáo dục",
    "health": "Cơ sở y tế",
    "mass": "Mặt trận Tổ quốc và các tổ chức chính trị - xã hội",
    "company": "Doanh nghiệp",
    "coop": "Hợp tác xã",
}


def slug(text):
    """ASCII slug: 'Bình Dương' -> 'binhduong' (đ -> d; accents dropped)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def initials(text):
    """'Sản xuất Bao bì' -> 'sxbb'."""
    return "".join(slug(w)[:1] for w in text.split() if slug(w))


def organisation(rng):
    """Returns (kind, name, mailbox local part, short domain label)."""
    level, prov = rng.choice(PROVINCES)
    district = rng.choice(DISTRICTS)
    commune = rng.choice(COMMUNES)
    kind = rng.choices(list(GROUPS), weights=[4, 30, 14, 22, 8, 10, 8, 4])[0]
    where_d = f"{rng.choice(['huyện', 'thị xã', 'thành phố'])} {district}"
    where_c = f"{rng.choice(['xã', 'phường', 'thị trấn'])} {commune}"
    if kind == "dept":
        name, abbr = rng.choice(DEPARTMENTS)
        return kind, f"{name} {level} {prov}", "vanthu", abbr, prov
    if kind == "ubnd":
        return kind, f"Ủy ban nhân dân {where_c}, {where_d}, {level} {prov}", "vanthu", \
            "ubnd" + slug(commune), prov
    if kind == "office":
        name, abbr = rng.choice(DISTRICT_OFFICES)
        return kind, f"{name} {where_d}, {level} {prov}", "vanthu", abbr + slug(district), prov
    if kind == "school":
        grade = rng.choice(["Trường Mầm non", "Trường Tiểu học", "Trường Trung học cơ sở",
                            "Trường Trung học phổ thông"])
        person = rng.choice(PEOPLE)
        return kind, f"{grade} {person}, {where_d}, {level} {prov}", "bgh", \
            initials(grade) + slug(person), prov
    if kind == "health":
        name = rng.choice([f"Trạm Y tế {where_c}", f"Trung tâm Y tế {where_d}",
                           f"Bệnh viện Đa khoa {where_d}"])
        return kind, f"{name}, {level} {prov}", "hanhchinh", initials(name) + slug(commune), prov
    if kind == "mass":
        name, abbr = rng.choice(MASS_ORGS)
        return kind, f"{name} {where_c}, {where_d}, {level} {prov}", "vanphong", \
            abbr + slug(commune), prov
    if kind == "company":
        form = rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"])
        trade, word = rng.choice(TRADES), rng.choice(COMPANY_WORDS)
        return kind, f"{form} {trade} {word}", rng.choice(["info", "lienhe", "hanhchinh"]), \
            initials(trade) + slug(word), prov
    trade = rng.choice(COOP_TRADES)
    return kind, f"Hợp tác xã {trade} {commune}, {where_d}, {level} {prov}", "lienhe", \
        "htx" + initials(trade) + slug(commune), prov


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "organisation", "email", "cc", "group"])
        for i in range(1, args.n + 1):
            kind, name, local, label, prov = organisation(rng)
            # A per-row number in the domain keeps every address (and id) unique at any N.
            domain = f"{label}{i}.{slug(prov)}.example"
            email = f"{local}@{domain}"
            if rng.random() < 0.10:
                email += f", lanhdao@{domain}"
            cc = f"thuky@{domain}" if rng.random() < 0.20 else ""
            w.writerow([f"{kind}-{i:06d}", name, email, cc, GROUPS[kind]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
