//! The clerk's language: Vietnamese or English, chosen by `--lang`, then `LETTERPOST_LANG`, then
//! the locale, and changing only what a person reads: the letters, the log, the exports and the
//! exit codes are the same in either language.

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Run, Terminal, csv};

/// A campaign whose list has one bad address on line 3.
fn with_a_bad_address() -> Campaign {
    Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,vanthu@soyte,,"]))
}

/// Whether `check`'s problem report is in Vietnamese (`false`: English); it panics when it is
/// neither, or both.
fn vietnamese(run: &Run) -> bool {
    run.code(2);
    let vi = run
        .stderr
        .contains("lỗi: recipients/organisations.csv:3: cột `email`:");
    let en = run
        .stderr
        .contains("error: recipients/organisations.csv:3: column `email`:");
    assert!(vi != en, "neither or both languages:\n{}", run.stderr);
    vi
}

#[test]
fn the_flag_then_letterpost_lang_then_the_locale_then_english() {
    let mut c = with_a_bad_address();
    assert!(!vietnamese(&c.run(&["check"])), "English without a locale");
    c.env("LANG", "vi_VN.UTF-8");
    assert!(vietnamese(&c.run(&["check"])), "a Vietnamese locale");
    assert!(
        !vietnamese(&c.run(&["check", "--lang", "en"])),
        "--lang beats the locale"
    );
    c.env("LETTERPOST_LANG", "en");
    assert!(
        !vietnamese(&c.run(&["check"])),
        "LETTERPOST_LANG beats the locale"
    );
    assert!(
        vietnamese(&c.run(&["--lang=vi", "check"])),
        "--lang beats LETTERPOST_LANG"
    );
    c.env("LETTERPOST_LANG", "");
    c.env("LANG", "en_US.UTF-8");
    c.env("LC_ALL", "vi_VN.UTF-8");
    assert!(vietnamese(&c.run(&["check"])), "LC_ALL beats LANG");
    c.env("LC_ALL", "");
    c.env("LC_MESSAGES", "vi_VN.UTF-8");
    assert!(vietnamese(&c.run(&["check"])), "LC_MESSAGES beats LANG");
    c.env("LC_MESSAGES", "fr_FR.UTF-8");
    assert!(
        !vietnamese(&c.run(&["check"])),
        "a locale we do not speak is English"
    );
}

#[test]
fn an_unknown_letterpost_lang_is_named_and_the_locale_decides() {
    let mut c = with_a_bad_address();
    c.env("LETTERPOST_LANG", "fr").env("LANG", "vi_VN.UTF-8");
    let run = c.run(&["check"]);
    assert!(vietnamese(&run));
    run.stderr_has("cảnh báo: LETTERPOST_LANG=fr không phải ngôn ngữ letterpost hỗ trợ (vi, en)");
    // --lang is checked with the other arguments: a value it does not know is refused before
    // anything runs, in the language the rest chose.
    c.run(&["check", "--lang", "fr"])
        .code(2)
        .stderr_has("lỗi: giá trị 'fr' không hợp lệ cho '--lang <LANG>'")
        .stderr_has("các giá trị hợp lệ: vi, en");
}

/// clap has no translations: the commonest mistakes on the command line are told in
/// Vietnamese by letterpost, with clap's suggestion, and exit 2 as in English.
#[test]
fn mistakes_on_the_command_line_are_told_in_vietnamese() {
    let mut c = Campaign::bundled();
    c.run(&["sned"])
        .code(2)
        .stderr_has("error: unrecognized subcommand 'sned'");
    c.env("LANG", "vi_VN.UTF-8");
    let run = c.run(&["sned"]);
    run.code(2)
        .stderr_has("lỗi: không có lệnh 'sned'")
        .stderr_has("gợi ý: có lệnh gần giống: 'send'")
        .stderr_has("Cách dùng: letterpost [OPTIONS] <COMMAND>")
        .stderr_has("Xem thêm bằng '--help'.");
    c.run(&["send", "--dry-run", "--retry-failed"])
        .code(2)
        .stderr_has("lỗi: không dùng được '--dry-run' cùng với '--retry-failed'");
    c.run(&["log", "export", "--xlsx"])
        .code(2)
        .stderr_has("lỗi: còn thiếu tham số bắt buộc: --output <FILE>");
    c.run(&["send", "--bogus"])
        .code(2)
        .stderr_has("lỗi: không có tham số '--bogus'");
    let run = c.run(&["log", "list", "--status"]);
    run.code(2)
        .stderr_has("lỗi: '--status <STATE>' cần có giá trị đi kèm");
    assert!(!run.stderr.contains("các giá trị hợp lệ"), "{}", run.stderr);
}

#[test]
fn help_is_vietnamese_for_a_vietnamese_clerk() {
    let mut c = Campaign::bundled();
    c.env("LANG", "vi_VN.UTF-8");
    let run = c.run(&["send", "--help"]);
    run.code(0)
        .stdout_has("Cách dùng: letterpost send [OPTIONS]")
        .stdout_has("Tùy chọn:")
        .stdout_has("--dry-run")
        .stdout_has("Không gửi gì: ghi mỗi cơ quan một tệp .eml");
    assert!(!run.stdout.contains("Usage:"), "{}", run.stdout);
    // The manual page and the completion scripts are built from the same words.
    c.run(&["man", "send"])
        .code(0)
        .stdout_has("letterpost\\-send \\- Gửi đợt thư (hoặc, với \\-\\-dry\\-run, chạy thử");
    c.run(&["completions", "fish"])
        .code(0)
        .stdout_has("Không hỏi xác nhận trước khi gửi");
}

/// Every file under `folder` of campaign `c`, by name, with its bytes.
fn files(c: &Campaign, folder: &str) -> Vec<(String, Vec<u8>)> {
    c.files(folder)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(c.path(&format!("{folder}/{name}"))).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn the_letters_are_the_same_in_either_language() {
    let mut english = Campaign::bundled();
    let mut vietnamese = Campaign::bundled();
    english.env("SOURCE_DATE_EPOCH", "1669852800");
    vietnamese
        .env("SOURCE_DATE_EPOCH", "1669852800")
        .env("LANG", "vi_VN.UTF-8");
    english.run(&["send", "--dry-run"]).code(0);
    vietnamese
        .run(&["send", "--dry-run"])
        .code(0)
        .stdout_has("Chạy thử: đã ghi 56 thư cho 56 nơi nhận vào outbox/fanpage-2022");
    let (en, vi) = (
        files(&english, "outbox/fanpage-2022"),
        files(&vietnamese, "outbox/fanpage-2022"),
    );
    assert_eq!(en.len(), 57, "56 letters and the manifest");
    assert!(en == vi, "the outboxes differ");
}

#[test]
fn the_log_exports_and_exit_codes_are_the_same_in_either_language() {
    let server = SmtpServer::start(Script::refusing("b@b.example"));
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.relay(server.port).env("LANG", "vi_VN.UTF-8");
    c.run(&["send", "--yes"]).code(1);
    // The records a Vietnamese run wrote are the English vocabulary of the log format, and
    // nothing in them is Vietnamese but what the list gave (the organisations' names).
    let types: Vec<String> = c.log().iter().map(|r| r.kind.clone()).collect();
    assert_eq!(
        types.join(" "),
        "run_started attempt data accepted attempt rejected run_finished"
    );
    let log = c
        .read("logs/fanpage-2022.jsonl")
        .replace("Sở A", "")
        .replace("Sở B", "");
    assert!(log.is_ascii(), "{log}");
    let rejected = c.log().into_iter().find(|r| r.kind == "rejected").unwrap();
    assert_eq!(rejected.smtp.unwrap().text, "User unknown");
    // Exports and their column names, and the exit codes, do not follow the language.
    let export = |lang: &str, args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--lang", lang]);
        let run = c.run(&args);
        (run.code, run.stdout.clone())
    };
    for args in [
        &["log", "export"][..],
        &["log", "export", "--json"],
        &["log", "summary", "--json"],
        &["log", "list"],
    ] {
        let (en, vi) = (export("en", args), export("vi", args));
        assert_eq!(en.0, vi.0, "{args:?}: exit codes");
        if args != ["log", "list"] {
            assert_eq!(en.1, vi.1, "{args:?}: output");
        }
    }
    let (_, csv) = export("vi", &["log", "export"]);
    assert!(
        csv.starts_with("\u{feff}\"key\",\"organisation\","),
        "{csv}"
    );
    c.run(&["log", "verify", "--lang", "vi"]).code(0);
    c.run(&["log", "verify", "--lang", "en"]).code(0);
}

/// At a terminal, the question is Vietnamese and `có` (or `yes`) is the answer that sends.
#[test]
fn a_vietnamese_clerk_is_asked_in_vietnamese_and_answers_yes() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.relay(server.port).env("LANG", "vi_VN.UTF-8");
    let ask = |answer: &str| {
        let mut terminal = Terminal::start(&c, "send");
        terminal.wait_for("Gõ có (hoặc yes) để gửi:");
        terminal.type_keys(answer);
        terminal.finish()
    };
    let (code, screen) = ask("không\n");
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("Gửi 2 thư qua 127.0.0.1:"), "{screen}");
    assert!(screen.contains("Chưa gửi thư nào."), "{screen}");
    assert!(server.received().is_empty());
    let (code, screen) = ask("có\n");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(server.received().len(), 2);
    assert!(
        screen.contains("Đợt gửi fanpage-2022: 2/2 nơi nhận đã nhận thư"),
        "{screen}"
    );
}

/// Why a run stopped is told in Vietnamese and recorded in English: here a link planted where
/// the first letter's archived copy goes, which letterpost refuses to write through.
#[test]
fn a_run_stopped_in_vietnamese_records_why_in_english() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--dry-run"]).code(0);
    let planted = c.archive_name("a");
    std::fs::create_dir_all(c.path("archive/fanpage-2022")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/letterpost-test", c.path(&planted)).unwrap();
    c.env("LANG", "vi_VN.UTF-8");
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has("Đã dừng giữa chừng: không lưu được thư vào bản lưu trữ ")
        .stderr_has("đây là liên kết tượng trưng");
    assert!(server.received().is_empty());
    let finished = c
        .log()
        .into_iter()
        .find(|r| r.kind == "run_finished")
        .unwrap();
    let stopped = finished.stopped.expect("run_finished says why it stopped");
    assert!(
        stopped.starts_with("cannot archive the message in "),
        "{stopped}"
    );
    assert!(stopped.contains(": it is a symbolic link"), "{stopped}");
    assert!(stopped.is_ascii(), "{stopped}");
}
