#!/usr/bin/env bash
# Installs what callrec's build and tests need on a fresh Debian machine.
# Idempotent: anything already present is left alone. Needs root for apt-get.
set -euo pipefail

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
command -v sox >/dev/null 2>&1 || need+=(sox)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${need[*]}; run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
