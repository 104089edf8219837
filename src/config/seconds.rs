//! A number of seconds that campaign.toml or the environment gives letterpost to wait (an SMTP
//! or IMAP step's deadline, the delay before a retry, the pause between two looks at the
//! mailbox), checked once into a `Duration`.
//!
//! TOML and the environment give a float: it may be infinite, not a number, negative, or so
//! large that no `Duration` (or no deadline on the clock) can hold it. Such a value is refused
//! here, where the caller can still say which file and key, or which variable, it came from;
//! nothing downstream does arithmetic on a float of seconds. It does not read anything itself.

use std::time::Duration;

/// A wait letterpost can keep: finite, not negative, at most `Seconds::MOST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(Duration);

/// The smallest wait a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Least {
    /// Zero is a wait (a retry at once).
    Zero,
    /// Zero is not (a deadline of no time at all fails every step).
    AboveZero,
}

impl Seconds {
    /// The longest wait any setting may ask for: a day. Longer is a typing mistake (`1e30`),
    /// and a deadline that far would overflow the clock.
    pub const MOST: Duration = Duration::from_secs(86_400);

    /// `value` seconds, or `None` when it is not a wait letterpost can keep.
    pub fn new(value: f64, least: Least) -> Option<Seconds> {
        let wait = Duration::try_from_secs_f64(value).ok()?;
        let long_enough = least == Least::Zero || !wait.is_zero();
        (long_enough && wait <= Seconds::MOST).then_some(Seconds(wait))
    }

    /// The refusal of `value` for the setting at `place` (`campaign.toml: [smtp] timeout`,
    /// `LETTERPOST_SMTP_TIMEOUT`), in the chosen language.
    pub fn refusal(place: &str, value: f64, least: Least) -> String {
        // Debug: `inf`, `NaN`, `1e30` as they were written, not thirty-one digits.
        let (value, most) = (format!("{value:?}"), Seconds::MOST.as_secs().to_string());
        match least {
            Least::Zero => t!(
                "config-bad-seconds",
                place = place,
                value = value,
                most = most
            ),
            Least::AboveZero => t!(
                "config-bad-seconds-positive",
                place = place,
                value = value,
                most = most
            ),
        }
    }
}

impl From<Seconds> for Duration {
    fn from(seconds: Seconds) -> Duration {
        seconds.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_finite_not_negative_and_at_most_a_day() {
        let wait = |v, least| Seconds::new(v, least).map(Duration::from);
        assert_eq!(wait(30.0, Least::AboveZero), Some(Duration::from_secs(30)));
        assert_eq!(wait(0.05, Least::Zero), Some(Duration::from_millis(50)));
        assert_eq!(wait(0.0, Least::Zero), Some(Duration::ZERO));
        assert_eq!(wait(86_400.0, Least::AboveZero), Some(Seconds::MOST));
        for bad in [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -1.0,
            -0.5,
            1e30,
            86_400.5,
        ] {
            assert_eq!(wait(bad, Least::Zero), None, "{bad}");
            assert_eq!(wait(bad, Least::AboveZero), None, "{bad}");
        }
        assert_eq!(wait(0.0, Least::AboveZero), None);
        assert_eq!(
            wait(1e-12, Least::AboveZero),
            None,
            "rounds to no time at all"
        );
    }

    #[test]
    fn a_refusal_names_the_place_and_the_value_as_written() {
        let said = Seconds::refusal(
            "c/campaign.toml: [sending] retry_delay",
            f64::INFINITY,
            Least::Zero,
        );
        assert_eq!(
            said,
            "c/campaign.toml: [sending] retry_delay `inf` is not a number of seconds from 0 to 86400"
        );
        let said = Seconds::refusal("LETTERPOST_SMTP_TIMEOUT", 1e30, Least::AboveZero);
        assert!(
            said.starts_with("LETTERPOST_SMTP_TIMEOUT `1e30` is not"),
            "{said}"
        );
    }
}
