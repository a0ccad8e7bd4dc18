#!/usr/bin/env bash
# ringkv developer commands. Run ./dev.sh help for the list.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEV="$ROOT/.dev"
NODES_DEFAULT=${RINGKV_DEV_NODES:-3}
HTTP_BASE=${RINGKV_DEV_HTTP_BASE:-7070}   # node i serves clients on HTTP_BASE+i
PEER_BASE=${RINGKV_DEV_PEER_BASE:-7170}   # and peers on PEER_BASE+i
ENGINE=${RINGKV_DEV_ENGINE:-level}
SECRET=${RINGKV_DEV_SECRET:-ringkv-local-dev}
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

say() { printf '%s\n' "$*"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not installed${2:+ ($2)}"
}

# Installs dependencies when node_modules is missing or the lockfile changed since the last install.
ensure_installed() {
  need node "Node.js 20 or later"
  need npm
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or later is required (found $(node --version))"
  local stamp="$ROOT/node_modules/.ringkv-lock-hash"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(lock_hash)" ] || [ ! -d "$ROOT/node_modules/@ringkv/cli" ]; then
    # npm install (not npm ci): it installs the locked versions, and also accepts a lockfile that
    # lacks other platforms' optional packages, which npm ci refuses.
    say "==> installing dependencies (npm install)"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error)
    lock_hash > "$stamp"
  fi
}

lock_hash() {
  node -e 'const c=require("crypto");process.stdout.write(c.createHash("sha1").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$ROOT/package-lock.json"
}

build() {
  say "==> building"
  (cd "$ROOT" && npx --no-install turbo run build --output-logs=errors-only --log-prefix=none)
}

ringkv() { node "$ROOT/packages/cli/bin/ringkv.js" "$@"; }

http_port() { echo $((HTTP_BASE + $1)); }
peer_port() { echo $((PEER_BASE + $1)); }

port_free() {
  node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close(()=>process.exit(0)))' "$1"
}

node_running() {
  local pidf="$DEV/pids/n$1.pid"
  [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null
}

running_nodes() {
  local i
  for f in "$DEV"/pids/n*.pid; do
    [ -e "$f" ] || continue
    i=$(basename "$f" .pid); i=${i#n}
    if node_running "$i"; then echo "$i"; fi
  done | sort -n
}

seeds_for() {
  local n=$1 i out=""
  for ((i = 1; i <= n; i++)); do out+="${out:+,}127.0.0.1:$(peer_port "$i")"; done
  echo "$out"
}

start_node() {
  local i=$1 seeds=$2
  local hp pp; hp=$(http_port "$i"); pp=$(peer_port "$i")
  node_running "$i" && { say "n$i already running (pid $(cat "$DEV/pids/n$i.pid"))"; return 0; }
  port_free "$hp" || die "port $hp (client API of n$i) is taken by another program; set RINGKV_DEV_HTTP_BASE to move the local cluster"
  port_free "$pp" || die "port $pp (peer port of n$i) is taken by another program; set RINGKV_DEV_PEER_BASE to move the local cluster"
  mkdir -p "$DEV/pids" "$DEV/logs" "$DEV/data"
  nohup node "$ROOT/packages/cli/bin/ringkv.js" start --id "n$i" --http "127.0.0.1:$hp" --peer "127.0.0.1:$pp" \
    --seeds "$seeds" --data "$DEV/data/n$i" --engine "$ENGINE" --secret "$SECRET" \
    >>"$DEV/logs/n$i.log" 2>&1 &
  echo $! > "$DEV/pids/n$i.pid"
}

wait_ready() {
  local i=$1 deadline=$((SECONDS + ${2:-30}))
  local url="http://127.0.0.1:$(http_port "$i")/ready"
  until node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url"; do
    node_running "$i" || { tail -n 20 "$DEV/logs/n$i.log" >&2; die "n$i exited during start-up (log above, full log: ./dev.sh logs n$i)"; }
    [ $SECONDS -lt $deadline ] || die "n$i not ready after ${2:-30}s (see ./dev.sh logs n$i)"
    sleep 0.2
  done
}

cmd_up() {
  local n=${1:-$NODES_DEFAULT}
  ensure_installed
  build
  local seeds; seeds=$(seeds_for "$n")
  say "==> starting $n node(s)"
  for ((i = 1; i <= n; i++)); do start_node "$i" "$seeds"; done
  for ((i = 1; i <= n; i++)); do wait_ready "$i"; done
  say ""
  say "ringkv is up: $n node(s), engine $ENGINE, data in .dev/data, logs in .dev/logs"
  for ((i = 1; i <= n; i++)); do
    say "  n$i  client http://127.0.0.1:$(http_port "$i")   peer 127.0.0.1:$(peer_port "$i")"
  done
  say ""
  say "try:  curl -X PUT --data-binary hello http://127.0.0.1:$(http_port 1)/kv/greeting"
  say "      curl http://127.0.0.1:$(http_port 1)/kv/greeting"
  say "      npx ringkv get greeting --endpoint http://127.0.0.1:$(http_port 1)"
  say "stop: ./dev.sh down"
}

cmd_down() {
  local any=0 i pid
  for i in $(running_nodes); do
    any=1
    pid=$(cat "$DEV/pids/n$i.pid")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for i in $(running_nodes); do
    pid=$(cat "$DEV/pids/n$i.pid")
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "n$i did not stop in 15s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  rm -f "$DEV"/pids/n*.pid
  [ $any = 1 ] && say "local cluster stopped (data kept in .dev/data; ./dev.sh clean removes it)" || say "no local nodes running"
}

cmd_clean() {
  [ -z "$(running_nodes)" ] || die "nodes are running: ./dev.sh down first"
  rm -rf "$DEV"
  say "removed .dev (data and logs of the local cluster)"
}

cmd_status() {
  local nodes; nodes=$(running_nodes)
  [ -n "$nodes" ] || { say "no local nodes running (./dev.sh up starts them)"; return 0; }
  for i in $nodes; do
    say "n$i  pid $(cat "$DEV/pids/n$i.pid")  http://127.0.0.1:$(http_port "$i")"
  done
}

cmd_logs() {
  mkdir -p "$DEV/logs"
  if [ $# -gt 0 ]; then
    local f="$DEV/logs/${1}.log"
    [ -f "$f" ] || die "no log for $1 (nodes: $(ls "$DEV/logs" 2>/dev/null | sed 's/\.log$//' | tr '\n' ' '))"
    tail -n 200 -f "$f"
  else
    ls "$DEV"/logs/*.log >/dev/null 2>&1 || die "no logs yet (./dev.sh up)"
    tail -n 50 -f "$DEV"/logs/*.log
  fi
}

cmd_test() {
  ensure_installed
  build
  say "==> checking types and core purity"
  (cd "$ROOT" && npx --no-install tsc -p tsconfig.test.json && node scripts/lint-core-purity.mjs)
  say "==> running tests"
  (cd "$ROOT" && node scripts/run-tests.mjs "$@")
}

cmd_bench() {
  ensure_installed
  build
  ringkv bench "$@"
}

cmd_help() {
  cat <<'USAGE'
usage: ./dev.sh <command> [args]

  up [N]        install if needed, build, start a local cluster in the background, print its endpoints
  down          stop the local cluster (data is kept)
  clean         remove the local cluster's data and logs (.dev)
  status        list the running local nodes
  logs [NODE]   follow the logs of every node, or of one (e.g. n1)
  test [ARGS]   install if needed, build, type-check and run the whole test suite (ARGS go to Jest)
  bench [ARGS]  run `ringkv bench` (load against the local cluster and a bare node:http ceiling)
  help          this text

Environment: RINGKV_DEV_NODES (nodes for `up`), RINGKV_DEV_ENGINE (level|rocksdb|memory),
RINGKV_DEV_HTTP_BASE / RINGKV_DEV_PEER_BASE (node i listens on BASE+i), RINGKV_DEV_SECRET.
USAGE
}

main() {
  local cmd=${1:-help}
  shift || true
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    clean) cmd_clean ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    test) cmd_test "$@" ;;
    bench) cmd_bench "$@" ;;
    help|-h|--help) cmd_help ;;
    *) cmd_help >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
