//! One `Rendered` letter becomes one MIME message, as the exact bytes every outbox uses: the dry
//! run writes them, the SMTP outbox sends them, the archive keeps them, the log hashes them.
//!
//! The shape is fixed by the message contract: multipart/mixed holding multipart/alternative
//! (text/plain, text/html), the rendered appendix and then the campaign's attachments (`Part`s).
//! Headers, including the Vietnamese subject, display names and attachment file names, are
//! encoded by lettre and its encoder email-encoding (RFC 2047, RFC 2231), never by hand; a file
//! name is given twice, as `filename*=` and as an RFC 2047 `name=` for Outlook; lettre also gives CRLF line ends and short encoded lines. The
//! Message-ID and the MIME boundaries are derived from (campaign, key), so the same letter built
//! twice is the same bytes given the same Date. No I/O here. Its one message for a person (a
//! line too long for mail) is in `locales/{en,vi}/merge.ftl`.

use std::time::SystemTime;

use lettre::address::Envelope;
use lettre::message::header::ContentDisposition;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::{Address, Message};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

// Named here too, where the stages that hash what they read have always found it; it lives in
// the leaf `hash`, so that `merge` can fingerprint templates without using this module.
use crate::attachments::Part;
pub use crate::hash::sha256_hex;
use crate::merge::Rendered;
use crate::recipients::Recipient;

/// Who the campaign is from and what it attaches: the same for every letter.
#[derive(Debug, Clone)]
pub struct Sender {
    pub campaign: String,
    pub from: Mailbox,
    /// The file name of the HTML appendix, when the campaign has one.
    pub appendix_filename: Option<String>,
    /// The `Date:` of every message built in this run.
    pub date: SystemTime,
    /// The envelope sender, where delivery reports come back.
    pub return_path: Address,
    /// Whether to ask for a read receipt (`Disposition-Notification-To: <return path>`).
    pub mdn: bool,
}

/// A built message, ready for an outbox.
#[derive(Debug, Clone)]
pub struct Letter {
    pub key: String,
    pub line: u64,
    pub organisation: String,
    /// The envelope recipients, in order: the `To` addresses, then the `Cc` addresses.
    pub envelope: Vec<Address>,
    pub message_id: String,
    /// The exact bytes handed to the server (before SMTP dot-stuffing).
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The attachments after the appendix, in order, as the log records them.
    pub attached: Vec<Attached>,
    /// The documents letterpost typeset for it (file name, PDF bytes), in order: what a dry run
    /// writes beside the message for the clerk to open.
    pub documents: Vec<(String, std::sync::Arc<[u8]>)>,
}

/// One attachment a letter carries, without its bytes: what the log records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub name: String,
    /// Where it came from, as the operator sees it.
    pub source: String,
    pub sha256: String,
    /// The same for every letter: recorded once, in `run_started`.
    pub shared: bool,
}

/// A test send: the real rendering, delivered to `mailbox` instead, marked as a test.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub to: Address,
    /// Distinguishes this run's test messages from any other (part of their Message-ID).
    pub run: String,
}

/// The subject prefix of a test send.
pub const TEST_PREFIX: &str = "[THỬ NGHIỆM / TEST] ";

/// Builds the message for one recipient. `logged_id` is the Message-ID the delivery log already
/// holds for this key: a retry or resend keeps it, even if the sender's address changed since.
pub fn build(
    sender: &Sender,
    recipient: &Recipient,
    rendered: &Rendered,
    parts: &[Part],
    redirect: Option<&Redirect>,
    logged_id: Option<&str>,
) -> anyhow::Result<Letter> {
    let seed = letter_seed(&sender.campaign, &recipient.key);
    let domain = sender.from.email.domain();
    let message_id = match (redirect, logged_id) {
        (Some(redirect), _) => format!(
            "<{}.{}.test-{}@{domain}>",
            sender.campaign,
            &seed[..24],
            redirect.run
        ),
        (None, Some(id)) => id.to_owned(),
        (None, None) => format!("<{}.{}@{domain}>", sender.campaign, &seed[..24]),
    };
    let builder = Message::builder()
        .from(sender.from.clone())
        .date(sender.date)
        .user_agent(format!("letterpost {}", env!("CARGO_PKG_VERSION")));
    let (builder, envelope) = addressed(builder, recipient, &rendered.subject, redirect);
    let mut builder = builder.message_id(Some(message_id.clone()));
    if sender.mdn {
        builder = builder.header(ReadReceiptTo(sender.return_path.clone()));
    }
    // The envelope is given, not derived from the headers: the To and Cc headers are ours.
    let builder = builder.envelope(Envelope::new(
        Some(sender.return_path.clone()),
        envelope.clone(),
    )?);
    let bytes = builder
        .multipart(body(sender, rendered, parts, &seed))?
        .formatted();
    if let Some(longest) = longest_line(&bytes).filter(|&n| n > MAX_LINE) {
        anyhow::bail!(t!("merge-line-too-long", octets = longest, max = MAX_LINE));
    }
    let sha256 = sha256_hex(&bytes);
    Ok(Letter {
        key: recipient.key.clone(),
        line: recipient.line,
        organisation: recipient.organisation.clone(),
        envelope,
        message_id,
        bytes,
        sha256,
        attached: parts
            .iter()
            .map(|p| Attached {
                name: p.name.clone(),
                source: p.source.clone(),
                sha256: p.sha256.clone(),
                shared: p.shared,
            })
            .collect(),
        documents: parts
            .iter()
            .filter(|p| p.typeset)
            .map(|p| (p.name.clone(), p.bytes.clone()))
            .collect(),
    })
}

/// The subject and address headers, and the envelope: the organisation's addresses, or for a
/// test send the test mailbox, with the real addressees named in `X-Letterpost-Test`.
fn addressed(
    builder: MessageBuilder,
    recipient: &Recipient,
    subject: &str,
    redirect: Option<&Redirect>,
) -> (MessageBuilder, Vec<Address>) {
    let name = Some(recipient.organisation.clone());
    match redirect {
        None => {
            let to = recipient
                .to
                .iter()
                .map(|a| Mailbox::new(name.clone(), a.clone()));
            let mut builder = builder
                .subject(one_space(subject))
                .header(AddressList::<TO>(to.collect()));
            if !recipient.cc.is_empty() {
                let cc = recipient.cc.iter().map(|a| Mailbox::new(None, a.clone()));
                builder = builder.header(AddressList::<CC>(cc.collect()));
            }
            let envelope = recipient.to.iter().chain(&recipient.cc).cloned().collect();
            (builder, envelope)
        }
        Some(redirect) => {
            let real: Vec<String> = recipient
                .to
                .iter()
                .chain(&recipient.cc)
                .map(ToString::to_string)
                .collect();
            let builder = builder
                .subject(format!("{TEST_PREFIX}{}", one_space(subject)))
                .header(AddressList::<TO>(vec![Mailbox::new(
                    name,
                    redirect.to.clone(),
                )]))
                .header(TestRedirect(real.join(", ")));
            (builder, vec![redirect.to.clone()])
        }
    }
}

/// multipart/mixed: multipart/alternative (text, HTML), the appendix as an attachment, then the
/// campaign's attachments in order, with boundaries from the letter's seed so the same letter is
/// the same bytes.
fn body(sender: &Sender, rendered: &Rendered, parts: &[Part], seed: &str) -> MultiPart {
    let part = |content_type: ContentType, text: &[u8]| {
        SinglePart::builder()
            .header(content_type)
            .body(base64_body(text))
    };
    let mut mixed = MultiPart::mixed()
        .boundary(format!("=_mixed_{}", &seed[24..48]))
        .multipart(
            MultiPart::alternative()
                .boundary(format!("=_alt_{}", &seed[40..64]))
                .singlepart(part(ContentType::TEXT_PLAIN, &rendered.text))
                .singlepart(part(ContentType::TEXT_HTML, &rendered.html)),
        );
    if let Some(name) = &sender.appendix_filename {
        mixed = mixed.singlepart(attachment(
            name,
            "text/html; charset=utf-8",
            base64_body(&rendered.appendix),
        ));
    }
    for p in parts {
        mixed = mixed.singlepart(attachment(&p.name, &p.mime, base64_bytes(&p.bytes)));
    }
    mixed
}

/// An attachment part: `Content-Type` with the file name as an RFC 2047 `name=` (what Outlook
/// reads) and `Content-Disposition: attachment` with it as RFC 2231 `filename*=` (what the
/// standard says, encoded by lettre), the body already base64.
fn attachment(name: &str, mime: &str, body: Body) -> SinglePart {
    SinglePart::builder()
        .header(NamedContentType {
            mime: mime.to_owned(),
            name: name.to_owned(),
        })
        .header(ContentDisposition::attachment(name))
        .body(body)
}

/// `Content-Type: <mime>; name="…"`, the name as RFC 2047 encoded words when it is not plain
/// ASCII (lettre's `ContentType` cannot carry a name parameter).
#[derive(Debug, Clone)]
struct NamedContentType {
    mime: String,
    name: String,
}

impl Header for NamedContentType {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Type")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let (mime, name) = s.split_once(';').unwrap_or((s, ""));
        let name = name.trim().trim_start_matches("name=").trim_matches('"');
        Ok(NamedContentType {
            mime: mime.trim().to_owned(),
            name: name.to_owned(),
        })
    }

    fn display(&self) -> HeaderValue {
        use email_encoding::headers::writer::EmailWriter;
        use std::fmt::Write;
        let raw = format!("{}; name=\"{}\"", self.mime, self.name);
        let mut encoded = String::new();
        let header = Self::name();
        let mut w = EmailWriter::new(&mut encoded, header.len() + ": ".len(), 0, false);
        let plain = self
            .name
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
            && self.name.len() < 60
            && !self.name.starts_with("=?");
        (|| {
            w.write_str(&self.mime)?;
            w.write_char(';')?;
            w.new_line()?;
            w.space();
            w.write_str("name=\"")?;
            if plain {
                w.write_str(&self.name)?;
            } else {
                email_encoding::headers::rfc2047::encode(&self.name, &mut w)?;
            }
            w.write_char('"')
        })()
        .expect("writing to a String");
        drop(w);
        HeaderValue::dangerous_new_pre_encoded(header, raw, encoded)
    }
}

/// Runs of spaces as one space, for header text: RFC 2047 decoders drop the whitespace between
/// two encoded words, so `Sở  Y` (two spaces) would arrive as `SởY`.
fn one_space(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text as UTF-8 bytes with every line end (CRLF, a bare LF or a bare CR) as CRLF: SMTP
/// forbids bare CR and LF, and lettre lets a bare CR through in 7-bit bodies.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16 + 2);
    let mut start = 0;
    for end in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if end < start {
            continue; // the LF of a CRLF already written
        }
        out.extend_from_slice(&bytes[start..end]);
        out.extend_from_slice(b"\r\n");
        start = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
            end + 2
        } else {
            end + 1
        };
    }
    out.extend_from_slice(&bytes[start..]);
    out
}

/// A body as base64 of the CRLF-normalised UTF-8 text, in lines of 76 characters: for
/// Vietnamese text shorter than quoted-printable (where every accented letter becomes two or
/// three `=XX`), and every line short whatever the text. Encoded here once, so lettre does not
/// scan the text again to choose an encoding; the output is base64 and CRLF only, which is what
/// `dangerous_pre_encoded` requires.
fn base64_body(text: &[u8]) -> Body {
    base64_bytes(&crlf(text))
}

/// A file's bytes as base64 in lines of 76 characters, exactly as they are (no line ends
/// changed: an attachment is binary).
fn base64_bytes(bytes: &[u8]) -> Body {
    use base64::Engine;
    let mut out = vec![0u8; base64_len(bytes.len())];
    let mut len = 0;
    for chunk in bytes.chunks(57) {
        len += base64::engine::general_purpose::STANDARD
            .encode_slice(chunk, &mut out[len..])
            .expect("room for the encoded line");
        out[len..len + 2].copy_from_slice(b"\r\n");
        len += 2;
    }
    out.truncate(len);
    Body::dangerous_pre_encoded(out, ContentTransferEncoding::Base64)
}

/// The length of `n` bytes as base64 in lines of 76 characters, each with its CRLF.
fn base64_len(n: usize) -> usize {
    let full = n / 57;
    let rest = n % 57;
    full * 78
        + if rest == 0 {
            0
        } else {
            rest.div_ceil(3) * 4 + 2
        }
}

/// The number of bytes a text becomes once its line ends are CRLF (as `crlf` makes them).
fn crlf_len(bytes: &[u8]) -> usize {
    let mut len = bytes.len();
    let mut previous_cr = false;
    for &b in bytes {
        match b {
            b'\r' => len += 1, // a bare CR becomes CRLF; the LF of a CRLF is then not counted
            b'\n' if previous_cr => len -= 1,
            b'\n' => len += 1,
            _ => {}
        }
        previous_cr = b == b'\r';
    }
    len
}

/// The size of the message `build` makes, from a build without bodies (`headers_only`, built
/// from a `Rendered` with empty bodies and parts with no bytes) and the full bodies: base64 has
/// a known length, so a check knows every message's size without encoding it.
pub fn full_size(headers_only: &Letter, rendered: &Rendered, parts: &[Part]) -> usize {
    let texts = [&rendered.text, &rendered.html, &rendered.appendix];
    headers_only.bytes.len()
        + texts.iter().map(|t| base64_len(crlf_len(t))).sum::<usize>()
        + parts
            .iter()
            .map(|p| base64_len(p.bytes.len()))
            .sum::<usize>()
}

/// The longest line RFC 5322 allows, without its CRLF.
const MAX_LINE: usize = 998;

/// The length of the longest line, without its line end.
fn longest_line(bytes: &[u8]) -> Option<usize> {
    let mut longest = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        let line = &bytes[start..end];
        let len = line.len() - usize::from(line.last() == Some(&b'\r'));
        longest = longest.max(len);
        start = end + 1;
    }
    (start > 0 || !bytes.is_empty()).then_some(longest)
}

/// Which address header an `AddressList` is.
const TO: bool = false;
const CC: bool = true;

/// `To:` or `Cc:` with one address per line: lettre folds encoded words but never between
/// addresses, so a list of 26 long cc addresses made a header line longer than mail allows.
/// Names are still encoded by lettre's own encoder (RFC 2047 where they need it).
#[derive(Debug, Clone)]
struct AddressList<const IS_CC: bool>(Vec<Mailbox>);

impl<const IS_CC: bool> Header for AddressList<IS_CC> {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str(if IS_CC { "Cc" } else { "To" })
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let list: lettre::message::Mailboxes = s.parse()?;
        Ok(AddressList(list.into_iter().collect()))
    }

    fn display(&self) -> HeaderValue {
        use email_encoding::headers::writer::EmailWriter;
        use std::fmt::Write;
        let name = Self::name();
        let mut encoded = String::new();
        let mut w = EmailWriter::new(&mut encoded, name.len() + ": ".len(), 0, false);
        for (i, mailbox) in self.0.iter().enumerate() {
            if i > 0 {
                w.write_char(',').expect("writing to a String");
                w.new_line().expect("writing to a String");
                w.space();
            }
            if let Some(display) = &mailbox.name {
                email_encoding::headers::quoted_string::encode(display, &mut w)
                    .expect("writing to a String");
                w.space();
                w.write_char('<').expect("writing to a String");
            }
            w.write_str(mailbox.email.as_ref())
                .expect("writing to a String");
            if mailbox.name.is_some() {
                w.write_char('>').expect("writing to a String");
            }
        }
        drop(w);
        let raw = lettre::message::Mailboxes::from_iter(self.0.iter().cloned()).to_string();
        HeaderValue::dangerous_new_pre_encoded(name, raw, encoded)
    }
}

/// The longest file stem: names stay far below every file system's 255-byte limit (the archive
/// adds 21 bytes), and readable in a listing.
const STEM_CAP: usize = 80;

/// A file name for a key that is safe on every file system and different for every key: ASCII
/// letters, digits, `.`, `_`, `-` and `@` are kept, every other byte is written `%XX`. A key
/// whose name would be longer than 80 bytes (an 81-letter Vietnamese id is 400 escaped) becomes
/// a readable ASCII prefix, `~` (which the short form always escapes, so the two forms never
/// meet) and 16 hex digits of the key's SHA-256.
pub fn file_stem(key: &str) -> String {
    let mut stem = String::with_capacity(key.len());
    for (i, b) in key.bytes().enumerate() {
        let keep =
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'@') || (b == b'.' && i > 0);
        if keep {
            stem.push(b as char);
        } else {
            stem.push_str(&format!("%{b:02X}"));
        }
    }
    if stem.len() <= STEM_CAP {
        return stem;
    }
    let mut readable = String::new();
    for c in key
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
    {
        let c = match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '@') => c,
            _ => '-',
        };
        if !(c == '-' && (readable.is_empty() || readable.ends_with('-'))) {
            readable.push(c);
        }
        if readable.len() >= 40 {
            break;
        }
    }
    format!(
        "{}~{}",
        readable.trim_end_matches('-'),
        &sha256_hex(key.as_bytes())[..16]
    )
}

/// 64 hex digits that depend only on (campaign, key): the Message-ID and boundaries come from it.
fn letter_seed(campaign: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(campaign.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

/// `Disposition-Notification-To` (RFC 8098): where the recipient's mail program may send a read
/// receipt, if its user agrees. The return path, so receipts arrive where `track` reads.
#[derive(Debug, Clone)]
struct ReadReceiptTo(Address);

impl Header for ReadReceiptTo {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Disposition-Notification-To")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ReadReceiptTo(s.trim_matches(['<', '>', ' ']).parse()?))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `X-Letterpost-Test`: the addresses a test send stands in for.
#[derive(Debug, Clone)]
struct TestRedirect(String);

impl Header for TestRedirect {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Letterpost-Test")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(TestRedirect(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("redirected from {}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn recipient(org: &str) -> Recipient {
        Recipient {
            line: 2,
            key: "so-y-te".into(),
            organisation: org.into(),
            to: vec!["vanthu@soyte.example".parse().unwrap()],
            cc: vec!["gd@soyte.example".parse().unwrap()],
            fields: IndexMap::new(),
        }
    }

    fn sender() -> Sender {
        Sender {
            campaign: "fanpage-2022".into(),
            from: "Sở Thông tin và Truyền thông <vanthu@stttt.example>"
                .parse()
                .unwrap(),
            appendix_filename: Some("Phụ lục hướng dẫn.html".into()),
            date: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            return_path: "baocao@stttt.example".parse().unwrap(),
            mdn: false,
        }
    }

    fn rendered() -> Rendered {
        Rendered {
            subject: "V/v giới thiệu, quảng bá Fanpage Bình Dương trên mạng xã hội Facebook".into(),
            text: "Kính gửi: Sở Y tế\n".into(),
            html: "<p>Kính gửi</p>\n".into(),
            appendix: "<h1>Phụ lục</h1>\n".into(),
        }
    }

    #[test]
    fn same_letter_same_bytes() {
        let a = build(
            &sender(),
            &recipient("Sở Y tế"),
            &rendered(),
            &[],
            None,
            None,
        )
        .unwrap();
        let b = build(
            &sender(),
            &recipient("Sở Y tế"),
            &rendered(),
            &[],
            None,
            None,
        )
        .unwrap();
        assert_eq!(a.bytes, b.bytes);
        // The hash of the bytes as a tool outside letterpost computes it (FIPS 180-2's "abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(a.sha256.len(), 64);
        assert!(
            a.message_id.starts_with("<fanpage-2022.") && a.message_id.ends_with("@stttt.example>")
        );
        assert_eq!(a.envelope.len(), 2);
    }

    #[test]
    fn the_size_a_check_computes_is_the_size_built() {
        let part = |n: usize| Part {
            name: "Công văn số 125/STTTT-TTBCXB ký số ngày 07 tháng 12 năm 2026.pdf".into(),
            mime: "application/pdf".into(),
            bytes: (0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into(),
            sha256: String::new(),
            shared: false,
            source: "dinh-kem/a.pdf".into(),
            typeset: false,
        };
        for (text, n) in [
            ("a\nb\r\nc\rd", 0),
            ("", 1),
            ("x".repeat(57).as_str(), 56),
            ("ở\n", 58),
        ] {
            let mut r = rendered();
            r.text = text.as_bytes().to_vec();
            r.html = text.repeat(3).into_bytes();
            let parts = [part(n + 1), part(n * 7 + 3)];
            let full = build(&sender(), &recipient("Sở Y tế"), &r, &parts, None, None).unwrap();
            let empty = Rendered {
                subject: r.subject.clone(),
                text: Vec::new(),
                html: Vec::new(),
                appendix: Vec::new(),
            };
            let no_bytes: Vec<Part> = parts
                .iter()
                .map(|p| Part {
                    bytes: Vec::new().into(),
                    ..p.clone()
                })
                .collect();
            let headers = build(
                &sender(),
                &recipient("Sở Y tế"),
                &empty,
                &no_bytes,
                None,
                None,
            );
            assert_eq!(
                full_size(&headers.unwrap(), &r, &parts),
                full.bytes.len(),
                "{text:?} {n}"
            );
        }
    }

    #[test]
    fn an_attachment_name_is_given_both_ways() {
        let p = Part {
            name: "Công văn 125-STTTT-TTBCXB.pdf".into(),
            mime: "application/pdf".into(),
            bytes: b"%PDF-1.4\r\n\x00\xff".to_vec().into(),
            sha256: String::new(),
            shared: true,
            source: "dinh-kem/cv.pdf".into(),
            typeset: false,
        };
        let letter = build(
            &sender(),
            &recipient("Sở Y tế"),
            &rendered(),
            std::slice::from_ref(&p),
            None,
            None,
        )
        .unwrap();
        let text = String::from_utf8(letter.bytes.clone()).unwrap();
        assert!(text.contains("filename*0*=utf-8''"), "{text}");
        assert!(text.contains("name=\"=?utf-8?b?"), "{text}");
        use mail_parser::MimeHeaders;
        let m = mail_parser::MessageParser::default()
            .parse(&letter.bytes)
            .unwrap();
        let att = m.attachment(1).unwrap();
        assert_eq!(att.attachment_name(), Some(p.name.as_str()));
        assert_eq!(att.contents(), &p.bytes[..]);
    }

    #[test]
    fn lines_are_crlf_ascii_and_short() {
        let long = "Trường Đại học ".repeat(40);
        let letter = build(&sender(), &recipient(&long), &rendered(), &[], None, None).unwrap();
        assert!(letter.bytes.is_ascii());
        for line in letter.bytes.split(|&b| b == b'\n') {
            assert!(line.len() <= 999, "line of {} octets", line.len());
        }
        let bare_lf = letter
            .bytes
            .windows(2)
            .filter(|w| w[1] == b'\n' && w[0] != b'\r')
            .count();
        assert_eq!(bare_lf, 0);
    }

    #[test]
    fn line_ends_become_crlf() {
        for (text, expected) in [
            ("a\nb", "a\r\nb"),
            ("a\r\nb", "a\r\nb"),
            ("a\rb", "a\r\nb"),
            ("\r\r\n\n", "\r\n\r\n\r\n"),
            ("ở\n", "ở\r\n"),
            ("", ""),
        ] {
            assert_eq!(
                String::from_utf8(crlf(text.as_bytes())).unwrap(),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn file_stems_are_safe_and_distinct() {
        assert_eq!(file_stem("so-y-te"), "so-y-te");
        assert_eq!(file_stem("vanthu@soyte.example"), "vanthu@soyte.example");
        assert_eq!(file_stem("../etc/passwd"), "%2E.%2Fetc%2Fpasswd");
        assert_eq!(file_stem("Sở"), "S%E1%BB%9F");
        assert_ne!(file_stem("a/b"), file_stem("a%2Fb"));
    }

    #[test]
    fn redirect_marks_a_test() {
        let redirect = Redirect {
            to: "thu@test.example".parse().unwrap(),
            run: "r1".into(),
        };
        let letter = build(
            &sender(),
            &recipient("Sở Y tế"),
            &rendered(),
            &[],
            Some(&redirect),
            None,
        )
        .unwrap();
        let text = String::from_utf8(letter.bytes).unwrap();
        assert!(
            text.contains(
                "X-Letterpost-Test: redirected from vanthu@soyte.example, gd@soyte.example"
            )
        );
        assert_eq!(letter.envelope, vec![redirect.to]);
        assert!(letter.message_id.contains(".test-r1@"));
    }

    mod properties {
        use super::*;
        use crate::recipients::has_header_control;
        use mail_parser::MessageParser;
        use proptest::prelude::*;

        /// Any text, Vietnamese and control characters included.
        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    any::<char>(),
                    prop::sample::select(vec![
                        '\r', '\n', '.', ' ', 'ở', 'Đ', '"', '\\', '<', '=', '?'
                    ]),
                ],
                0..300,
            )
            .prop_map(|chars| chars.into_iter().collect())
        }

        /// Any text a header may carry: no control characters or line breaks.
        fn header_text() -> impl Strategy<Value = String> {
            text().prop_map(|s| {
                s.chars()
                    .filter(|&c| !has_header_control(&c.to_string()))
                    .collect()
            })
        }

        fn normalise_lines(s: &str) -> String {
            s.replace("\r\n", "\n").replace('\r', "\n")
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn any_clean_name_and_subject_round_trip(name in header_text(), subject in header_text()) {
                let name = one_space(&name);
                let subject = one_space(&subject);
                prop_assume!(!subject.is_empty());
                let mut r = rendered();
                r.subject = subject.clone();
                let letter = build(&sender(), &recipient(&name), &r, &[], None, None).unwrap();
                prop_assert!(letter.bytes.is_ascii());
                let message = MessageParser::default().parse(&letter.bytes).unwrap();
                prop_assert_eq!(message.subject().unwrap_or(""), subject.as_str());
                let to = message.to().unwrap().first().unwrap();
                prop_assert_eq!(to.address(), Some("vanthu@soyte.example"));
                if !name.is_empty() {
                    prop_assert_eq!(to.name().unwrap_or(""), name.as_str());
                }
            }

            #[test]
            fn any_body_is_encoded_in_short_crlf_lines_and_decodes_back(text in text(), html in text()) {
                let mut r = rendered();
                r.text = text.clone().into_bytes();
                r.html = html.into_bytes();
                let letter = build(&sender(), &recipient("Sở Y tế"), &r, &[], None, None).unwrap();
                for line in letter.bytes.split(|&b| b == b'\n') {
                    prop_assert!(line.len() <= 999);
                }
                let bare = letter.bytes.windows(2).any(|w| (w[1] == b'\n') != (w[0] == b'\r'));
                prop_assert!(!bare, "a bare CR or LF reached the wire");
                let message = MessageParser::default().parse(&letter.bytes).unwrap();
                let decoded = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
                prop_assert_eq!(normalise_lines(&decoded), normalise_lines(&text));
            }
        }
    }
}
