#!/usr/bin/env bash
# The tests, with what they drive besides the binary: the OpenSSH client
# (ssh, ssh-keygen, sftp), which `asldbg serve`'s tests connect with.
# Installed here when it is missing (as root, with apt-get); otherwise
# this says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null || ! command -v sftp >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openssh-client >/dev/null
  else
    echo "tests/run.sh: the classroom tests need the OpenSSH client (ssh, ssh-keygen, sftp): install openssh-client" >&2
    exit 1
  fi
fi
exec cargo test --release "$@"
