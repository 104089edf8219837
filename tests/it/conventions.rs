//! What people expect of any command-line tool: completion scripts that the shell accepts, a
//! manual page that `man` renders, `-v`/`-q`, and a campaign found from any folder inside it.

use std::process::Command;

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, Run, Terminal, csv};

/// The top-level commands, as `--help` lists them.
pub const COMMANDS: [&str; 8] = [
    "check",
    "preview",
    "send",
    "log",
    "track",
    "init",
    "completions",
    "man",
];

/// `program args…` with `input` written to a file it reads (its path is the last argument).
fn run_on_file(program: &str, args: &[&str], input: &str, env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, input).unwrap();
    let mut cmd = Command::new(program);
    cmd.args(args).arg(&file).envs(env.iter().copied());
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}): scripts/test.sh installs what the tests need")
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_bash_completion_script_parses_and_knows_every_command() {
    let c = Campaign::bundled();
    let script = c.run(&["completions", "bash"]);
    script.code(0);
    let checked = run_on_file("bash", &["-n"], &script.stdout, &[]);
    checked.code(0);
    for word in COMMANDS
        .iter()
        .chain(&["--dry-run", "--campaign", "verify"])
    {
        script.stdout_has(word);
    }
    // Sourcing it registers the completion for `letterpost`.
    let registered = run_on_file(
        "bash",
        &["-c", "source \"$0\" && complete -p letterpost"],
        &script.stdout,
        &[],
    );
    registered.code(0).stdout_has("letterpost");
}

#[test]
fn completion_scripts_for_zsh_fish_and_powershell() {
    let c = Campaign::bundled();
    for shell in ["zsh", "fish", "powershell"] {
        let script = c.run(&["completions", shell]);
        script
            .code(0)
            .stdout_has("letterpost")
            .stdout_has("dry-run");
        assert!(script.stderr.is_empty(), "{shell}: {}", script.stderr);
    }
    c.run(&["completions", "tcsh"])
        .code(2)
        .stderr_has("possible values: bash, zsh, fish, powershell");
}

/// A page rendered as `man` shows it (its words, one space apart), with groff's warnings
/// checked too.
fn rendered(page: &str) -> String {
    let shown = run_on_file(
        "man",
        &["-l"],
        page,
        &[
            ("MANPAGER", "cat"),
            ("MANWIDTH", "100"),
            ("LC_ALL", "C.UTF-8"),
        ],
    );
    shown.code(0);
    assert!(shown.stderr.is_empty(), "man complained:\n{}", shown.stderr);
    // -k: through preconv, as man-db does, so that a page in UTF-8 (Vietnamese) is read as such.
    let warnings = run_on_file("groff", &["-k", "-man", "-Tutf8", "-ww", "-z"], page, &[]);
    warnings.code(0);
    assert!(
        warnings.stderr.is_empty(),
        "groff warned:\n{}",
        warnings.stderr
    );
    // Justified text: words are what count, not the spaces between them.
    shown
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_manual_page_renders_with_man() {
    let c = Campaign::bundled();
    let page = c.run(&["man"]);
    page.code(0);
    assert!(page.stdout.contains(".TH letterpost 1"), "{}", page.stdout);
    let shown = rendered(&page.stdout);
    for text in [
        "NAME",
        "SYNOPSIS",
        "--campaign",
        "--quiet",
        "Exit codes:",
        "letterpost-send(1)",
        "letterpost-man(1)",
    ] {
        assert!(shown.contains(text), "the page lacks {text:?}:\n{shown}");
    }
}

/// The page in Vietnamese: groff reads its UTF-8 (man passes it through preconv) and shows
/// every diacritic.
#[test]
fn the_vietnamese_manual_page_renders_with_man() {
    let mut c = Campaign::bundled();
    c.env("LANG", "vi_VN.UTF-8");
    let page = c.run(&["man", "send"]);
    let shown = rendered(&page.code(0).stdout);
    for text in [
        "letterpost-send - Gửi đợt thư",
        "Kiểm tra mọi thứ trước; nếu có lỗi thì không gửi thư nào.",
        "TÙY CHỌN",
        "--dry-run",
    ] {
        assert!(shown.contains(text), "the page lacks {text:?}:\n{shown}");
    }
}

#[test]
fn each_command_has_its_own_manual_page() {
    let c = Campaign::bundled();
    let send = rendered(&c.run(&["man", "send"]).code(0).stdout.clone());
    assert!(send.contains("letterpost-send(1)"), "{send}");
    assert!(send.contains("--dry-run") && send.contains("--resend-unknown"));
    let verify = rendered(&c.run(&["man", "log", "verify"]).code(0).stdout.clone());
    assert!(verify.contains("--checkpoint"), "{verify}");
    c.run(&["man", "sned"])
        .code(2)
        .stderr_has("`letterpost sned` is not a command");
}

fn two() -> String {
    csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"])
}

#[test]
fn quiet_prints_only_problems_and_the_last_line() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&two());
    c.relay(server.port);
    // The dry run: its one line, on stdout, and nothing on stderr.
    let dry = c.run(&["-q", "send", "--dry-run"]);
    dry.code(0).stdout_has("Dry run: wrote 2 letters");
    assert_eq!(dry.stdout.lines().count(), 1, "{}", dry.stdout);
    assert!(dry.stderr.is_empty(), "{}", dry.stderr);
    // A send: no progress, no notes; the summary (the result) on stdout.
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    let sent = c.run(&["-q", "send", "--yes"]);
    sent.code(0).stdout_has("2 of 2 recipients accepted");
    assert!(sent.stderr.is_empty(), "-q printed:\n{}", sent.stderr);
    // Without -q the same run says more.
    let mut c = Campaign::with_csv(&two());
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    let told = c.run(&["send", "--yes"]);
    told.code(0)
        .stderr_has("progress: 2/2 letters")
        .stderr_has("note: SOURCE_DATE_EPOCH is set");
    // A problem still shows under -q.
    let bad = Campaign::with_csv(&csv(&["a,Sở A,không-phải-địa-chỉ,,"]));
    bad.run(&["-q", "check"])
        .code(2)
        .stderr_has("is not an email address")
        .stderr_has("1 problem found");
}

#[test]
fn verbose_shows_letterposts_own_events_and_rust_log_refines_them() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&two());
    c.relay(server.port);
    let quiet = c.run(&["check"]);
    quiet.code(0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    c.run(&["-v", "check"])
        .code(0)
        .stderr_has("INFO letterpost::config: campaign fanpage-2022: ");
    // -v: the connection and each letter, not yet the replies or the records.
    let verbose = c.run(&["-v", "send", "--dry-run"]);
    verbose.code(0).stderr_has("campaign fanpage-2022");
    let sent = c.run(&["-v", "send", "--yes"]);
    sent.code(0)
        .stderr_has(&format!(
            "connected to 127.0.0.1:{}, no TLS (security none)",
            server.port
        ))
        .stderr_has("accepted: 250 2.0.0 Ok: queued key=a attempt=1");
    assert!(!sent.stderr.contains("DEBUG"), "{}", sent.stderr);
    // RUST_LOG adds to -v: the records, but still not the SMTP replies.
    let mut c = Campaign::with_csv(&two());
    c.relay(server.port)
        .env("RUST_LOG", "letterpost::delivery_log=debug");
    let refined = c.run(&["-v", "send", "--yes"]);
    refined
        .code(0)
        .stderr_has("record 1 written: attempt a")
        .stderr_has("connected to 127.0.0.1");
    assert!(!refined.stderr.contains("rcpt <"), "{}", refined.stderr);
}

#[test]
fn a_retry_is_announced_with_its_letter_and_time() {
    let mut script = Script::default();
    script.rcpt_transient_times.insert("b@b.example".into(), 1);
    let server = SmtpServer::start(script);
    let mut c = Campaign::with_csv(&two());
    c.relay(server.port);
    let run = c.run(&["-v", "send", "--yes"]);
    run.code(0)
        .stderr_has("deferred at rcpt: 451 4.7.1 Greylisted, try again later key=b attempt=1")
        .stderr_has("retry 1 of 3 in ")
        .stderr_has("accepted: 250 2.0.0 Ok: queued key=b attempt=2");
    let retry = run
        .stderr
        .lines()
        .find(|l| l.contains("retry 1 of 3"))
        .unwrap();
    assert!(retry.ends_with("key=b"), "{retry}");
    assert!(retry.contains(", at 20"), "the time it is due: {retry}");
}

/// `letterpost` run in a folder inside the campaign.
fn run_in(c: &Campaign, folder: &str, args: &[&str]) -> Run {
    let mut cmd = c.command(args);
    cmd.current_dir(c.path(folder));
    crate::support::feed(cmd, "")
}

#[test]
fn the_campaign_is_found_from_a_folder_inside_it_and_named() {
    let c = Campaign::with_csv(&two());
    let campaign = c.dir.path().join("campaign.toml");
    let checked = run_in(&c, "templates", &["check"]);
    checked.code(0).stdout_has("2 recipients");
    assert_eq!(
        checked.stderr,
        format!("note: using {}\n", campaign.display()),
        "one line names the campaign used"
    );
    // Two folders down, and what it writes goes into the campaign, not here.
    run_in(&c, "templates/partials", &["send", "--dry-run"])
        .code(0)
        .stderr_has("note: using");
    assert_eq!(c.files("outbox/fanpage-2022").len(), 3);
    assert!(!c.exists("templates/partials/outbox"));
    // -q: not a problem, so not said.
    let quiet = run_in(&c, "templates", &["-q", "check"]);
    quiet.code(0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    // In the campaign folder itself nothing needs saying.
    let here = c.run(&["check"]);
    assert!(here.stderr.is_empty(), "{}", here.stderr);
}

#[test]
fn without_a_campaign_above_it_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inside")).unwrap();
    crate::support::letterpost_in(&dir.path().join("inside"), &["check"])
        .code(2)
        .stderr_has("there is no campaign.toml in ")
        .stderr_has("inside or in any folder above it")
        .stderr_has("`letterpost init DIR` creates one");
}

/// At a terminal progress is a bar, but not under `-v`: its lines would tear the bar.
#[test]
fn at_a_terminal_progress_is_a_bar_unless_diagnostics_are_printed() {
    let four = csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
        "d,Sở D,d@d.example,,",
    ]);
    let server = SmtpServer::start(Script::default());
    // Two letters a second: the run lasts a second, long enough for the bar to be drawn.
    let mut c = Campaign::with_csv(&four);
    // indicatif draws nothing on a terminal whose kind it is not told.
    c.relay(server.port).env("TERM", "xterm");
    let terminal = Terminal::start(&c, "send --yes --rate 2/second");
    terminal.wait_for("letters  ");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("ETA"), "no bar:\n{screen}");
    assert!(!screen.contains("progress:"), "{screen}");

    let mut c = Campaign::with_csv(&four);
    c.relay(server.port).env("TERM", "xterm");
    let terminal = Terminal::start(&c, "-v send --yes --rate 2/second");
    terminal.wait_for("progress: 4/4 letters");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("letterpost::dispatch"), "{screen}");
    assert!(!screen.contains("ETA"), "a bar under -v:\n{screen}");
}
