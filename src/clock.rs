//! The only place that reads the wall clock, so that time has one source and one format.
//!
//! Log records carry `now()` as RFC 3339 UTC with millisecond precision. The `Date:` header of
//! messages is the moment the run started, or `SOURCE_DATE_EPOCH` when set (the reproducible-
//! builds convention, read and checked by `config`), which makes a dry run and a later send
//! produce identical bytes.

use std::time::{Duration, SystemTime};

/// The current time.
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// The `Date:` for the messages of a run that started at `started`: `fixed` seconds since 1970
/// when `SOURCE_DATE_EPOCH` gave them (`config` checked their range).
pub fn message_date(started: SystemTime, fixed: Option<u64>) -> SystemTime {
    fixed.map_or(started, |secs| {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    })
}

/// RFC 3339 UTC, milliseconds: `2026-11-26T14:15:31.042Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses what `rfc3339` writes (and any RFC 3339 time) back, at the millisecond as it writes.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let ts = text.parse::<jiff::Timestamp>().ok()?;
    let ms = jiff::Timestamp::from_millisecond(ts.as_millisecond()).ok()?;
    SystemTime::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_millisecond_precision() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_166_531_042);
        let text = rfc3339(t);
        assert_eq!(text, "2025-11-26T14:15:31.042Z");
        assert_eq!(parse_rfc3339(&text), Some(t));
        assert_eq!(parse_rfc3339("2025-11-26T14:15:31.042999Z"), Some(t));
        let before = SystemTime::UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(parse_rfc3339("1969-12-31T23:59:58.5Z"), Some(before));
        assert_eq!(parse_rfc3339("not a time"), None);
    }
}
