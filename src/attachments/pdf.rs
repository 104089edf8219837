//! A PDF given as an attachment, looked at before anything is sent: whether it is a PDF at all,
//! whether it opens (lopdf parses its objects and cross-reference table), and the signatures it
//! carries, with the signer's name and the signing time as their signature dictionaries say.
//!
//! It checks nothing cryptographic: a listed signature is what the file claims, shown so the
//! clerk sees before sending whether the signed file is the one meant. It never changes the
//! bytes, which go out as they were read. Its words are in `locales/{en,vi}/attachments.ftl`.

/// One signature dictionary (`/Type /Sig`) found in a PDF.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signature {
    /// `/Name`: the signer as the signing program wrote it.
    pub signer: Option<String>,
    /// `/M`: when it was signed, as `dd/mm/yyyy hh:mm:ss ±hh:mm` (the raw text if it does not
    /// read as a PDF date).
    pub time: Option<String>,
}

/// Where, in the first bytes of a file, a PDF's `%PDF-` header may start (readers accept some
/// junk before it, as the PDF specification's implementation notes allow).
const HEADER_WITHIN: usize = 1024;

/// The signatures of a PDF, or why it is not a usable one (in the chosen language).
pub fn inspect(bytes: &[u8]) -> Result<Vec<Signature>, String> {
    let head = &bytes[..bytes.len().min(HEADER_WITHIN)];
    if memchr::memmem::find(head, b"%PDF-").is_none() {
        return Err(t!("attach-not-pdf"));
    }
    let document = lopdf::Document::load_mem(bytes)
        .map_err(|e| t!("attach-pdf-damaged", error = e.to_string()))?;
    if document.objects.is_empty() || document.catalog().is_err() {
        return Err(t!(
            "attach-pdf-damaged",
            error = "no document catalog".to_owned()
        ));
    }
    let mut signatures = Vec::new();
    for object in document.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if !dict.has_type(b"Sig") {
            continue;
        }
        let text = |key: &[u8]| {
            dict.get(key)
                .ok()
                .and_then(|o| lopdf::decode_text_string(o).ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        signatures.push(Signature {
            signer: text(b"Name"),
            time: text(b"M").map(|m| pdf_date(&m).unwrap_or(m)),
        });
    }
    Ok(signatures)
}

/// A PDF date (`D:YYYYMMDDHHmmSS+HH'mm'`) as `dd/mm/yyyy hh:mm:ss +hh:mm`; `None` if it is not one.
fn pdf_date(text: &str) -> Option<String> {
    let s = text.strip_prefix("D:").unwrap_or(text);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return None;
    }
    let part = |from: usize, to: usize| digits.get(from..to).unwrap_or("00");
    let rest = &s[digits.len()..];
    let zone = match rest.chars().next() {
        Some('Z') => " UTC".to_owned(),
        Some(sign @ ('+' | '-')) => {
            let z: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            format!(
                " {sign}{}:{}",
                z.get(0..2).unwrap_or("00"),
                z.get(2..4).unwrap_or("00")
            )
        }
        _ => String::new(),
    };
    Some(format!(
        "{}/{}/{} {}:{}:{}{zone}",
        part(6, 8),
        part(4, 6),
        part(0, 4),
        part(8, 10),
        part(10, 12),
        part(12, 14)
    ))
}

#[cfg(test)]
mod tests {
    use super::pdf_date;

    #[test]
    fn pdf_dates_read_as_a_clerk_writes_them() {
        assert_eq!(
            pdf_date("D:20261207093000+07'00'").as_deref(),
            Some("07/12/2026 09:30:00 +07:00")
        );
        assert_eq!(
            pdf_date("D:20261207").as_deref(),
            Some("07/12/2026 00:00:00")
        );
        assert_eq!(pdf_date("hôm qua"), None);
    }
}
