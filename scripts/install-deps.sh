#!/usr/bin/env bash
# Installs what `make test` needs: Go modules always; Debian packages for the
# interop, DPI and docs suites when run as root (as CI is). Without root it
# only reports what is missing; the suites that need a missing tool skip,
# except under CI=true, where they fail.
set -euo pipefail

packages=(
  python3-libtorrent   # interop: libtorrent-rasterbar 2.0 and SSL torrents
  transmission-cli     # interop: transmission-cli / transmission-create
  transmission-daemon  # interop: transmission-daemon + transmission-remote
  rtorrent             # interop: rtorrent 0.9
  libndpi-bin          # DPI: ndpiReader
  tshark               # DPI: JA3/JA3S, TLS fields
  tcpdump              # DPI: captures on loopback
  python3-docutils     # BEP: rst2html
  curl                 # DPI: a common ClientHello to compare with
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "install-deps: missing Debian packages (run as root to install): ${missing[*]}" >&2
    [[ ${CI:-} == true ]] && exit 1
  fi
fi

go mod download
