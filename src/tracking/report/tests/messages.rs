//! What the report parser says of messages built in the test: DSN fields, returned headers,
//! automatic replies, what is no report and why, damaged and encoded status parts, and no
//! panic on any input.

use super::*;

#[test]
fn dsn_per_message_and_per_recipient_fields() {
    let two = report("postfix-two-recipients.eml");
    assert_eq!(two.arrival.as_deref(), Some("2022-11-30T02:40:11Z"));
    assert_eq!(two.date.as_deref(), Some("2022-11-30T02:40:13Z"));
    assert_eq!(
        two.from.as_deref(),
        Some("mailer-daemon@mail.stttt.binhduong.example")
    );
    assert_eq!(
        two.subject.as_deref(),
        Some("Undelivered Mail Returned to Sender")
    );
    let cc = &two.recipients[1];
    // Final-Recipient said GD@soyte.example: addresses are compared lower-case.
    assert_eq!(cc.original_recipient.as_deref(), Some("gd@soyte.example"));
    assert_eq!(cc.remote_mta.as_deref(), Some("mx.soyte.example"));

    let simple = report("rfc3464-simple-failure.eml");
    assert_eq!(simple.arrival, None);
    assert_eq!(
        simple.recipients[0].last_attempt.as_deref(),
        Some("2022-12-05T02:15:49Z")
    );
    assert_eq!(simple.in_reply_to, Vec::<String>::new());
}

#[test]
fn returned_headers_alone_still_name_the_letter() {
    // RET=HDRS: text/rfc822-headers instead of message/rfc822, in DSNs and MDNs alike.
    for name in ["postfix-delayed-headers.eml", "postfix-delivered.eml"] {
        assert_eq!(
            report(name).original_message_id.as_deref(),
            Some(LETTER),
            "{name}"
        );
    }
    let mut bytes = fixture("mdn-deleted.eml");
    let field = b"Original-Message-ID: ";
    let at = bytes.windows(field.len()).position(|w| w == field).unwrap();
    bytes[at] = b'X'; // now an unknown field: the id must come from the returned headers
    let Parsed::Report(mdn) = parse(&bytes) else {
        panic!("not a report")
    };
    assert_eq!(mdn.original_message_id.as_deref(), Some(LETTER_CC));
}

#[test]
fn automatic_replies_name_the_letter_in_their_references() {
    assert_eq!(report("autoreply-rfc3834.eml").in_reply_to, [LETTER]);
    assert_eq!(
        report("autoreply-legacy.eml").in_reply_to,
        ["<older.thread@soct.example>", LETTER_CC]
    );
}

/// A plain message with `extra` header lines.
fn message_with(extra: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Thu ky <thuky@sotc.example>\r\nTo: vanthu@stttt.binhduong.example\r\n\
         Subject: {subject}\r\nMessage-ID: <x.1@sotc.example>\r\nIn-Reply-To: {LETTER}\r\n\
         {extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Cảm ơn.\r\n"
    )
    .into_bytes()
}

#[test]
fn auto_reply_signs_and_what_is_not_one() {
    let subject = "Re: V/v gioi thieu Fanpage";
    for (extra, sign) in [
        (
            "Auto-Submitted: auto-replied\r\n",
            Some("Auto-Submitted: auto-replied"),
        ),
        (
            "Auto-Submitted: auto-generated\r\n",
            Some("Auto-Submitted: auto-generated"),
        ),
        (
            "auto-submitted: Auto-Notified\r\n",
            Some("Auto-Submitted: Auto-Notified"),
        ),
        ("Auto-Submitted: no\r\n", None),
        ("Auto-Submitted: No (a person wrote this)\r\n", None),
        ("X-Autoreply: yes\r\n", Some("X-Autoreply: yes")),
        (
            "X-Autorespond: Vacation\r\n",
            Some("X-Autorespond: Vacation"),
        ),
        ("Precedence: auto_reply\r\n", Some("Precedence: auto_reply")),
        ("Precedence: bulk\r\n", None),
        ("Precedence: list\r\n", None),
        ("X-Auto-Response-Suppress: All\r\n", None),
        (
            "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\r\n",
            None,
        ),
    ] {
        let parsed = parse(&message_with(extra, subject));
        let got = match &parsed {
            Parsed::Report(r) if r.kind == Kind::AutoReply => r.recipients[0].diagnostic.clone(),
            Parsed::NotAReport { .. } => None,
            other => panic!("{extra:?}: {other:?}"),
        };
        assert_eq!(got.as_deref(), sign, "{extra:?}");
    }
    for (subject, auto) in [
        ("Automatic reply: V/v gioi thieu", true),
        ("Out of Office: V/v gioi thieu", true),
        ("AUTO: V/v gioi thieu", true),
        ("Re: Automatic reply: V/v gioi thieu", false),
        ("Autumn plans", false),
    ] {
        let is_auto = matches!(parse(&message_with("", subject)), Parsed::Report(r) if r.kind == Kind::AutoReply);
        assert_eq!(is_auto, auto, "{subject}");
    }
}

/// The messages that are no report, and what they must say.
pub(super) const NOT_REPORTS: &[(&str, &str)] = &[
    (
        "human-reply.eml",
        "no delivery report, read receipt or sign of an automatic reply",
    ),
    (
        "forwarded-bounce.eml",
        "quotes a qmail bounce but was sent by a person, not a mail system",
    ),
    (
        "non-utf8.eml",
        "no delivery report, read receipt or sign of an automatic reply",
    ),
];

#[test]
fn people_and_junk_mail_are_not_reports() {
    for (name, reason) in NOT_REPORTS {
        let Parsed::NotAReport {
            from,
            subject,
            in_reply_to,
            why,
        } = parse(&fixture(name))
        else {
            panic!("{name} was read as a report");
        };
        assert_eq!(why.described(), *reason, "{name}");
        assert!(from.is_some() && subject.is_some(), "{name}");
        if *name != "forwarded-bounce.eml" {
            assert_eq!(in_reply_to, [LETTER], "{name}");
        }
    }
    let Parsed::NotAReport { from, subject, .. } = parse(&fixture("human-reply.eml")) else {
        unreachable!()
    };
    assert_eq!(from.as_deref(), Some("vanthu@soyte.example"));
    assert!(subject.unwrap().starts_with("Trả lời: V/v giới thiệu"));
}

/// A multipart/report of `report_type` whose second part is `part_type` with `body`.
fn report_message(report_type: &str, part_type: &str, body: &str) -> Vec<u8> {
    format!(
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.soyte.example\r\n\
         To: bounces@stttt.binhduong.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type={report_type}; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\
         --b\r\nContent-Type: {part_type}\r\n\r\n{body}\r\n--b--\r\n"
    )
    .into_bytes()
}

fn unreadable(bytes: &[u8]) -> String {
    match parse(bytes) {
        Parsed::Unreadable(why) => why.described(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_cannot_be_read_says_why() {
    assert_eq!(
        unreadable(&fixture("malformed-report.eml")),
        "the message/delivery-status part names no recipient"
    );
    for junk in [&b""[..], b"hello world\r\nthis is not mail\r\n"] {
        assert_eq!(unreadable(junk), "no header fields: not a mail message");
    }
    for junk in [&b"\r\n\r\n"[..], b"\xff\xfe\x00garbage \x80\x81", &[0; 64]] {
        assert!(unreadable(junk).starts_with("none of the header fields a mail message has"));
    }
    let no_parts = report_message("delivery-status", "text/plain", "nothing here");
    assert_eq!(
        unreadable(&no_parts),
        "a multipart/report of type delivery-status without its message/delivery-status part"
    );
    let no_disposition = report_message(
        "disposition-notification",
        "message/disposition-notification",
        "Reporting-UA: x; y\r\nFinal-Recipient: rfc822; a@b.example",
    );
    assert_eq!(
        unreadable(&no_disposition),
        "a disposition notification without a Disposition field"
    );
    let unknown_format = String::from_utf8(fixture("qmail.eml")).unwrap().replace(
        "Hi. This is the qmail-send program",
        "Greetings from the program",
    );
    assert_eq!(
        unreadable(unknown_format.as_bytes()),
        "a delivery report from a mail system (\"failure notice\") in no format this module reads"
    );
    let no_recipient = String::from_utf8(fixture("qmail.eml"))
        .unwrap()
        .replace("<vanthu@soyte.example>:", "vanthu:")
        .replace("<KeToan@soyte.example>:", "ketoan:");
    assert_eq!(
        unreadable(no_recipient.as_bytes()),
        "a qmail bounce that names no recipient this module can read"
    );
}

#[test]
fn a_damaged_status_part_falls_back_to_the_text() {
    // Postfix's own words still name the recipients when the status part is garbage.
    let text = String::from_utf8(fixture("postfix-two-recipients.eml")).unwrap();
    let start = text.find("Reporting-MTA:").unwrap();
    let end = text[start..].find("\r\n--").unwrap() + start;
    let damaged = format!("{}garbage\r\n{}", &text[..start], &text[end..]);
    let Parsed::Report(report) = parse(damaged.as_bytes()) else {
        panic!("not a report")
    };
    assert_eq!(report.kind, Kind::Bounce);
    assert_eq!(report.original_message_id.as_deref(), Some(LETTER_CC));
    let got: Vec<_> = report
        .recipients
        .iter()
        .map(|r| (r.recipient.as_deref(), r.status.as_deref(), r.reply_code))
        .collect();
    assert_eq!(
        got,
        [
            (Some("vanthu@soyte.example"), Some("5.1.1"), Some(550)),
            (Some("gd@soyte.example"), Some("5.2.2"), Some(552)),
        ]
    );
}

#[test]
fn other_report_types_are_not_delivery_reports() {
    let arf = report_message(
        "feedback-report",
        "message/feedback-report",
        "Feedback-Type: abuse",
    );
    let Parsed::NotAReport { why, .. } = parse(&arf) else {
        panic!("read as a report")
    };
    assert_eq!(
        why.described(),
        "a report of type feedback-report, which is not about delivery or reading"
    );
}

/// The recipients of a DSN whose status part is `body`.
fn dsn_recipients(body: &str) -> Vec<PerRecipient> {
    match parse(&report_message(
        "delivery-status",
        "message/delivery-status",
        body,
    )) {
        Parsed::Report(report) => report.recipients,
        other => panic!("{body:?}: {other:?}"),
    }
}

#[test]
fn dsn_actions_as_written_or_inferred_from_the_status() {
    for (action, status, expected) in [
        ("failed", "5.1.1", Action::Failed),
        ("FAILED", "5.1.1", Action::Failed),
        ("delayed", "4.4.7", Action::Delayed),
        ("delivered", "2.0.0", Action::Delivered),
        ("relayed", "2.0.0", Action::Relayed),
        ("expanded (to a list)", "2.0.0", Action::Expanded),
        ("", "5.7.1", Action::Failed),
        ("", "4.2.2", Action::Delayed),
        ("", "2.1.5", Action::Delivered),
        ("", "", Action::Unrecognised(String::new())),
        ("bounced", "5.0.0", Action::Unrecognised("bounced".into())),
    ] {
        let mut body =
            "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\n"
                .to_owned();
        if !action.is_empty() {
            body += &format!("Action: {action}\r\n");
        }
        if !status.is_empty() {
            body += &format!("Status: {status}\r\n");
        }
        assert_eq!(
            dsn_recipients(&body)[0].action,
            expected,
            "{action:?} {status:?}"
        );
    }
}

#[test]
fn encoded_and_international_status_parts() {
    // base64 status part: mail-parser undoes the transfer encoding before the fields are read.
    let body = "Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n";
    let encoded = "RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAYi5leGFtcGxlDQpBY3Rpb246IGZhaWxlZA0KU3Rh\r\n\
                   dHVzOiA1LjEuMQ0K";
    let part = "message/delivery-status\r\nContent-Transfer-Encoding: base64";
    let message = report_message("delivery-status", part, encoded);
    let Parsed::Report(report) = parse(&message) else {
        panic!("not a report")
    };
    assert_eq!(report.recipients, dsn_recipients(body));
    // RFC 6533: UTF-8 addresses in message/global-delivery-status.
    let global = report_message(
        "delivery-status",
        "message/global-delivery-status",
        "Final-Recipient: utf-8; Văn.Thư@SởYTế.example\r\nAction: failed\r\nStatus: 5.1.1",
    );
    let Parsed::Report(report) = parse(&global) else {
        panic!("not a report")
    };
    assert_eq!(
        report.recipients[0].recipient.as_deref(),
        Some("văn.thư@sởytế.example")
    );
}

#[test]
fn dsn_groups_without_blank_lines_still_part_recipients() {
    let body = "Reporting-MTA: dns; mx.example\r\n\
                Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
                Final-Recipient: rfc822; c@d.example\r\nAction: delayed\r\nStatus: 4.4.1";
    let got: Vec<_> = dsn_recipients(body)
        .into_iter()
        .map(|r| (r.recipient.unwrap(), r.action))
        .collect();
    assert_eq!(
        got,
        [
            ("a@b.example".to_owned(), Action::Failed),
            ("c@d.example".to_owned(), Action::Delayed)
        ]
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// One change to a message: a byte replaced, inserted or removed, or the tail cut off.
    #[derive(Debug, Clone)]
    enum Edit {
        Replace(usize, u8),
        Insert(usize, u8),
        Remove(usize),
        Truncate(usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let byte = prop_oneof![
            any::<u8>(),
            prop::sample::select(b"\r\n \t:;<>()=\"-+@.5".to_vec())
        ];
        prop_oneof![
            (any::<usize>(), byte.clone()).prop_map(|(at, b)| Edit::Replace(at, b)),
            (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
            any::<usize>().prop_map(Edit::Remove),
            any::<usize>().prop_map(Edit::Truncate),
        ]
    }

    fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match *edit {
            Edit::Replace(i, b) if !bytes.is_empty() => {
                let i = at(i, bytes.len());
                bytes[i] = b;
            }
            Edit::Insert(i, b) => {
                let i = at(i, bytes.len() + 1);
                bytes.insert(i, b);
            }
            Edit::Remove(i) if !bytes.is_empty() => {
                let i = at(i, bytes.len());
                bytes.remove(i);
            }
            Edit::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
            _ => {}
        }
    }

    /// Every fixture, read once.
    fn fixtures() -> Vec<Vec<u8>> {
        fixture_names().iter().map(|name| fixture(name)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_are_read_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_header_like_text_is_read_without_panic(
            lines in prop::collection::vec("[A-Za-z-]{0,12}:? ?[ -~\u{80}-\u{10ffff}]{0,40}\r?\n?", 0..40)
        ) {
            let _ = parse(lines.concat().as_bytes());
        }

        #[test]
        fn mutated_reports_are_read_without_panic(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec(edit(), 1..12),
        ) {
            let all = fixtures();
            let mut bytes = which.get(&all).clone();
            for edit in &edits {
                apply(&mut bytes, edit);
            }
            if let Parsed::Report(report) = parse(&bytes) {
                prop_assert!(!report.recipients.is_empty());
            }
        }

        #[test]
        fn reports_pieced_together_from_other_reports_are_read_without_panic(
            picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..120)
        ) {
            // Real lines in a wrong order: boundaries, status fields and bounce wording out of
            // place reach every reader here far more often than random bytes do.
            let all = fixtures();
            let mut bytes = Vec::new();
            for (file, line) in &picks {
                let lines: Vec<&[u8]> = file.get(&all).split(|&b| b == b'\n').collect();
                let piece: &&[u8] = line.get(&lines);
                bytes.extend_from_slice(piece);
                bytes.push(b'\n');
            }
            if let Parsed::Report(report) = parse(&bytes) {
                prop_assert!(!report.recipients.is_empty());
            }
        }
    }
}
