#!/usr/bin/env bash
# The deterministic cluster simulator (test/sim).
#   scripts/sim.sh 1234                 replay seed 1234 alone (options drawn from the seed)
#   scripts/sim.sh 1234 -v              the same, printing the whole trace
#   scripts/sim.sh --seeds 500          run 500 seeds (1000..1499)
# Options can be pinned with SIM_NODES, SIM_FAULTS (comma list, none, all), SIM_CLIENTS, SIM_OPS,
# SIM_KEYS, SIM_SAFETY_MS in the environment; a failing run prints the full command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  --seeds) SIM_SEEDS="${2:?--seeds needs a count}" exec node scripts/run-tests.mjs test/sim/sim.test.ts ;;
  ''|-h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *)
    if [[ "${2:-}" == "-v" ]]; then export SIM_VERBOSE=1; fi
    SIM_SEED="$1" exec node scripts/run-tests.mjs test/sim/sim.test.ts ;;
esac
