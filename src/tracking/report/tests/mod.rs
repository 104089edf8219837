//! Whole messages read as their format says: the fixtures in `tests/fixtures/reports/`, the
//! reasons given for what is no report, and no panic on any input.

use super::*;

/// The letters the fixtures are about, as letterpost logs their Message-IDs.
const LETTER: &str = "<fanpage-2022.455ca38b012fd7c049c14270@stttt.binhduong.example>";
const LETTER_CC: &str = "<fanpage-2022.9b1e07f3c2d84a5e6f708192@stttt.binhduong.example>";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/reports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_names() -> Vec<String> {
    let dir = format!("{}/tests/fixtures/reports", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".eml"))
        .collect();
    names.sort();
    names
}

fn report(name: &str) -> Report {
    match parse(&fixture(name)) {
        Parsed::Report(report) => report,
        other => panic!("{name}: {other:?}"),
    }
}

/// A one-recipient expectation: address, action, status, reply code, diagnostic.
type Expected = (
    &'static str,
    Action,
    Option<&'static str>,
    Option<u16>,
    Option<&'static str>,
);

struct Case {
    file: &'static str,
    kind: Kind,
    envelope_id: Option<&'static str>,
    original: Option<&'static str>,
    reporter: Option<&'static str>,
    recipients: Vec<Expected>,
}

fn cases() -> Vec<Case> {
    let tables = [
        postfix_cases(),
        rfc3464_cases(),
        mdn_and_auto_reply_cases(),
        qmail_and_exim_cases(),
        sendmail_and_exchange_cases(),
    ];
    tables.into_iter().flatten().collect()
}

/// Postfix's DSN layout: failed, two recipients, delayed with RET=HDRS, delivered.
fn postfix_cases() -> Vec<Case> {
    use Action::*;
    vec![
        Case {
            file: "postfix-failed.eml",
            kind: Kind::Dsn,
            envelope_id: Some("fanpage-2022.so-y-te+1"),
            original: Some(LETTER),
            reporter: Some("mx.soyte.example"),
            recipients: vec![(
                "vanthu@soyte.example",
                Failed,
                Some("5.1.1"),
                None,
                Some("unknown user: \"vanthu\""),
            )],
        },
        Case {
            file: "postfix-two-recipients.eml",
            kind: Kind::Dsn,
            envelope_id: Some("Sở Y tế"),
            original: Some(LETTER_CC),
            reporter: Some("mail.stttt.binhduong.example"),
            recipients: vec![
                (
                    "vanthu@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some(
                        "550 5.1.1 <vanthu@soyte.example>: Recipient address rejected: User \
                         unknown in virtual mailbox table",
                    ),
                ),
                (
                    "gd@soyte.example",
                    Failed,
                    Some("5.2.2"),
                    Some(552),
                    Some("552 5.2.2 <gd@soyte.example>: Mailbox full"),
                ),
            ],
        },
        Case {
            file: "postfix-delayed-headers.eml",
            kind: Kind::Dsn,
            envelope_id: Some("fanpage-2022.so-y-te"),
            original: Some(LETTER),
            reporter: Some("mail.stttt.binhduong.example"),
            recipients: vec![(
                "vanthu@soyte.example",
                Delayed,
                Some("4.4.1"),
                None,
                Some("connect to mx.soyte.example[203.0.113.25]:25: Connection timed out"),
            )],
        },
        Case {
            file: "postfix-delivered.eml",
            kind: Kind::Dsn,
            envelope_id: Some("fanpage-2022.so-y-te"),
            original: Some(LETTER),
            reporter: Some("mx.soyte.example"),
            recipients: vec![
                (
                    "vanthu@soyte.example",
                    Delivered,
                    Some("2.0.0"),
                    Some(250),
                    Some("250 2.0.0 <vanthu@soyte.example> 8NcXC6WzhmNZbgAAu0yTUQ Saved"),
                ),
                (
                    "gd@ubnd.example",
                    Relayed,
                    Some("2.0.0"),
                    Some(250),
                    Some("250 2.0.0 Ok: queued as 4NS0aC1xyz"),
                ),
            ],
        },
    ]
}

/// In the manner of RFC 3464's own examples, and one cut short.
fn rfc3464_cases() -> Vec<Case> {
    use Action::*;
    vec![
        Case {
            file: "rfc3464-simple-failure.eml",
            kind: Kind::Dsn,
            envelope_id: None,
            original: Some(LETTER),
            reporter: Some("mail.stttt.binhduong.example"),
            // The action is what counts: a 4.x.x status on a message given up after 5 days.
            recipients: vec![(
                "vanthu@soyte.example",
                Failed,
                Some("4.0.0"),
                Some(426),
                Some("426 connection timed out"),
            )],
        },
        Case {
            file: "rfc3464-multiple-recipients.eml",
            kind: Kind::Dsn,
            envelope_id: None,
            original: Some(LETTER),
            reporter: Some("mail.stttt.binhduong.example"),
            recipients: vec![
                (
                    "vanphong@ubnd.example",
                    Failed,
                    Some("5.0.0"),
                    Some(550),
                    Some("550 'vanphong@UBND.example' is not a registered gateway user"),
                ),
                (
                    "thuky@sotc.example",
                    Delayed,
                    Some("4.0.0"),
                    None,
                    Some("mx.sotc.example: host name lookup failure"),
                ),
                (
                    "lanhdao@soct.example",
                    Failed,
                    Some("5.0.0"),
                    Some(550),
                    Some("550 user unknown"),
                ),
            ],
        },
        Case {
            file: "truncated-dsn.eml",
            kind: Kind::Dsn,
            envelope_id: Some("fanpage-2022.so-y-te+1"),
            original: None,
            reporter: Some("mx.soyte.example"),
            // Cut inside "Action: failed": what arrived is reported, as it arrived.
            recipients: vec![(
                "vanthu@soyte.example",
                Unrecognised("fa".into()),
                None,
                None,
                None,
            )],
        },
    ]
}

/// RFC 8098 receipts and RFC 3834 replies.
fn mdn_and_auto_reply_cases() -> Vec<Case> {
    use Action::*;
    vec![
        Case {
            file: "rfc8098-displayed.eml",
            kind: Kind::Mdn,
            envelope_id: None,
            original: Some(LETTER),
            reporter: Some("pc-vanthu.soyte.example; Foomail 97.1"),
            recipients: vec![(
                "vanthu@soyte.example",
                Displayed,
                None,
                None,
                Some("manual-action/MDN-sent-manually; displayed"),
            )],
        },
        Case {
            file: "mdn-deleted.eml",
            kind: Kind::Mdn,
            envelope_id: None,
            original: Some(LETTER_CC),
            reporter: Some("pc-ketoan.soyte.example; Mozilla Thunderbird"),
            recipients: vec![(
                "ketoan@soyte.example",
                OtherDisposition("deleted".into()),
                None,
                None,
                Some("automatic-action/MDN-sent-automatically; deleted"),
            )],
        },
        Case {
            file: "autoreply-rfc3834.eml",
            kind: Kind::AutoReply,
            envelope_id: None,
            original: None,
            reporter: None,
            recipients: vec![(
                "gd@soyte.example",
                AutoReplied,
                None,
                None,
                Some("Auto-Submitted: auto-replied (vacation)"),
            )],
        },
        Case {
            file: "autoreply-legacy.eml",
            kind: Kind::AutoReply,
            envelope_id: None,
            original: None,
            reporter: None,
            recipients: vec![(
                "ketoan@soct.example",
                AutoReplied,
                None,
                None,
                Some("X-Autorespond: yes"),
            )],
        },
    ]
}

/// The plain bounces of qmail and Exim.
fn qmail_and_exim_cases() -> Vec<Case> {
    use Action::*;
    vec![
        Case {
            file: "qmail.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: Some(LETTER),
            reporter: Some("mail.soyte.example"),
            recipients: vec![
                (
                    "vanthu@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    None,
                    Some("Sorry, no mailbox here by that name. (#5.1.1)"),
                ),
                (
                    "ketoan@soyte.example",
                    Failed,
                    Some("5.1.1"),
                    Some(550),
                    Some(
                        "203.0.113.40 does not like recipient. Remote host said: 550 5.1.1 \
                         <ketoan@soyte.example>... User unknown Giving up on 203.0.113.40.",
                    ),
                ),
            ],
        },
        Case {
            file: "exim-plain.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: Some(LETTER),
            reporter: None,
            recipients: vec![(
                "vanthu@soyte.example",
                Failed,
                Some("5.1.1"),
                Some(550),
                Some(
                    "SMTP error from remote mail server after RCPT TO:<vanthu@soyte.example>: \
                     host mx2.soyte.example [203.0.113.26]: 550 5.1.1 <vanthu@soyte.example>: \
                     Recipient address rejected: User unknown",
                ),
            )],
        },
        Case {
            file: "exim-delayed.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: None,
            reporter: None,
            recipients: vec![(
                "lanhdao@soct.example",
                Delayed,
                Some("4.3.0"),
                Some(451),
                Some(
                    "Delay reason: SMTP error from remote mail server after initial \
                     connection: host mail.soct.example [203.0.113.90]: 451 4.3.0 Temporary \
                     local problem",
                ),
            )],
        },
    ]
}

/// The plain bounces of Sendmail and Exchange.
fn sendmail_and_exchange_cases() -> Vec<Case> {
    use Action::*;
    vec![
        Case {
            file: "sendmail-plain.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: Some(LETTER),
            reporter: None,
            recipients: vec![(
                "vanphong@ubnd.example",
                Failed,
                Some("5.1.1"),
                Some(550),
                Some("550 5.1.1 <vanphong@ubnd.example>... User unknown"),
            )],
        },
        Case {
            file: "exchange-ndr.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: Some(LETTER),
            reporter: Some("EXCH01.soyte.example"),
            recipients: vec![(
                "vanthu@soyte.example",
                Failed,
                Some("5.1.1"),
                Some(550),
                Some("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
            )],
        },
        Case {
            file: "exchange-remote-server.eml",
            kind: Kind::Bounce,
            envelope_id: None,
            original: None,
            reporter: None,
            recipients: vec![(
                "vanphong@ubnd.example",
                Failed,
                Some("5.1.1"),
                Some(550),
                Some("Remote Server returned '550 5.1.1 <vanphong@ubnd.example>... User unknown'"),
            )],
        },
    ]
}

#[test]
fn every_report_fixture_is_read_as_its_format_says() {
    for case in cases() {
        let report = report(case.file);
        let file = case.file;
        assert_eq!(report.kind, case.kind, "{file}");
        assert_eq!(report.envelope_id.as_deref(), case.envelope_id, "{file}");
        assert_eq!(
            report.original_message_id.as_deref(),
            case.original,
            "{file}"
        );
        assert_eq!(report.reporter.as_deref(), case.reporter, "{file}");
        let got: Vec<_> = report
            .recipients
            .iter()
            .map(|r| {
                let diagnostic = r.diagnostic.as_deref();
                let address = r.recipient.as_deref().unwrap_or_default();
                (
                    address,
                    r.action.clone(),
                    r.status.as_deref(),
                    r.reply_code,
                    diagnostic,
                )
            })
            .collect();
        assert_eq!(got, case.recipients, "{file}");
    }
}

#[test]
fn every_fixture_is_covered_by_a_test() {
    let mut covered: Vec<&str> = cases().iter().map(|c| c.file).collect();
    covered.extend(messages::NOT_REPORTS.iter().map(|(file, _)| *file));
    covered.push("malformed-report.eml");
    for name in fixture_names() {
        assert!(covered.contains(&name.as_str()), "{name} is in no test");
    }
}

#[test]
fn fixtures_are_crlf_mail() {
    for name in fixture_names() {
        let bytes = fixture(&name);
        let bare_lf = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'));
        assert!(!bare_lf, "{name} has a bare LF");
    }
}

#[test]
fn line_ends_do_not_change_what_is_read() {
    for name in fixture_names() {
        let crlf = fixture(&name);
        let mut lf = Vec::with_capacity(crlf.len());
        for (i, &b) in crlf.iter().enumerate() {
            if !(b == b'\r' && crlf.get(i + 1) == Some(&b'\n')) {
                lf.push(b);
            }
        }
        // Mailbox files and maildirs hold LF; IMAP gives CRLF. Base64 bodies are the same.
        assert_eq!(parse(&crlf), parse(&lf), "{name}");
    }
}

mod messages;
