//! The files a campaign gets hold personal data: no link planted in `logs/` or `archive/` is
//! ever written through, and `log verify` does not take a link for an archived message.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::support::smtp::{Script, SmtpServer};
use crate::support::{Campaign, csv};

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

/// The archive file name a letter built with `SOURCE_DATE_EPOCH` fixed will get, from the dry
/// run's manifest (the dry run's bytes are the bytes sent).
fn archive_name(c: &Campaign, key: &str) -> String {
    let line = c
        .manifest()
        .into_iter()
        .find(|l| l.key == key)
        .expect("in the manifest");
    format!("archive/fanpage-2022/{key}.{}.eml", &line.sha256[..16])
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
    let planted = archive_name(&c, "a");
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
    c.write(&archive_name(&c, "a"), &a);
    c.write(&archive_name(&c, "b"), &b[..b.len() / 2]);
    c.write(&archive_name(&c, "c"), "forged");
    c.run(&["send", "--yes", "--only", "c"])
        .code(3)
        .stderr_has(&archive_name(&c, "c"))
        .stderr_has("other content");
    assert_eq!(c.read(&archive_name(&c, "c")), "forged", "kept as it was");
    assert!(server.received().is_empty());

    std::fs::remove_file(c.path(&archive_name(&c, "c"))).unwrap();
    c.run(&["send", "--yes"]).code(0);
    assert_eq!(std::fs::read(c.path(&archive_name(&c, "a"))).unwrap(), a);
    assert_eq!(std::fs::read(c.path(&archive_name(&c, "b"))).unwrap(), b);
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
