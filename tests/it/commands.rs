use crate::support::{Campaign, csv, letterpost_in};

#[test]
fn check_reports_the_bundled_campaign_clean_and_writes_nothing() {
    let c = Campaign::bundled();
    c.run(&["check"])
        .code(0)
        .stdout_has("recipients/organisations.csv: 56 recipients");
    for dir in ["outbox", "logs", "archive"] {
        assert!(!c.exists(dir), "check wrote {dir}");
    }
}

#[test]
fn preview_prints_one_letter_by_line_or_key() {
    let c = Campaign::bundled();
    let by_line = c.run(&["preview", "2"]);
    by_line
        .code(0)
        .stdout_has("Kính gửi: Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Bình Dương");
    let by_key = c.run(&["preview", "mttq-tinh"]);
    assert_eq!(by_line.stdout, by_key.stdout);
    c.run(&["preview", "9999"])
        .code(2)
        .stderr_has("no recipient in recipients/organisations.csv has line number or key `9999`");
    assert!(!c.exists("outbox") && !c.exists("logs"));
}

#[test]
fn preview_writes_the_html_part_and_the_message_on_request() {
    let c = Campaign::bundled();
    let html = c.path("letter.html");
    let eml = c.path("letter.eml");
    c.run(&[
        "preview",
        "so-y-te",
        "--html",
        html.to_str().unwrap(),
        "--eml",
        eml.to_str().unwrap(),
    ])
    .code(0);
    assert!(std::fs::read_to_string(&html).unwrap().contains("Sở Y tế"));
    let m = mail_parser::MessageParser::default()
        .parse(&std::fs::read(&eml).unwrap())
        .unwrap()
        .into_owned();
    assert!(m.body_text(0).unwrap().contains("Kính gửi: Sở Y tế"));
}

#[test]
fn init_creates_a_campaign_that_checks_clean() {
    let c = Campaign::bundled();
    let dir = c.path("new-campaign");
    c.run(&["init", dir.to_str().unwrap()]).code(0);
    c.run(&["--campaign", dir.to_str().unwrap(), "check"])
        .code(0)
        .stdout_has("56 recipients");
    c.run(&["init", dir.to_str().unwrap()])
        .code(2)
        .stderr_has("is not empty");
}

#[test]
fn campaign_flag_accepts_the_folder_or_its_toml_and_recipients_can_be_swapped() {
    let c = Campaign::bundled();
    let other = tempfile::tempdir().unwrap();
    let root = c.dir.path().to_str().unwrap().to_owned();
    let toml = format!("{root}/campaign.toml");
    let list = other.path().join("test.csv");
    std::fs::write(&list, csv(&["t,Phòng thử nghiệm,thu@test.example,,"])).unwrap();
    let mut cmd = c.command(&[
        "--campaign",
        &toml,
        "--recipients",
        list.to_str().unwrap(),
        "check",
    ]);
    let out = cmd.current_dir(other.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 recipient;"));
    let mut cmd = c.command(&["--campaign", &root, "check"]);
    assert_eq!(
        cmd.current_dir(other.path())
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn missing_campaign_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    letterpost_in(dir.path(), &["check"])
        .code(2)
        .stderr_has("letterpost init DIR");
}

#[test]
fn help_is_written_for_a_clerk() {
    let c = Campaign::bundled();
    let help = c.run(&["--help"]);
    help.code(0)
        .stdout_has("Exit codes: 0 every recipient accepted");
    let commands: Vec<&str> = help
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A long description goes on under its first line, further in.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    // Every command, then clap's `help`.
    assert_eq!(
        commands,
        [&crate::conventions::COMMANDS[..], &["help"]].concat()
    );
    for subcommand in ["summary", "list", "show", "export", "verify"] {
        c.run(&["log", subcommand, "--help"]).code(0);
    }
    let send = c.run(&["send", "--help"]);
    for flag in [
        "--dry-run",
        "--yes",
        "--limit",
        "--only",
        "--redirect-to",
        "--retry-failed",
        "--resend-unknown",
        "--concurrency",
        "--rate",
    ] {
        send.stdout_has(flag);
    }
    assert!(
        !send.stdout.to_lowercase().contains("password"),
        "no password flag exists"
    );
}
