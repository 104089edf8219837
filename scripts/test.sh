#!/usr/bin/env bash
# The test suite: fetches Postfix's smtp-sink (for the end-to-end tests against a real MTA's
# test server), then runs every test. Works on a fresh Debian machine with Rust installed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/postfix-tools.sh >/dev/null
cargo test --locked "$@"
