# The templates and the letter built from them: loading, checking the variables, rendering a row.
# Tera's own messages (an unknown filter, a syntax error) stay as Tera writes them.

merge-outside-folder = templates must all be in { $folder } (or a folder inside it)
merge-cannot-list = cannot list: { $error }
merge-template-missing = the template file does not exist
merge-cannot-read = cannot read: { $error }
merge-not-utf8 = cannot read: the file is not UTF-8 text; save it as UTF-8
merge-var-hides-column = [vars] `{ $name }` has the same name as a column of the recipient list; rename one
merge-unknown-variable = the variable `{ $name }` is neither a column of the recipient list nor a value under [vars] in campaign.toml
merge-unknown-variable-near = the variable `{ $name }` is neither a column of the recipient list nor a value under [vars] in campaign.toml; did you mean `{ $meant }`?

# A row that cannot become a letter.
merge-cannot-render-at = cannot render { $template } (line { $line }, position { $position }): { $error }
merge-cannot-render = cannot render { $template }: { $error }
merge-subject-control = the subject rendered for this row contains { $character }; a value in this row put it there
merge-subject-empty = the subject rendered for this row is empty
merge-line-too-long = a line of the message would be { $octets } octets long, more than the { $max } that mail allows; shorten the value that makes it
merge-cannot-typeset-at = cannot typeset { $template } (line { $line }, position { $position } of the merged document): { $error }
merge-cannot-typeset = cannot typeset { $template }: { $error }
merge-not-a-font = not a font file letterpost can use (TrueType or OpenType)
