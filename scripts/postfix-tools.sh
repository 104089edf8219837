#!/usr/bin/env bash
# Unpacks Postfix's test tools, smtp-sink and smtp-source, from Debian's postfix package into
# target/postfix/ (the package is downloaded and unpacked, never installed; no mail server is
# started). Prints that folder. Run smtp-sink with LD_LIBRARY_PATH=<folder>/usr/lib/postfix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/target/postfix"
if [ ! -x "$dest/usr/sbin/smtp-sink" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    apt-get download postfix >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download postfix >/dev/null 2>&1; }
  )
  mkdir -p "$dest"
  dpkg -x "$work"/postfix_*.deb "$dest"
fi
echo "$dest"
