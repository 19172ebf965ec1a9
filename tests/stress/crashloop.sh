#!/usr/bin/env bash
# Crash loop: KILLS times kill -9 of the real rentarkd at a random point of a session cycle,
# each followed by a restart; after every restart, once the seat is READY, nothing of the
# guest may be left anywhere and no outside file may have changed.
#
#   tests/stress/crashloop.sh [KILLS]          (as root; default 200; the seed is printed,
#                                          RK_SEED=N replays the same choices)
#   make BUILD=build/h-cl-san SAN=1 tests && RK_BUILD=build/h-cl-san tests/stress/crashloop.sh 200
#
# A scratch tmpfs and a real guest (tests/wipe-env.sh), the real daemon (not --wipe-once).
# Each round: the daemon starts (and recovers whatever the last kill left), the seat must
# reach READY and pass the check below; then a session: hook session-setup (NOTICE), a guest
# process that keeps writing into the home and the swept /tmp (it survives the daemon's
# death, as a real one would: the next start must stop it), a hostile tree planted by the
# guest (tests/helpers/hostile-tree.py), and kill -9 at a random point of a random phase:
#   notice    in NOTICE, 0-200 ms after the guest planted its tree;
#   active    after the guest accepted, 0-200 ms after it planted;
#   end       0-10 ms after the session was ended (by staff, the guest's button or the
#             logout hook, in turn) with a tree of 1,000-3,000 files;
#   wiping    once the old home is in the trash, at a random point of the time that
#             sweeping and emptying the trash took in the last wipes;
#   recovery  the restart after a kill that left a session behind is killed in turn, during
#             its start-up wipe (0-200 ms after exec, or 0-100 ms after it logged that it
#             wipes first);
#   ready     an idle READY seat, 0-200 ms after the check.
# The check after each restart (tests/wipe-env.sh wipe_check): no live process of the guest,
# the home equals the skeleton, nothing of the guest's uid anywhere else on the scratch file
# system, the trash empty, the outside sentinels byte-identical; and the journal says READY.
# At the end the daemon is stopped with SIGTERM (exit 0, no sanitizer report in any run's log).
# Printed: one line per kill (phase, delay, the journal's state at the kill, what was left),
# the counts per phase and per journal state, and a final line. Output is TAP
# (tests/integration/test-crash-loop.sh runs a short loop).
set -u
# One compound command, read whole before it runs: editing this file during a run does not
# change the run.
{
. "$(dirname "$0")/stress-env.sh"
stress_root
KILLS=${1:-200}
SEED=${RK_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
PY=/usr/bin/python3
HOSTILE=$PWD/tests/helpers/hostile-tree.py

stress_setup "crash loop"
cat >>"$CONF" <<'EOF'
session = { time_limit = 3600; idle_timeout = 900; idle_warning = 60; warnings = [ 300, 60 ]; };
EOF
t_diag "crash loop: $KILLS kills, seed $SEED (RK_SEED=$SEED replays the choices), build ${RK_BUILD#$PWD/}," \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

ms_sleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
journal_state() { sed -n 's/^state=//p' "$FS/state/seat.state" 2>/dev/null; }
plant_tree() { # FILES DEEP_PROB SEED
    as_guest "$PY" "$HOSTILE" --seed "$3" --files "$1" --deep-prob "$2" --outside "$OUT" \
        "$HOME_DIR" "$FS/tmp" "$FS/vartmp" "$FS/shm" >>"$T_TMP/plant.log" 2>&1
}
WRITERS=() ENDERS=()
start_writer() {
    as_guest "$PY" "$HOSTILE" --write-forever "$HOME_DIR" "$FS/tmp" >/dev/null 2>&1 &
    WRITERS+=($!)
}
writer_alive() { # any writer of this run still a live process of the guest
    local p
    local p s
    for p in "${WRITERS[@]}"; do
        s=$(ps -o stat= -p "$p" 2>/dev/null)
        [ -n "$s" ] && [ "${s:0:1}" != Z ] && return 0
    done
    return 1
}
reap_guest_jobs() { # the writers and the guest's end requests, once dead (never the daemon)
    local p
    for p in "${WRITERS[@]}" "${ENDERS[@]}"; do wait "$p" 2>/dev/null; done
    WRITERS=() ENDERS=()
}
wait_writers_dead() { # up to 5 s
    for _ in $(seq 1 500); do writer_alive || return 0; sleep 0.01; done
    return 1
}
daemon_start_bg() { # like start_daemon, without waiting for the socket
    ${RK_DAEMON_WRAPPER:-} "$RKD" -c "$CONF" -f >>"$T_TMP/daemon.log" 2>&1 {_DW_TAP}>&- &
    DPID=$!
}

: >>"$T_TMP/daemon.log"
declare -A BY_PHASE BY_STATE LEFT
kills=0 fails=0 restarts=0 need_recovery=0 round=0
t_start=$SECONDS
kill_daemon() { # PHASE DELAY_MS: kill -9 now, record what the kill hit and left
    local st left=""
    if ! kill -0 "$DPID" 2>/dev/null; then
        # Not a kill of ours: the daemon exited (or was killed by someone else) on its own.
        fails=$((fails + 1))
        t_fail "round $round: the daemon still runs at the kill (phase $1)" "$(tail -2 "$T_TMP/daemon.log" | tr '\n' ' ')"
    fi
    kill -9 "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
    st=$(journal_state); st=${st:-none}
    kills=$((kills + 1))
    BY_PHASE[$1]=$((${BY_PHASE[$1]:-0} + 1))
    BY_STATE[$st]=$((${BY_STATE[$st]:-0} + 1))
    [ -d "$HOME_DIR" ] || left+="no-home,"
    [ -e "$FS/home/.$GUEST.rentark-new" ] && left+="staging,"
    [ -n "$(ls -A "$FS/home/.rentark-trash" 2>/dev/null)" ] && left+="trash,"
    writer_alive && left+="writer,"
    left=${left%,}
    for k in ${left//,/ }; do LEFT[$k]=$((${LEFT[$k]:-0} + 1)); done
    t_diag "kill $kills/$KILLS: phase $1, ${2} ms in; journal said $st; left: ${left:-nothing}"
    [ "$st" = READY ] && need_recovery=0 || need_recovery=1
}

while [ $kills -lt "$KILLS" ]; do
    round=$((round + 1))
    # Pick the phase of this round's kill.
    r=$((RANDOM % 100))
    if [ $need_recovery = 1 ] && [ $r -lt 20 ]; then phase=recovery
    elif [ $r -lt 25 ]; then phase=notice
    elif [ $r -lt 45 ]; then phase=active
    elif [ $r -lt 65 ]; then phase=end
    elif [ $r -lt 95 ]; then phase=wiping
    else phase=ready; fi

    [ $fails -le 10 ] || { echo "Bail out! more than 10 failed rounds"; break; }
    mark=$(wc -l <"$T_TMP/daemon.log")
    daemon_start_bg
    restarts=$((restarts + 1))
    if [ $phase = recovery ]; then
        if [ $((RANDOM % 2)) = 0 ]; then
            d=$((RANDOM % 200)); ms_sleep $d
        else
            for _ in $(seq 1 1000); do
                tail -n +"$((mark + 1))" "$T_TMP/daemon.log" | grep -q 'wiping before the seat opens' && break
                sleep 0.005
            done
            d=$((RANDOM % 100)); ms_sleep $d; d="log+$d"
        fi
        kill_daemon recovery "$d"
        continue
    fi
    # The restart recovers: READY, then everything a wipe promises.
    t0=$SECONDS
    ok=1
    for _ in $(seq 1 $((1200 * ${RK_TIME_SCALE:-1}))); do
        kill -0 "$DPID" 2>/dev/null || break
        [ -S "$SOCK" ] && ctl status >/dev/null 2>&1 && break
        sleep 0.05
    done
    if ! kill -0 "$DPID" 2>/dev/null; then
        fails=$((fails + 1))
        t_fail "restart $restarts (after kill $kills): the daemon runs" "it exited: $(tail -2 "$T_TMP/daemon.log" | tr '\n' ' ')"
        wait "$DPID" 2>/dev/null; DPID=; need_recovery=1
        continue
    fi
    if ! wait_state READY 60; then
        ok=0; t_fail "restart $restarts (after kill $kills): READY" "state $(state), journal $(journal_state)"
    fi
    if ! wait_writers_dead; then
        ok=0; t_fail "restart $restarts (after kill $kills): the guest's writer was stopped" "still running"
    fi
    writer_alive || reap_guest_jobs
    n=$(live_guest_procs)
    [ "$n" -eq 0 ] || { ok=0; t_fail "restart $restarts (after kill $kills): no process of the guest" "$n left"; }
    _before=$_t_failed
    wipe_check "restart $restarts (after kill $kills): READY in $((SECONDS - t0)) s, nothing of the guest left, outside untouched" 0
    [ $_t_failed = "$_before" ] || ok=0
    [ "$(journal_state)" = READY ] || { ok=0; t_fail "restart $restarts: the journal says READY" "$(journal_state)"; }
    [ $ok = 1 ] || fails=$((fails + 1))

    # A session, and the kill.
    if [ $phase = ready ]; then
        d=$((RANDOM % 200)); ms_sleep $d
        kill_daemon ready "$d"
        continue
    fi
    ctl hook session-setup "$GUEST" >/dev/null || t_diag "round $round: hook session-setup failed"
    start_writer
    case $phase in
        notice)
            plant_tree 200 0.1 "$((SEED * 1000 + round))"
            d=$((RANDOM % 200)); ms_sleep $d ;;
        active)
            guest_ctl accept >/dev/null
            plant_tree 200 0.1 "$((SEED * 1000 + round))"
            d=$((RANDOM % 200)); ms_sleep $d ;;
        end | wiping)
            guest_ctl accept >/dev/null
            plant_tree $((1000 + RANDOM % 2000)) 0.3 "$((SEED * 1000 + round))"
            case $((round % 3)) in
                0) ctl end >/dev/null ;;
                1)  # The guest's button: the wipe kills this client too, so it runs apart
                    # and the journal tells when the end has been taken.
                    guest_ctl end >/dev/null 2>&1 &
                    ENDERS+=($!)
                    for _ in $(seq 1 1000); do [ "$(journal_state)" = ACTIVE ] || break; sleep 0.002; done ;;
                2) ctl hook session-cleanup "$GUEST" >/dev/null ;;
            esac
            if [ $phase = end ]; then
                d=$((RANDOM % 10)); ms_sleep $d
            else
                # Inside the wipe, after the processes are stopped and the home is in the
                # trash (a shell glob polled every millisecond: no process to start), at a
                # random point of what sweeping and emptying the trash took in the last
                # wipes (that depends on the build and the machine's load).
                for _ in $(seq 1 5000); do compgen -G "$FS/home/.rentark-trash/*" >/dev/null && break; sleep 0.001; done
                last=$(grep -o 'trash emptied: .* in [0-9]*' "$T_TMP/daemon.log" | tail -3 |
                    awk '{ s += $NF } END { print int(1.2 * s / (NR ? NR : 1)) }')
                d=$((RANDOM % (${last:-100} > 20 ? ${last:-100} : 20))); ms_sleep $d; d="in-trash+$d"
            fi ;;
    esac
    kill_daemon "$phase" "$d"
done

# The last kill is recovered too, then the daemon is stopped cleanly.
start_daemon
t_check "final restart: READY" wait_state READY 60
wait_writers_dead && reap_guest_jobs
t_check "final restart: no process of the guest" test "$(live_guest_procs)" -eq 0
wipe_check "final restart: nothing of the guest left, outside untouched" 0
kill -TERM "$DPID"; wait "$DPID"; drc=$?; DPID=
t_check "SIGTERM: the daemon exits 0" test "$drc" = 0
t_expect_fail "no sanitizer report in the log of any of the $((restarts + 1)) runs" \
    grep -Eq 'Sanitizer|runtime error' "$T_TMP/daemon.log"
# The tree's ordinary names are f<6 digits>-<8 hex digits>; the writer writes "still writing".
t_expect_fail "no guest file name or content in the daemon's log" \
    grep -Eq 'f[0-9]{6}-[0-9a-f]{8}|still writing' "$T_TMP/daemon.log"

fmt() { # NAME...: "name N, ..." from the associative array named first
    local -n a=$1; shift
    local k out=
    for k in "$@"; do out+="$k ${a[$k]:-0}, "; done
    echo "${out%, }"
}
t_diag "kills by phase: $(fmt BY_PHASE notice active end wiping recovery ready)"
t_diag "journal state at the kill: $(fmt BY_STATE READY NOTICE ACTIVE ENDING WIPING BLOCKED none)"
t_diag "left behind by the kills: $(fmt LEFT no-home staging trash writer)"
planted=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^entries=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' \
    "$T_TMP/plant.log" 2>/dev/null)
t_diag "the guest planted $planted entries in all (tests/helpers/hostile-tree.py)"
# The loop means something only if the kills landed in every phase and inside running wipes.
t_check "kills hit running wipes (journal WIPING at $((${BY_STATE[WIPING]:-0})) of $kills kills)" \
    test "${BY_STATE[WIPING]:-0}" -gt 0
t_diag "crashloop: $kills kills, $restarts restarts, $fails failed restarts, $((SECONDS - t_start)) s, seed $SEED"
t_done
exit
}
