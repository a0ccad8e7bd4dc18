#!/usr/bin/env bash
# ringkv developer commands. Run ./dev.sh help for the list.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEV="$ROOT/.dev"
NODES_DEFAULT=${RINGKV_DEV_NODES:-3}
HTTP_BASE=${RINGKV_DEV_HTTP_BASE:-7070}   # node i serves clients on HTTP_BASE+i
PEER_BASE=${RINGKV_DEV_PEER_BASE:-7170}   # and peers on PEER_BASE+i
ENGINE=${RINGKV_DEV_ENGINE:-level}
SECRET_FILE="$DEV/secret"                 # the local cluster's secret, made on first start (ensure_secret)
AUTH_FILE="$DEV/auth.yaml"                # principals of a cluster started with up --auth (ensure_auth)
ADMIN_TOKEN_FILE="$DEV/admin-token"       # the token of its admin principal, mode 600
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

# The cluster secret of the local nodes, in .dev/secret (mode 600): 64 random hex characters made
# the first time and reused afterwards, so that nodes started later (a restart, ./dev.sh scale)
# share it with the running ones. A node without a secret would make a random one of its own and
# could not form a cluster. RINGKV_DEV_SECRET, when set, replaces the file's content.
ensure_secret() {
  mkdir -p "$DEV"
  if [ -n "${RINGKV_DEV_SECRET+set}" ]; then
    local bytes; bytes=$(printf '%s' "$RINGKV_DEV_SECRET" | wc -c)
    [ "$bytes" -ge 32 ] || die "RINGKV_DEV_SECRET must be at least 32 bytes (it is $((bytes))); unset it to use .dev/secret, or make one with: openssl rand -hex 32"
    if [ -n "$(running_nodes)" ] && [ -f "$SECRET_FILE" ] && [ "$(cat "$SECRET_FILE")" != "$RINGKV_DEV_SECRET" ]; then
      say "warning: RINGKV_DEV_SECRET differs from the secret of the running nodes; new nodes will not be able to join them"
    fi
    (umask 077 && printf '%s\n' "$RINGKV_DEV_SECRET" > "$SECRET_FILE")
  elif [ ! -s "$SECRET_FILE" ]; then
    # Written under umask 077, so the secret is never readable by others, not even for a moment.
    (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex") + "\n")' > "$SECRET_FILE")
  fi
  chmod 600 "$SECRET_FILE"
}

# The principals of a local cluster started with `up --auth`, in .dev/auth.yaml: one admin
# principal, dev-admin, whose token (made by `ringkv token new` the first time) is kept in
# .dev/admin-token, mode 600. Both are reused afterwards, so restarts and nodes added by
# ./dev.sh scale accept the same token; principals added to .dev/auth.yaml by hand stay. The nodes
# hold only the token's SHA-256. Callers build first (`ringkv token new` is the CLI's).
ensure_auth() {
  mkdir -p "$DEV"
  if [ ! -s "$ADMIN_TOKEN_FILE" ]; then
    [ ! -s "$AUTH_FILE" ] || die ".dev/auth.yaml exists but .dev/admin-token does not: put the admin token back in .dev/admin-token, or remove .dev/auth.yaml to make both anew"
    # Written under umask 077: the token is never readable by others, not even for a moment.
    (umask 077 && ringkv token new --name dev-admin --role admin > "$ADMIN_TOKEN_FILE" 2>/dev/null) \
      || { rm -f "$ADMIN_TOKEN_FILE"; die "ringkv token new failed"; }
  fi
  chmod 600 "$ADMIN_TOKEN_FILE"
  if [ ! -s "$AUTH_FILE" ]; then
    local hash
    hash=$(node -e 'const c=require("crypto"),fs=require("fs");process.stdout.write(c.createHash("sha256").update(fs.readFileSync(process.argv[1],"utf8").trim()).digest("hex"))' "$ADMIN_TOKEN_FILE")
    (umask 077 && printf 'principals:\n- name: dev-admin\n  role: admin\n  token_sha256: %s\n' "$hash" > "$AUTH_FILE")
  fi
}

# Whether the running local nodes were started with --auth (start_node leaves .dev/pids/nI.auth).
cluster_auth() {
  local i
  for i in $(running_nodes); do [ -f "$DEV/pids/n$i.auth" ] && return 0; done
  return 1
}

# Runs "$@" with RINGKV_TOKEN set to the admin token when the local cluster runs with --auth. The
# token travels in the environment, never on a command line (command lines are visible in ps).
as_admin() {
  if cluster_auth; then
    [ -s "$ADMIN_TOKEN_FILE" ] || die "the local cluster runs with --auth but .dev/admin-token is missing"
    local token; token=$(cat "$ADMIN_TOKEN_FILE")
    RINGKV_TOKEN="$token" "$@"
  else
    "$@"
  fi
}

# Callers run ensure_secret first (before installing and building, so a bad RINGKV_DEV_SECRET
# fails at once), and ensure_auth before starting a node with auth (third argument 1).
start_node() {
  local i=$1 seeds=$2 auth=${3:-0}
  local hp pp; hp=$(http_port "$i"); pp=$(peer_port "$i")
  node_running "$i" && { say "n$i already running (pid $(cat "$DEV/pids/n$i.pid"))"; return 0; }
  port_free "$hp" || die "port $hp (client API of n$i) is taken by another program; set RINGKV_DEV_HTTP_BASE to move the local cluster"
  port_free "$pp" || die "port $pp (peer port of n$i) is taken by another program; set RINGKV_DEV_PEER_BASE to move the local cluster"
  mkdir -p "$DEV/pids" "$DEV/logs" "$DEV/data"
  local auth_args=()
  if [ "$auth" = 1 ]; then auth_args=(--auth-file "$AUTH_FILE"); touch "$DEV/pids/n$i.auth"; else rm -f "$DEV/pids/n$i.auth"; fi
  # The client's RINGKV_TOKEN and RINGKV_CA of the caller's shell are no business of a node.
  nohup env -u RINGKV_TOKEN -u RINGKV_CA node "$ROOT/packages/cli/bin/ringkv.js" start --id "n$i" --http "127.0.0.1:$hp" --peer "127.0.0.1:$pp" \
    --seeds "$seeds" --data "$DEV/data/n$i" --engine "$ENGINE" --secret-file "$SECRET_FILE" ${auth_args[@]+"${auth_args[@]}"} \
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

existing_nodes() {
  local count=0
  for d in "$DEV"/data/n*; do [ -d "$d" ] && count=$((count + 1)); done
  echo "$count"
}

cmd_up() {
  local n="" auth=0 arg
  for arg in "$@"; do
    case "$arg" in
      --auth) auth=1 ;;
      *) [ -z "$n" ] || die "usage: ./dev.sh up [N] [--auth]"; n=$arg ;;
    esac
  done
  if [ -n "$(running_nodes)" ]; then
    # A running cluster keeps its mode: nodes with and without authentication cannot be mixed.
    if cluster_auth; then auth=1
    elif [ "$auth" = 1 ]; then die "the local cluster is running without --auth: ./dev.sh down first, then ./dev.sh up --auth"
    fi
  fi
  if [ -z "$n" ]; then n=$(existing_nodes); [ "$n" -ge "$NODES_DEFAULT" ] || n=$NODES_DEFAULT; fi
  ensure_secret
  ensure_installed
  build
  [ "$auth" = 0 ] || ensure_auth
  # The founding members are the first three (or fewer); nodes beyond them joined later and
  # restart from their own state (their seeds only matter the first time).
  local founders=$((n < NODES_DEFAULT ? n : NODES_DEFAULT))
  local seeds; seeds=$(seeds_for "$founders")
  say "==> starting $n node(s)"
  for ((i = 1; i <= n; i++)); do start_node "$i" "$seeds" "$auth"; done
  for ((i = 1; i <= n; i++)); do wait_ready "$i"; done
  say ""
  say "ringkv is up: $n node(s), engine $ENGINE, data in .dev/data, logs in .dev/logs"
  for ((i = 1; i <= n; i++)); do
    say "  n$i  client http://127.0.0.1:$(http_port "$i")   peer 127.0.0.1:$(peer_port "$i")"
  done
  say "console: http://127.0.0.1:$(http_port 1)/ui/$([ "$auth" = 1 ] && printf '   (it asks for a token: .dev/admin-token)')"
  say ""
  if [ "$auth" = 1 ]; then
    say "authentication is on: every node has --auth-file .dev/auth.yaml (principal dev-admin, role admin)"
    say "admin token (kept in .dev/admin-token, mode 600): $(cat "$ADMIN_TOKEN_FILE")"
    say ""
    say "try:  export RINGKV_TOKEN=\$(cat .dev/admin-token)"
    say "      curl -X PUT -H \"Authorization: Bearer \$RINGKV_TOKEN\" --data-binary hello http://127.0.0.1:$(http_port 1)/kv/greeting"
    say "      curl -H \"Authorization: Bearer \$RINGKV_TOKEN\" http://127.0.0.1:$(http_port 1)/kv/greeting"
    say "      npx ringkv get greeting --endpoint http://127.0.0.1:$(http_port 1)   # the CLI reads RINGKV_TOKEN (or --token)"
    say "more principals: npx ringkv token new --name NAME --role read|write|admin, add the entry it prints"
    say "      to .dev/auth.yaml, then: kill -HUP \$(cat .dev/pids/n*.pid)"
    say "stop: ./dev.sh down"
    return 0
  fi
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
  say "removed .dev (data, logs and secret of the local cluster)"
}

cmd_status() {
  local nodes; nodes=$(running_nodes)
  [ -n "$nodes" ] || { say "no local nodes running (./dev.sh up starts them)"; return 0; }
  for i in $nodes; do
    say "n$i  pid $(cat "$DEV/pids/n$i.pid")  http://127.0.0.1:$(http_port "$i")"
  done
  say "console: http://127.0.0.1:$(http_port "$(echo "$nodes" | head -n 1)")/ui/"
  say ""
  as_admin ringkv cluster status --endpoint "http://127.0.0.1:$(http_port "$(echo "$nodes" | head -n 1)")"
}

wait_normal() {
  local i=$1 deadline=$((SECONDS + ${2:-600})) last=""
  local url="http://127.0.0.1:$(http_port "$i")"
  until node -e 'fetch(process.argv[1]+"/ready").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url"; do
    node_running "$i" || { tail -n 20 "$DEV/logs/n$i.log" >&2; die "n$i exited while joining (./dev.sh logs n$i)"; }
    [ $SECONDS -lt $deadline ] || die "n$i did not finish joining in time (./dev.sh logs n$i)"
    # /cluster needs a token on a cluster with --auth (/ready above does not).
    local p; p=$(as_admin node -e 'const t=process.env.RINGKV_TOKEN;fetch(process.argv[1]+"/cluster",{headers:t?{authorization:"Bearer "+t}:{}}).then(r=>r.json()).then(v=>{const t=v.topology;console.log(t?`${t.phase} ${t.partitionsDone}/${t.partitionsTotal} partitions, ${t.keys} keys`:"waiting for the membership")},()=>console.log("starting"))' "$url")
    [ "$p" = "$last" ] || { say "   n$i: $p"; last=$p; }
    sleep 0.5
  done
}

cmd_scale() {
  local target=${1:-}
  [[ "$target" =~ ^[1-9][0-9]*$ ]] || die "usage: ./dev.sh scale N (N >= 1)"
  if [ "${2:-}" = "--k8s" ]; then scale_k8s "$target"; return; fi
  ensure_secret
  ensure_installed
  build
  local running; running=$(running_nodes)
  [ -n "$running" ] || die "no local cluster running: ./dev.sh up first"
  local count; count=$(echo "$running" | wc -l)
  local highest; highest=$(echo "$running" | tail -n 1)
  [ "$count" -eq "$highest" ] || die "running nodes are not n1..n$count (running: $(echo $running)); ./dev.sh down && ./dev.sh up first"
  if [ "$target" -eq "$count" ]; then say "already $count node(s)"; return 0; fi
  local seeds; seeds=$(seeds_for "$count")
  # Nodes added to a cluster started with --auth get the same auth file.
  local auth=0
  if cluster_auth; then auth=1; ensure_auth; fi
  while [ "$count" -lt "$target" ]; do
    count=$((count + 1))
    say "==> n$count joins (streams the partitions it will own, then serves)"
    rm -rf "$DEV/data/n$count"
    start_node "$count" "$seeds" "$auth"
    wait_normal "$count"
    say "   n$count is normal"
  done
  while [ "$count" -gt "$target" ]; do
    say "==> n$count decommissions (hands its partitions to their new owners, then leaves)"
    as_admin ringkv cluster leave --wait --endpoint "http://127.0.0.1:$(http_port "$count")"
    kill -TERM "$(cat "$DEV/pids/n$count.pid")" 2>/dev/null || true
    for _ in $(seq 1 150); do node_running "$count" || break; sleep 0.1; done
    rm -f "$DEV/pids/n$count.pid" "$DEV/pids/n$count.auth"
    rm -rf "$DEV/data/n$count"
    say "   n$count has left and is stopped"
    count=$((count - 1))
  done
  cmd_status
}

# Kubernetes: shrinking decommissions the highest ordinals through the ringkv API first, then
# scales the StatefulSet; growing scales it and lets the new pods join through the seeds.
scale_k8s() {
  local target=$1 sts=${RINGKV_K8S_STATEFULSET:-ringkv} ns=${RINGKV_K8S_NAMESPACE:-default}
  need kubectl "to scale a Kubernetes deployment"
  local current; current=$(kubectl -n "$ns" get statefulset "$sts" -o jsonpath='{.spec.replicas}') || die "statefulset $sts not found in namespace $ns"
  while [ "$current" -gt "$target" ]; do
    local pod="$sts-$((current - 1))"
    say "==> $pod decommissions"
    # With auth on, the admin token goes in on stdin (never on a command line, where ps shows it).
    if [ -n "${RINGKV_TOKEN:-}" ]; then
      printf '%s\n' "$RINGKV_TOKEN" | kubectl -n "$ns" exec -i "$pod" -- sh -c 'read -r RINGKV_TOKEN && export RINGKV_TOKEN && exec node packages/cli/bin/ringkv.js cluster leave --wait --endpoint http://127.0.0.1:7070'
    else
      kubectl -n "$ns" exec "$pod" -- node packages/cli/bin/ringkv.js cluster leave --wait --endpoint http://127.0.0.1:7070
    fi
    kubectl -n "$ns" scale statefulset "$sts" --replicas=$((current - 1))
    kubectl -n "$ns" delete pvc "data-$pod" --ignore-not-found
    current=$((current - 1))
  done
  if [ "$current" -lt "$target" ]; then
    say "==> scaling $sts to $target; new pods join through the seeds"
    kubectl -n "$ns" scale statefulset "$sts" --replicas="$target"
    kubectl -n "$ns" rollout status statefulset "$sts" --timeout=30m
  fi
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

# Debian packages some tests need (each test says clearly when its tool is missing and skips).
# Installed only where this script may (root with apt-get); elsewhere it says what it skipped.
# faketime: the clock-skew end-to-end test. prometheus: its promtool checks and unit-tests the alert
# rules (deploy/prometheus); on a host running systemd the package also enables a Prometheus server.
# chromium: the console's browser tests (test/browser, driven by playwright-core); unlike the others
# they fail rather than skip when it is missing in CI (CI=true). etcd-server: the bench's etcd
# comparison and its test (on a host running systemd the package also enables an etcd server).
TEST_PACKAGES=(faketime prometheus chromium etcd-server)
ensure_test_tools() {
  local missing=() pkg
  for pkg in "${TEST_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "==> installing test tools: ${missing[*]} (Debian packages)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || say "   could not install ${missing[*]}: the tests that need them will be skipped"
    fi
  else
    say "==> test tools not installed (${missing[*]}): run as root with apt-get to install them; the tests that need them are skipped"
  fi
}

cmd_test() {
  ensure_installed
  ensure_test_tools
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

cmd_k6() {
  ensure_installed
  if ! command -v k6 >/dev/null 2>&1; then
    say "k6 is not installed on this machine, so the k6 scripts (k6/load.ts, k6/e2e.ts) cannot run here."
    say "The same scenarios run with the project's own load tool: ./dev.sh bench"
    say "(install k6 from https://k6.io to run: RINGKV_ENDPOINTS=http://127.0.0.1:7071 k6 run k6/load.ts)"
    return 0
  fi
  local nodes; nodes=$(running_nodes)
  [ -n "$nodes" ] || die "no local cluster running: ./dev.sh up first"
  local eps=""; for i in $nodes; do eps+="${eps:+,}http://127.0.0.1:$(http_port "$i")"; done
  RINGKV_ENDPOINTS="$eps" k6 run "$ROOT/k6/e2e.ts"
  RINGKV_ENDPOINTS="$eps" k6 run "$ROOT/k6/load.ts" "$@"
}

cmd_profile() {
  ensure_installed
  build
  local secs=${1:-10}
  [[ "$secs" =~ ^[1-9][0-9]*$ ]] || die "usage: ./dev.sh profile [SECONDS]"
  local dir="$DEV/profiles" data; data=$(mktemp -d)
  mkdir -p "$dir" "$DEV/logs"
  local ports; ports=$(node -e 'const n=require("net");const a=[];let k=2;for(let i=0;i<2;i++){const s=n.createServer();s.listen(0,"127.0.0.1",()=>{a.push(s.address().port);s.close();if(--k===0)console.log(a.join(" "))})}')
  local hp=${ports% *} pp=${ports#* }
  say "==> profiling a single node under ${secs}s of PUT and GET load"
  # No --secret-file: a node alone on loopback makes a random secret for itself (it warns once).
  node --cpu-prof --cpu-prof-dir="$dir" "$ROOT/packages/cli/bin/ringkv.js" start --id profile --http "127.0.0.1:$hp" --peer "127.0.0.1:$pp"     --data "$data" --log-level warn > "$DEV/logs/profile.log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 20))
  until node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$hp/ready"; do
    [ $SECONDS -lt $deadline ] || { kill "$pid"; die "profiling node did not start"; }
    sleep 0.2
  done
  ringkv bench --endpoint "http://127.0.0.1:$hp" --duration "$secs" --warmup 1 --ceilings none --json "$DEV/profiles/bench.json" || true
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  say "CPU profile written to $(ls -t "$dir"/*.cpuprofile | head -n 1)"
  say "open it in Chrome DevTools (Performance > Load profile) or VS Code"
}

cmd_help() {
  cat <<'USAGE'
usage: ./dev.sh <command> [args]

  up [N]        install if needed, build, start a local cluster (3 nodes, or as many as it had) in the background
  up [N] --auth the same with client authentication: every node gets --auth-file .dev/auth.yaml, whose
                admin principal's token is in .dev/admin-token (both made the first time, then reused)
  down          stop the local cluster (data is kept)
  clean         remove the local cluster's data, logs and secret (.dev)
  status        the running local nodes and the cluster's members (ringkv cluster status; with the
                admin token when the cluster runs with --auth)
  scale N       grow or shrink the local cluster to N nodes, one join or decommission at a time
                (new nodes get --auth-file when the cluster runs with --auth)
  scale N --k8s the same on Kubernetes: decommission the highest ordinals, then kubectl scale
  logs [NODE]   follow the logs of every node, or of one (e.g. n1)
  test [ARGS]   install if needed, build, type-check and run the whole test suite, with line and branch
                coverage per package (coverage/index.html; fails below 80% of lines in core, storage,
                server); ARGS go to Jest and run without coverage unless they include --coverage
  bench [ARGS]  run `ringkv bench` (load against the local cluster and a bare node:http ceiling)
  k6 [ARGS]     run the k6 scripts against the local cluster (where a k6 binary is installed)
  profile [S]   CPU profile of a node under S seconds of load, saved in .dev/profiles
  help          this text

Environment: RINGKV_DEV_NODES (nodes for `up`), RINGKV_DEV_ENGINE (level|rocksdb|memory),
RINGKV_DEV_HTTP_BASE / RINGKV_DEV_PEER_BASE (node i listens on BASE+i),
RINGKV_DEV_SECRET (the cluster secret, at least 32 bytes; written to .dev/secret),
RINGKV_K8S_STATEFULSET / RINGKV_K8S_NAMESPACE (scale --k8s), RINGKV_TOKEN (the admin token
scale --k8s passes to `cluster leave`, on stdin, when the cluster runs with auth).

The local nodes share the cluster secret in .dev/secret (mode 600), made the first time a node
starts (64 random hex characters) and kept until ./dev.sh clean. Every node gets --secret-file.

With --auth, clients need the token: export RINGKV_TOKEN=$(cat .dev/admin-token) for the CLI,
or send Authorization: Bearer <token>. /health and /ready need none. Plain `up` starts the nodes
without authentication (loopback only); a running cluster keeps its mode until ./dev.sh down.
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
    scale) cmd_scale "$@" ;;
    k6) cmd_k6 "$@" ;;
    profile) cmd_profile "$@" ;;
    help|-h|--help) cmd_help ;;
    *) cmd_help >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
