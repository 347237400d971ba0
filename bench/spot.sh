#!/usr/bin/env bash
# Live keyword spotting under load: N concurrent recorded calls through
# `callrec serve`, each SECS seconds of speech both ways, with the
# built-in spotter on (asr.keywords, asr.workers: 1, one core's worth of
# spotting) and off (asr.spotter: off), one fresh serve per run. sipp
# places the calls: the caller plays bench/spotpcap's pcap of
# test/testdata/audio/caller-8k.wav as G.711 µ-law (bench/spot/uac.xml),
# the callee streams agent-8k.wav (bench/spot/uas.xml). Prints markdown
# rows.
#
#   bash bench/spot.sh                         # CALLS="2 4 8 12 16 20 24 32"
#   CALLS="8 16" SECS=30 WORKERS=1 bash bench/spot.sh
#   MODES=on ...                               # on off
#   KEEP_GOING=1 ...                           # do not stop at the first N that is behind
#
# Per run: serve's CPU (/proc/PID/stat utime+stime, from the first INVITE
# until the spotters have drained what was queued when the calls ended),
# sipp's CPU (UAC + UAS, /usr/bin/time), and from serve's /metrics,
# scraped every second: audio spotted and dropped
# (callrec_asr_audio_seconds_total), the longest leg backlog
# (callrec_asr_backlog_seconds{kind="max"}: its peak, and its last value
# before the calls end), the spotter's busy time, packets the recorder
# dropped (callrec_recording_packets_dropped_total) and packets the
# relay did not forward (callrec_media_packets_dropped_total, all
# reasons). A run is "live" when nothing was dropped and no leg ever
# waited more than MAX_BACKLOG seconds; "catching up" when nothing was
# dropped and the backlog at the calls' end is more than a second below
# its peak (all calls start together, so every spotter starts, and
# decodes its first 3 s twice, in the same few seconds: a backlog
# builds, then shrinks if the spotter is faster than the calls);
# "behind" otherwise (dropped audio or packets, or a backlog still at
# its peak at the end). Everything runs on 127.0.0.1-3 and stops by
# itself; raw output in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
CALLS=${CALLS:-"2 4 8 12 16 20 24 32"}
MODES=${MODES:-"on off"}
SECS=${SECS:-30}
WORKERS=${WORKERS:-1}
KEYWORDS=${KEYWORDS:-'"cancel/1e-30", "refund/1e-20", "account/1e-30"'}
MAX_BACKLOG=${MAX_BACKLOG:-3}
DRAIN_MAX=${DRAIN_MAX:-300}
KEEP_GOING=${KEEP_GOING:-0}
OUT=${OUT:-/tmp/callrec-spot-bench}
PROXY=127.0.0.1:15060
HTTP=127.0.0.1:18081
UAS=127.0.0.3:5070
HZ=$(getconf CLK_TCK)
command -v sipp >/dev/null || { echo "spot: sipp missing (apt-get install sip-tester)" >&2; exit 1; }
[ -d /usr/share/pocketsphinx/model/en-us ] || { echo "spot: PocketSphinx model missing (apt-get install pocketsphinx-en-us)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "spot: sipp's play_pcap_audio needs root (raw socket)" >&2; exit 1; }
mkdir -p "$OUT/audio" "$OUT/warm"
go build -o "$OUT/callrec" ./cmd/callrec
go run ./bench/spotpcap -out "$OUT/audio" -secs "$SECS"
go run ./bench/spotpcap -out "$OUT/warm" -secs 3
cp bench/spot/uac.xml bench/spot/uas.xml "$OUT/audio/"
cp bench/spot/uac.xml bench/spot/uas.xml "$OUT/warm/"

SERVE=0 SCRAPER=0 UASPID=0
cleanup() {
  local p
  for p in $SCRAPER $UASPID $SERVE; do [ "$p" != 0 ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ticks() { [ -r "/proc/$1/stat" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
scrape() { curl -s --max-time 2 "http://$HTTP/metrics" >"$1.tmp" && mv "$1.tmp" "$1"; }
# metric file name [label]: the sample's value (summed over matching
# lines), 0 when absent.
metric() {
  awk -v n="$2" -v l="${3:-}" '$1 == n || (index($1, n "{") == 1 && index($1, l) > 0) {s += $2} END {printf "%.3f", s + 0}' "$1"
}

start_serve() { # mode
  rm -rf "$OUT/sut"; mkdir -p "$OUT/sut"
  local spotter=builtin; [ "$1" = on ] || spotter=off
  cat >"$OUT/sut/serve.yaml" <<EOF
serve:
  routes:
    - {destination: "sip:$UAS"}
asr:
  keywords: [$KEYWORDS]
  spotter: $spotter
  workers: $WORKERS
EOF
  "$OUT/callrec" serve --config "$OUT/sut/serve.yaml" --data-dir "$OUT/sut/data" --sip-listen "$PROXY" \
    --http-listen "$HTTP" --rtp-listen 127.0.0.1 --port-min 20000 --port-max 21999 \
    --record all --log-level warn >"$OUT/sut/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 50); do
    curl -s --max-time 1 -o /dev/null "http://$HTTP/metrics" && return 0
    kill -0 "$SERVE" 2>/dev/null || break
    sleep 0.2
  done
  echo "spot: callrec serve did not start (see $OUT/sut/serve.log)" >&2; cat "$OUT/sut/serve.log" >&2; exit 1
}

stop_serve() {
  kill "$SERVE" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVE" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
  SERVE=0
}

# calls dir tag n hold_s: n concurrent calls of hold_s seconds playing
# $OUT/dir's audio, to completion (bounded); leaves $OUT/tag.* behind.
calls() {
  local dir=$OUT/$1 tag=$2 n=$3 hold=$4 secs=$(($4 + 60))
  (cd "$dir" && exec /usr/bin/time -f "%e %U %S" -o "$OUT/$tag.uas.time" timeout $((secs + 5)) \
    sipp -sf uas.xml -i 127.0.0.3 -p 5070 -mp 16000 -nostdin -timeout "${secs}s" >"$OUT/$tag.uas.log" 2>&1) &
  UASPID=$!
  sleep 0.3
  (cd "$dir" && /usr/bin/time -f "%e %U %S" -o "$OUT/$tag.uac.time" timeout $((secs + 5)) \
    sipp -sf uac.xml -i 127.0.0.2 -p 5071 -mp 17000 -key target "$UAS" -r "$n" -rp 1000 -m "$n" -l "$n" \
    -d $((hold * 1000)) -recv_timeout 10000 -timeout "${secs}s" -nostdin -trace_stat -stf "$OUT/$tag.csv" \
    -trace_err -error_file "$OUT/$tag.err" "$PROXY" >"$OUT/$tag.uac.log" 2>&1) || true
  local t; t=$(pgrep -P "$UASPID" || true)
  for p in $t; do kill "$p" 2>/dev/null || true; done
  wait "$UASPID" 2>/dev/null || true
  UASPID=0
}

sipp_cpu() { # tag -> UAC + UAS CPU seconds
  awk '{s += $2 + $3} END {printf "%.2f", s + 0}' "$OUT/$1.uac.time" "$OUT/$1.uas.time" 2>/dev/null || echo 0
}
sipp_ok() { # tag -> "successful failed"
  python3 - "$OUT/$1.csv" <<'PY'
import csv, sys
try: r = list(csv.DictReader(open(sys.argv[1]), delimiter=";"))[-1]; print(r["SuccessfulCall(C)"], r["FailedCall(C)"])
except Exception: print(0, 0)
PY
}

# run n mode: one row; returns 1 when the run fell behind.
run() {
  local n=$1 mode=$2 tag="spot-$1-$2" m="$OUT/spot-$1-$2" l t0 c0 c1 w0 w1
  start_serve "$mode"
  # One short call first, so per-process setup (the keyword dictionary)
  # is not counted.
  calls warm "$tag-warm" 1 3
  sleep 1
  scrape "$m.before"
  l=$(cut -d' ' -f1-3 /proc/loadavg)
  # Scrape every second while the calls run and drain (bounded).
  (for _ in $(seq $((SECS + DRAIN_MAX + 90))); do
    scrape "$m.now" && awk -v t="$(date +%s.%N)" '/^callrec_asr_backlog_seconds\{kind="max"\}/ {m = $2}
      /^callrec_asr_backlog_seconds\{kind="total"\}/ {s = $2} END {print t, m + 0, s + 0}' "$m.now" >>"$m.backlog"
    sleep 1
  done) &
  SCRAPER=$!
  c0=$(ticks "$SERVE"); w0=$(date +%s.%N)
  calls audio "$tag" "$n" "$SECS"
  local wend; wend=$(date +%s.%N)
  # The spotters finish what was queued when the calls ended.
  local last=-1 cur
  for _ in $(seq $((DRAIN_MAX * 2))); do
    scrape "$m.drain" || true
    cur=$(metric "$m.drain" callrec_asr_audio_seconds_total 'result="spotted"')
    if [ "$(metric "$m.drain" callrec_asr_backlog_seconds 'kind="total"')" = 0.000 ] &&
      [ "$(metric "$m.drain" callrec_media_calls)" = 0.000 ] && [ "$cur" = "$last" ]; then break; fi
    last=$cur
    sleep 0.5
  done
  c1=$(ticks "$SERVE"); w1=$(date +%s.%N)
  kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=0
  scrape "$m.after"
  stop_serve
  d() { python3 -c "print(round($(metric "$m.after" "$@") - $(metric "$m.before" "$@"), 3))"; }
  read -r ok failed < <(sipp_ok "$tag")
  python3 - "$n" "$mode" "$SECS" "$HZ" "$c0" "$c1" "$w0" "$wend" "$w1" "$(sipp_cpu "$tag")" \
    "$(d callrec_asr_audio_seconds_total 'result="spotted"')" "$(d callrec_asr_audio_seconds_total 'result="dropped"')" \
    "$(d callrec_asr_spotter_busy_seconds_total)" "$(d callrec_asr_detections_total)" \
    "$(d callrec_recording_packets_dropped_total)" "$(d callrec_media_packets_dropped_total)" \
    "$(d callrec_media_packets_relayed_total)" "$ok" "$failed" "$MAX_BACKLOG" "$l" "$m.backlog" <<'PY'
import sys
a = sys.argv[1:]
n, mode, secs, hz = int(a[0]), a[1], int(a[2]), int(a[3])
c0, c1, w0, wend, w1, sippcpu = map(float, a[4:10])
spotted, dropped, busy, det, recdrop, reldrop, relayed = map(float, a[10:17])
ok, failed, maxb, load, bfile = a[17], a[18], float(a[19]), a[20], a[21]
cpu = (c1 - c0) / hz
wall = w1 - w0
bl = [tuple(map(float, x.split())) for x in open(bfile) if len(x.split()) == 3]
bmax = max((b[1] for b in bl), default=0.0)
atend = ([b[1] for b in bl if b[0] <= wend] or [0.0])[-1]
drain = w1 - wend
if dropped > 0 or recdrop > 0 or reldrop > 0:
    verdict = "behind"
elif bmax <= maxb:
    verdict = "live"
elif atend < bmax - 1:
    verdict = "catching up"
else:
    verdict = "behind"
behind = verdict == "behind"
on = mode == "on"
legsec = 2 * n * secs
print(f"| {n} | {mode} | {ok}/{failed} | {100*cpu/wall:.0f}% | {1000*cpu/(n*secs):.1f} | {100*sippcpu/wall:.0f}% | "
      + (f"{spotted:.0f}/{legsec} | {dropped:.1f} | {bmax:.1f} | {atend:.1f} | {busy/max(spotted,1)*1000:.1f} | {det:.0f} | " if on else "- | - | - | - | - | - | ")
      + f"{recdrop:.0f} | {reldrop:.0f} | {relayed:.0f} | {drain:.1f} | {load} | {verdict if on else '-'} |")
sys.exit(1 if behind and on else 0)
PY
}

echo "Live keyword spotting: $SECS s calls, asr.workers: $WORKERS, keywords [$KEYWORDS], live = nothing dropped and no leg backlog over $MAX_BACKLOG s"
echo "| calls | spotter | calls ok/failed | serve CPU | serve ms CPU per call-second | sipp CPU | leg audio spotted/sent s | dropped s | backlog max s | backlog at calls' end s | spotter ms per leg-second | detections | recording pkts dropped | relay pkts dropped | relayed pkts | drain s | load 1/5/15 | verdict |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in $CALLS; do
  behind=0
  for mode in $MODES; do
    run "$n" "$mode" || behind=1
  done
  if [ "$behind" = 1 ] && [ "$KEEP_GOING" != 1 ]; then break; fi
done
