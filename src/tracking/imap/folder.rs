//! The read itself, read-only: `EXAMINE` of the folder, the listing of what is new with its
//! sizes, and the bodies with `BODY.PEEK[]` in batches planned by count and bytes, the messages
//! too large for the cap left out.

use std::collections::{BTreeMap, HashSet};

use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response, ResponseCode, Status};

use super::wire::{Session, expect_ok, mutf7, quoted};
use super::{Cursor, Error, Fetched, Limits, Mailbox, Step, TooLarge};

impl Session<'_> {
    /// EXAMINE, the listing and the body batches.
    pub(super) async fn read_folder(
        &mut self,
        cursor: Option<Cursor>,
        limits: Limits,
    ) -> Result<Mailbox, Error> {
        let settings = self.settings;
        let folder = &settings.folder;
        if folder.is_empty() {
            return Err(Error::Folder {
                folder: folder.clone(),
                detail: t!("track-imap-no-folder-name"),
            });
        }
        let (uidvalidity, uid_next, exists) = self.examine().await?;
        let (reread, after) = match cursor {
            Some(c) if c.uidvalidity == uidvalidity => (false, c.last_uid),
            Some(_) => (true, 0),
            None => (false, 0),
        };
        tracing::debug!(
            %folder, uidvalidity, ?uid_next, exists, reread, after,
            "imap: folder examined"
        );
        let mut mailbox = Mailbox {
            uidvalidity,
            reread,
            messages: Vec::new(),
            too_large: Vec::new(),
            missing: Vec::new(),
            beyond_next: Vec::new(),
            last_uid: after,
            batches: 0,
            logout_error: None,
        };
        let Some(first) = after.checked_add(1) else {
            return Ok(mailbox);
        };
        if exists == 0 {
            return Ok(mailbox);
        }

        // What is new, and how big. `first:*` always matches the highest message, even below
        // `first`: the filter drops it.
        let command = format!("UID FETCH {first}:* (UID RFC822.SIZE)\r\n");
        let mut listing: BTreeMap<u32, u64> = BTreeMap::new();
        let mut beyond: Vec<u32> = Vec::new();
        let done = self
            .run(Step::List, &[command.as_bytes()], |r| {
                if let Response::Fetch(_, attrs) = r {
                    let uid = attrs.iter().find_map(|a| match a {
                        AttributeValue::Uid(u) => Some(*u),
                        _ => None,
                    });
                    let size = attrs.iter().find_map(|a| match a {
                        AttributeValue::Rfc822Size(s) => Some(*s),
                        _ => None,
                    });
                    if let (Some(uid), Some(size)) = (uid, size)
                        && uid >= first
                    {
                        // The folder gives no message a UID at or above its UIDNEXT: such a
                        // UID would carry the cursor past every report still to come.
                        if uid_next.is_some_and(|next| uid >= next) {
                            beyond.push(uid);
                        } else {
                            listing.insert(uid, u64::from(size));
                        }
                    }
                }
            })
            .await?;
        expect_ok(Step::List, &done)?;
        beyond.sort_unstable();
        beyond.dedup();
        if !beyond.is_empty() {
            tracing::warn!(?beyond, ?uid_next, "imap: UIDs at or above UIDNEXT ignored");
        }
        mailbox.beyond_next = beyond;
        if let Some((&highest, _)) = listing.last_key_value() {
            mailbox.last_uid = highest;
        }

        let (batches, too_large) = plan_batches(&listing, limits);
        mailbox.too_large = too_large;
        tracing::debug!(
            new = listing.len(),
            too_large = mailbox.too_large.len(),
            batches = batches.len(),
            "imap: fetching"
        );
        let max = u64::from(limits.max_message_bytes);
        for batch in batches {
            self.fetch_batch(&batch, max, &mut mailbox).await?;
        }
        mailbox.too_large.sort_by_key(|b| b.uid);
        mailbox.missing.sort_unstable();
        if !mailbox.missing.is_empty() {
            tracing::debug!(missing = ?mailbox.missing, "imap: listed but not returned");
        }
        // What could not be read is read again next time: the cursor stops before it.
        let unread = mailbox.too_large.iter().map(|b| b.uid);
        if let Some(lowest) = unread.chain(mailbox.missing.iter().copied()).min() {
            mailbox.last_uid = mailbox.last_uid.min(lowest - 1);
        }
        Ok(mailbox)
    }

    /// EXAMINE (read-only: nothing can change a flag): the folder's UIDVALIDITY, UIDNEXT and
    /// number of messages.
    pub(super) async fn examine(&mut self) -> Result<(u32, Option<u32>, u32), Error> {
        let folder = &self.settings.folder;
        let command = format!("EXAMINE {}\r\n", quoted(&mutf7(folder)));
        let (mut uidvalidity, mut uid_next, mut exists) = (None, None, None);
        let done = self
            .run(Step::Examine, &[command.as_bytes()], |r| match r {
                Response::Data { outcome, .. } => match outcome.code {
                    Some(ResponseCode::UidValidity(v)) => uidvalidity = Some(v),
                    Some(ResponseCode::UidNext(n)) => uid_next = Some(n),
                    _ => {}
                },
                Response::MailboxData(MailboxDatum::Exists(n)) => exists = Some(*n),
                _ => {}
            })
            .await?;
        let folder = &self.settings.folder;
        if !matches!(done.status, Status::Ok) {
            return Err(Error::Folder {
                folder: folder.clone(),
                detail: done.text,
            });
        }
        if !done.read_only {
            tracing::warn!(%folder, "imap: the server did not confirm EXAMINE as READ-ONLY");
        }
        let uidvalidity = uidvalidity.ok_or_else(|| Error::Protocol {
            step: Step::Examine,
            detail: t!("track-imap-no-uidvalidity", folder = format!("{folder:?}")),
        })?;
        Ok((uidvalidity, uid_next, exists.unwrap_or(0)))
    }

    /// One `UID FETCH … BODY.PEEK[]` of a batch: each body into `mailbox`, or into its too-large
    /// or missing list.
    pub(super) async fn fetch_batch(
        &mut self,
        batch: &[u32],
        max: u64,
        mailbox: &mut Mailbox,
    ) -> Result<(), Error> {
        let command = format!("UID FETCH {} (UID BODY.PEEK[])\r\n", uid_set(batch));
        let wanted: HashSet<u32> = batch.iter().copied().collect();
        let mut got: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut oversized: Vec<TooLarge> = Vec::new();
        let done = self
            .run(Step::Fetch, &[command.as_bytes()], |r| {
                let Response::Fetch(_, attrs) = r else {
                    return;
                };
                let uid = attrs.iter().find_map(|a| match a {
                    AttributeValue::Uid(u) => Some(*u),
                    _ => None,
                });
                let body = attrs.iter().find_map(|a| match a {
                    AttributeValue::BodySection {
                        section: None,
                        index: None,
                        data: Some(data),
                    } => Some(data),
                    _ => None,
                });
                if let (Some(uid), Some(body)) = (uid, body)
                    && wanted.contains(&uid)
                {
                    let size = body.len() as u64;
                    if size > max {
                        oversized.push(TooLarge { uid, size });
                    } else {
                        got.insert(uid, body.to_vec());
                    }
                }
            })
            .await?;
        expect_ok(Step::Fetch, &done)?;
        mailbox.batches += 1;
        for &uid in batch {
            if let Some(bytes) = got.remove(&uid) {
                mailbox.messages.push(Fetched { uid, bytes });
            } else if let Some(big) = oversized.iter().find(|b| b.uid == uid) {
                mailbox.too_large.push(*big);
            } else {
                mailbox.missing.push(uid);
            }
        }
        Ok(())
    }
}

/// Sorted UIDs as a compact IMAP set: `1:3,7,9:10`.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Splits the listing into body batches and the messages too large to fetch.
pub(super) fn plan_batches(
    listing: &BTreeMap<u32, u64>,
    limits: Limits,
) -> (Vec<Vec<u32>>, Vec<TooLarge>) {
    let mut batches: Vec<Vec<u32>> = Vec::new();
    let mut too_large = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    let mut bytes = 0u64;
    for (&uid, &size) in listing {
        if size > u64::from(limits.max_message_bytes) {
            too_large.push(TooLarge { uid, size });
            continue;
        }
        if !current.is_empty()
            && (current.len() >= limits.batch_uids.max(1)
                || bytes.saturating_add(size) > limits.batch_bytes)
        {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(uid);
        bytes = bytes.saturating_add(size);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    (batches, too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn batches_respect_count_bytes_and_the_size_cap() {
        let limits = Limits {
            batch_uids: 2,
            batch_bytes: 100,
            max_message_bytes: 80,
        };
        let listing = BTreeMap::from([(1, 10), (2, 10), (3, 10), (4, 90), (5, 70), (6, 20)]);
        let (batches, too_large) = plan_batches(&listing, limits);
        assert_eq!(batches, vec![vec![1, 2], vec![3, 5], vec![6]]);
        assert_eq!(too_large, vec![TooLarge { uid: 4, size: 90 }]);
    }
}
