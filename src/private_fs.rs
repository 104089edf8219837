//! How letterpost creates and opens what it writes under `logs/`, `archive/` and `outbox/`: the
//! delivery log, the campaign lock, a torn line set aside, archived messages, and the dry-run
//! outbox. Those files hold names, addresses and letters, so they are private to the operator
//! (files 0600, folders 0700, as Postfix keeps its queue and mutt its mail), and no link is ever
//! followed where letterpost writes: someone who can plant a symbolic link in the campaign folder
//! must not be able to make letterpost truncate, overwrite or append to a file elsewhere.
//!
//! What this module does: every open here carries `O_NOFOLLOW` (a link as the last component
//! is refused with [`Refused::Link`]) and `O_NONBLOCK` (so a planted FIFO or device cannot hang
//! the open; it changes nothing for regular files), and anything that is not a regular file is
//! refused with [`Refused::NotAFile`]. Files it creates get mode 0600, folders 0700, whatever the
//! umask (which can only take bits away from those).
//!
//! What it does not do: it does not change the mode of files or folders that already exist (an
//! operator may have opened a log to the auditors' group on purpose; files made by earlier
//! versions keep their mode), and it does not check the folders above the last component: the
//! campaign folder and `logs/`, `archive/`, `outbox/` themselves may be links (to another disk,
//! say), as the operator arranged them. Reading inputs (the list, templates, the password file)
//! is not its business either. The words of a refusal are in `locales/{en,vi}/files.ftl`.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// The mode of every file letterpost creates under `logs/`, `archive/` and `outbox/`.
pub const FILE_MODE: u32 = 0o600;

/// The mode of every folder it creates there.
pub const DIR_MODE: u32 = 0o700;

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The last component is a symbolic link.
    Link,
    /// It exists but is not a regular file (a folder, a FIFO, a device).
    NotAFile,
}

/// In English: a refusal can end a send, and the log's `run_finished` records why in English
/// whatever the language (`described` is the same for a person, in the chosen language).
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Link => {
                "it is a symbolic link, and letterpost never follows a link in logs/, archive/ \
                 or outbox/: remove the link (and put the real file in its place, if there is one)"
            }
            Refused::NotAFile => "it is not a regular file",
        })
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal inside `e`, if `e` is one.
    pub fn of(e: &io::Error) -> Option<Refused> {
        e.get_ref()?.downcast_ref::<Refused>().copied()
    }

    /// The refusal as a person reads it, in the chosen language.
    pub fn described(self) -> String {
        match self {
            Refused::Link => t!("files-refused-link"),
            Refused::NotAFile => t!("files-refused-not-a-file"),
        }
    }
}

/// Creates `dir` and any missing folders above it, each 0700. Existing folders stay as they are.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Creates the folder `dir`, 0700; fails if anything (even a dangling link) has its name.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().mode(DIR_MODE).create(dir)
}

/// A new file for writing, 0600; fails with `AlreadyExists` if anything (a file, a link, even a
/// dangling one) has its name already.
pub fn create_new(path: &Path) -> io::Result<File> {
    open(OpenOptions::new().write(true).create_new(true), path)
}

/// The file for appending, created 0600 if there is none (the delivery log).
pub fn append(path: &Path) -> io::Result<File> {
    open(OpenOptions::new().append(true).create(true), path)
}

/// The file for reading and writing, created 0600 if there is none, never truncated (the lock).
pub fn open_or_create(path: &Path) -> io::Result<File> {
    open(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        path,
    )
}

/// An existing file for reading and writing (a log whose torn tail is set aside, an archived
/// message a killed run never finished).
pub fn open_existing(path: &Path) -> io::Result<File> {
    open(OpenOptions::new().read(true).write(true), path)
}

/// An existing file for reading only (an archived message being checked).
pub fn read_only(path: &Path) -> io::Result<File> {
    open(OpenOptions::new().read(true), path)
}

/// Whether `path` is absent or a regular file, without following a link: for a file that is
/// read now and written later (the delivery log), so a planted link is refused before anything
/// starts.
pub fn absent_or_regular(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::other(Refused::Link)),
        Ok(meta) if !meta.is_file() => Err(io::Error::other(Refused::NotAFile)),
        Ok(_) => Ok(()),
    }
}

/// Opens with the flags every open here shares, and refuses anything but a regular file.
fn open(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = options
        .mode(FILE_MODE)
        .custom_flags(flags.bits().cast_signed())
        .open(path)
        .map_err(|e| {
            // With O_NOFOLLOW, a link as the last component fails with ELOOP.
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                io::Error::other(Refused::Link)
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(Refused::NotAFile));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_private_files_and_folders_and_refuses_links() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("a/b");
        create_dir_all(&folder).unwrap();
        for f in [dir.path().join("a"), folder.clone()] {
            assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, DIR_MODE);
        }
        let file = folder.join("f");
        drop(create_new(&file).unwrap());
        assert_eq!(
            file.metadata().unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
        assert_eq!(
            create_new(&file).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );

        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap();
        let link = folder.join("link");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        for result in [
            append(&link),
            open_or_create(&link),
            open_existing(&link),
            read_only(&link),
        ] {
            assert_eq!(Refused::of(&result.unwrap_err()), Some(Refused::Link));
        }
        assert_eq!(
            Refused::of(&absent_or_regular(&link).unwrap_err()),
            Some(Refused::Link)
        );
        assert_eq!(
            Refused::of(&read_only(&folder).unwrap_err()),
            Some(Refused::NotAFile)
        );
        assert!(absent_or_regular(&file).is_ok());
        assert!(absent_or_regular(&folder.join("none")).is_ok());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    }
}
