//! A cell's value as the spreadsheet shows it: whole numbers without `.0`, other numbers in
//! their shortest round-trip form, `TRUE`/`FALSE`, dates as `dd/mm/yyyy` and date-times as
//! `dd/mm/yyyy HH:MM[:SS]` in either date system, durations, and error values told apart from
//! text; and the cells of a range at their positions on the sheet. Pure; no caps, no rows.

use super::*;

/// The non-empty cells of a range with their positions on the sheet (a range starts at its first
/// used cell, not at A1).
pub(super) fn absolute_cells(range: &Range<Data>) -> impl Iterator<Item = (u32, u32, &Data)> {
    let (top, left) = range.start().unwrap_or((0, 0));
    range.used_cells().map(move |(row, column, value)| {
        // Positions within a range fit in u32: they come from u32 sheet positions.
        (top + row as u32, left + column as u32, value)
    })
}

/// Error texts as Excel and LibreOffice show them (LibreOffice also shows `Err:502` and the like).
pub(super) fn is_error_text(text: &str) -> bool {
    matches!(
        text,
        "#N/A" | "#DIV/0!" | "#NAME?" | "#NULL!" | "#NUM!" | "#REF!" | "#VALUE!" | "#DATA!"
    ) || text
        .strip_prefix("Err:")
        .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
}

/// A cell's value as the spreadsheet shows it.
pub(super) enum Shown {
    Text(String),
    /// An error value, such as `#N/A`.
    Error(String),
}

/// `None` for an empty cell.
pub(super) fn shown(value: &Data) -> Option<Shown> {
    let text = match value {
        Data::Empty => return None,
        Data::Error(e) => return Some(Shown::Error(e.to_string())),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => excel_datetime(d),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => iso_duration(s),
    };
    Some(Shown::Text(text))
}

/// A number in General format: `42`, not `42.0`; otherwise the shortest text that reads back as
/// the same number (`0.3`, `2.5`), which is what Rust's `{}` writes. `-0` is shown as `0`.
pub(super) fn number(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    format!("{value}")
}

/// A date-formatted number: `dd/mm/yyyy`, with ` HH:MM` when it has a time of day (and `:SS`
/// when the seconds are not zero, so that nothing typed is lost); a time alone (a number below
/// one day) as `HH:MM`; a duration (`[h]:mm` formats) as hours and minutes. calamine's
/// conversion takes the 1900 or 1904 date system of the workbook into account, and rounds to
/// the millisecond, so 14:30 stored as 0.604166… is 14:30.
pub(super) fn excel_datetime(value: &ExcelDateTime) -> String {
    if value.is_duration() {
        return duration(value.as_f64() * 86_400.0);
    }
    let (year, month, day, hour, minute, second, _milli) = value.to_ymd_hms_milli();
    let has_time = (hour, minute, second) != (0, 0, 0);
    let time = clock(u64::from(hour), minute, second);
    if (0.0..1.0).contains(&value.as_f64()) && has_time {
        return time;
    }
    let date = format!("{day:02}/{month:02}/{year:04}");
    if has_time {
        format!("{date} {time}")
    } else {
        date
    }
}

pub(super) fn clock(hours: u64, minutes: u8, seconds: u8) -> String {
    if seconds == 0 {
        format!("{hours:02}:{minutes:02}")
    } else {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// A length of time as `H:MM` (or `H:MM:SS`), hours not wrapping at 24, as `[h]:mm` shows it.
pub(super) fn duration(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    // `as` saturates: an absurd duration cannot overflow.
    let total = seconds.abs().round() as u64;
    let (hours, rest) = (total / 3600, total % 3600);
    format!(
        "{sign}{}",
        clock(hours, (rest / 60) as u8, (rest % 60) as u8)
    )
}

/// An OpenDocument date or date-time (`2004-01-15`, `2022-03-07T14:30:00`), shown as an Excel
/// date-formatted number is. Text that is not such a date is shown as it is.
pub(super) fn iso_datetime(text: &str) -> String {
    if let Ok(date) = text.parse::<jiff::civil::Date>()
        && !text.contains('T')
    {
        return format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year());
    }
    match text.parse::<jiff::civil::DateTime>() {
        Ok(dt) => {
            let date = format!("{:02}/{:02}/{:04}", dt.day(), dt.month(), dt.year());
            if dt.time() == jiff::civil::Time::midnight() {
                date
            } else {
                let time = clock(dt.hour() as u64, dt.minute() as u8, dt.second() as u8);
                format!("{date} {time}")
            }
        }
        Err(_) => text.to_owned(),
    }
}

/// An OpenDocument time (`PT10H30M00S`: LibreOffice stores a time of day as a duration), shown
/// as `10:30`. Text that is not such a duration is shown as it is.
pub(super) fn iso_duration(text: &str) -> String {
    let Ok(span) = text.parse::<jiff::Span>() else {
        return text.to_owned();
    };
    let total = jiff::SpanTotal::from(jiff::Unit::Second).days_are_24_hours();
    match span.total(total) {
        Ok(seconds) => duration(seconds),
        Err(_) => text.to_owned(),
    }
}
