#!/usr/bin/env bash
# The test suite: fetches Postfix's smtp-sink (for the end-to-end tests against a real MTA's
# test server), installs Postfix and Dovecot (for the tests that start their own real mail
# servers on 127.0.0.1; no system service is started), then runs every test. Works on a fresh
# Debian machine with Rust installed; quick when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/postfix-tools.sh >/dev/null
scripts/mail-servers.sh
cargo test --locked "$@"
