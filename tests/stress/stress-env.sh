# Shared by tests/stress/crashloop.sh and soak.sh. stress_root moves to the top of the tree;
# stress_setup NAME skips the whole run without root, bails out when the
# programs are not built, makes the scratch file system and the daemon's environment
# (tests/wipe-env.sh, tests/daemon-env.sh), and puts a sentinel in OUT that the guest may
# hard-link: root's, but world-writable (protected_hardlinks allows a link to a file the user
# can read and write); the root-owned 0644 ones it may not. OUT_DIGEST is OUT's digest.
# stress_root: the top of the tree is the working folder; RK_SRC, and RK_BUILD made absolute.
stress_root() {
    cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
    export RK_SRC=$PWD
    RK_BUILD=${RK_BUILD:-build}
    case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
    export RK_BUILD
}

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
    . tests/lib.sh
    . tests/wipe-env.sh
    wipe_env_setup 512M
    . tests/daemon-env.sh
    echo "shared by everyone" >"$OUT/world-writable"
    chmod 0666 "$OUT/world-writable"
    OUT_DIGEST=$(t_tree_digest "$OUT")
}
