#!/usr/bin/env bash
# Runs the same RTP load through `callrec media` and through rtpengine
# (Debian's rtpengine-daemon, userspace forwarding, no kernel module) one
# after the other on this machine, and prints one table row per run.
#
#   bash bench/media-compare.sh                 # 250 500 1000 2000 calls, 20 s each
#   CALLS="500" DURATION=30s bash bench/media-compare.sh
#   RECORD=1 bash bench/media-compare.sh        # callrec only, every call recorded
#
# Everything runs on 127.0.0.1; each run stops by itself. Raw JSON goes to
# $OUT (default /tmp/callrec-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
CALLS=${CALLS:-"250 500 1000 2000"}
DURATION=${DURATION:-20s}
OUT=${OUT:-/tmp/callrec-bench}
RECORD=${RECORD:-}
mkdir -p "$OUT"
go build -o "$OUT/callrec" ./cmd/callrec
if [ -z "$RECORD" ] && ! command -v rtpengine >/dev/null; then
  [ "$(id -u)" = 0 ] && apt-get install -y -qq --no-install-recommends rtpengine-daemon >/dev/null
fi

wait_pid_gone() { for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$1" 2>/dev/null || true; }

run() { # name calls control-args...
  local name=$1 calls=$2; shift 2
  "$OUT/callrec" bench media "$@" --calls "$calls" --duration "$DURATION" --pid "$PID" --quiet --json \
    >"$OUT/$name-$calls.json" 2>"$OUT/$name-$calls.log" || true
  python3 - "$OUT/$name-$calls.json" "$name" "$calls" <<'PY'
import json, sys
try: r = json.load(open(sys.argv[1]))
except Exception as e: print(f"| {sys.argv[2]} | {sys.argv[3]} | failed: {e} |"); sys.exit()
lat = r["latency_us"]
print(f"| {sys.argv[2]} | {r['calls_up']} | {r['window_forwarded_pps']:.0f} | {r['relay_cpu_pct']:.0f}% | "
      f"{r['relay_cpu_us_per_pkt']:.2f} | {r['gen_cpu_us_per_pkt']:.2f} | {r['loss_pct']:.4f}% | "
      f"{lat['p50']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} | {r['relay_rss_per_call_kib']:.1f} |")
PY
}

echo "| relay | calls | forwarded pps | relay CPU | relay µs/pkt | generator µs/pkt | loss | latency p50/p99/max µs | RSS KiB/call |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $CALLS; do
  extra=()
  args=(media --control udp:127.0.0.1:22222 --port-min 20000 --port-max 29999 --log-level warn)
  if [ -n "$RECORD" ]; then
    rm -rf "$OUT/rec"; args+=(--record-dir "$OUT/rec"); extra=(--record)
  fi
  "$OUT/callrec" "${args[@]}" >"$OUT/callrec-media.log" 2>&1 &
  PID=$!
  sleep 0.5
  run "callrec${RECORD:++record}" "$n" --control udp:127.0.0.1:22222 "${extra[@]}"
  kill "$PID"; wait_pid_gone "$PID"
  if [ -n "$RECORD" ]; then
    python3 - "$OUT/rec" "$n" <<'PY'
import json, sys, glob, collections
st = collections.Counter(); secs = 0.0; dropped = 0
for p in glob.glob(sys.argv[1] + "/*/*.json"):
    m = json.load(open(p)); st[m["status"]] += 1; secs += m.get("duration_seconds", 0); dropped += m.get("packets_dropped", 0)
print(f"|   recordings | {sys.argv[2]} | {dict(st)} | {secs/max(1,sum(st.values())):.1f} s each | {dropped} packets not recorded |")
PY
    continue
  fi
  rtpengine --config-file=none --foreground --table=-1 --interface=127.0.0.1 --listen-ng=127.0.0.1:2223 \
    --port-min=30000 --port-max=39999 --delete-delay=0 --log-level=3 >"$OUT/rtpengine.log" 2>&1 &
  PID=$!
  sleep 1
  run rtpengine "$n" --ng 127.0.0.1:2223
  kill "$PID"; wait_pid_gone "$PID"
done
