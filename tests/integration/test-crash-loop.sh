#!/usr/bin/env bash
# kill -9 of the real rentarkd at random points of whole session cycles (NOTICE, ACTIVE, just
# after the end, inside the wipe, inside the start-up wipe of a restart, an idle READY seat),
# with a guest process writing and a hostile tree each time; after every restart nothing of
# the guest is left and no outside file changed. RK_CRASH_KILLS kills (default 15);
# scripts/crashloop.sh runs the full 200 (RK_SEED replays a run; the seed is printed).
#
# Time: each round is a restart with its start-up wipe, a session with a tree of hundreds to
# thousands of entries planted, and the checks; under the ASan build on a 2-CPU machine loaded
# four to five times over, 14 s per kill (20 kills: 280 s); it is the start-up of the ASan
# binaries and the planting that take the time, so an idle machine is several times faster.
exec bash "$(dirname "$0")/../../scripts/crashloop.sh" "${RK_CRASH_KILLS:-15}"
