//! A value from the recipient list as Typst markup that can only ever be text: every ASCII
//! punctuation character is escaped with a backslash (Typst's markup accepts `\` before any
//! character and prints the character), and a line end becomes a line break.
//!
//! This is the escape function of the Tera instance that renders `.typ` templates, so `{{ x }}`
//! in a document template is always the cell's text, never `*bold*`, `#code`, `$math$`, a heading,
//! a label or a comment. It escapes for Typst *markup*: a template that puts a value inside a
//! Typst string literal or a code expression gets the escapes in its string, and `check` says
//! so when Typst rejects the result. It does not normalise Unicode (`typeset` does that).

use std::io::Write;

/// Writes `input` as Typst markup that shows exactly `input`.
pub fn markup(input: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let mut start = 0;
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let replacement: Option<&[u8]> = match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                // The `\n` that follows writes the line break.
                out.write_all(&bytes[start..i])?;
                start = i + 1;
                i += 1;
                continue;
            }
            // `\` before white space is Typst's line break; the line end is then a space.
            b'\n' | b'\r' => Some(b"\\\n"),
            // A tab or other white space stays as it is (markup collapses it to one space).
            _ if b.is_ascii_punctuation() => None,
            _ => {
                i += 1;
                continue;
            }
        };
        out.write_all(&bytes[start..i])?;
        match replacement {
            Some(text) => out.write_all(text)?,
            None => out.write_all(&[b'\\', b])?,
        }
        i += 1;
        start = i;
    }
    out.write_all(&bytes[start..])
}

/// `input` as a Typst string literal (`"…"`), for a template that hands a value to a Typst
/// function: `#link({{ url | typst_str }})`.
pub fn string(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 2);
    out.push('"');
    for c in input.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{markup, string};
    use proptest::prelude::*;
    use typst::syntax::{SyntaxKind, SyntaxNode, parse};

    fn escaped(input: &str) -> String {
        let mut out = Vec::new();
        markup(input, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every node of the parsed markup, depth first.
    fn kinds(node: &SyntaxNode, out: &mut Vec<SyntaxKind>) {
        out.push(node.kind());
        for child in node.children() {
            kinds(child, out);
        }
    }

    /// What Typst's parser makes of `escaped(input)`: only text, escapes, spaces and line
    /// breaks, never a node that means something else.
    fn only_text(input: &str) -> Result<(), String> {
        let source = escaped(input);
        let root = parse(&source);
        let mut found = Vec::new();
        kinds(&root, &mut found);
        for kind in found {
            if !matches!(
                kind,
                SyntaxKind::Markup
                    | SyntaxKind::Text
                    | SyntaxKind::Escape
                    | SyntaxKind::Space
                    | SyntaxKind::Linebreak
            ) {
                return Err(format!("{input:?} → {source:?} parses with a {kind:?}"));
            }
        }
        Ok(())
    }

    #[test]
    fn markup_characters_are_escaped_and_letters_are_not() {
        assert_eq!(escaped("Sở *Nội vụ* #1"), r"Sở \*Nội vụ\* \#1");
        assert_eq!(escaped(r"a\b"), r"a\\b");
        assert_eq!(escaped("UBND\nxã"), "UBND\\\nxã");
        assert_eq!(escaped("UBND\r\nxã"), "UBND\\\nxã");
    }

    #[test]
    fn an_organisation_that_looks_like_typst_is_only_text() {
        for input in [
            r"#set page(width: 1cm) *đậm* $x$ \ ]",
            "= Heading",
            "- item\n+ item\n/ term: x",
            "// comment /* block */",
            "<label> @ref https://example.com",
            "`raw` ```rs x```",
            "1. first\n\n2. second",
            "~ -- --- ... -? 'quote' \"quote\"",
            "#{ panic() }",
            "\\u{1F600}",
        ] {
            only_text(input).unwrap();
        }
    }

    /// `string(input)` parses as one string literal whose value is `input`.
    fn one_string(input: &str) -> Result<(), String> {
        let source = format!("#{}", string(input));
        let root = parse(&source);
        let mut found = Vec::new();
        kinds(&root, &mut found);
        let expected = [SyntaxKind::Markup, SyntaxKind::Hash, SyntaxKind::Str];
        if found != expected || !root.errors_and_warnings().0.is_empty() {
            return Err(format!("{input:?} → {source:?} parses as {found:?}"));
        }
        Ok(())
    }

    #[test]
    fn a_string_literal_holds_quotes_and_backslashes() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        one_string("https://example.com/?q=\"#x\"").unwrap();
        one_string("line\nbreak").unwrap();
    }

    proptest! {
        #[test]
        fn any_value_is_one_string_literal(input in "[ -~\nđậmẠ]{0,40}") {
            one_string(&input).map_err(TestCaseError::fail)?;
        }


        #[test]
        fn any_value_parses_as_text_only(input in "[ -~\\nđậmẠ]{0,40}") {
            only_text(&input).map_err(TestCaseError::fail)?;
        }
    }
}
