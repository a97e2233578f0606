#!/usr/bin/env bash
# The tests, with what they drive besides the binary: the OpenSSH client
# (ssh, ssh-keygen, sftp), which `asldbg serve`'s tests connect with,
# Node.js with npm, for VS Code's debug adapter test client (tests/dap/)
# and the VS Code extension (editors/vscode/, built here), and neovim,
# whose language client drives `asldbg lsp` (tests/lsp/). Installed here
# when missing (as root, with apt-get); otherwise this says what to install.
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
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "tests/run.sh: the editor tests need Node.js and npm: install nodejs and npm" >&2
    exit 1
  fi
fi
# Neovim: its built-in language client drives `asldbg lsp` (tests/lsp/).
if ! command -v nvim >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq neovim >/dev/null
  else
    echo "tests/run.sh: the language server's test needs neovim (0.7 or later): install neovim" >&2
    exit 1
  fi
fi
# Pinned by their package-lock.json files.
(cd tests/dap && npm ci --no-audit --no-fund --loglevel=error)
(cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run --silent compile)
# The Zed extension (editors/zed; Zed builds it to WebAssembly itself):
# checked against the extension API it pins, so that it cannot rot.
(cd editors/zed && cargo check --locked --quiet)
exec cargo test --release "$@"
