//! The guards. calamine 0.38 sizes allocations from numbers in the file that it does not check
//! against the file: the `uniqueCount` of an .xlsx shared-string table (calamine#684), the
//! DIMENSIONS record of each .xls sheet, and the span of the cells of every .xls and .ods sheet
//! (it lays out each sheet as a dense grid when it opens the file, so two cells far apart, or one
//! cell repeated 16,384 times in each of 6,000 rows of a 1 KiB .ods, cost gigabytes). An absurd
//! number makes an allocation fail, which aborts the process: no panic to catch, no error to
//! report; a merely huge one takes minutes. These guards read those numbers first, the way
//! calamine will, and refuse the file when they are beyond what the format can hold or what is
//! read. Everything else is left to calamine.

use super::*;

/// At most this many distinct strings are accepted in an .xlsx shared-string table: as many as
/// the cells of the largest sheet read.
pub(super) const SHARED_STRINGS_CAP: u128 = AREA_CAP as u128;

/// The most cells an .xls sheet can have: 65,536 rows by 256 columns (the same as `AREA_CAP`).
pub(super) const XLS_CELLS_CAP: i64 = 65_536 * 256;

pub(super) fn guard(format: Format, bytes: &[u8]) -> Result<(), SheetError> {
    let damaged = not_readable(format, bytes);
    match format {
        Format::Xlsx => guard_shared_strings(bytes).map_err(damaged),
        Format::Xls => guard_xls_sizes(bytes).map_err(damaged),
        Format::Ods => guard_ods_extent(bytes),
    }
}

/// Reads the start of every shared-string part (calamine finds its own by the workbook's
/// folder; every `…sharedStrings.xml` is checked) and its `uniqueCount`.
pub(super) fn guard_shared_strings(bytes: &[u8]) -> Result<(), String> {
    const HEAD: u64 = 1024 * 1024;
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // Not a zip archive: calamine says so.
    };
    let parts: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
        .map(|n| n.into_owned())
        .collect();
    for part in parts {
        let Ok(entry) = archive.by_name(&part) else {
            continue;
        };
        let mut head = Vec::new();
        // A read error here is calamine's to report; what was read is checked.
        let _ = entry.take(HEAD).read_to_end(&mut head);
        let Some(tag) = start_tag(&head, b"sst") else {
            if head.len() as u64 >= HEAD {
                return Err(t!("recipients-sheet-strings-no-table", part = &part));
            }
            continue;
        };
        if let Some(count) = attribute(tag, b"uniqueCount")
            && count
                .parse::<u128>()
                .map_or(count.bytes().all(|b| b.is_ascii_digit()), |n| {
                    n > SHARED_STRINGS_CAP
                })
        {
            return Err(t!(
                "recipients-sheet-strings-too-many",
                part = &part,
                count = count,
                cap = SHARED_STRINGS_CAP.to_string()
            ));
        }
    }
    Ok(())
}

/// The first start tag with this local name (`<sst …>` or `<x:sst …>`), up to its `>`.
pub(super) fn start_tag<'a>(xml: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = xml[from..].iter().position(|&b| b == b'<') {
        let start = from + at + 1;
        let end = xml[start..].iter().position(|&b| b == b'>')? + start;
        let tag = &xml[start..end];
        let qname = tag.split(|b| b.is_ascii_whitespace()).next().unwrap_or(&[]);
        let local = qname.rsplit(|&b| b == b':').next().unwrap_or(&[]);
        if local == name {
            return Some(tag);
        }
        from = end;
    }
    None
}

/// The value of `name="…"` (or `'…'`) in a start tag, as text.
pub(super) fn attribute(tag: &[u8], name: &[u8]) -> Option<String> {
    let at = tag.windows(name.len()).position(|w| w == name)?;
    let rest = &tag[at + name.len()..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let end = value.iter().position(|&b| b == quote)?;
    Some(String::from_utf8_lossy(&value[..end]).into_owned())
}

/// Walks the .xls workbook stream as calamine will (BoundSheet records up to the first EOF,
/// then each sheet from its offset) and checks each sheet's size. The compound file is opened
/// with the `cfb` crate, which refuses a damaged sector chain instead of following it.
pub(super) fn guard_xls_sizes(bytes: &[u8]) -> Result<(), String> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| t!("recipients-sheet-xls-damaged", error = e.to_string()))?;
    let Ok(stream) = file
        .open_stream("/Workbook")
        .or_else(|_| file.open_stream("/Book"))
    else {
        return Ok(()); // No workbook stream: calamine says so.
    };
    let mut workbook = Vec::new();
    stream
        .take(bytes.len() as u64)
        .read_to_end(&mut workbook)
        .map_err(|e| t!("recipients-sheet-xls-stream", error = e.to_string()))?;
    let mut sheets = Vec::new();
    for (typ, data) in BiffRecords(&workbook) {
        match typ {
            0x0085 if data.len() >= 4 => sheets.push(read_u32(data) as usize),
            0x000A => break,
            _ => {}
        }
    }
    for offset in sheets {
        if let Some(sheet) = workbook.get(offset..) {
            xls_sheet(sheet)?; // An offset past the end: calamine panics, and that is caught.
        }
    }
    Ok(())
}

/// One .xls sheet, read as calamine reads it (nested substreams such as embedded charts are
/// skipped, the sheet ends at its EOF): its DIMENSIONS records and the box around its cells,
/// which calamine will allocate as a grid.
pub(super) fn xls_sheet(sheet: &[u8]) -> Result<(), String> {
    let (mut seen_bof, mut depth) = (false, 0usize);
    let mut cells: Option<(u16, u16, u16, u16)> = None; // top, bottom, left, right
    let mut cover = |row: u16, first: u16, last: u16| {
        let (t, b, l, r) = cells.get_or_insert((row, row, first, last));
        (*t, *b, *l, *r) = (
            (*t).min(row),
            (*b).max(row),
            (*l).min(first),
            (*r).max(last),
        );
    };
    for (typ, data) in BiffRecords(sheet) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => xls_dimensions(data)?,
            // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: row, then column.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) {
                    cover(row, col, col);
                }
            }
            // MulRk: row, first column, 6 bytes per cell, last column.
            0x00BD if data.len() >= 12 => {
                if let (Some(row), Some(first)) = (u16_at(0), u16_at(2)) {
                    let count = ((data.len() - 6) / 6) as u16;
                    cover(row, first, first.saturating_add(count - 1));
                }
            }
            _ => {}
        }
    }
    if let Some((top, bottom, left, right)) = cells {
        let area = (i64::from(bottom - top) + 1) * (i64::from(right - left) + 1);
        if area > XLS_CELLS_CAP {
            return Err(t!(
                "recipients-sheet-xls-span",
                from = cell_ref(left.into(), u32::from(top) + 1),
                to = cell_ref(right.into(), u32::from(bottom) + 1)
            ));
        }
    }
    Ok(())
}

/// The number of cells calamine reserves for a DIMENSIONS record, as calamine computes it
/// (including its repair of a first column over 255), refused when it is not a real size.
pub(super) fn xls_dimensions(data: &[u8]) -> Result<(), String> {
    let u16_at = |i: usize| i64::from(u16::from_le_bytes([data[i], data[i + 1]]));
    let (first_row, end_row, mut first_col, end_col) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (
            i64::from(read_u32(data)),
            i64::from(read_u32(&data[4..])),
            u16_at(8),
            u16_at(10),
        ),
        _ => return Ok(()),
    };
    if first_col > 0xFF || end_col < first_col {
        first_col = 0;
    }
    if end_row < 1 || end_col < 1 {
        return Ok(());
    }
    let (rows, cols) = (end_row - first_row, end_col - first_col);
    if rows < 1 || cols < 1 || rows * cols > XLS_CELLS_CAP {
        return Err(t!(
            "recipients-sheet-xls-dimensions",
            rows = rows.to_string(),
            cols = cols.to_string()
        ));
    }
    Ok(())
}

pub(super) fn read_u32(data: &[u8]) -> u32 {
    u32::from_le_bytes([data[0], data[1], data[2], data[3]])
}

/// BIFF records (type, data) as calamine's reader splits them: a CONTINUE record (0x003C) is
/// part of the record before it. Stops at the first record that runs past the end.
pub(super) struct BiffRecords<'a>(&'a [u8]);

impl<'a> Iterator for BiffRecords<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let header = |s: &[u8]| -> Option<(u16, usize)> {
            let h = s.get(..4)?;
            Some((
                u16::from_le_bytes([h[0], h[1]]),
                usize::from(u16::from_le_bytes([h[2], h[3]])),
            ))
        };
        let (typ, len) = header(self.0)?;
        let data = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        while let Some((0x003C, len)) = header(self.0) {
            self.0 = self.0.get(4 + len..)?;
        }
        Some((typ, data))
    }
}

/// Reads an .ods `content.xml` as calamine will (rows and cells with their repeat counts, capped
/// as calamine caps them) and refuses a sheet whose non-empty cells span more than `AREA_CAP`.
/// A cell counts as non-empty when it has a value, a value type or a formula: at least every
/// cell calamine keeps.
pub(super) fn guard_ods_extent(bytes: &[u8]) -> Result<(), SheetError> {
    use quick_xml::events::Event;
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // Not a zip archive: calamine says so.
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let (mut buf, mut table, mut row) = (Vec::new(), OdsExtent::default(), OdsRow::default());
    loop {
        let (element, closed) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => {
                table.end_row(&row)?;
                buf.clear();
                continue;
            }
            Ok(Event::Eof) | Err(_) => return Ok(()), // An XML error is calamine's to report.
            Ok(_) => {
                buf.clear();
                continue;
            }
        };
        let attr = |name: &str| {
            let a = element
                .attributes()
                .flatten()
                .find(|a| a.key.as_ref() == name)?;
            let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0);
            Some(value.map_or_else(|_| a.value.to_string(), |v| v.into_owned()))
        };
        let repeats = |name: &str| attr(name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(1);
        match element.name().as_ref() {
            "table:table" => table = OdsExtent::new(attr("table:name").unwrap_or_default()),
            "table:table-row" => {
                row = OdsRow::new(repeats("table:number-rows-repeated"));
                if closed {
                    table.end_row(&row)?;
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let filled = [
                    "office:value-type",
                    "office:value",
                    "office:string-value",
                    "office:date-value",
                    "office:time-value",
                    "office:boolean-value",
                    "table:formula",
                ]
                .iter()
                .any(|name| attr(name).is_some());
                row.cells(repeats("table:number-columns-repeated"), filled);
            }
            _ => {}
        }
        buf.clear();
    }
}

/// calamine's caps on an .ods sheet: rows and columns past these are not read.
pub(super) const ODS_MAX_ROWS: u64 = 1_048_576;
pub(super) const ODS_MAX_COLUMNS: u64 = 16_384;

/// One `<table:table-row>` as the guard reads it.
#[derive(Default)]
pub(super) struct OdsRow {
    pub(super) repeats: u64,
    pub(super) columns: u64,
    /// First and last non-empty column.
    pub(super) filled: Option<(u64, u64)>,
}

impl OdsRow {
    fn new(repeats: u64) -> OdsRow {
        OdsRow {
            repeats,
            ..OdsRow::default()
        }
    }

    fn cells(&mut self, repeats: u64, filled: bool) {
        let repeats = repeats.min(ODS_MAX_COLUMNS.saturating_sub(self.columns));
        if filled && repeats > 0 {
            let last = self.columns + repeats - 1;
            let (first, _) = self.filled.unwrap_or((self.columns, last));
            self.filled = Some((first, last));
        }
        self.columns += repeats;
    }
}

/// The rows read so far of one `<table:table>`, and the box around its non-empty cells.
#[derive(Default)]
pub(super) struct OdsExtent {
    pub(super) name: String,
    pub(super) rows: u64,
    /// top, bottom, left, right
    pub(super) filled: Option<(u64, u64, u64, u64)>,
}

impl OdsExtent {
    fn new(name: String) -> OdsExtent {
        OdsExtent {
            name,
            ..OdsExtent::default()
        }
    }

    fn end_row(&mut self, row: &OdsRow) -> Result<(), SheetError> {
        let repeats = row.repeats.min(ODS_MAX_ROWS.saturating_sub(self.rows));
        if let (Some((first, last)), true) = (row.filled, repeats > 0) {
            let bottom = self.rows + repeats - 1;
            let (top, left, right) = match self.filled {
                Some((top, _, left, right)) => (top, left.min(first), right.max(last)),
                None => (self.rows, first, last),
            };
            self.filled = Some((top, bottom, left, right));
            let area = (bottom - top + 1) * (right - left + 1);
            if area > AREA_CAP {
                return Err(SheetError::TooManyCells {
                    sheet: self.name.clone(),
                    cells: area,
                });
            }
        }
        self.rows += repeats;
        Ok(())
    }
}
