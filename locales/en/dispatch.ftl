# Setting up the relay, the dry run's outbox and the campaign lock. What a relay answered, and
# how a delivery failed, are recorded as they are and never pass through here.

dispatch-no-password = [smtp] username is set but there is no password
dispatch-cannot-read-ca = cannot read the CA file { $file }
dispatch-ca-not-pem = the CA file { $file } is not a PEM certificate: { $error }
dispatch-cannot-set-up-tls = cannot set up TLS: { $error }

## The dry run's outbox.

dispatch-outbox-no-parent = the outbox has no parent folder
dispatch-outbox-no-name = the outbox has no name
dispatch-cannot-create = cannot create { $file }
dispatch-cannot-create-manifest = cannot create the manifest
dispatch-cannot-write = cannot write { $file }
dispatch-cannot-write-manifest = cannot write the manifest
dispatch-cannot-remove = cannot remove { $file }
dispatch-cannot-replace-outbox = cannot replace the old outbox { $outbox }
dispatch-cannot-move-outbox = cannot move the outbox into { $outbox }
dispatch-cannot-read = cannot read { $file }
dispatch-outbox-is-a-link = the outbox { $outbox } is a symbolic link: a dry run never writes through a link (remove it and run again); nothing was written
dispatch-outbox-not-a-folder = { $outbox } is in the way of the outbox: it is not a folder, and a dry run writes a folder there (move it away and run again); nothing was written
# $names: the first five files; $more: how many others.
dispatch-outbox-not-ours = the outbox { $outbox } holds files letterpost did not write: { $names }{ $more ->
        [0] {""}
       *[other] {" "}and { $more } more
    }. A dry run replaces that folder but never deletes what it did not write: move them elsewhere and run again; nothing was written

## The campaign lock.

# $holder: what the lock file says of the run that holds it (`pid … on … since …`).
dispatch-campaign-locked = campaign { $campaign } is in use by another letterpost run ({ $holder }); wait for it to finish
dispatch-cannot-open-lock = cannot open the campaign lock { $file }; nothing was sent
dispatch-cannot-lock = cannot lock { $file }
dispatch-cannot-use-log = cannot use the delivery log { $file }; nothing was sent
