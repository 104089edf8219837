#!/usr/bin/env bash
# The test suite: fetches Postfix's smtp-sink (for the end-to-end tests against a real MTA's
# test server), installs Postfix and Dovecot (for the tests that start their own real mail
# servers on 127.0.0.1; no system service is started), man-db and groff (the tests render
# `letterpost man` as `man` shows it) and LibreOffice's spreadsheet without a GUI (the tests open
# the xlsx export with it), then runs every test. Works on a fresh Debian machine with Rust
# installed; quick when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/postfix-tools.sh >/dev/null
scripts/mail-servers.sh

# Debian packages the tests run, installed only when their command is missing.
need=()
command -v man >/dev/null || need+=(man-db)
command -v groff >/dev/null || need+=(groff-base)
command -v soffice >/dev/null || need+=(libreoffice-calc-nogui)
command -v pdftotext >/dev/null || need+=(poppler-utils)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "test.sh: installing ${need[*]} needs root" >&2; exit 1; }
    sudo="sudo"
  fi
  log="$(mktemp)"
  if ! { $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "test.sh: installing ${need[*]} failed" >&2
    exit 1
  fi
  rm -f "$log"
fi
# The LibreOffice checks skip where soffice is missing; here it was installed, so they must run.
LETTERPOST_TEST_SOFFICE=required cargo test --locked "$@"
