//! A sending rate, as `--rate` and `[sending] rate` write it (`30/minute`, `unlimited`), and
//! back: `Display` writes what `parse` reads, so a recorded or resumed rate is the one given.
//! It does not enforce the rate (`send::deliver` does).

use std::time::Duration;

use anyhow::{Context, bail};

/// A sending rate limit: at most `count` messages in any window of `per`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Rate {
    #[default]
    Unlimited,
    Limited {
        count: u32,
        per: Duration,
    },
}

impl std::fmt::Display for Rate {
    /// As `parse` reads it: `unlimited`, `30/minute`, `2000/day`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Rate::Unlimited => f.write_str("unlimited"),
            Rate::Limited { count, per } => {
                let period = match per.as_secs() {
                    1 => "second",
                    60 => "minute",
                    3600 => "hour",
                    _ => "day",
                };
                write!(f, "{count}/{period}")
            }
        }
    }
}

impl Rate {
    /// Parses `unlimited`, `30/minute`, `500/hour`, `2000/day` (also `min`, `h`, `d`).
    pub fn parse(text: &str) -> anyhow::Result<Rate> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("unlimited") {
            return Ok(Rate::Unlimited);
        }
        let Some((count, period)) = text.split_once('/') else {
            bail!(t!("config-rate-no-slash", text = text))
        };
        let count: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .with_context(|| t!("config-rate-bad-count", text = text, count = count))?;
        let per = match period.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => {
                bail!(t!("config-rate-bad-period", text = text, period = other))
            }
        };
        Ok(Rate::Limited { count, per })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        let minute = Duration::from_secs(60);
        assert_eq!(Rate::parse("unlimited").unwrap(), Rate::Unlimited);
        assert_eq!(
            Rate::parse("30/minute").unwrap(),
            Rate::Limited {
                count: 30,
                per: minute
            }
        );
        assert_eq!(
            Rate::parse(" 500 / hour ").unwrap(),
            Rate::Limited {
                count: 500,
                per: minute * 60
            }
        );
        assert_eq!(
            Rate::parse("2000/d").unwrap(),
            Rate::Limited {
                count: 2000,
                per: minute * 1440
            }
        );
        for text in ["unlimited", "30/minute", "500/hour", "2000/day", "3/second"] {
            assert_eq!(Rate::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "30", "0/minute", "x/minute", "30/fortnight"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }
}
