#!/usr/bin/env bash
# kill -9 of the real rentarkd at random points of whole session cycles (NOTICE, ACTIVE, just
# after the end, inside the wipe, inside the start-up wipe of a restart, an idle READY seat),
# with a guest process writing and a hostile tree each time; after every restart nothing of
# the guest is left and no outside file changed. RK_CRASH_KILLS kills (default 20);
# tests/stress/crashloop.sh runs the full 200 (RK_SEED replays a run; the seed is printed).
#
# Time (ASan build, 2 CPUs): 2.2 s per kill on a quiet machine (15 kills in 33 s at load 1.5),
# 14 s per kill when it is loaded five times over (load 10-12): each round is a restart with
# its start-up wipe, a session with a tree of hundreds to thousands of entries, and the checks.
exec bash "$(dirname "$0")/../stress/crashloop.sh" "${RK_CRASH_KILLS:-20}"
