# Shared by tests/stress/crashloop.sh and soak.sh (sourced from the top of the tree, after
# RK_BUILD is set): stress_setup NAME skips the whole run without root, bails out when the
# programs are not built, makes the scratch file system and the daemon's environment
# (tests/wipe-env.sh, tests/daemon-env.sh), and puts a sentinel in OUT that the guest may
# hard-link: root's, but world-writable (protected_hardlinks allows a link to a file the user
# can read and write); the root-owned 0644 ones it may not. OUT_DIGEST is OUT's digest.
stress_setup() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "ok 1 - $1 # SKIP needs root (a real guest user and a scratch file system)"
        echo "1..1"
        exit 0
    fi
    local f
    for f in "$RK_BUILD/rentarkd" "$RK_BUILD/rentarkctl"; do
        [ -x "$f" ] || { echo "Bail out! $f not built (make BUILD=${RK_BUILD#$PWD/} tests)"; exit 1; }
    done
}

stress_env() {
    echo "shared by everyone" >"$OUT/world-writable"
    chmod 0666 "$OUT/world-writable"
    OUT_DIGEST=$(t_tree_digest "$OUT")
}
