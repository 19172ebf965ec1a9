#!/usr/bin/env bash
# Benchmark of rentark-session under Xvfb:
#   startup  time from exec until the notice is mapped and drawn on the server (the client
#            writes "ready" on --ready-fd after its first complete draw and an XSync),
#            against a null client (tests/helpers/x11/xprobe.c "ready": map one window, fill
#            a rectangle, XSync) — median of N runs each;
#   memory   resident set size of the client showing the notice (goal < 20 MiB);
#   wake-ups context switches of the client over 30 s of an idle ACTIVE session, against
#            the idle reports it sent (goal: nothing but one report per interval).
# Usage: RK_BUILD=build scripts/bench-session.sh   (an optimised build; `make` builds it)
set -u
cd "$(dirname "$0")/.."
RK_SRC=$PWD
RK_BUILD=${RK_BUILD:-build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
RKSESSION=$RK_BUILD/rentark-session
export RENTARK_LOCALEDIR=$RK_BUILD/locale
RUNS=${RUNS:-10}
IDLE_SECONDS=${IDLE_SECONDS:-30}
INTERVAL=10
[ -x "$RKSESSION" ] || { echo "bench-session: $RKSESSION not built (make BUILD=$RK_BUILD)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/rk-bench-session.XXXXXX)
pids=()
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

for n in $(seq 80 160); do
    [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] || break
done
Xvfb ":$n" -nolisten tcp -noreset -screen 0 1280x800x24 >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$n"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$tmp/skel" "$tmp/state"
cat >"$tmp/rentark.conf" <<CONF
guest = {
  skeleton = "$tmp/skel";
};
session = {
  idle_report_interval = $INTERVAL;
};
wipe = {
  sweep = [ ];
};
notice = {
  text_dir = "$RK_SRC/config/notice";
};
paths = {
  socket = "$tmp/control.sock";
  state_dir = "$tmp/state";
};
CONF
/usr/bin/python3 tests/helpers/fake-agent.py -c "$tmp/rentark.conf" --log "$tmp/agent.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/control.sock" ] && break; sleep 0.1; done
cc -O2 -o "$tmp/xprobe" tests/helpers/x11/xprobe.c -lX11 -lXrandr || exit 1

now_us() { echo $(($(date +%s%N) / 1000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# startup
mkfifo "$tmp/ready"
: >"$tmp/client.us"
: >"$tmp/null.us"
rss_kib=0
for _ in $(seq "$RUNS"); do
    t0=$(now_us)
    "$RKSESSION" -c "$tmp/rentark.conf" --ready-fd 3 3>"$tmp/ready" 2>>"$tmp/session.err" &
    pid=$!
    read -r _ <"$tmp/ready"
    t1=$(now_us)
    echo $((t1 - t0)) >>"$tmp/client.us"
    rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null
    t0=$(now_us)
    "$tmp/xprobe" ready >/dev/null
    t1=$(now_us)
    echo $((t1 - t0)) >>"$tmp/null.us"
done
client_us=$(median <"$tmp/client.us")
null_us=$(median <"$tmp/null.us")

# wake-ups in an idle ACTIVE session
"$RKSESSION" -c "$tmp/rentark.conf" --ready-fd 3 3>"$tmp/ready" 2>>"$tmp/session.err" &
pid=$!
pids+=($pid)
read -r _ <"$tmp/ready"
xdotool key Return # the focused button: "I understand — start"
sleep 2
ctx() { awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s }' "/proc/$pid/status"; }
r0=$(grep -c '^idle ' "$tmp/agent.log")
c0=$(ctx)
sleep "$IDLE_SECONDS"
c1=$(ctx)
r1=$(grep -c '^idle ' "$tmp/agent.log")
active=$(grep -c '^state ACTIVE' "$tmp/agent.log")
rss_active=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
reports=$((r1 - r0))
switches=$((c1 - c0))

printf '\nrentark-session benchmark (%s, Xvfb 1280x800, %d runs, median)\n\n' "$RKSESSION" "$RUNS"
printf '%-44s %12s %12s %8s\n' "measure" "client" "baseline" "ratio"
printf '%-44s %12s %12s %8s\n' "--------------------------------------------" "------------" "------------" "--------"
printf '%-44s %10.1f ms %9.1f ms %7.1fx\n' "exec -> notice drawn (vs xprobe null client)" \
    "$(echo "$client_us / 1000" | bc -l)" "$(echo "$null_us / 1000" | bc -l)" "$(echo "$client_us / $null_us" | bc -l)"
printf '%-44s %9.1f MiB %8s MiB %7.2fx\n' "RSS showing the notice (goal 32 MiB)" "$(echo "$rss_kib / 1024" | bc -l)" 32 \
    "$(echo "$rss_kib / 1024 / 32" | bc -l)"
printf '%-44s %9.1f MiB %8s MiB %7.2fx\n' "RSS in an active session" "$(echo "$rss_active / 1024" | bc -l)" 32 \
    "$(echo "$rss_active / 1024 / 32" | bc -l)"
printf '%-44s %12d %12d %7.1fx\n' "idle reports in ${IDLE_SECONDS} s (expected: 1 per ${INTERVAL} s)" "$reports" \
    $((IDLE_SECONDS / INTERVAL)) "$(echo "$reports / ($IDLE_SECONDS / $INTERVAL)" | bc -l)"
printf '%-44s %12d %12s %8s\n' "context switches in ${IDLE_SECONDS} s idle" "$switches" "-" "-"
printf '%-44s %12.1f %12s %8s\n' "context switches per idle report" "$(echo "$switches / $((reports > 0 ? reports : 1))" | bc -l)" "-" "-"
[ "$active" -ge 1 ] || echo "warning: the session did not become ACTIVE" >&2
