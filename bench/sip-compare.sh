#!/usr/bin/env bash
# Complete calls per second through `callrec serve` and through Kamailio +
# rtpengine (Debian's packages, bench/sip/kamailio.cfg), one system after
# the other on this machine, driven by sipp (bench/sip/uac.xml and
# uas.xml: INVITE, 100, 180, 200, ACK, BYE, 200 with a G.711 offer and
# answer, every call anchored on the media relay). Prints markdown rows.
#
#   bash bench/sip-compare.sh                     # everything below
#   MODE=rate RATES="100 200" bash bench/sip-compare.sh   # CPU per call at fixed CPS
#   MODE=max  bash bench/sip-compare.sh           # highest CPS with < 1 % failed calls
#   MODE=mem  HOLD=2000 bash bench/sip-compare.sh # memory per concurrent call
#   SYSTEMS="callrec-rec kamailio-rec" ...        # callrec-rec callrec-norec kamailio-rec kamailio-norec
#   REPEAT=3 ...                                  # each measurement REPEAT times
#
# CPU is read from /proc/PID/stat (utime+stime, every process of the
# system, and per part: proxy = callrec serve or Kamailio's processes,
# media = rtpengine; callrec's media node runs inside serve). sipp's own
# CPU (UAC and UAS) is reported beside it: it shares the 2 cores.
# Everything runs on 127.0.0.1-3 and stops by itself; raw output in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
MODE=${MODE:-"rate max mem"}
SYSTEMS=${SYSTEMS:-"callrec-rec callrec-norec kamailio-rec kamailio-norec"}
RATES=${RATES:-"100 200"}
RUN_SECS=${RUN_SECS:-15}
MAX_RATES=${MAX_RATES:-"150 200 300 400 500 650 800 1000 1250 1500"}
MAX_SECS=${MAX_SECS:-10}
HOLD=${HOLD:-2000}
REPEAT=${REPEAT:-1}
OUT=${OUT:-/tmp/callrec-sip-bench}
SIPP_SF=$PWD/bench/sip
PROXY=127.0.0.1:15060
UAS=127.0.0.3:5070
HZ=$(getconf CLK_TCK)
mkdir -p "$OUT"
go build -o "$OUT/callrec" ./cmd/callrec
command -v sipp >/dev/null || { echo "sip-compare: sipp missing (apt-get install sip-tester)" >&2; exit 1; }
if ! command -v rtpengine >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -qq --no-install-recommends rtpengine-daemon >/dev/null
fi

PROXY_PIDS=() MEDIA_PIDS=() MAIN_PIDS=()
ticks() { # pids... -> summed utime+stime clock ticks (0 for gone pids)
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
kib() { # pids... -> summed PSS KiB (shared memory split between processes)
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/smaps_rollup" ] && t=$((t + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup")))
  done
  echo "$t"
}
wait_pid_gone() { for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$1" 2>/dev/null || true; }
wait_sip() { # the system answers OPTIONS within 10 s
  for _ in $(seq 20); do
    python3 - "$PROXY" <<'PY' && return 0
import socket, sys
h, p = sys.argv[1].split(":"); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.2", 0)); s.settimeout(0.5)
a = s.getsockname()
s.sendto((f"OPTIONS sip:{h}:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {a[0]}:{a[1]};branch=z9hG4bK-ready\r\nFrom: <sip:b@x>;tag=1\r\n"
          f"To: <sip:{h}>\r\nCall-ID: ready\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(), (h, int(p)))
try: s.recv(4096)
except OSError: sys.exit(1)
PY
    sleep 0.5
  done
  echo "sip-compare: $1 does not answer on $PROXY" >&2; return 1
}

start_system() { # name
  local name=$1 rec=${1##*-}
  rm -rf "$OUT/sut"; mkdir -p "$OUT/sut/rec"
  case $name in
  callrec-*)
    printf 'serve:\n  routes:\n    - {destination: "sip:%s"}\n' "$UAS" >"$OUT/sut/serve.yaml"
    local r=all; [ "$rec" = rec ] || r=none
    "$OUT/callrec" serve --config "$OUT/sut/serve.yaml" --data-dir "$OUT/sut/data" --sip-listen "$PROXY" \
      --http-listen 127.0.0.1:18080 --rtp-listen 127.0.0.1 --port-min 20000 --port-max 39999 \
      --record "$r" --log-level warn --pprof >"$OUT/sut/serve.log" 2>&1 &
    MAIN_PIDS=($!) PROXY_PIDS=($!) MEDIA_PIDS=()
    ;;
  kamailio-*)
    local recargs=()
    [ "$rec" = rec ] && recargs=(--recording-dir="$OUT/sut/rec" --recording-method=pcap)
    ulimit -c 0 # Debian's rtpengine 10.5 can crash on SIGTERM with recording on: no core file here
    rtpengine --config-file=none --foreground --table=-1 --interface=127.0.0.1 --listen-ng=127.0.0.1:12223 \
      --port-min=20000 --port-max=39999 --delete-delay=0 --log-level=3 "${recargs[@]}" >"$OUT/sut/rtpengine.log" 2>&1 &
    MEDIA_PIDS=($!)
    sleep 1
    local kargs=(-A 'RTPE_SOCK="udp:127.0.0.1:12223"' -A "DEST=\"sip:$UAS\"")
    [ "$rec" = rec ] && kargs+=(-A RECORD)
    # 4 UDP workers, 256 MB shared memory (Kamailio's own default is 8 and 64).
    kamailio -f bench/sip/kamailio.cfg -DD -E -l "udp:$PROXY" -m 256 -M 16 -Y "$OUT/sut" -P "$OUT/sut/k.pid" \
      -w "$OUT/sut" "${kargs[@]}" >"$OUT/sut/kamailio.log" 2>&1 &
    MAIN_PIDS=($! "${MEDIA_PIDS[@]}")
    ;;
  esac
  wait_sip "$name"
  if [[ $name == kamailio-* ]]; then PROXY_PIDS=("${MAIN_PIDS[0]}" $(pgrep -P "${MAIN_PIDS[0]}")); fi
  # One warm-up call, so lazily built state is not counted.
  sipp_run warm 5 10 0 10 >/dev/null
}

stop_system() {
  local p
  for p in "${MAIN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${MAIN_PIDS[@]}"; do wait_pid_gone "$p"; done
  wait 2>/dev/null || true
}

# sipp_run tag rate calls hold_ms limit: runs a UAS and a UAC to
# completion (bounded by a timeout) and leaves $OUT/tag.* behind.
sipp_run() {
  local tag=$1 rate=$2 calls=$3 hold=$4 limit=$5
  local secs=$(( calls / rate + hold / 1000 + 20 ))
  # The UAS runs until the UAC is done (no -m: a stray retransmission
  # counts as a call and would end it early), then gets SIGTERM.
  /usr/bin/time -f "%e %U %S" -o "$OUT/$tag.uas.time" timeout $((secs + 5)) \
    sipp -sf "$SIPP_SF/uas.xml" -i 127.0.0.3 -p 5070 -mp 16000 -nostdin -timeout "${secs}s" \
    -buff_size 4194304 >/dev/null 2>&1 &
  local uas=$!
  sleep 0.3
  /usr/bin/time -f "%e %U %S" -o "$OUT/$tag.uac.time" timeout $((secs + 5)) \
    sipp -sf "$SIPP_SF/uac.xml" -i 127.0.0.2 -p 5071 -mp 17000 -key target "$UAS" \
    -r "$rate" -m "$calls" -l "$limit" -d "$hold" -recv_timeout 8000 -timeout "${secs}s" -nostdin \
    -buff_size 4194304 -trace_stat -stf "$OUT/$tag.csv" -fd 1 -trace_err -error_file "$OUT/$tag.err" "$PROXY" >"$OUT/$tag.uac.log" 2>&1 || true
  local t; t=$(pgrep -P "$uas" || true)
  [ -n "$t" ] && kill "$t" 2>/dev/null
  wait "$uas" 2>/dev/null || true
}

# summary tag: "ok failed elapsed_s setup_ms uac_cpu_s uas_cpu_s"
summary() {
  python3 - "$OUT/$1" <<'PY'
import csv, sys
t = sys.argv[1]
try: r = list(csv.DictReader(open(t + ".csv"), delimiter=";"))[-1]
except Exception: print("0 0 1 0 0 0"); sys.exit()
def secs(v):
    h, m, s = v.split(":")[:3]; return int(h) * 3600 + int(m) * 60 + float(s)
def cpu(f):
    try: e, u, s = open(f).read().split()[-3:]; return float(u) + float(s)
    except Exception: return 0.0
rt = r.get("ResponseTime1(C)", "00:00:00:000000").split(":")
setup = (int(rt[0]) * 3600 + int(rt[1]) * 60 + int(rt[2])) * 1000 + int(rt[3]) / 1000 if len(rt) == 4 else 0
# Placing time: when the last call was created (a failed call waiting for
# its timeout does not stretch the rate).
rows = list(csv.DictReader(open(t + ".csv"), delimiter=";"))
placed = next((secs(x["ElapsedTime(C)"]) for x in rows if int(x["TotalCallCreated"]) >= int(r["TotalCallCreated"])), 0)
print(r["SuccessfulCall(C)"], r["FailedCall(C)"], max(1, placed), f"{setup:.1f}",
      f"{cpu(t + '.uac.time'):.2f}", f"{cpu(t + '.uas.time'):.2f}")
PY
}

load() { cut -d' ' -f1 /proc/loadavg; }

# measure name tag rate calls: one sipp run with the system's CPU around it.
# Prints: ok failed elapsed cps proxy_cpu_s media_cpu_s setup_ms uac_s uas_s load
measure() {
  local tag=$2 rate=$3 calls=$4 l p0 m0 p1 m1
  l=$(load)
  p0=$(ticks "${PROXY_PIDS[@]}"); m0=$(ticks "${MEDIA_PIDS[@]}")
  sipp_run "$tag" "$rate" "$calls" 0 $((rate * 4))
  p1=$(ticks "${PROXY_PIDS[@]}"); m1=$(ticks "${MEDIA_PIDS[@]}")
  read -r ok failed el setup uac uas < <(summary "$tag")
  python3 -c "
ok,f,el=$ok,$failed,$el; hz=$HZ
print(ok, f, el, f'{ok/el:.0f}', f'{($p1-$p0)/hz:.2f}', f'{($m1-$m0)/hz:.2f}', '$setup', '$uac', '$uas', '$l')"
}

row_rate() { # name rate
  local name=$1 rate=$2 i
  for i in $(seq "$REPEAT"); do
    read -r ok failed el cps pc mc setup uac uas l < <(measure "$name" "$name-r$rate-$i" "$rate" $((rate * RUN_SECS)))
    python3 -c "
ok,f,el,pc,mc,uac,uas=$ok,$failed,$el,$pc,$mc,$uac,$uas
n=max(ok,1); tot=pc+mc
print(f'| $name | $rate | {ok/el:.0f} | {100*f/max(ok+f,1):.2f}% | {100*tot/el:.0f}% | {1e6*pc/n:.0f} | {1e6*mc/n:.0f} | {1e6*tot/n:.0f} | {1e6*(uac+uas)/n:.0f} | $setup | $l |')"
  done
}

row_max() { # name: raise the rate until >= 1 % fail or the achieved rate falls behind
  local name=$1 rate best=0 i
  for i in $(seq "$REPEAT"); do
    best=0
    for rate in $MAX_RATES; do
      read -r ok failed el cps pc mc setup uac uas l < <(measure "$name" "$name-max$rate-$i" "$rate" $((rate * MAX_SECS)))
      local verdict
      verdict=$(python3 -c "
ok,f,el,pc,mc,uac,uas=$ok,$failed,$el,$pc,$mc,$uac,$uas
n=max(ok,1); good = f < 0.01*(ok+f) and ok/el >= 0.9*$rate
print('ok' if good else 'FAIL', f'| $name | $rate | {ok/el:.0f} | {100*f/max(ok+f,1):.2f}% | {100*pc/el:.0f}% | {100*mc/el:.0f}% | {1e6*(pc+mc)/n:.0f} | {100*(uac+uas)/el:.0f}% | $setup | $l |')")
      echo "${verdict#* }"
      [ "${verdict%% *}" = ok ] || break
      best=$rate
    done
    echo "| $name | **highest passing rate: $best** | | | | | | | | |"
  done
}

row_mem() { # name i: hold $HOLD calls open, PSS and (callrec) Go heap delta per call
  local name=$1 i=$2
  {
    local heap0=0 heap1=0 k0 k1 m0 m1 l tag="$name-mem-$i" rate=200
    l=$(load)
    heapof() { # after a forced GC (the heap profile's gc=1), kept for go tool pprof
      curl -s -o "$OUT/$tag.heap$1.pb.gz" "127.0.0.1:18080/debug/pprof/heap?gc=1"
      curl -s 127.0.0.1:18080/metrics | awk '/^go_memstats_heap_alloc_bytes /{printf "%d", $2}'
    }
    [[ $name == callrec-* ]] && heap0=$(heapof 0)
    k0=$(kib "${PROXY_PIDS[@]}"); m0=$(kib "${MEDIA_PIDS[@]}")
    # The UAC holds each call HOLD/rate + 20 s, so all HOLD are up together.
    local hold_ms=$(( (HOLD / rate + 20) * 1000 ))
    sipp_run "$tag" "$rate" "$HOLD" "$hold_ms" $((HOLD + 10)) &
    local sp=$!
    sleep $(( HOLD / rate + 10 ))
    [[ $name == callrec-* ]] && heap1=$(heapof 1)
    k1=$(kib "${PROXY_PIDS[@]}"); m1=$(kib "${MEDIA_PIDS[@]}")
    local up; up=$(tail -1 "$OUT/$tag.csv" 2>/dev/null | cut -d';' -f14)
    wait "$sp"
    read -r ok failed el setup uac uas < <(summary "$tag")
    python3 -c "
n=max(int('${up:-0}' or 0),1)
print(f'| $name | {n} | $ok/$failed | {($k1-$k0)/n:.1f} | {($m1-$m0)/n:.1f} | ' + ('{:.1f}'.format(($heap1-$heap0)/1024/n) if '$name'.startswith('callrec') else '-') + ' | $l |')"
  }
}

for mode in $MODE; do
  case $mode in
  rate)
    echo; echo "CPU per call at a fixed rate, ${RUN_SECS} s per run (µs of CPU per completed call)"
    echo "| system | target CPS | achieved CPS | failed | system CPU | proxy µs/call | media µs/call | system µs/call | sipp µs/call | INVITE→200 ms | load |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for s in $SYSTEMS; do start_system "$s"; for r in $RATES; do row_rate "$s" "$r"; done; stop_system; done
    ;;
  max)
    echo; echo "Highest rate with < 1 % failed calls, ${MAX_SECS} s per step"
    echo "| system | target CPS | achieved CPS | failed | proxy CPU | media CPU | system µs/call | sipp CPU | INVITE→200 ms | load |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for s in $SYSTEMS; do start_system "$s"; row_max "$s"; stop_system; done
    ;;
  mem)
    echo; echo "Memory per concurrent call, $HOLD calls held open (KiB; PSS summed over the processes)"
    echo "| system | calls up | completed/failed | proxy KiB/call | media KiB/call | Go heap KiB/call | load |"
    echo "|---|---|---|---|---|---|---|"
    # A fresh system per repeat: memory a process touched once stays in
    # its RSS, so a second run in the same process would show little growth.
    for s in $SYSTEMS; do for i in $(seq "$REPEAT"); do start_system "$s"; row_mem "$s" "$i"; stop_system; done; done
    ;;
  esac
done
