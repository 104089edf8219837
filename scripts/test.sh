#!/usr/bin/env bash
# The test suite: fetches Postfix's smtp-sink (for the end-to-end tests against a real MTA's
# test server), installs Postfix and Dovecot (for the tests that start their own real mail
# servers on 127.0.0.1; no system service is started) and man-db and groff (the tests render
# `letterpost man` as `man` shows it), then runs every test. Works on a fresh Debian machine with
# Rust installed; quick when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/postfix-tools.sh >/dev/null
scripts/mail-servers.sh

# `man -l` and `groff`: nothing to do when both are there (one command -v each).
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "test.sh: installing man-db and groff-base needs root" >&2; exit 1; }
    sudo="sudo"
  fi
  log="$(mktemp)"
  if ! { $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      man-db groff-base; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "test.sh: installing man-db and groff-base failed" >&2
    exit 1
  fi
  rm -f "$log"
fi
cargo test --locked "$@"
