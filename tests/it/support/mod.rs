//! The test harness: a campaign folder in a temp dir, the letterpost binary run against it with
//! a hermetic environment, and what it printed and wrote, read back the way a user or an
//! auditor would read it.

pub mod chain;
pub mod mailservers;
pub mod pdf;
pub mod ports;
pub mod scripted;
pub mod smtp;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The repository root: the bundled fanpage campaign.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A campaign folder of our own, copied from the bundled one.
pub struct Campaign {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What one run of letterpost did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing everything printed when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }
}

impl Campaign {
    /// The bundled fanpage campaign in the form that sends the letter itself as the email's HTML
    /// body with its HTML appendix (still supported: the campaign.toml comments say how), so
    /// that the tests of sending, the log and the outbox look at one message with no PDF in it.
    /// `official()` is the campaign exactly as shipped.
    pub fn bundled() -> Campaign {
        let c = Campaign::official();
        let mut doc: toml::Table = toml::from_str(&c.read("campaign.toml")).unwrap();
        doc.remove("attachments");
        doc["campaign"].as_table_mut().unwrap().insert(
            "subject".into(),
            "V/v giới thiệu, quảng bá Fanpage Bình Dương trên mạng xã hội Facebook".into(),
        );
        let templates = doc["templates"].as_table_mut().unwrap();
        for (key, value) in [
            ("letter_html", "templates/letter.html"),
            ("letter_text", "templates/letter.txt"),
            ("appendix", "templates/appendix.html"),
            (
                "appendix_filename",
                "Phụ lục hướng dẫn truy cập Fanpage Bình Dương.html",
            ),
        ] {
            templates.insert(key.into(), value.into());
        }
        c.write("campaign.toml", toml::to_string(&doc).unwrap());
        c
    }

    /// The bundled fanpage campaign as shipped (config, templates, 56 recipients): a covering
    /// email with the công văn and phụ lục typeset as PDF.
    pub fn official() -> Campaign {
        let dir = tempfile::tempdir().expect("temp dir");
        for file in [
            "campaign.toml",
            "recipients/organisations.csv",
            "templates/letter.html",
            "templates/letter.txt",
            "templates/appendix.html",
            "templates/partials/motto.html",
            "templates/email.html",
            "templates/email.txt",
            "templates/cong-van.typ",
            "templates/phu-luc.typ",
        ] {
            let target = dir.path().join(file);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(repo().join(file), target).unwrap();
        }
        let mut c = Campaign {
            dir,
            env: Vec::new(),
        };
        // Fast retries, short SMTP timeouts: the faults under test come from the server.
        c.set_toml("sending", "retry_delay", "0.05");
        c.set_toml("smtp", "timeout", "5");
        c
    }

    /// The bundled campaign with this recipient list instead.
    pub fn with_csv(csv: &str) -> Campaign {
        let c = Campaign::bundled();
        c.write("recipients/organisations.csv", csv);
        c
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Sets `key = value` (value as TOML) in `[table]` of campaign.toml.
    pub fn set_toml(&mut self, table: &str, key: &str, value: &str) {
        let text = self.read("campaign.toml");
        let mut doc: toml::Table = toml::from_str(&text).unwrap();
        let parsed: toml::Table = toml::from_str(&format!("v = {value}")).unwrap();
        doc.entry(table.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap()
            .insert(key.to_owned(), parsed["v"].clone());
        self.write("campaign.toml", toml::to_string(&doc).unwrap());
    }

    /// Points the campaign at a plain SMTP server on loopback.
    pub fn relay(&mut self, port: u16) -> &mut Campaign {
        self.env("LETTERPOST_SMTP_HOST", "127.0.0.1");
        self.env("LETTERPOST_SMTP_PORT", &port.to_string());
        self.env("LETTERPOST_SMTP_SECURITY", "none");
        self
    }

    pub fn env(&mut self, key: &str, value: &str) -> &mut Campaign {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs letterpost in the campaign folder with a clean environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_letterpost"));
        cmd.args(args).current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("LETTERPOST_") || k == "SOURCE_DATE_EPOCH" || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("USER", "van-thu").env("NO_COLOR", "1");
        // English, whatever the machine's locale: a test that wants Vietnamese says so.
        english(&mut cmd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        feed(self.command(args), stdin)
    }

    /// Runs `program` (a shell, `script`, …) in the campaign folder with the same hermetic
    /// environment as letterpost itself.
    pub fn other(&self, program: &str, args: &[&str]) -> Command {
        let template = self.command(&[]);
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(self.dir.path()).env_clear();
        for (k, v) in template.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        for k in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        cmd.env("LETTERPOST_BIN", env!("CARGO_BIN_EXE_letterpost"));
        cmd
    }

    /// The delivery log, read back into typed records.
    pub fn log(&self) -> Vec<Record> {
        let text = self.read("logs/fanpage-2022.jsonl");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The delivery log so far, or nothing if it does not exist yet.
    pub fn log_if_any(&self) -> Vec<Record> {
        match std::fs::read_to_string(self.path("logs/fanpage-2022.jsonl")) {
            Ok(text) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn manifest(&self) -> Vec<ManifestLine> {
        self.read("outbox/fanpage-2022/manifest.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The archive file name a letter built with `SOURCE_DATE_EPOCH` fixed will get, from the dry
    /// run's manifest (the dry run's bytes are the bytes sent).
    pub fn archive_name(&self, key: &str) -> String {
        let line = self
            .manifest()
            .into_iter()
            .find(|l| l.key == key)
            .expect("in the manifest");
        format!("archive/fanpage-2022/{key}.{}.eml", &line.sha256[..16])
    }

    /// Files in a folder of the campaign, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.path(rel)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Runs `cmd`, writing `stdin` to it, and collects what it printed.
pub fn feed(mut cmd: Command, stdin: &str) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).ok();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Sends SIGINT to a running letterpost, as Ctrl-C in its terminal would.
pub fn interrupt(child: &std::process::Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -INT {}", child.id());
}

/// letterpost run in any folder (not a campaign of ours), with a clean environment.
pub fn letterpost_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_letterpost"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("LETTERPOST_") {
            cmd.env_remove(k);
        }
    }
    english(&mut cmd);
    feed(cmd, "")
}

/// The C locale (with UTF-8): letterpost speaks English, whatever the machine running the tests
/// is set to.
fn english(cmd: &mut Command) {
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
}

/// A delivery-log record, as an auditor's tool would read it: every member the format defines,
/// and nothing else. (Members no test reads still pin the schema.)
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub v: u32,
    pub seq: u64,
    pub time: String,
    pub run: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub prev: String,
    pub hash: String,
    pub mode: Option<String>,
    pub campaign: Option<String>,
    pub operator: Option<String>,
    pub host: Option<String>,
    pub tool: Option<String>,
    pub inputs: Option<serde_json::Map<String, serde_json::Value>>,
    pub options: Option<String>,
    pub key_source: Option<String>,
    pub source_date_epoch: Option<u64>,
    pub dsn: Option<bool>,
    pub mailbox: Option<serde_json::Map<String, serde_json::Value>>,
    pub key: Option<String>,
    pub row: Option<u64>,
    pub to: Option<Vec<String>>,
    pub organisation: Option<String>,
    pub message_id: Option<String>,
    pub sha256: Option<String>,
    pub archive: Option<String>,
    pub attempt: Option<u32>,
    pub test: Option<bool>,
    pub reason: Option<String>,
    pub attachments: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    pub stage: Option<String>,
    pub smtp: Option<Smtp>,
    pub error: Option<String>,
    pub counts: Option<serde_json::Map<String, serde_json::Value>>,
    pub stopped: Option<String>,
    pub recipient: Option<String>,
    pub report: Option<serde_json::Map<String, serde_json::Value>>,
}

#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub code: u16,
    pub enhanced: Option<String>,
    pub text: String,
}

#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLine {
    pub key: String,
    pub row: u64,
    pub to: Vec<String>,
    pub message_id: String,
    pub sha256: String,
    pub file: String,
    /// The typeset documents written beside the message.
    #[serde(default)]
    pub documents: Vec<String>,
}

/// Lowercase hex SHA-256, computed here independently of the program.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Outcome records by key, in log order.
pub fn outcomes(records: &[Record]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| {
            matches!(
                r.kind.as_str(),
                "accepted" | "rejected" | "deferred" | "unknown"
            )
        })
        .map(|r| (r.key.clone().unwrap(), r.kind.clone()))
        .collect()
}

/// A CSV header and rows, comma-separated.
pub fn csv(rows: &[&str]) -> String {
    let mut text = String::from("id,organisation,email,cc,group\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

/// A program running at a terminal (a pty made by `script`), whose screen is read as it is
/// drawn, so a test can wait for a prompt instead of sleeping.
pub struct Terminal {
    child: std::process::Child,
    screen: std::sync::Arc<(std::sync::Mutex<String>, std::sync::Condvar)>,
}

impl Terminal {
    /// Starts `letterpost ARGS` at a terminal in the campaign folder.
    pub fn start(c: &Campaign, args: &str) -> Terminal {
        use std::io::Read;
        let command = format!("\"$LETTERPOST_BIN\" {args}");
        let mut child = c
            .other("script", &["-qec", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("script starts");
        let mut out = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new((
            std::sync::Mutex::new(String::new()),
            std::sync::Condvar::new(),
        ));
        let shared = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let (text, changed) = &*shared;
                text.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
                changed.notify_all();
            }
        });
        Terminal { child, screen }
    }

    /// Waits until the screen shows `text` (at most a minute, then fails with the screen).
    #[track_caller]
    pub fn wait_for(&self, text: &str) {
        let (screen, changed) = &*self.screen;
        let guard = screen.lock().unwrap();
        let (guard, timeout) = changed
            .wait_timeout_while(guard, std::time::Duration::from_secs(60), |s| {
                !s.contains(text)
            })
            .unwrap();
        assert!(!timeout.timed_out(), "never showed {text:?}:\n{guard}");
    }

    /// Types `keys` at the terminal.
    pub fn type_keys(&mut self, keys: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the program to end: its exit code and everything the screen showed.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        // The reader thread ends with the pty; give it the last bytes.
        let (screen, changed) = &*self.screen;
        let guard = screen.lock().unwrap();
        let (guard, _) = changed
            .wait_timeout(guard, std::time::Duration::from_millis(50))
            .unwrap();
        (status.code().unwrap_or(-1), guard.clone())
    }
}

/// One part of a workbook (a zip), as text.
pub fn zip_part(xlsx: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}
