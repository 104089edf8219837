//! What people expect of any command-line tool: completion scripts that the shell accepts, a
//! manual page that `man` renders, `-v`/`-q`, and a campaign found from any folder inside it.

use std::process::Command;

use crate::support::{Campaign, Run};

/// The top-level commands, as `--help` lists them.
const COMMANDS: [&str; 8] = [
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
    let warnings = run_on_file("groff", &["-man", "-Tutf8", "-ww", "-z"], page, &[]);
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
