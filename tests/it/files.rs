//! The files a campaign gets hold personal data: they are private whatever the umask, no link
//! planted in `logs/`, `archive/` or `outbox/` is ever written through, a dry run never deletes
//! what it did not write, and the password file and `--checkpoint` are checked at the door.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::smtp::{Script, SmtpServer, Tls};
use crate::support::{Campaign, Run, csv, feed, letterpost_in, repo};

fn three() -> String {
    csv(&[
        "a,Sở A,a@a.example,,",
        "b,Sở B,b@b.example,,",
        "c,Sở C,c@c.example,,",
    ])
}

/// The permission bits of `path`, not following a link.
fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// A file outside the campaign, with content worth keeping.
fn outside(dir: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, "précieux: not letterpost's\n").unwrap();
    path
}

#[track_caller]
fn untouched(path: &Path) {
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        "précieux: not letterpost's\n",
        "the file outside the campaign was changed"
    );
}

/// letterpost under `sh -c`, with the umask set first.
fn with_umask(c: &Campaign, umask: &str, args: &str) -> Run {
    let script = format!("umask {umask}; exec \"$LETTERPOST_BIN\" {args}");
    feed(c.other("sh", &["-c", &script]), "")
}

#[test]
fn every_file_and_folder_it_makes_is_private_even_under_umask_000() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    with_umask(&c, "000", "send --yes --limit 2").code(1);
    // A torn last line, set aside by the next run into a file of its own.
    let whole = c.read("logs/fanpage-2022.jsonl");
    c.write(
        "logs/fanpage-2022.jsonl",
        format!("{whole}{{\"v\":1,\"seq\":9"),
    );
    with_umask(&c, "000", "send --yes")
        .code(0)
        .stderr_has("was never finished");
    with_umask(&c, "000", "send --dry-run").code(0);
    assert_eq!(server.received().len(), 3);

    let mut checked = 0;
    for dir in [
        "logs",
        "archive",
        "archive/fanpage-2022",
        "outbox",
        "outbox/fanpage-2022",
    ] {
        assert_eq!(mode(&c.path(dir)), 0o700, "{dir}");
        for name in c.files(dir) {
            let path = c.path(&format!("{dir}/{name}"));
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{dir}/{name}");
                checked += 1;
            }
        }
    }
    // The log, its lock, the torn fragment, three archived letters, three .eml and the manifest.
    assert_eq!(checked, 10, "{:?}", c.files("logs"));
    assert!(c.exists(&format!("logs/fanpage-2022.jsonl.torn-{}", whole.len())));
    c.run(&["log", "verify"]).code(0);
}

#[test]
fn a_lock_file_planted_as_a_link_is_refused_and_its_target_kept() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    let elsewhere = tempfile::tempdir().unwrap();
    let target = outside(&elsewhere, "precious.txt");
    std::fs::create_dir(c.path("logs")).unwrap();
    symlink(&target, c.path("logs/fanpage-2022.lock")).unwrap();
    for args in [&["send", "--yes"][..], &["send", "--dry-run"]] {
        c.run(args)
            .code(2)
            .stderr_has("logs/fanpage-2022.lock")
            .stderr_has("symbolic link");
        untouched(&target);
    }
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl") && !c.exists("outbox"));
}

#[test]
fn a_log_planted_as_a_link_is_refused_and_nothing_is_appended_outside() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    let elsewhere = tempfile::tempdir().unwrap();
    let target = outside(&elsewhere, "elsewhere.jsonl");
    std::fs::create_dir(c.path("logs")).unwrap();
    symlink(&target, c.path("logs/fanpage-2022.jsonl")).unwrap();
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("logs/fanpage-2022.jsonl")
        .stderr_has("symbolic link")
        .stderr_has("nothing was sent");
    untouched(&target);
    assert!(server.received().is_empty());
    assert!(!c.exists("archive"));
}

#[test]
fn a_torn_line_is_never_set_aside_through_a_link() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    c.run(&["send", "--yes", "--limit", "1"]).code(1);
    let whole = c.read("logs/fanpage-2022.jsonl");
    let torn = format!("{whole}{{\"v\":1,\"seq\":9");
    c.write("logs/fanpage-2022.jsonl", &torn);
    let elsewhere = tempfile::tempdir().unwrap();
    let target = outside(&elsewhere, "precious.txt");
    let aside = format!("logs/fanpage-2022.jsonl.torn-{}", whole.len());
    symlink(&target, c.path(&aside)).unwrap();
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has(&aside)
        .stderr_has("nothing was sent");
    untouched(&target);
    assert_eq!(
        c.read("logs/fanpage-2022.jsonl"),
        torn,
        "the log was not cut"
    );
    assert_eq!(server.received().len(), 1);
}

#[test]
fn an_archived_message_planted_as_a_link_is_never_written_through() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--dry-run"]).code(0);
    let planted = c.archive_name("a");
    std::fs::create_dir_all(c.path("archive/fanpage-2022")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = outside(&elsewhere, "precious.txt");
    symlink(&target, c.path(&planted)).unwrap();
    c.run(&["send", "--yes"])
        .code(3)
        .stderr_has(&planted)
        .stderr_has("symbolic link")
        .stderr_has("Stopped early");
    untouched(&target);
    assert!(server.received().is_empty(), "a is first: nothing went out");
    assert!(c.log().iter().all(|r| r.kind != "attempt"));
    c.run(&["log", "verify"]).code(0);

    std::fs::remove_file(c.path(&planted)).unwrap();
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(server.received().len(), 3);
    assert_eq!(mode(&c.path(&planted)), 0o600);
    c.run(&["log", "verify"]).code(0).stdout_has("OK");
}

#[test]
fn an_archived_message_already_there_is_kept_if_the_same_completed_if_cut_short_else_refused() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port).env("SOURCE_DATE_EPOCH", "1700000000");
    c.run(&["send", "--dry-run"]).code(0);
    let letter = |key: &str| std::fs::read(c.path(&format!("outbox/fanpage-2022/{key}.eml")));
    let (a, b) = (letter("a").unwrap(), letter("b").unwrap());
    // a: the same bytes (an earlier run built it and was stopped); b: its first half (a run
    // killed while writing it); c: something else under its name.
    c.write(&c.archive_name("a"), &a);
    c.write(&c.archive_name("b"), &b[..b.len() / 2]);
    c.write(&c.archive_name("c"), "forged");
    c.run(&["send", "--yes", "--only", "c"])
        .code(3)
        .stderr_has(&c.archive_name("c"))
        .stderr_has("other content");
    assert_eq!(c.read(&c.archive_name("c")), "forged", "kept as it was");
    assert!(server.received().is_empty());

    std::fs::remove_file(c.path(&c.archive_name("c"))).unwrap();
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(std::fs::read(c.path(&c.archive_name("a"))).unwrap(), a);
    assert_eq!(std::fs::read(c.path(&c.archive_name("b"))).unwrap(), b);
    assert_eq!(server.received().len(), 3);
    c.run(&["log", "verify"])
        .code(0)
        .stdout_has("3 archived messages match");
}

#[test]
fn log_verify_reports_an_archived_message_replaced_by_a_link() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port);
    c.run(&["send", "--yes"]).code(0);
    let archived = c
        .log()
        .into_iter()
        .find(|r| r.kind == "attempt" && r.key.as_deref() == Some("b"))
        .and_then(|r| r.archive)
        .unwrap();
    // The link's target holds the very bytes: following it would say all is well.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("b.eml");
    std::fs::rename(c.path(&archived), &copy).unwrap();
    symlink(&copy, c.path(&archived)).unwrap();
    c.run(&["log", "verify"])
        .code(1)
        .stdout_has("FAILED")
        .stdout_has(&format!("{archived} is a symbolic link"));
    c.run(&["log", "show", "b"]).stdout_has("symbolic link");
}

#[test]
fn a_dry_run_never_deletes_a_file_it_did_not_write() {
    let c = Campaign::with_csv(&csv(&["a,Sở A,a@a.example,,", "b,Sở B,b@b.example,,"]));
    c.run(&["send", "--dry-run"]).code(0);
    c.write("outbox/fanpage-2022/ghi-chú.txt", "the clerk's own notes");
    c.write(
        "recipients/organisations.csv",
        csv(&["a,Sở A,a@a.example,,"]),
    );
    let before = c.read("outbox/fanpage-2022/manifest.jsonl");
    c.run(&["send", "--dry-run"])
        .code(2)
        .stderr_has("outbox/fanpage-2022")
        .stderr_has("did not write: ghi-chú.txt")
        .stderr_has("nothing was written");
    assert_eq!(
        c.files("outbox/fanpage-2022"),
        ["a.eml", "b.eml", "ghi-chú.txt", "manifest.jsonl"]
    );
    assert_eq!(c.read("outbox/fanpage-2022/manifest.jsonl"), before);
    assert_eq!(c.files("outbox"), ["fanpage-2022"], "no staging folder");

    // Moved away, the next dry run replaces what it wrote, b.eml included.
    std::fs::rename(
        c.path("outbox/fanpage-2022/ghi-chú.txt"),
        c.path("ghi-chú.txt"),
    )
    .unwrap();
    c.run(&["send", "--dry-run"]).code(0);
    assert_eq!(c.files("outbox/fanpage-2022"), ["a.eml", "manifest.jsonl"]);

    // A folder made by hand, with no manifest: nothing in it is letterpost's.
    let d = Campaign::with_csv(&three());
    d.write("outbox/fanpage-2022/a.eml", "the clerk's draft");
    d.run(&["send", "--dry-run"])
        .code(2)
        .stderr_has("did not write: a.eml");
    assert_eq!(d.read("outbox/fanpage-2022/a.eml"), "the clerk's draft");
    assert_eq!(d.files("outbox"), ["fanpage-2022"]);
}

#[test]
fn an_outbox_that_is_a_file_or_a_link_is_refused_and_no_staging_folder_is_left() {
    let c = Campaign::with_csv(&three());
    c.write("outbox/fanpage-2022", "not a folder");
    c.run(&["send", "--dry-run"])
        .code(2)
        .stderr_has("outbox/fanpage-2022 is in the way")
        .stderr_has("nothing was written");
    assert_eq!(c.read("outbox/fanpage-2022"), "not a folder");
    assert_eq!(c.files("outbox"), ["fanpage-2022"], "no staging folder");

    std::fs::remove_file(c.path("outbox/fanpage-2022")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = outside(&elsewhere, "precious.txt");
    symlink(elsewhere.path(), c.path("outbox/fanpage-2022")).unwrap();
    c.run(&["send", "--dry-run"])
        .code(2)
        .stderr_has("symbolic link");
    untouched(&target);
    assert_eq!(c.files("outbox"), ["fanpage-2022"], "no staging folder");
    let mut there: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    there.sort();
    assert_eq!(there, ["precious.txt"]);
}

#[test]
fn a_password_file_of_dev_zero_is_refused_at_once() {
    let server = SmtpServer::start(Script::default());
    let mut c = Campaign::with_csv(&three());
    c.relay(server.port)
        .env("LETTERPOST_SMTP_USERNAME", "vanthu")
        .env("LETTERPOST_SMTP_PASSWORD_FILE", "/dev/zero");
    // At most 2 GiB of address space, so a reader that never stops fails here quickly instead
    // of filling the machine's memory.
    let script = "ulimit -v 2097152; exec \"$LETTERPOST_BIN\" send --yes";
    let mut child = c
        .other("bash", &["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still reading /dev/zero after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the SMTP password file /dev/zero holds more than 4 KiB"),
        "{stderr}"
    );
    assert!(server.received().is_empty());
    assert!(!c.exists("logs/fanpage-2022.jsonl"));
}

#[test]
fn a_password_file_open_to_others_is_used_with_a_warning_that_never_shows_the_password() {
    let tls = Tls::new();
    let script = Script {
        credentials: Some(("vanthu".into(), "mật-khẩu-tệp".into())),
        ..Script::default()
    };
    let server = SmtpServer::start_with(script, Some(&tls));
    let mut c = Campaign::with_csv(&three());
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &server.port.to_string())
        .env("LETTERPOST_SMTP_CA_FILE", &tls.cert())
        .env("LETTERPOST_SMTP_SECURITY", "starttls")
        .env("LETTERPOST_SMTP_USERNAME", "vanthu");
    c.set_toml("smtp", "password_file", "\"secret/password\"");
    c.write("secret/password", "mật-khẩu-tệp\n");
    let file = c.path("secret/password");
    let chmod = |mode: u32| {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };

    chmod(0o600);
    let private = c.run(&["send", "--yes", "--limit", "1"]);
    private.code(1);
    assert!(!private.stderr.contains("warning"), "{}", private.stderr);

    chmod(0o644);
    let open = c.run(&["send", "--yes"]);
    open.code(0)
        .stderr_has("warning: the SMTP password file ")
        .stderr_has("secret/password is open to other users (mode 0644)")
        .stderr_has("chmod 600");
    assert_eq!(server.received().len(), 3);
    for text in [
        &private.stdout,
        &private.stderr,
        &open.stdout,
        &open.stderr,
        &c.read("logs/fanpage-2022.jsonl"),
    ] {
        assert!(!text.contains("mật-khẩu-tệp"), "the password leaked");
    }
}

#[test]
fn a_malformed_checkpoint_is_a_usage_error_before_the_log_is_read() {
    let golden = "tests/fixtures/golden/logs/fanpage-2022.jsonl";
    let head = "ca5930758ead4f75208c20aee9716d6cfe8dfbc02634f295ca07de8d765e726c";
    for bad in [
        "deadbeef",
        &head[..63],
        &format!("{head}0"),
        &head.replace('c', "x"),
    ] {
        letterpost_in(
            &repo(),
            &["log", "--log", golden, "verify", "--checkpoint", bad],
        )
        .code(2)
        .stderr_has("is not a head hash: it must be the 64 hexadecimal digits");
    }
    // Hex in capitals is the same hash.
    letterpost_in(
        &repo(),
        &[
            "log",
            "--log",
            golden,
            "verify",
            "--checkpoint",
            &head.to_uppercase(),
        ],
    )
    .code(0)
    .stdout_has("OK");
    // No log at all: the checkpoint is still what is wrong, said first.
    let c = Campaign::bundled();
    c.run(&["log", "verify", "--checkpoint", "deadbeef"])
        .code(2)
        .stderr_has("is not a head hash");
}
