//! Text from outside (a report's diagnostic, a server's reply, a subject, a list's cell or
//! header) made safe to print on a terminal: every character that a terminal would obey rather
//! than show becomes a visible escape, so a stranger's report cannot clear the auditor's screen,
//! set the window title or paint a green "all delivered" over the truth.
//!
//! It owns only that mapping. Records, exports and archived bytes keep the exact text; this is
//! applied at the one place a text is shown, never before it is stored.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with C0 and C1 controls, ESC, DEL and the bidirectional controls written as escapes
/// (`\x1b`, `\u{202e}`); a tab stays a tab, and a line break (`\n`, and `\r\n` as one) stays a
/// line break. A backslash is left alone: it cannot command a terminal, and doubling it would
/// misquote the many replies that contain one.
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

fn escaped(text: &str, lines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, lines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if lines && c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if !needs_escape(c, lines) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char, lines: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !lines,
        // C0, DEL, C1 (a lone U+009B is a CSI on some terminals).
        '\0'..='\x1f' | '\x7f'..='\u{9f}' => true,
        // Bidirectional embeddings, overrides and isolates, and the marks that reorder text.
        '\u{200e}'
        | '\u{200f}'
        | '\u{061c}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => true,
        // Line and paragraph separators break a line on some terminals.
        '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line: a line break inside it is shown as an escape too.
    fn visible(text: &str) -> Cow<'_, str> {
        escaped(text, false)
    }

    #[test]
    fn terminal_commands_become_visible_escapes() {
        let attack =
            "smtp; 550 \x1b]0;TITLE\x07\x1b[2J\x1b[H\x1b[32mALL 5 LETTERS DELIVERED\x1b[0m";
        assert_eq!(
            visible(attack),
            "smtp; 550 \\x1b]0;TITLE\\x07\\x1b[2J\\x1b[H\\x1b[32mALL 5 LETTERS DELIVERED\\x1b[0m"
        );
        for (raw, shown) in [
            ("a\0b", "a\\x00b"),
            ("a\x7fb", "a\\x7fb"),
            ("a\u{9b}31mb", "a\\u{9b}31mb"),
            ("gpj.\u{202e}exe", "gpj.\\u{202e}exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("a\nb", "a\\x0ab"),
            ("a\r\nb", "a\\x0d\\x0ab"),
            ("a\u{2028}b", "a\\u{2028}b"),
        ] {
            assert_eq!(visible(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in [
            "Sở Y tế tỉnh Bình Dương",
            "550 5.1.1 <a@b> User unknown",
            "a\tb",
            r"C:\x",
        ] {
            assert!(matches!(visible(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn lines_keep_their_breaks_and_nothing_else() {
        assert_eq!(
            visible_lines("550-a\r\n550 b\x1b[2J"),
            "550-a\n550 b\\x1b[2J"
        );
        assert_eq!(visible_lines("a\rb"), "a\\x0db");
    }
}
