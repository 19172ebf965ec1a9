#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS (default 60) on its committed seed corpus
# (tests/fuzz/corpus/NAME); new inputs go to build/fuzz/work-NAME, crashes to build/fuzz/.
# Exit status 1 if any target found a crash, leak or timeout.
#
# Usage: scripts/fuzz.sh build/fuzz/fuzz-NAME...      (make fuzz builds the targets first)
#
#   FUZZ_SECONDS=N   fuzz each target N seconds; 0: no fuzzing (only the coverage replay)
#   FUZZ_COVERAGE=1  then replay the final corpus (committed + work) through the coverage build
#                    build/fuzz/cov/fuzz-NAME (make fuzz FUZZ_COVERAGE=1 builds it) and report
#                    the line coverage of the files under test (llvm-profdata, llvm-cov)
#   FUZZ_RSS_MB=N    libFuzzer's -rss_limit_mb (default 2048). fuzz-config keeps growing (1 GiB
#                    after 30 minutes; most likely libconfig 1.5's leaks on syntax errors, which
#                    tests/lsan.supp suppresses but nothing frees): give runs over an hour more
#   FUZZ_MERGE=1     then add the inputs of build/fuzz/work-NAME that bring new coverage to
#                    tests/fuzz/corpus/NAME (libFuzzer -merge=1: the committed corpus grows
#                    by the few files that matter, never by the whole work folder)
#
# Per target it prints one summary line: executions, exec/s, libFuzzer's cov/ft, corpus
# size, crashes (artifacts of this run) and, with FUZZ_COVERAGE=1, line coverage; the full
# log is build/fuzz/NAME.log and the coverage report build/fuzz/cov/NAME.txt.
set -u
cd "$(dirname "$0")/.."

# The files each target is meant to cover (the coverage figure is about these only).
files_under_test() {
    case $1 in
        config) echo common/config.c ;;
        proto) echo common/proto.c agent/control.c ;;
        notice) echo session/notice.c ;;
        stats) echo agent/stats.c ;;
        *) echo "" ;;
    esac
}

tool() { # name: the LLVM tool matching clang 14 if there is one
    if command -v "$1-14" >/dev/null 2>&1; then echo "$1-14"; else echo "$1"; fi
}

stat_of() { # log, name
    sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

# Line coverage of the files under test after replaying the corpus folders once each.
coverage() { # name, corpus folders...
    local n=$1; shift
    local bin=build/fuzz/cov/fuzz-$n files
    files=$(files_under_test "$n")
    if [ ! -x "$bin" ]; then
        echo "  (no coverage build $bin: run make fuzz FUZZ_COVERAGE=1)" >&2
        return 1
    fi
    rm -f build/fuzz/cov/"$n"-*.profraw build/fuzz/cov/"$n".profdata
    # -runs=0: every input of the folders runs once, nothing is mutated.
    if ! LLVM_PROFILE_FILE="build/fuzz/cov/$n-%p.profraw" "$bin" -runs=0 -rss_limit_mb=4096 "$@" \
        >"build/fuzz/cov/$n.replay.log" 2>&1; then
        echo "  coverage replay failed (see build/fuzz/cov/$n.replay.log)" >&2
        return 1
    fi
    "$(tool llvm-profdata)" merge -sparse build/fuzz/cov/"$n"-*.profraw -o "build/fuzz/cov/$n.profdata" || return 1
    # shellcheck disable=SC2086 # a list of files
    "$(tool llvm-cov)" report "$bin" -instr-profile="build/fuzz/cov/$n.profdata" $files \
        >"build/fuzz/cov/$n.txt" 2>&1 || return 1
    # Per file: regions, missed, %, functions, missed, %, lines, missed, %, branches, missed, %.
    awk '
        NF > 8 && ($1 ~ /\.c$/ || $1 == "TOTAL") {
            f = $1; sub(".*/", "", f)
            n = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) v[++n] = $i
            # the whole numbers among them (not the percentages): lines and missed are 5th and 6th
            lines = v[5]; missed = v[6]
            pct = lines ? 100 * (lines - missed) / lines : 0
            out = out sprintf("%s%s %d/%d (%.1f%%)", out ? ", " : "", $1 == "TOTAL" ? "total" : f, lines - missed, lines, pct)
        }
        END { print out }' "build/fuzz/cov/$n.txt"
}

main() {
    local secs=${FUZZ_SECONDS:-60} rc=0
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
    for t in "$@"; do
        local n log stamp execs eps cov ft corp crashes line summary
        n=$(basename "$t"); n=${n#fuzz-}
        log=build/fuzz/$n.log
        mkdir -p "build/fuzz/work-$n" "tests/fuzz/corpus/$n" build/fuzz/cov
        summary="fuzz-$n:"
        [ "$secs" -gt 0 ] || summary+=" not fuzzed (FUZZ_SECONDS=0)"
        if [ "$secs" -gt 0 ]; then
            echo "== fuzz $n for ${secs}s"
            stamp=build/fuzz/.start-$n
            : >"$stamp"
            if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -print_final_stats=1 \
                -artifact_prefix="build/fuzz/$n-" "build/fuzz/work-$n" "tests/fuzz/corpus/$n" \
                >"$log" 2>&1; then
                echo "FAIL: fuzz-$n found a problem (see $log and build/fuzz/$n-*)"
                tail -30 "$log"
                rc=1
            fi
            execs=$(stat_of "$log" number_of_executed_units)
            eps=$(stat_of "$log" average_exec_per_sec)
            # The last status line: "#N DONE cov: C ft: F corp: U/SIZE ..."
            line=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1)
            cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
            ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
            corp=$(sed -n 's/.* corp: \([0-9]*\)\/\([0-9A-Za-z]*\).*/\1 units (\2)/p' <<<"$line")
            crashes=$(find build/fuzz -maxdepth 1 -name "$n-*" -newer "$stamp" | wc -l)
            summary+=" ${secs}s, ${execs:-?} executions, ${eps:-?} exec/s, cov ${cov:-?} ft ${ft:-?},"
            summary+=" corpus ${corp:-?} in memory,"
            summary+=" $(find "build/fuzz/work-$n" "tests/fuzz/corpus/$n" -type f | wc -l) files on disk,"
            summary+=" crashes ${crashes}"
            rm -f "$stamp"
        fi
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            local before after
            before=$(find "tests/fuzz/corpus/$n" -type f | wc -l)
            "$t" -merge=1 -rss_limit_mb=4096 "tests/fuzz/corpus/$n" "build/fuzz/work-$n" \
                >"build/fuzz/$n.merge.log" 2>&1 || { echo "  merge failed (see build/fuzz/$n.merge.log)"; rc=1; }
            after=$(find "tests/fuzz/corpus/$n" -type f | wc -l)
            summary+="; merged: corpus $before -> $after files"
        fi
        if [ "${FUZZ_COVERAGE:-0}" = 1 ]; then
            local c
            if c=$(coverage "$n" "build/fuzz/work-$n" "tests/fuzz/corpus/$n"); then
                summary+="; line coverage: $c"
            else
                summary+="; line coverage: failed"
                rc=1
            fi
        fi
        echo "$summary"
    done
    return $rc
}

# One line, read whole before it runs: editing this file during a long run is harmless.
main "$@"; exit $?
