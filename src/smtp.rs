//! The words of an SMTP exchange that the client, the delivery log and every report share: the
//! step of a session where something happened (`Stage`) and what a server answered (`Reply`),
//! each with one way to be written for a person and one way to be recorded.
//!
//! No I/O and no decisions here: `dispatch` produces these values, `delivery_log` records them,
//! `send` and `audit` show them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The step of an SMTP session where something happened. Outcome records name one of the
/// transaction's steps (`mail`, `rcpt`, `data`, `message`) or `interrupted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Connect,
    Greeting,
    Starttls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// Sending the message and waiting for the reply to its final dot.
    Message,
    /// Not a step of SMTP: a run stopped before it knew how the attempt ended; the next run
    /// recorded the outcome.
    Interrupted,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Starttls => "starttls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::Message => "message",
            Stage::Interrupted => "interrupted",
        })
    }
}

/// A server's reply: `{"code": 250, "enhanced": "2.0.0", "text": "…"}` in the log, every line of
/// the text joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub code: u16,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enhanced: Option<String>,
    pub text: String,
}

impl Reply {
    /// Splits an RFC 3463 enhanced status code (`5.1.1`) off the front of the text, and keeps
    /// the text printable.
    pub fn parse_text(code: u16, text: &str) -> Reply {
        let first = text.split_whitespace().next().unwrap_or("");
        let parts: Vec<&str> = first.split('.').collect();
        let enhanced = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
            && first.starts_with(['2', '4', '5']);
        let (enhanced, text) = if enhanced {
            (
                Some(first.to_owned()),
                text[first.len()..].trim_start().to_owned(),
            )
        } else {
            (None, text.to_owned())
        };
        Reply {
            code,
            enhanced,
            text: printable(&text),
        }
    }
}

impl From<&lettre::transport::smtp::response::Response> for Reply {
    fn from(response: &lettre::transport::smtp::response::Response) -> Reply {
        let text = response.message().collect::<Vec<_>>().join("\n");
        Reply::parse_text(u16::from(response.code()), &text)
    }
}

impl fmt::Display for Reply {
    /// On one line: `550 5.1.1 <x@y.example>: Recipient address rejected / second line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(e) = &self.enhanced {
            write!(f, " {e}")?;
        }
        write!(f, " {}", self.text.replace('\n', " / "))
    }
}

/// The xtext form of an envelope id, as `MAIL FROM … ENVID=` carries it: every byte outside
/// `!`..`~`, and `+` and `=`, as `+XX` (upper-case hex); non-ASCII text byte by byte in UTF-8.
pub fn xtext(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// The text an xtext stands for. A `+` not followed by two hex digits is kept as written (lower
/// case hex is accepted); bytes that are not UTF-8 become U+FFFD.
pub fn xtext_decode(xtext: &str) -> String {
    let bytes = xtext.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some(&[b'+', high, low]) => hex_digit(high).zip(hex_digit(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// A server's text made printable: control characters other than `\n` become spaces.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_are_split_off() {
        for (code, text, enhanced, rest) in [
            (
                550,
                "5.1.1 <x@y.example>: Recipient address rejected",
                Some("5.1.1"),
                "<x@y.example>: Recipient address rejected",
            ),
            (250, "Ok: queued as 4AB2", None, "Ok: queued as 4AB2"),
            (451, "4.7.1\u{7}greylisted", None, "4.7.1 greylisted"),
            (250, "2.0.0 Ok", Some("2.0.0"), "Ok"),
            (550, "1.2.3 not a status", None, "1.2.3 not a status"),
            (550, "5.1 too short", None, "5.1 too short"),
        ] {
            let r = Reply::parse_text(code, text);
            assert_eq!(
                (r.enhanced.as_deref(), r.text.as_str()),
                (enhanced, rest),
                "{text}"
            );
        }
    }

    #[test]
    fn xtext_encodes_and_decodes_leniently() {
        for (text, encoded) in [
            ("fanpage-2022.so-y-te", "fanpage-2022.so-y-te"),
            ("a+b=c d", "a+2Bb+3Dc+20d"),
            ("Sở Y tế", "S+E1+BB+9F+20Y+20t+E1+BA+BF"),
            ("\u{7f}\t", "+7F+09"),
            ("", ""),
        ] {
            assert_eq!(xtext(text), encoded, "{text:?}");
            assert_eq!(xtext_decode(encoded), text, "{encoded:?}");
        }
        // Lenient decoding: lower-case hex; a `+` that escapes nothing is kept.
        for (encoded, text) in [
            ("a+2bb", "a+b"),
            ("a+", "a+"),
            ("a+G1", "a+G1"),
            ("+-1", "+-1"),
            ("+FF", "\u{fffd}"),
        ] {
            assert_eq!(xtext_decode(encoded), text, "{encoded:?}");
        }
    }

    #[test]
    fn a_reply_reads_on_one_line() {
        let r = Reply::parse_text(550, "5.1.1 no such user\nsecond line");
        assert_eq!(r.to_string(), "550 5.1.1 no such user / second line");
        assert_eq!(Reply::parse_text(250, "Ok").to_string(), "250 Ok");
    }
}
