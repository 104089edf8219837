# What `main` prints itself: the line that ends a failed run, and notes before a command runs.

main-error = error: { $error }
main-unknown-language = warning: LETTERPOST_LANG={ $value } is not a language letterpost speaks (vi, en); it is ignored
main-using = note: using { $file }
main-not-a-command = `letterpost { $command }` is not a command: `letterpost --help` lists them
main-cannot-write-man = cannot write the manual page: { $error }
main-cannot-write-stdout = cannot write to standard output: { $error }
