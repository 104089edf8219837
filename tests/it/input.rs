use crate::support::{Campaign, Run, csv};

/// Runs `check` and `send --dry-run` and `send --yes`: each must refuse with exit 2, print the
/// problem, and leave no outbox, log or archive behind.
#[track_caller]
fn refused(c: &Campaign, needles: &[&str]) -> Run {
    let mut last = None;
    for args in [&["check"][..], &["send", "--dry-run"], &["send", "--yes"]] {
        let run = c.run(args);
        run.code(2);
        for needle in needles {
            run.stderr_has(needle);
        }
        last = Some(run);
    }
    for dir in ["outbox", "archive"] {
        assert!(c.files(dir).is_empty(), "{dir} was written");
    }
    assert!(!c.exists("logs/fanpage-2022.jsonl"), "the log was written");
    last.unwrap()
}

#[test]
fn empty_file_is_refused() {
    let c = Campaign::with_csv("");
    refused(&c, &["recipients/organisations.csv: the file is empty"]);
}

#[test]
fn header_without_rows_is_refused() {
    let c = Campaign::with_csv("id,organisation,email,cc,group\n");
    refused(&c, &["the list has a header but no recipients"]);
}

#[test]
fn missing_required_column_is_named() {
    let c = Campaign::with_csv("id,organisation,mail\na,Sở A,a@a.example\n");
    refused(
        &c,
        &["recipients/organisations.csv:1: the required column `email` is missing"],
    );
}

#[test]
fn duplicate_and_blank_headers_are_refused() {
    let c = Campaign::with_csv("id,organisation,email,email, \na,Sở A,a@a.example,b@b.example,x\n");
    let run = refused(
        &c,
        &[
            "the same column twice: `email` (columns 3 and 4",
            "column 5 has no name",
        ],
    );
    assert!(run.stderr.contains("2 problems found"), "{}", run.stderr);
}

#[test]
fn bad_addresses_name_line_and_column() {
    let c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,không-phải-địa-chỉ,,",
        "c,Sở C,c@c.example,kế toán@c.example,",
        "d,Sở D,,,",
    ]));
    let run = refused(
        &c,
        &[
            "recipients/organisations.csv:3: column `email`: `không-phải-địa-chỉ` is not an email address",
            "recipients/organisations.csv:4: column `cc`: `kế toán@c.example` is not an email address",
            "recipients/organisations.csv:5: column `email`: is empty, but the letter needs it",
        ],
    );
    assert!(
        run.stderr.contains("3 problems found"),
        "every problem at once:\n{}",
        run.stderr
    );
}

#[test]
fn duplicate_keys_name_both_lines() {
    let c = Campaign::with_csv(&csv(&[
        "so-y-te,Sở Y tế,a@a.example,,",
        "so-y-te,Sở Y tế (2),b@b.example,,",
    ]));
    refused(
        &c,
        &[
            "recipients/organisations.csv:3: column `id`: the key `so-y-te` is already used on line 2",
        ],
    );
}

#[test]
fn without_an_id_column_the_key_is_the_first_address_lowercased() {
    let c = Campaign::with_csv(
        "organisation,email\nSở A,VanThu@A.example\nSở A bis,vanthu@a.example\n",
    );
    refused(
        &c,
        &[
            "recipients/organisations.csv:3: column `email`: the key `vanthu@a.example` is already used on line 2",
        ],
    );
}

#[test]
fn line_numbers_count_lines_inside_quoted_cells() {
    let c = Campaign::with_csv(&csv(&[
        "a,Sở A,a@a.example,,\"nhóm\ncó hai dòng\"",
        "b,Sở B,sai,,",
    ]));
    refused(
        &c,
        &["recipients/organisations.csv:4: column `email`: `sai` is not an email address"],
    );
}

#[test]
fn line_breaks_and_control_characters_in_header_fields_are_refused() {
    let c = Campaign::with_csv(&csv(&[
        "a,\"Sở A\r\nBcc: x@evil.example\",a@a.example,,",
        "b,\"Sở B\u{2028}\",b@b.example,,",
        "c,Sở C\u{0},c@c.example,,",
        "d,Sở D\u{85},d@d.example,,",
    ]));
    let run = refused(
        &c,
        &[
            "recipients/organisations.csv:2: column `organisation`: contains a line break (U+000D)",
            "recipients/organisations.csv:4: column `organisation`: contains a line break (U+2028)",
            "recipients/organisations.csv:5: column `organisation`: contains a NUL character (U+0000)",
            "recipients/organisations.csv:6: column `organisation`: contains a line break (U+0085)",
        ],
    );
    assert!(run.stderr.contains("4 problems found"), "{}", run.stderr);
}

#[test]
fn ragged_rows_are_refused() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example"]));
    refused(
        &c,
        &["recipients/organisations.csv:3: this row has 3 fields but the header has 5"],
    );
}

#[test]
fn undefined_template_variables_are_named_before_anything_renders() {
    let c = Campaign::bundled();
    let letter = c
        .read("templates/letter.html")
        .replace("{{ organisation }}", "{{ ten_co_quan }}");
    c.write("templates/letter.html", letter);
    refused(
        &c,
        &["templates/letter.html:43:17: the variable `ten_co_quan` is neither a column"],
    );
}

#[test]
fn template_syntax_errors_name_the_file_and_line() {
    let c = Campaign::bundled();
    c.write(
        "templates/letter.txt",
        "Kính gửi: {{ organisation }}\n{% if %}\n",
    );
    refused(&c, &["templates/letter.txt:2:"]);
}

#[test]
fn empty_required_cells_are_refused() {
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.set_toml(
        "recipients",
        "required",
        r#"["organisation", "email", "group"]"#,
    );
    refused(
        &c,
        &["recipients/organisations.csv:2: column `group`: is empty, but the letter needs it"],
    );
}

#[test]
fn a_value_that_breaks_the_rendered_subject_is_refused() {
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,\"dòng 1\ndòng 2\""]));
    c.set_toml("campaign", "subject", r#""V/v Fanpage – {{ group }}""#);
    refused(
        &c,
        &[
            "recipients/organisations.csv:2: the subject rendered for this row contains a line break",
        ],
    );
}

#[test]
fn windows_1258_is_refused_with_a_fix_then_read_when_named() {
    // "Sở Y tế" and "Bình Dương" in Windows-1258: base letters plus combining tone marks.
    let mut bytes = b"id,organisation,email\n".to_vec();
    for i in 0..4 {
        bytes.extend_from_slice(format!("s{i},").as_bytes());
        bytes.extend_from_slice(b"S\xF5\xD2 Y t\xEA\xEC ti\xD2nh Bi\xCCnh D\xFD\xF5ng");
        bytes.extend_from_slice(format!(",s{i}@a.example\n").as_bytes());
    }
    let mut c = Campaign::with_csv("");
    c.write("recipients/organisations.csv", &bytes);
    refused(
        &c,
        &[
            "recipients/organisations.csv:2: column `organisation`: the file is not UTF-8 text",
            "Save As",
            "encoding =",
        ],
    );
    c.set_toml("recipients", "encoding", r#""windows-1258""#);
    c.run(&["send", "--dry-run"]).code(0);
    let eml = std::fs::read(c.path("outbox/fanpage-2022/s0.eml")).unwrap();
    let m = mail_parser::MessageParser::default().parse(&eml).unwrap();
    assert_eq!(
        m.to().unwrap().first().unwrap().name(),
        Some("Sở Y tế tỉnh Bình Dương"),
        "decoded and NFC"
    );
}

#[test]
fn utf16_with_bom_semicolons_and_tabs_are_read() {
    let text = "id;organisation;email\r\nsyt;\"Sở Y tế; Bình Dương\";a@a.example\r\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let c = Campaign::with_csv("");
    c.write("recipients/organisations.csv", utf16);
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(c.manifest()[0].to, ["a@a.example"]);

    c.write(
        "recipients/organisations.csv",
        format!(
            "\u{feff}{}",
            "id\torganisation\temail\nx\tSở X\tx@x.example\n"
        ),
    );
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(c.manifest()[0].key, "x", "BOM stripped, tab detected");
}

#[test]
fn header_names_are_trimmed_and_mapped_columns_are_used() {
    let c = Campaign::with_csv("Mã , Tên cơ quan ,Thư điện tử\nx,Sở X,x@x.example\n");
    c.write("campaign.toml", c.read("campaign.toml") + "\n[recipients.columns]\nid = \"Mã\"\norganisation = \"Tên cơ quan\"\nemail = \"Thư điện tử\"\n");
    c.run(&["check"]).code(0).stdout_has("1 recipient;");
}

#[test]
fn bad_config_is_reported_with_its_file() {
    let c = Campaign::bundled();
    c.write(
        "campaign.toml",
        c.read("campaign.toml")
            .replace("[sending]", "[sending]\nspeed = 3"),
    );
    c.run(&["check"])
        .code(2)
        .stderr_has("campaign.toml is not valid")
        .stderr_has("unknown field `speed`");
}

/// A float of seconds that no wait can be (infinite, or longer than any clock) is a mistake in
/// campaign.toml, named by its file and key: `check` used to panic on it (exit 101).
#[test]
fn an_infinite_or_absurd_wait_is_refused_with_its_key() {
    for (table, key, value, shown) in [
        ("sending", "retry_delay", "inf", "inf"),
        ("smtp", "timeout", "1e30", "1e30"),
        ("sending", "retry_delay", "-1", "-1.0"),
    ] {
        let mut c = Campaign::bundled();
        c.set_toml(table, key, value);
        let run = c.run(&["check"]);
        run.code(2).stderr_has(&format!(
            "campaign.toml: [{table}] {key} `{shown}` is not a number of seconds"
        ));
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// `concurrency = 0` in campaign.toml is refused as `--concurrency 0` is, not made 1.
#[test]
fn concurrency_zero_in_the_file_is_refused_like_the_flag() {
    let c = Campaign::bundled();
    c.run(&["send", "--dry-run", "--concurrency", "0"])
        .code(2)
        .stderr_has("--concurrency must be between 1 and 256");
    let mut c = Campaign::bundled();
    c.set_toml("sending", "concurrency", "0");
    c.run(&["check"])
        .code(2)
        .stderr_has("campaign.toml: [sending] concurrency `0` must be between 1 and 256");
}

#[test]
fn blank_rows_are_skipped_and_a_named_delimiter_is_used() {
    let mut c = Campaign::with_csv(
        "id;organisation;email\na;Sở A, Phòng 1;a@a.example\n;;\n  ;  ;  \nb;Sở B;b@b.example\n",
    );
    c.set_toml("recipients", "delimiter", r#"";""#);
    c.run(&["send", "--dry-run"])
        .code(0)
        .stdout_has("wrote 2 letters for 2 recipients");
    assert_eq!(
        c.manifest().iter().map(|l| l.row).collect::<Vec<_>>(),
        [2, 5]
    );
}

#[test]
fn a_row_reports_all_its_problems_not_only_the_first_kind() {
    let c = Campaign::with_csv(&csv(&["a,\"Sở\nA\",a@a.example,sai-dia-chi,"]));
    c.run(&["check"])
        .code(2)
        .stderr_has("column `organisation`: contains a line break")
        .stderr_has("column `cc`: `sai-dia-chi` is not an email address")
        .stderr_has("2 problems found");
}
