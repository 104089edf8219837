//! `letterpost init DIR`: a new campaign folder from the built-in example, which is the
//! repository's own fanpage campaign compiled into the binary.
//!
//! It writes only into a folder that does not exist or is empty, and never overwrites a file.

use std::path::Path;

use anyhow::{Context, bail};

use crate::report::ExitCode;

/// The example campaign: (path inside the folder, content).
const FILES: &[(&str, &str)] = &[
    ("campaign.toml", include_str!("../campaign.toml")),
    (
        "recipients/organisations.csv",
        include_str!("../recipients/organisations.csv"),
    ),
    (
        "templates/letter.html",
        include_str!("../templates/letter.html"),
    ),
    (
        "templates/letter.txt",
        include_str!("../templates/letter.txt"),
    ),
    (
        "templates/appendix.html",
        include_str!("../templates/appendix.html"),
    ),
    (
        "templates/partials/motto.html",
        include_str!("../templates/partials/motto.html"),
    ),
    (".gitignore", "/outbox/\n/logs/*.lock\n"),
];

pub fn init(dir: &Path) -> anyhow::Result<ExitCode> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty; choose a new folder for the campaign",
                dir.display()
            );
        }
    }
    for (path, content) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, content)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    say!(
        "Created a campaign in {} from the built-in example (the fanpage letter).",
        dir.display()
    );
    say!(
        "Next: edit campaign.toml and recipients/organisations.csv, then run `letterpost check` there."
    );
    Ok(ExitCode::Success)
}
