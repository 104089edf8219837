# `letterpost init`, and the files letterpost refuses to write through (`private_fs`).

files-cannot-read-folder = cannot read { $folder }
files-folder-not-empty = { $folder } is not empty; choose a new folder for the campaign
files-cannot-create-folder = cannot create { $folder }
files-cannot-write = cannot write { $file }
files-init-created = Created a campaign in { $folder } from the built-in example (the fanpage letter).
files-init-next = Next: edit campaign.toml and { $list }, then run `letterpost check` there.

# Why a file under logs/, archive/ or outbox/ was not opened.
files-refused-link = it is a symbolic link, and letterpost never follows a link in logs/, archive/ or outbox/: remove the link (and put the real file in its place, if there is one)
files-refused-not-a-file = it is not a regular file
