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
have baresip || need+=(baresip-core)     # SIP user agents (aufile, ctrl_tcp) calling through callrec serve
have sox || need+=(sox)                  # audio checks of recordings
have ffmpeg || need+=(ffmpeg)            # decodes recordings (Ogg/Opus, MP3, GSM WAV) in interop checks
have chromium || need+=(chromium)        # headless browser of the web UI test (test/webui_test.go, chromedp)
# C libraries of the recorder's codecs (cgo): Opus, G.729, GSM 06.10, MP3.
# PostgreSQL server for the database tests (internal/store); started below.
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
# PocketSphinx and its en-US model for the keyword spotter (internal/spot).
for lib in libopus-dev libbcg729-dev libgsm1-dev libmp3lame-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us; do
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

# A PostgreSQL for the database tests: 127.0.0.1:5432, trust auth for
# 127.0.0.1, database "test". Left alone when something already listens
# there. CALLREC_PG_PORT and CALLREC_PG_CLUSTER exist to test this block
# on a spare cluster.
pg_port=${CALLREC_PG_PORT:-5432}
pg_cluster=${CALLREC_PG_CLUSTER:-main}
pg_up() { (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; }
if ! pg_up; then
  pg_ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_conf=/etc/postgresql/$pg_ver/$pg_cluster
  [ -d "$pg_conf" ] || pg_createcluster -p "$pg_port" "$pg_ver" "$pg_cluster" >/dev/null
  # pg_hba.conf takes the first matching line: trust goes first.
  if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$pg_conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$pg_conf/pg_hba.conf"
  fi
  if pg_ctlcluster "$pg_ver" "$pg_cluster" status >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$pg_ver" "$pg_cluster" reload
  else
    echo "deps: starting PostgreSQL $pg_ver/$pg_cluster on 127.0.0.1:$pg_port" >&2
    pg_ctlcluster --skip-systemctl-redirect "$pg_ver" "$pg_cluster" start
  fi
  for _ in $(seq 60); do pg_up && break; sleep 0.5; done
  pg_up || { echo "deps: PostgreSQL did not come up on 127.0.0.1:$pg_port" >&2; exit 1; }
fi
if [ "$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null)" != 1 ]; then
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc 'CREATE DATABASE test' \
    || echo "deps: could not create database test on 127.0.0.1:$pg_port (store tests will fail under CI)" >&2
fi

# versitygw: a real S3-compatible server (posix backend) for the S3
# storage tests (internal/ship, test/); they start it themselves. Built
# from the Go module proxy into $(go env GOBIN), else $(go env GOPATH)/bin
# (a few minutes, once); skipped when one is on PATH or already there.
vgw_version=v1.8.0
vgw_dir="$(go env GOBIN)"
[ -n "$vgw_dir" ] || vgw_dir="$(go env GOPATH)/bin"
if ! have versitygw && [ ! -x "$vgw_dir/versitygw" ]; then
  echo "deps: building versitygw $vgw_version into $vgw_dir" >&2
  GOBIN="$vgw_dir" go install "github.com/versity/versitygw/cmd/versitygw@$vgw_version"
fi
