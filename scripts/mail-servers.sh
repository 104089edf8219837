#!/usr/bin/env bash
# Installs the real mail servers that the "proof of arrival" tests start on 127.0.0.1 by
# themselves: Postfix (postfix) and Dovecot's IMAP server (dovecot-imapd), from Debian's
# packages. Nothing is configured, started or enabled as a system service: the tests run their
# own instances with their own config, queue and mail folders (tests/it/support/mailservers.rs).
#
# Quick and silent when both are already installed. Needs root (or sudo) to install.
set -euo pipefail

installed() {
  dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'
}

if installed postfix && installed dovecot-imapd; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "mail-servers.sh: installing needs root" >&2; exit 1; }
  sudo="sudo"
fi

# While we install, no service may start: invoke-rc.d asks /usr/sbin/policy-rc.d, and 101 means
# "not allowed". A policy already there (Docker images ship one) is put back afterwards.
policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
  backup="$($sudo mktemp /usr/sbin/policy-rc.d.letterpost.XXXXXX)"
  $sudo cp -p "$policy" "$backup"
fi
restore() {
  if [ -n "$backup" ]; then
    $sudo mv -f "$backup" "$policy"
  else
    $sudo rm -f "$policy"
  fi
}
trap restore EXIT
printf '#!/bin/sh\n# letterpost scripts/mail-servers.sh: no service starts during this install\nexit 101\n' \
  | $sudo tee "$policy" >/dev/null
$sudo chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
# "No configuration": the package writes no /etc/postfix/main.cf, so even a system Postfix
# started by mistake would refuse to run; ours bring their own.
printf '%s\n' \
  'postfix postfix/main_mailer_type select No configuration' \
  'postfix postfix/mailname string localhost' \
  | $sudo debconf-set-selections

log="$(mktemp)"
if ! { $sudo apt-get update -qq &&
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    postfix dovecot-imapd; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "mail-servers.sh: installing postfix and dovecot-imapd failed" >&2
  exit 1
fi
rm -f "$log"

# If a service manager started them anyway, stop the system instances (ours use other ports,
# folders and pid files, but a system Postfix would take port 25 and its logs would confuse).
for unit in postfix dovecot; do
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
done
if [ -e /etc/postfix/main.cf ] && $sudo postfix status >/dev/null 2>&1; then
  $sudo postfix stop >/dev/null 2>&1 || true
fi
if [ -e /run/dovecot/master.pid ]; then
  $sudo doveadm stop >/dev/null 2>&1 || true
fi
