//! A letter's state after its reports, through the binary and real servers: a delivery proved
//! by a report still counts as the relay having taken the letter, for every decision a send
//! takes from it.

use crate::support::mailservers::{MailServers, RETURN_PATH};
use crate::support::{Campaign, csv};

/// A campaign of one organisation, sent through a real Postfix, its reports read back from a
/// real Dovecot.
fn campaign(servers: &MailServers, id: &str) -> Campaign {
    let mut c = Campaign::with_csv(&csv(&[&format!("{id},Sở A,vanthu@a.example,,")]));
    c.set_toml("tracking", "return_path", &format!("\"{RETURN_PATH}\""));
    c.env("LETTERPOST_SMTP_HOST", "127.0.0.1")
        .env("LETTERPOST_SMTP_PORT", &servers.smtp_port().to_string())
        .env("LETTERPOST_SMTP_SECURITY", "none")
        .env("LETTERPOST_IMAP_HOST", "127.0.0.1")
        .env("LETTERPOST_IMAP_PORT", &servers.imap_port().to_string())
        .env("LETTERPOST_IMAP_SECURITY", "none")
        .env("LETTERPOST_IMAP_USERNAME", servers.imap_user())
        .env("LETTERPOST_IMAP_PASSWORD", servers.imap_password());
    c
}

/// Once `track` recorded a delivery, the letter is still one the organisation has: a clerk
/// who changes that row's `id` gets the refusal before anything is sent, not a second letter.
#[test]
fn a_delivered_letter_under_a_changed_key_is_not_sent_again() {
    let servers = MailServers::start_with(&["vanthu@a.example"]);
    let c = campaign(&servers, "so-a");
    c.run(&["send", "--yes"]).code(0);
    servers.wait_for_messages("vanthu@a.example", 1);
    servers.wait_for_return_path(1);
    c.run(&["track"]).code(0);
    let delivered = c.log().iter().filter(|r| r.kind == "delivered").count();
    assert_eq!(delivered, 1, "Postfix's DSN says delivered");
    c.run(&["log", "list", "--status", "delivered"])
        .code(0)
        .stdout_has("so-a");

    // The clerk changes the row's id.
    c.write(
        "recipients/organisations.csv",
        csv(&["so-a-moi,Sở A,vanthu@a.example,,"]),
    );
    c.run(&["send", "--yes"])
        .code(2)
        .stderr_has("`so-a-moi`")
        .stderr_has("`so-a`")
        .stderr_has("vanthu@a.example");
    assert_eq!(
        c.log().iter().filter(|r| r.kind == "attempt").count(),
        1,
        "nothing was attempted"
    );
    // Give a letter that went out anyway the time to arrive: there is still exactly one.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(servers.messages("vanthu@a.example").len(), 1);
}
