//! Real mail servers on 127.0.0.1 for the "proof of arrival" tests: a Postfix that takes mail by
//! SMTP, delivers it into Maildirs, bounces unknown users (RFC 3464 reports) and sends success
//! DSNs (RFC 3461 `NOTIFY=SUCCESS`), and a Dovecot that serves those Maildirs over IMAP and IMAPS.
//!
//! `MailServers::start()` makes a temp folder (`lpmail.*` in /dev/shm, a memory file system, or
//! in the temp dir when TMPDIR is set or /dev/shm is not there), writes both configurations into
//! it, starts both servers and returns once each has greeted a client. Dropping it stops both
//! and removes the folder. Nothing is installed, started or changed outside that folder: no system service, no
//! file under /etc or /var. What must be installed is Debian's `postfix` and `dovecot-imapd`
//! (`scripts/mail-servers.sh` installs them without starting anything; `scripts/test.sh` runs
//! it), plus `unshare` and `bash`, which every Debian system has. Postfix's master runs as root,
//! so these tests need root, as CI has.
//!
//! The folder:
//!
//! - `postfix/etc/` main.cf, master.cf, `mailboxes` (texthash: address → Maildir) and `domains`
//!   (regexp: every `*.example` domain is a virtual mailbox domain of this instance);
//!   `postfix/spool/` the queue, `postfix/lib/` the data directory, `postfix/maillog` the log
//!   (`maillog_file`, written by the `postlog` service).
//! - `mail/DOMAIN/LOCAL/` one Maildir per mailbox, made at start (owned by `nobody`, the uid
//!   that Postfix's `virtual` delivers as and Dovecot reads as).
//! - `dovecot/` dovecot.conf, the passwd-file `users`, a self-signed certificate for
//!   127.0.0.1 made at start, `run/` (`base_dir`), `state/`, `log`.
//!
//! Postfix accepts any address at a `*.example` domain at RCPT (`smtpd_reject_unlisted_recipient
//! = no`) and refuses every other domain (`reject_unauth_destination`; mail outside the test
//! domains could only go to the `error` transport anyway). At delivery, `virtual` puts mail for a
//! listed mailbox into its Maildir and bounces any other user with 5.1.1 ("unknown user"):
//! the bounce goes to the envelope sender, asynchronously, as a real Postfix bounce.
//!
//! Postfix is started as its master daemon in the foreground, `master -c postfix/etc`, not by
//! `postfix start`: that runs `postfix-script`'s checks (some 140 `postconf` calls, about 1.7 s)
//! and then detaches the master to the machine's init. The queue and data directories those
//! checks would make are made here instead, with the owner, group and mode that Postfix's own
//! `postfix-files` lists. Dovecot runs as `dovecot -F -c dovecot/dovecot.conf`.
//!
//! Each server runs in a PID namespace of its own (`unshare --pid --fork`), under a bash that
//! is the namespace's init and reads this process's pipe: when the pipe closes (on drop, or
//! when the test process dies however it dies) bash exits, and the kernel kills every process
//! left in that namespace. So no server outlives its test, none is reparented to the machine's
//! init, and `postfix stop` (which signals the pid in its pid file) is never needed.
//!
//! A test process killed outright (SIGKILL) takes its servers with it but leaves its
//! `lpmail.*` folder.
//!
//! Ports: each server's ports are found by binding 127.0.0.1:0 (all at once, so they differ)
//! and passing the numbers on. Another process may take a port in the few milliseconds between
//! our unbinding it and the server binding it. That is noticed: each greeting names this
//! instance, so a foreign server's greeting is not taken for ours, and a server that ends
//! before greeting while another process holds its port (Postfix's master then exits with
//! status 1 and says why only to syslog; Dovecot logs "Address already in use") counts as a
//! clash. Start then tries again with new ports, up to five times. Instances share nothing
//! (folders, ports, sockets, pid and lock files, Postfix's `syslog_name`, Dovecot's
//! `instance_name`), so tests can run them in parallel.
//!
//! Timing: Postfix sleeps before reading a configuration file changed in the last second or
//! two, so ours are dated a minute back; both servers then greet within about 0.2 s. Postfix's
//! queue timers keep their defaults: a bounce and a success DSN are written as soon as the
//! delivery attempt ends, so no queue run is waited for.
//!
//! Dovecot 2.4 (Debian 13) renamed its settings; `dovecot --version` picks the syntax. Both have
//! been run: Postfix 3.7.11 with Dovecot 2.3.19.1 (Debian 12) and Postfix 3.10.13 with Dovecot
//! 2.4.1 (Debian 13).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::repo;

/// The envelope sender of the tests' letters, where reports come back: its Maildir is the one
/// Dovecot serves to `imap_user()`.
pub const RETURN_PATH: &str = "baocao@stttt.binhduong.example";
/// The password of every mailbox over IMAP.
pub const IMAP_PASSWORD: &str = "mat-khau-thu-nghiem";

/// How long a server may take to greet, and a mailbox to fill, on a busy 2-core machine.
const READY: Duration = Duration::from_secs(30);
const ATTEMPTS: usize = 5;

/// The init of each server's PID namespace: the server in the background, and a reader of our
/// pipe; whichever ends first (the server failing to start, or the pipe closing) ends bash, and
/// with it the namespace.
const NS_INIT: &str = r#"exec 3<&0 </dev/null
"$@" &
(read -r _ <&3) &
wait -n"#;

/// A running Postfix and Dovecot of our own. Dropping it stops both and removes their folder.
pub struct MailServers {
    id: String,
    smtp_port: u16,
    imap_port: u16,
    imaps_port: u16,
    mailboxes: BTreeSet<String>,
    cert_der: Vec<u8>,
    postfix: Option<Server>,
    dovecot: Option<Server>,
    // Last: the folder goes after the servers have stopped.
    dir: tempfile::TempDir,
}

/// One server: `unshare` (our child) → bash (the namespace's init) → the server.
struct Server {
    name: &'static str,
    child: Child,
    pipe: Option<ChildStdin>,
    output: PathBuf,
}

/// Why one try at starting failed.
enum Failure {
    /// A port was taken by someone else before the server bound it: try again.
    PortTaken(String),
    Fatal(String),
}

/// What this machine has: found once per test process.
struct Tools {
    postfix_master: PathBuf,
    dovecot: PathBuf,
    /// Postfix's own list of the queue and data directories it needs, with owners and modes.
    postfix_dirs: Vec<PostfixDir>,
    postfix_uid: u32,
    postdrop_gid: u32,
    nobody: (u32, u32),
    dovecot_24: bool,
}

struct PostfixDir {
    /// `queue_directory` or `data_directory`, then the rest of the path.
    base: &'static str,
    rest: String,
    owned_by_postfix: bool,
    group_postdrop: bool,
    mode: u32,
}

impl MailServers {
    /// Mailboxes for the return path, the bundled campaign's From address, and every address
    /// (To and Cc) of the bundled recipient list.
    pub fn start() -> MailServers {
        let mut addresses = vec![
            RETURN_PATH.to_owned(),
            "vanthu@stttt.binhduong.example".to_owned(),
        ];
        addresses.extend(bundled_addresses());
        MailServers::start_with(&addresses)
    }

    /// Mailboxes for these addresses and the return path; any other user at a `*.example`
    /// domain is accepted at RCPT and bounced at delivery.
    pub fn start_with<S: AsRef<str>>(addresses: &[S]) -> MailServers {
        let tools = match tools() {
            Ok(tools) => tools,
            Err(e) => panic!("{e}"),
        };
        let mut mailboxes = BTreeSet::from([RETURN_PATH.to_owned()]);
        for a in addresses {
            let a = a.as_ref().trim().to_ascii_lowercase();
            let ok = a.split('@').count() == 2
                && a.ends_with(".example")
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"@.-_+".contains(&b));
            assert!(ok, "not a mailbox this harness can make: {a:?}");
            mailboxes.insert(a);
        }
        let mut tries = String::new();
        for attempt in 1..=ATTEMPTS {
            match MailServers::try_start(tools, &mailboxes) {
                Ok(servers) => return servers,
                Err(Failure::PortTaken(why)) => {
                    tries.push_str(&format!("--- try {attempt}: a port was taken\n{why}\n"));
                }
                Err(Failure::Fatal(why)) => panic!("the mail servers did not start:\n{why}"),
            }
        }
        panic!("the mail servers did not start: a port was taken {ATTEMPTS} times\n{tries}");
    }

    fn try_start(tools: &Tools, mailboxes: &BTreeSet<String>) -> Result<MailServers, Failure> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "lp{}n{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::Builder::new()
            .prefix("lpmail.")
            .tempdir_in(scratch())
            .expect("temp dir");
        let key = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        // From here until the servers bind them (a few milliseconds), the ports are free.
        let [smtp_port, imap_port, imaps_port] = free_ports();
        let mut servers = MailServers {
            id,
            smtp_port,
            imap_port,
            imaps_port,
            mailboxes: mailboxes.clone(),
            cert_der: key.cert.der().to_vec(),
            postfix: None,
            dovecot: None,
            dir,
        };
        servers.write_files(tools, &key.cert.pem(), &key.signing_key.serialize_pem());
        let deadline = Instant::now() + READY;

        let etc = servers.path("postfix/etc");
        let mut master = vec![tools.postfix_master.clone().into_os_string()];
        master.extend(["-c".into(), etc.into_os_string()]);
        servers.postfix = Some(servers.spawn("postfix", &master));
        let conf = servers.path("dovecot/dovecot.conf");
        let dovecot: Vec<OsString> = vec![
            tools.dovecot.clone().into(),
            "-F".into(),
            "-c".into(),
            conf.into(),
        ];
        servers.dovecot = Some(servers.spawn("dovecot", &dovecot));

        let banner = format!("ESMTP {}", servers.id);
        let greeting = format!("{} ready", servers.id);
        let result = servers
            .await_greeting("postfix", &[smtp_port], &banner, b"QUIT\r\n", deadline)
            .and_then(|()| {
                let ports = [imap_port, imaps_port];
                servers.await_greeting("dovecot", &ports, &greeting, b"a LOGOUT\r\n", deadline)
            });
        match result {
            Ok(()) => Ok(servers),
            Err(failure) => {
                let logs = servers.logs();
                // Postfix's master logs a failure to bind only to syslog, which may not be
                // there; Dovecot says it in its log.
                let taken = logs.contains("Address already in use");
                drop(servers);
                Err(match failure {
                    Failure::PortTaken(why) => Failure::PortTaken(format!("{why}\n{logs}")),
                    Failure::Fatal(why) if taken => Failure::PortTaken(format!("{why}\n{logs}")),
                    Failure::Fatal(why) => Failure::Fatal(format!(
                        "{why}\n(Postfix's master says why it could not start only to syslog, \
                         which may not be there)\n{logs}"
                    )),
                })
            }
        }
    }

    /// The port Postfix takes mail on (SMTP, no TLS, no AUTH, DSN advertised).
    pub fn smtp_port(&self) -> u16 {
        self.smtp_port
    }

    /// Dovecot's IMAP port (plain; LOGIN allowed).
    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    /// Dovecot's IMAPS port (TLS from the first byte, with `certificate_der()`).
    pub fn imaps_port(&self) -> u16 {
        self.imaps_port
    }

    /// Dovecot's self-signed certificate for 127.0.0.1 and localhost (its own CA).
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The return path's mailbox; every mailbox logs in with its address.
    pub fn imap_user(&self) -> &str {
        RETURN_PATH
    }

    pub fn imap_password(&self) -> &str {
        IMAP_PASSWORD
    }

    pub fn return_path(&self) -> &str {
        RETURN_PATH
    }

    /// The addresses that have a mailbox, sorted; mail to any other user at a `*.example`
    /// domain bounces.
    pub fn mailboxes(&self) -> Vec<String> {
        self.mailboxes.iter().cloned().collect()
    }

    /// The Maildir of a mailbox.
    pub fn maildir(&self, address: &str) -> PathBuf {
        let address = address.to_ascii_lowercase();
        let (local, domain) = address.split_once('@').expect("an address");
        self.path("mail").join(domain).join(local)
    }

    /// The messages delivered to a mailbox so far (new/ and cur/), oldest first.
    pub fn messages(&self, address: &str) -> Vec<Vec<u8>> {
        let maildir = self.maildir(address);
        // A message Dovecot moves from new/ to cur/ while we look is seen in one or both: a
        // file gone from new/ is skipped, and one seen twice is kept once (by its unique name,
        // the part before ':').
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let unique = name.split(':').next().unwrap_or(&name).to_owned();
                if seen.contains(&unique) {
                    continue;
                }
                let Ok(bytes) = std::fs::read(entry.path()) else {
                    continue;
                };
                seen.insert(unique.clone());
                found.push((delivery_order(&unique), bytes));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, bytes)| bytes).collect()
    }

    /// Waits until a mailbox holds at least `n` messages (polling its Maildir, at most 30 s,
    /// then fails showing both servers' logs) and returns them.
    #[track_caller]
    pub fn wait_for_messages(&self, address: &str, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + READY;
        loop {
            let messages = self.messages(address);
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() > deadline {
                panic!(
                    "{address} has {} messages, not {n}, after {} s\n{}",
                    messages.len(),
                    READY.as_secs(),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the return path's mailbox holds at least `n` messages.
    #[track_caller]
    pub fn wait_for_return_path(&self, n: usize) -> Vec<Vec<u8>> {
        self.wait_for_messages(RETURN_PATH, n)
    }

    /// Puts a message into the return path's mailbox the way a local delivery agent does (a
    /// file written in tmp/, renamed into new/): a report built for a test, which Dovecot then
    /// serves like any other. Its UID follows the ones already there.
    pub fn deliver_to_return_path(&self, message: &str) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let maildir = self.maildir(RETURN_PATH);
        let name = format!(
            "{}.letterpost-test{}.{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            N.fetch_add(1, Ordering::SeqCst),
            std::process::id()
        );
        let tmp = maildir.join("tmp").join(&name);
        std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
        std::fs::write(&tmp, message.replace("\r\n", "\n").replace('\n', "\r\n")).unwrap();
        std::os::unix::fs::chown(&tmp, Some(65534), Some(65534)).unwrap();
        std::fs::rename(&tmp, maildir.join("new").join(&name)).unwrap();
    }

    /// Postfix's log so far.
    pub fn postfix_log(&self) -> String {
        std::fs::read_to_string(self.path("postfix/maillog")).unwrap_or_default()
    }

    /// Dovecot's log so far.
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.path("dovecot/log")).unwrap_or_default()
    }

    /// Everything both servers said: their logs and what they printed.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for (name, file) in [
            ("postfix maillog", "postfix/maillog"),
            ("postfix output", "postfix/output"),
            ("dovecot log", "dovecot/log"),
            ("dovecot output", "dovecot/output"),
        ] {
            let content = std::fs::read_to_string(self.path(file)).unwrap_or_default();
            text.push_str(&format!("--- {name}\n{content}"));
        }
        text
    }

    /// The instance's folder (config, queue, Maildirs, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_files(&self, tools: &Tools, cert_pem: &str, key_pem: &str) {
        let root = self.dir.path();
        let (nobody_uid, nobody_gid) = tools.nobody;
        // Postfix's virtual (as nobody), its daemons (as postfix) and Dovecot's login and mail
        // processes must pass through the folder; only its owner may list it.
        set_mode(root, 0o711);
        for sub in ["postfix", "postfix/etc", "dovecot", "dovecot/state"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
            set_mode(&root.join(sub), 0o755);
        }

        // Postfix's queue and data directories, as its postfix-files lists them.
        for d in &tools.postfix_dirs {
            let base = match d.base {
                "queue_directory" => root.join("postfix/spool"),
                _ => root.join("postfix/lib"),
            };
            let path = if d.rest.is_empty() {
                base
            } else {
                base.join(&d.rest)
            };
            std::fs::create_dir_all(&path).unwrap();
            let uid = if d.owned_by_postfix {
                tools.postfix_uid
            } else {
                0
            };
            let gid = if d.group_postdrop {
                tools.postdrop_gid
            } else {
                0
            };
            chown(&path, Some(uid), Some(gid)).unwrap();
            set_mode(&path, d.mode);
        }

        // The Maildirs, made now so that an empty mailbox is there to look at.
        let mail = root.join("mail");
        std::fs::create_dir(&mail).unwrap();
        let mut made = vec![mail.clone()];
        for address in &self.mailboxes {
            let maildir = self.maildir(address);
            for sub in ["new", "cur", "tmp"] {
                std::fs::create_dir_all(maildir.join(sub)).unwrap();
            }
            made.push(maildir.parent().unwrap().to_owned());
            made.push(maildir.clone());
            made.extend(["new", "cur", "tmp"].map(|s| maildir.join(s)));
        }
        for path in made {
            chown(&path, Some(nobody_uid), Some(nobody_gid)).unwrap();
            set_mode(&path, 0o700);
        }

        let id = &self.id;
        let dir = root.display();
        let etc = root.join("postfix/etc");
        let mut map = String::new();
        let mut users = String::new();
        for address in &self.mailboxes {
            let (local, domain) = address.split_once('@').unwrap();
            map.push_str(&format!("{address} {domain}/{local}/\n"));
            users.push_str(&format!(
                "{address}:{{PLAIN}}{IMAP_PASSWORD}:{nobody_uid}:{nobody_gid}::{}\n",
                self.maildir(address).display()
            ));
        }
        std::fs::write(etc.join("mailboxes"), map).unwrap();
        std::fs::write(etc.join("domains"), "/(^|\\.)example$/ test domain\n").unwrap();
        std::fs::write(
            etc.join("main.cf"),
            format!(
                "\
# A test instance of letterpost's mail-server harness (tests/it/support/mailservers.rs).
compatibility_level = 3.6
queue_directory = {dir}/postfix/spool
data_directory = {dir}/postfix/lib
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-{id}
maillog_file = {dir}/postfix/maillog
maillog_file_prefixes = {dir}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.{id}.letterpost.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
smtpd_banner = $myhostname ESMTP {id}
smtpd_peername_lookup = no
# Every *.example domain is ours; nothing else is taken, and nothing leaves.
smtpd_relay_restrictions = reject_unauth_destination
virtual_mailbox_domains = regexp:{dir}/postfix/etc/domains
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = texthash:{dir}/postfix/etc/mailboxes
virtual_uid_maps = static:{nobody_uid}
virtual_gid_maps = static:{nobody_gid}
default_transport = error:5.7.1 outside the test domains
relay_transport = error:5.7.1 outside the test domains
# Unknown users are taken at RCPT and bounced at delivery (5.1.1), as a remote MTA would.
smtpd_reject_unlisted_recipient = no
# Never make a test client wait because mail came in faster than it went out.
in_flow_delay = 0
"
            ),
        )
        .unwrap();
        std::fs::write(
            etc.join("master.cf"),
            format!(
                "\
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:{smtp} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
virtual   unix  - n n -     - virtual
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
",
                smtp = self.smtp_port
            ),
        )
        .unwrap();

        // Postfix reads no configuration or table file changed in the last second or two (it
        // might be half-written): it sleeps and reads again. Ours are complete, so they are
        // dated a minute back, which saves about two seconds at start.
        let past = std::time::SystemTime::now() - Duration::from_secs(60);
        for file in ["main.cf", "master.cf", "mailboxes", "domains"] {
            std::fs::File::options()
                .write(true)
                .open(etc.join(file))
                .and_then(|f| f.set_modified(past))
                .unwrap();
        }

        let dovecot = root.join("dovecot");
        std::fs::write(dovecot.join("users"), users).unwrap();
        std::fs::write(dovecot.join("cert.pem"), cert_pem).unwrap();
        std::fs::write(dovecot.join("key.pem"), key_pem).unwrap();
        set_mode(&dovecot.join("key.pem"), 0o600);
        let conf = if tools.dovecot_24 {
            self.dovecot_24_conf()
        } else {
            self.dovecot_23_conf()
        };
        std::fs::write(dovecot.join("dovecot.conf"), conf).unwrap();
    }

    /// Dovecot 2.3 (Debian 12).
    fn dovecot_23_conf(&self) -> String {
        let id = &self.id;
        let d = self.path("dovecot");
        let d = d.display();
        format!(
            "\
# A test instance of letterpost's mail-server harness (tests/it/support/mailservers.rs).
instance_name = dovecot-{id}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
protocols = imap
listen = 127.0.0.1
login_greeting = {id} ready
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_verbose = yes
mail_location = maildir:~
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
",
            imap = self.imap_port,
            imaps = self.imaps_port,
        )
    }

    /// Dovecot 2.4 (Debian 13), whose settings were renamed.
    fn dovecot_24_conf(&self) -> String {
        let id = &self.id;
        let d = self.path("dovecot");
        let d = d.display();
        format!(
            "\
# A test instance of letterpost's mail-server harness (tests/it/support/mailservers.rs).
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
instance_name = dovecot-{id}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
protocols = imap
listen = 127.0.0.1
login_greeting = {id} ready
auth_mechanisms = plain login
auth_allow_cleartext = yes
auth_verbose = yes
mail_driver = maildir
mail_path = ~
ssl = yes
ssl_server_cert_file = {d}/cert.pem
ssl_server_key_file = {d}/key.pem
passdb passwd-file {{
  passwd_file_path = {d}/users
  default_password_scheme = PLAIN
}}
userdb passwd-file {{
  passwd_file_path = {d}/users
}}
service imap-login {{
  inet_listener imap {{
    listen = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    listen = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
",
            imap = self.imap_port,
            imaps = self.imaps_port,
        )
    }

    /// Starts `command` as the only service of a PID namespace whose init reads our pipe.
    fn spawn(&self, name: &'static str, command: &[OsString]) -> Server {
        let output = self.path(&format!("{name}/output"));
        let out = std::fs::File::create(&output).unwrap();
        let child = Command::new("unshare")
            .args(["--pid", "--fork", "--", "bash", "-c", NS_INIT, name])
            .args(command)
            .env_remove("MAIL_CONFIG")
            .stdin(Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("unshare (util-linux) starts {name}: {e}"));
        let mut server = Server {
            name,
            child,
            pipe: None,
            output,
        };
        server.pipe = server.child.stdin.take();
        server
    }

    /// Connects until the server greets with `expected` (the greeting names this instance).
    /// A failure is a port taken by someone else when the server ended and one of its `ports`
    /// is now bound by another process, or when another server greets on it.
    fn await_greeting(
        &mut self,
        name: &str,
        ports: &[u16],
        expected: &str,
        goodbye: &[u8],
        deadline: Instant,
    ) -> Result<(), Failure> {
        let server = match name {
            "postfix" => self.postfix.as_mut(),
            _ => self.dovecot.as_mut(),
        }
        .unwrap();
        let port = ports[0];
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let ended = |status: std::process::ExitStatus| {
            let busy: Vec<u16> = ports
                .iter()
                .copied()
                .filter(|&p| TcpListener::bind(("127.0.0.1", p)).is_err())
                .collect();
            let why = format!("{name} ended before it greeted ({status})");
            if busy.is_empty() {
                Failure::Fatal(why)
            } else {
                Failure::PortTaken(format!("{why}; another process holds port(s) {busy:?}"))
            }
        };
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(ended(status));
            }
            if let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
                // Read the greeting a little at a time, watching the server meanwhile: a port
                // someone else listens on may accept and say nothing.
                stream
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let mut greeting = Vec::new();
                let mut buf = [0u8; 512];
                while !greeting.contains(&b'\n') {
                    match (&stream).read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => greeting.extend_from_slice(&buf[..n]),
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                        Err(_) => break,
                    }
                    if let Ok(Some(status)) = server.child.try_wait() {
                        return Err(ended(status));
                    }
                    if Instant::now() > deadline {
                        break;
                    }
                }
                let line = String::from_utf8_lossy(&greeting);
                if line.contains(expected) {
                    let _ = (&stream).write_all(goodbye);
                    return Ok(());
                }
                if !line.is_empty() {
                    return Err(Failure::PortTaken(format!(
                        "someone else answered on {name}'s port {port}: {:?}",
                        line.trim_end()
                    )));
                }
            }
            if Instant::now() > deadline {
                return Err(Failure::Fatal(format!(
                    "{name} did not greet on port {port} in {} s",
                    READY.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        let servers: Vec<Server> = [self.postfix.take(), self.dovecot.take()]
            .into_iter()
            .flatten()
            .collect();
        if std::thread::panicking() {
            eprintln!(
                "mail servers {} in {}:\n{}",
                self.id,
                self.dir().display(),
                self.logs()
            );
        }
        // Closing the pipes ends both namespaces at once.
        let mut servers: Vec<Server> = servers
            .into_iter()
            .map(|mut s| {
                s.pipe.take();
                s
            })
            .collect();
        for server in &mut servers {
            server.stop();
        }
    }
}

impl Server {
    /// Waits for the namespace to end (its pipe is closed); if it does not, kills its init
    /// (the kernel then kills the rest) and `unshare`.
    fn stop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!(
            "{} did not stop when its pipe closed: killing it (output: {})",
            self.name,
            self.output.display()
        );
        for pid in children_of(self.child.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if after.split_whitespace().nth(1) == Some(&pid.to_string()) {
            found.push(child);
        }
    }
    found
}

/// Where the instances' folders go: a memory file system when there is one (Postfix and
/// Dovecot sync every queue file, delivery and index to disk, and removing hundreds of Maildir
/// folders took up to a second on a busy disk), else the temp dir.
fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable = shm.is_dir()
        && tempfile::Builder::new()
            .prefix("lpmail-probe.")
            .tempfile_in(shm)
            .is_ok();
    if writable && std::env::var_os("TMPDIR").is_none() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Free ports on 127.0.0.1, all bound at once so that they differ.
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A Maildir file name's delivery time, `SECONDS.…M<microseconds>…`, for sorting.
fn delivery_order(unique: &str) -> (u64, u64, String) {
    let secs = unique
        .split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let micros = unique
        .split_once('M')
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (secs, micros, unique.to_owned())
}

/// Every address (To and Cc) of the bundled recipient list.
fn bundled_addresses() -> Vec<String> {
    let mut reader = csv::Reader::from_path(repo().join("recipients/organisations.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let columns: Vec<usize> = ["email", "cc"]
        .iter()
        .filter_map(|c| headers.iter().position(|h| h == *c))
        .collect();
    let mut found = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        for &c in &columns {
            for a in row.get(c).unwrap_or("").split([';', ',']) {
                if a.contains('@') {
                    found.push(a.trim().to_owned());
                }
            }
        }
    }
    found
}

fn tools() -> Result<&'static Tools, String> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    TOOLS.get_or_init(find_tools).as_ref().map_err(Clone::clone)
}

fn find_tools() -> Result<Tools, String> {
    const INSTALL: &str = "run scripts/mail-servers.sh (scripts/test.sh does)";
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if euid != "0" {
        return Err(
            "the real mail servers need root: Postfix's master runs as root \
                    (CI runs as root)"
                .into(),
        );
    }
    let out = Command::new(sbin("postconf"))
        .args(["-d", "-h", "daemon_directory", "meta_directory"])
        .env_remove("MAIL_CONFIG")
        .output()
        .map_err(|e| format!("postconf: {e}: Postfix is not installed: {INSTALL}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let (Some(daemon), Some(meta)) = (lines.next(), lines.next()) else {
        return Err(format!("postconf printed {text:?}: {INSTALL}"));
    };
    let postfix_master = Path::new(daemon).join("master");
    let files = Path::new(meta).join("postfix-files");
    let listing = std::fs::read_to_string(&files)
        .map_err(|e| format!("{}: {e}: {INSTALL}", files.display()))?;
    let mut postfix_dirs = Vec::new();
    for line in listing.lines() {
        // name:type:owner:group:mode:flags
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 5 || f[1] != "d" {
            continue;
        }
        let Some((base, rest)) = ["queue_directory", "data_directory"].iter().find_map(|b| {
            f[0].strip_prefix(&format!("${b}"))
                .map(|rest| (*b, rest.trim_start_matches('/').to_owned()))
        }) else {
            continue;
        };
        postfix_dirs.push(PostfixDir {
            base,
            rest,
            owned_by_postfix: f[2] == "$mail_owner",
            group_postdrop: f[3] == "$setgid_group",
            mode: u32::from_str_radix(f[4], 8).map_err(|e| format!("{line}: {e}"))?,
        });
    }
    if !postfix_dirs.iter().any(|d| d.rest == "incoming") {
        return Err(format!("{} lists no queue directories", files.display()));
    }
    let dovecot = sbin("dovecot");
    let version = Command::new(&dovecot)
        .arg("--version")
        .output()
        .map_err(|e| format!("dovecot: {e}: Dovecot is not installed: {INSTALL}"))?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let dovecot_24 = !version.starts_with("2.3") && !version.starts_with("2.2");
    Ok(Tools {
        postfix_master,
        dovecot,
        postfix_dirs,
        postfix_uid: id_of("/etc/passwd", "postfix", 2)?,
        postdrop_gid: id_of("/etc/group", "postdrop", 2)?,
        nobody: (
            id_of("/etc/passwd", "nobody", 2)?,
            id_of("/etc/passwd", "nobody", 3)?,
        ),
        dovecot_24,
    })
}

/// A system program: on PATH, or in the sbin folders a user's PATH may lack.
fn sbin(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Field `field` (a number) of `name`'s line in /etc/passwd or /etc/group.
fn id_of(file: &str, name: &str, field: usize) -> Result<u32, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name))
        .and_then(|f| f.get(field)?.parse().ok())
        .ok_or_else(|| format!("{file} has no {name}: run scripts/mail-servers.sh"))
}
