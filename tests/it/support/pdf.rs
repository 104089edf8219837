//! PDFs read back with poppler-utils, never with letterpost's own code: `pdfinfo` for the page
//! size, `pdffonts` for embedding, `pdftotext` for the text, `pdftotext -bbox` for where each word is on the page
//! (in points), and `pdftohtml -xml` for each run of text with its font size, weight and style.

use std::path::Path;
use std::process::Command;

/// One run of text, as `pdftohtml -xml -zoom 1` reads it: its font size, weight and style.
#[derive(Debug, Clone)]
pub struct TextRun {
    /// The font size in points (pdftohtml rounds it to a whole point).
    pub size: f64,
    pub bold: bool,
    pub italic: bool,
    pub text: String,
}

fn tool(program: &str, args: &[&str], pdf: &Path) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).arg(pdf);
    if program == "pdftotext" {
        // To stdout.
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils) is needed: {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("poppler writes UTF-8")
}

/// `pdfinfo`'s fields, as (name, value).
pub fn info(pdf: &Path) -> Vec<(String, String)> {
    tool("pdfinfo", &[], pdf)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// One `pdfinfo` field.
pub fn field(pdf: &Path, name: &str) -> String {
    info(pdf)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("pdfinfo has no {name}"))
        .1
}

/// `pdffonts`' rows: (name, embedded).
pub fn fonts(pdf: &Path) -> Vec<(String, bool)> {
    tool("pdffonts", &[], pdf)
        .lines()
        .skip(2)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // name type… encoding emb sub uni object ID: `emb` is the fifth column from the end.
            (cols[0].to_owned(), cols[cols.len() - 5] == "yes")
        })
        .collect()
}

/// The text as `pdftotext` extracts it (reading order, one line per line).
pub fn text(pdf: &Path) -> String {
    tool("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// Every word's box on the page, in points: (x min, y min, x max, y max), without the space
/// after it (`pdftotext -bbox`).
pub fn words(pdf: &Path) -> Vec<(f64, f64, f64, f64)> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| {
            let n = |name: &str| -> f64 {
                let at = l.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                l[at..at + l[at..].find('"').unwrap()].parse().unwrap()
            };
            (n("xMin"), n("yMin"), n("xMax"), n("yMax"))
        })
        .collect()
}

/// Every run of text with its font size and place.
pub fn runs(pdf: &Path) -> Vec<TextRun> {
    let xml = tool(
        "pdftohtml",
        &["-xml", "-stdout", "-i", "-zoom", "1", "-q"],
        pdf,
    );
    let mut sizes = std::collections::HashMap::new();
    let mut runs = Vec::new();
    for line in xml.lines() {
        let attr = |name: &str| -> Option<&str> {
            let at = line.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(&line[at..at + line[at..].find('"')?])
        };
        if line.trim_start().starts_with("<fontspec ") {
            let id = attr("id").unwrap().to_owned();
            sizes.insert(id, attr("size").unwrap().parse::<f64>().unwrap());
        } else if line.starts_with("<text ") {
            let inner = &line[line.find('>').unwrap() + 1..line.rfind("</text>").unwrap()];
            let text = strip_tags(inner);
            runs.push(TextRun {
                size: sizes[attr("font").unwrap()],
                bold: inner.contains("<b>"),
                italic: inner.contains("<i>"),
                text,
            });
        }
    }
    runs
}

/// The run that contains `needle`, on any page.
#[track_caller]
pub fn run_with<'a>(runs: &'a [TextRun], needle: &str) -> &'a TextRun {
    runs.iter()
        .find(|r| r.text.contains(needle))
        .unwrap_or_else(|| panic!("no run of text contains {needle:?}: {runs:#?}"))
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}
