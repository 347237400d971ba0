#!/usr/bin/env bash
# Load on `callrec collector`: STREAMS live recording streams at G.711
# stereo WAV rate (16 kB/s each) from `callrec bench collector`, over TLS
# on loopback, for DURATION after the ramp. Prints the collector's CPU per
# stream and the generator's. Usage: bash bench/collector.sh [STREAMS] [DURATION]
set -euo pipefail
streams=${1:-2000}
duration=${2:-30s}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $colpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
go build -o "$work/callrec" ./cmd/callrec
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
echo bench-token > "$work/token"
port=$(( 20000 + RANDOM % 10000 ))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$work/callrec" collector --listen 127.0.0.1:$port --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --token-file "$work/token" --data-dir "$work/data" --log-level warn &
colpid=$!
sleep 1
timeout 900 "$work/callrec" bench collector --addr 127.0.0.1:$port --tls-ca "$work/cert.pem" --token-file "$work/token" \
  --streams "$streams" --duration "$duration" --pid $colpid --quiet
echo "stored: $(du -sh "$work/data/recordings" | cut -f1), catalogue rows: none (bench sends no sidecars)"
