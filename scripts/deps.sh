#!/usr/bin/env bash
# Installs what callrec's build and tests need on a fresh Debian machine.
# Idempotent: anything already present is left alone. Needs root for apt-get.
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

have() { command -v "$1" >/dev/null 2>&1; }
need=()
have go || need+=(golang-go)
have gcc || need+=(gcc libc6-dev)
have pkg-config || need+=(pkg-config)
have sipp || need+=(sip-tester)          # SIP/RTP peer for interop tests
have kamailio || need+=(kamailio)        # its rtpproxy module drives the media node in interop tests
have sox || need+=(sox)                  # audio checks of recordings
have ffmpeg || need+=(ffmpeg)            # decodes recordings (Ogg/Opus, MP3, GSM WAV) in interop checks
# C libraries of the recorder's codecs (cgo): Opus, G.729, GSM 06.10, MP3.
for lib in libopus-dev libbcg729-dev libgsm1-dev libmp3lame-dev; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "ok installed" || need+=("$lib")
done

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${need[*]}; run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "deps: installing ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
