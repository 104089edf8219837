# Attachments ([[attachments]] in campaign.toml) and the PDFs among them.
attach-missing = attachment { $file } does not exist
attach-cannot-read = cannot read attachment { $file }: { $error }
attach-empty = attachment { $file } is empty
attach-bad-pdf = attachment { $file } { $why }
attach-not-pdf = is not a PDF (it does not start with %PDF-), though its name ends in .pdf
attach-pdf-damaged = is a damaged PDF: { $error }
attach-outside-folder = attachment path { $file } leads outside the campaign folder
attach-name-empty = the name of attachment { $number } is empty
attach-name-bad = the name of attachment { $number } (`{ $name }`) cannot be a file name
attach-pdf-signed = { $file }: signed by { $signer } at { $time }
attach-pdf-unsigned = { $file }: no signature
attach-pdf-unknown = (not stated)
