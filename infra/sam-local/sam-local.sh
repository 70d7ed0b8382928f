#!/usr/bin/env bash
# Runs the real `sam local start-api` and `sam local invoke` on a machine
# without a Docker engine: podman serves the Docker API that SAM speaks, the
# Lambda base image is made here from busybox (nothing is pulled), and a
# DynamoDB emulator (moto, from the project's .venv) runs in a container on
# a project network; the Lambda containers get its IP address
# (http://<ip>:8000), so no container DNS is needed. See docs/sam-local.md.
#
#   sam-local.sh install   apt packages: podman, runc, busybox-static, curl (+ qemu-user-static for arm64 on x86_64)
#   sam-local.sh serve     up, then wait until Ctrl-C or SIGTERM, then down
#   sam-local.sh up        podman service, base image, emulator, tables, sam build, start-api (in the background)
#   sam-local.sh down      stop everything `up` started, by the PIDs and names it recorded
#   sam-local.sh invoke    `sam local invoke` of every events/*.json, compared with `make invoke` (after up)
#   sam-local.sh test      up, the HTTP scenario suite against it, invoke, down
#
# Settings (environment): SAM_ARCH (arm64, the template's; x86_64 runs
# natively on an x86_64 host), SAM_PORT (default: a free port), SAM_STATE
# (default .local/sam), SAM_TEMPLATE (template.yaml), SAM_ENV_VARS (env.json),
# SAM_EVENTS (events), VENV (.venv).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/infra/sam-local
cd "$ROOT"

SAM_ARCH=${SAM_ARCH:-arm64}
STATE=${SAM_STATE:-$ROOT/.local/sam}
TEMPLATE=${SAM_TEMPLATE:-template.yaml}
ENV_VARS=${SAM_ENV_VARS:-env.json}
EVENTS=${SAM_EVENTS:-events}
VENV=${VENV:-$ROOT/.venv}
SAM=$VENV/bin/sam
MOTO=$VENV/bin/moto_server
GO=${GO:-go}

# Names of this work tree's network and emulator container (another clone on
# the same machine gets its own).
TREE=$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)
NETWORK=sessionlab-sam-$TREE
DYNAMO_CONTAINER=sessionlab-sam-dynamodb-$TREE
PROBE_CONTAINER=sessionlab-sam-probe-$TREE
LABEL=org.sessionlab.sam-local
# What a project network must look like (its $LABEL.network label); a
# network with another label, or none, was made by an older version of this
# script (with DNS, or without it) and is replaced.
NETWORK_SPEC=no-dns-1
# How long the reachability probe waits for the emulator's answer.
PROBE_SECONDS=10
SOCKET=$STATE/podman.sock
LOGS=$STATE/logs

export CONTAINERS_CONF=$HERE/containers.conf
export DOCKER_HOST=unix://$SOCKET
export SAM_CLI_TELEMETRY=0
# SAM asks STS for the account ID before each local run; without credentials
# botocore would first try the EC2 metadata address. Nothing here has AWS
# credentials: keep every call on this machine.
export AWS_EC2_METADATA_DISABLED=true

log() { printf 'sam-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- settings derived from SAM_ARCH -------------------------------------------

case $SAM_ARCH in
  arm64) GOARCH=arm64 ;;
  x86_64) GOARCH=amd64 ;;
  *) die "SAM_ARCH=$SAM_ARCH: use arm64 or x86_64" ;;
esac
# The name and tag SAM 1.170 looks for (samcli/local/docker/lambda_image.py):
# public.ecr.aws/lambda/provided:al2023-<arch>; it builds
# ...:al2023-rapid-<arch> on top, adding its own aws-lambda-rie.
BASE_IMAGE=public.ecr.aws/lambda/provided:al2023-$SAM_ARCH
RAPID_IMAGE=public.ecr.aws/lambda/provided:al2023-rapid-$SAM_ARCH

host_goarch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) uname -m ;;
  esac
}

needs_emulation() { [[ $GOARCH != "$(host_goarch)" ]]; }

# ---- install --------------------------------------------------------------------

cmd_install() {
  local pkgs=(podman runc busybox-static curl) missing=()
  needs_emulation && pkgs+=(qemu-user-static)
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  needs_emulation && register_qemu
  return 0
}

# register_qemu lets the kernel run arm64 binaries through qemu-user (the F
# flag opens the interpreter now, so it works inside containers too).
register_qemu() {
  local qarch=aarch64 misc=/proc/sys/fs/binfmt_misc
  [[ $GOARCH == amd64 ]] && qarch=x86_64
  [[ -e $misc/register ]] || mount -t binfmt_misc binfmt_misc "$misc" ||
    die "cannot mount binfmt_misc: run with SAM_ARCH=$(uname -m) instead (see docs/sam-local.md)"
  [[ -e $misc/qemu-$qarch ]] && return 0
  grep -v '^#' "/usr/lib/binfmt.d/qemu-$qarch.conf" >"$misc/register" ||
    die "cannot register qemu-$qarch with binfmt_misc: run with SAM_ARCH=$(uname -m) instead"
  log "registered qemu-$qarch-static for $SAM_ARCH binaries"
}

# ---- podman service -------------------------------------------------------------

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_podman() {
  mkdir -p "$STATE" "$LOGS"
  if pid_alive "$STATE/podman.pid"; then return 0; fi
  rm -f "$SOCKET"
  podman system service --time=0 "unix://$SOCKET" >"$LOGS/podman.log" 2>&1 &
  echo $! >"$STATE/podman.pid"
  wait_for "podman API on $SOCKET" 20 podman_api_ready
}

podman_api_ready() {
  curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND every 0.2 s.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  die "$what not ready after ${secs}s (logs: $LOGS)"
}

# ---- base image -----------------------------------------------------------------

# ensure_base_image makes $BASE_IMAGE when it is missing: a root filesystem of
# Debian's static busybox, imported with podman. SAM's own image build on top
# only runs `mv` and `chmod` in it; the function's bootstrap and SAM's
# aws-lambda-rie are static Go binaries. busybox is the host's architecture:
# the kernel runs it natively (the image is tagged for $SAM_ARCH, which is
# what SAM asks for). An image of that name that this script did not make
# (a real one, pulled on a laptop) is used as it is.
ensure_base_image() {
  local want have
  want=$(base_fingerprint)
  if podman image exists "$BASE_IMAGE"; then
    have=$(podman image inspect "$BASE_IMAGE" --format "{{index .Labels \"$LABEL.base\"}}")
    case $have in
      "$want") return 0 ;;
      "" | "<no value>") log "using the existing $BASE_IMAGE (not made here)"; return 0 ;;
    esac
  fi
  log "making $BASE_IMAGE from busybox-static (nothing is pulled)"
  local rootfs
  rootfs=$(mktemp -d)
  make_rootfs "$rootfs"
  tar --numeric-owner -C "$rootfs" -c . | podman import --quiet --arch "$GOARCH" --os linux \
    --change "ENV LAMBDA_TASK_ROOT=/var/task" --change "ENV LAMBDA_RUNTIME_DIR=/var/runtime" \
    --change "WORKDIR /var/task" --change "LABEL $LABEL.base=$want" - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  # SAM builds the rapid image only when it is missing: drop the one made on
  # top of an older base.
  podman image rm -f "$RAPID_IMAGE" >/dev/null 2>&1 || true
}

base_fingerprint() {
  { sha256sum /bin/busybox; declare -f make_rootfs; echo "$GOARCH"; } | sha256sum | cut -c1-16
}

make_rootfs() {
  local dir=$1 applet
  mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,var/task,var/runtime,var/rapid,opt,root}
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [[ -e $dir/$applet ]] || ln -s /bin/busybox "$dir/$applet"
  done
  chmod 1777 "$dir/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
  echo 'root:x:0:' >"$dir/etc/group"
}

# ---- DynamoDB emulator ------------------------------------------------------------

# ensure_network makes the project network, or replaces one that does not
# match NETWORK_SPEC. It is made with DNS off on purpose: podman 4.3's CNI
# backend resolves container names only with a DNS plugin that a plain
# `apt-get install podman` does not bring, so the Lambda containers get the
# emulator's IP address instead (see start_dynamodb), the same on every
# machine. Containers still attached to a stale network (leftovers of a
# killed run) are removed with it.
ensure_network() {
  local have dns
  if podman network exists "$NETWORK"; then
    have=$(podman network inspect "$NETWORK" --format "{{index .Labels \"$LABEL.network\"}}" 2>/dev/null || true)
    dns=$(podman network inspect "$NETWORK" --format '{{.DNSEnabled}}' 2>/dev/null || true)
    if [[ $have == "$NETWORK_SPEC" && $dns == false ]]; then return 0; fi
    log "replacing the network $NETWORK (label '${have/<no value>/}', DNS $dns): made by an older sam-local.sh"
    remove_network_containers
    podman network rm -f "$NETWORK" >/dev/null ||
      die "cannot remove the stale network $NETWORK: remove it by hand (podman network rm -f $NETWORK) and run again"
  fi
  podman network create --disable-dns --label "$LABEL=1" --label "$LABEL.network=$NETWORK_SPEC" "$NETWORK" >/dev/null ||
    die "cannot create the podman network $NETWORK"
}

# remove_network_containers removes every container on $NETWORK: Lambda
# containers SAM left behind (after a SIGKILL), a probe, the emulator's.
remove_network_containers() {
  local ids=()
  mapfile -t ids < <(podman ps -aq --filter "network=$NETWORK" 2>/dev/null || true)
  if ((${#ids[@]})); then podman rm -f -t 0 "${ids[@]}" >/dev/null 2>&1 || true; fi
}

# start_dynamodb runs moto inside the network namespace of a small container
# on the $NETWORK network: the Lambda containers, which SAM joins to that
# network (--docker-network), reach it at the container's IP address on it
# (written to $STATE/lambda-dynamodb-endpoint, passed as DynamoDBEndpoint),
# and the host reaches it on a published 127.0.0.1 port. Nothing listens on
# the host's other addresses. Then it checks from a function-like container
# that the functions will reach it (probe_dynamodb).
start_dynamodb() {
  podman rm -f -t 0 "$DYNAMO_CONTAINER" "$PROBE_CONTAINER" >/dev/null 2>&1 || true
  ensure_network
  local port pid ip
  port=$(free_port)
  # (podman warns that an arm64-tagged image runs on amd64: its busybox is
  # the host's own; only `sleep` runs in this container.)
  podman run -d --name "$DYNAMO_CONTAINER" --label "$LABEL=1" --network "$NETWORK" \
    -p "127.0.0.1:$port:8000" "$BASE_IMAGE" sleep 2147483647 \
    >/dev/null 2>"$LOGS/dynamodb-container.log" || { cat "$LOGS/dynamodb-container.log" >&2; die "cannot start $DYNAMO_CONTAINER"; }
  ip=$(podman inspect "$DYNAMO_CONTAINER" --format "{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}")
  [[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "$DYNAMO_CONTAINER has no IPv4 address on $NETWORK (podman inspect said '$ip'): podman network rm -f $NETWORK and run again"
  pid=$(podman inspect "$DYNAMO_CONTAINER" --format '{{.State.Pid}}')
  nsenter -t "$pid" -n -- "$MOTO" -H 0.0.0.0 -p 8000 >"$LOGS/moto.log" 2>&1 &
  echo $! >"$STATE/moto.pid"
  echo "http://127.0.0.1:$port" >"$STATE/dynamodb-endpoint"
  echo "http://$ip:8000" >"$STATE/lambda-dynamodb-endpoint"
  wait_for "moto on 127.0.0.1:$port" 60 curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/"
  local made
  made=$("$VENV/bin/python" "$HERE/create_tables.py" "$TEMPLATE" "http://127.0.0.1:$port") ||
    die "cannot create the tables in the emulator (log: $LOGS/moto.log)"
  printf '%s\n' "$made" >&2
  # (create_tables.py prints "table NAME: created" per table; names have no spaces.)
  # shellcheck disable=SC2046
  probe_dynamodb "$(lambda_endpoint)" $(sed -n 's/^table \([^:]*\):.*/\1/p' <<<"$made")
}

lambda_endpoint() { cat "$STATE/lambda-dynamodb-endpoint"; }

# probe_dynamodb ENDPOINT TABLE... sends DynamoDB's ListTables to ENDPOINT
# from a short-lived container made as SAM makes a Lambda container (created
# on podman's default network, then connected to $NETWORK, from the same base
# image), with busybox wget, signed as us-east-1 (moto routes a request by
# its signature's service and region; it checks no signature). It stops the
# run at once unless the answer lists every TABLE: otherwise each function
# that keeps sessions would answer 503 store_unavailable.
probe_dynamodb() {
  local ep=$1 out status=0 table missing=() hint
  shift
  # busybox timeout, not wget -T (Debian's busybox wget has no -T and
  # crashes on it), under sh: as PID 1, wget would ignore timeout's SIGTERM.
  podman create --name "$PROBE_CONTAINER" --label "$LABEL=1" "$BASE_IMAGE" sh -c \
    'timeout "$1" wget -q -O - --header "$2" --header "$3" --header "$4" --post-data "{}" "$5"; exit $?' probe \
    "$PROBE_SECONDS" 'Content-Type: application/x-amz-json-1.0' 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    'Authorization: AWS4-HMAC-SHA256 Credential=probe/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    "$ep/" >/dev/null 2>"$LOGS/probe.log" ||
    { cat "$LOGS/probe.log" >&2; die "cannot create the probe container $PROBE_CONTAINER"; }
  podman network connect "$NETWORK" "$PROBE_CONTAINER" 2>>"$LOGS/probe.log" ||
    { podman rm -f "$PROBE_CONTAINER" >/dev/null 2>&1; cat "$LOGS/probe.log" >&2; die "cannot connect a container to $NETWORK"; }
  out=$(podman start -a "$PROBE_CONTAINER" 2>&1) || status=$?
  podman rm -f -t 0 "$PROBE_CONTAINER" >/dev/null 2>&1 || true
  printf '%s\n' "$out" >>"$LOGS/probe.log"
  if ((status == 0)) && [[ $out == *'"TableNames"'* ]]; then
    for table in "$@"; do
      [[ $out == *"\"$table\""* ]] || missing+=("$table")
    done
    ((${#missing[@]} == 0)) && { log "a function container reaches the emulator at $ep (tables: $*)"; return 0; }
    out+=$'\n'"(the answer lacks the tables ${missing[*]})"
    hint="another server answers there, or the tables were made in another region"
  fi
  case $out in
    *"bad address"*) hint="the name does not resolve inside a container (podman here has no container DNS): the functions need an IP address" ;;
    *"Connection refused"*) hint="nothing listens there: is moto running? (log: $LOGS/moto.log)" ;;
  esac
  if ((status == 143)); then
    out+="${out:+$'\n'}(no answer within $PROBE_SECONDS s)"
    hint="something drops the traffic: check that podman's bridges pass it (iptables -S FORWARD)"
  fi
  log "a container on $NETWORK cannot use the DynamoDB emulator at $ep (what the functions get as DYNAMODB_ENDPOINT):"
  out=${out:-(no output; exit status $status)}
  printf '    %s\n' "${out//$'\n'/$'\n'    }" >&2
  die "${hint:-the functions could not reach it either}. Every function that keeps sessions would answer 503 store_unavailable, so start-api was not started. If the network was left by an older run: podman network rm -f $NETWORK, then run again (docs/sam-local.md)"
}

# reset_dynamodb empties the emulator (moto's reset API) and makes the tables
# again, so that each sample event meets an empty store, as `make invoke`
# (a new process with an empty in-memory store) does.
reset_dynamodb() {
  local ep
  ep=$(cat "$STATE/dynamodb-endpoint")
  curl -sf -X POST -o /dev/null "$ep/moto-api/reset" || die "cannot reset the emulator at $ep"
  "$VENV/bin/python" "$HERE/create_tables.py" "$TEMPLATE" "$ep" >/dev/null
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- sam build and start-api ------------------------------------------------------------

overrides() {
  echo "Architecture=$SAM_ARCH DynamoDBEndpoint=$(lambda_endpoint)"
}

sam_build() {
  log "sam build ($SAM_ARCH)"
  # The Makefile's build-<Function> targets take ARCH as a GOARCH.
  ARCH=$GOARCH "$SAM" build --build-in-source --parallel --template-file "$TEMPLATE" \
    --build-dir "$STATE/build" --parameter-overrides "$(overrides)" >"$LOGS/sam-build.log" 2>&1 ||
    { tail -n 30 "$LOGS/sam-build.log" >&2; die "sam build failed (log: $LOGS/sam-build.log)"; }
}

sam_args() {
  echo --template-file "$STATE/build/template.yaml" --skip-pull-image \
    --docker-network "$NETWORK" --env-vars "$ENV_VARS"
}

start_api() {
  local port=${SAM_PORT:-$(free_port)}
  # shellcheck disable=SC2046 # sam_args is a list of plain words
  "$SAM" local start-api $(sam_args) --parameter-overrides "$(overrides)" \
    --host 127.0.0.1 --port "$port" --warm-containers EAGER >"$LOGS/start-api.log" 2>&1 &
  echo $! >"$STATE/sam.pid"
  echo "http://127.0.0.1:$port" >"$STATE/url"
  wait_for "sam local start-api on 127.0.0.1:$port" 180 api_ready "$port"
  log "sam local start-api: http://127.0.0.1:$port (log: $LOGS/start-api.log)"
}

# warm_up calls one route of each function until it answers (anything but a
# gateway error), so that no test meets a runtime still starting: the first
# request to a warm container starts the bootstrap, which under emulation on
# a busy machine can outlast the function's timeout.
warm_up() {
  local url fn method path code i t0=$SECONDS
  url=$(cat "$STATE/url")
  while read -r fn method path; do
    for ((i = 1; ; i++)); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -m 60 -X "$method" "$url$path" || true)
      [[ $code =~ ^(000|502|503|504)$ ]] || break
      ((i < 5)) || die "$fn did not answer $method $path after $i tries (last: $code; log: $LOGS/start-api.log)"
      log "$fn: $method $path answered $code, trying again"
      sleep 2
    done
  done < <("$STATE/respcmp" warmup "$TEMPLATE")
  log "every function answered in $((SECONDS - t0)) s"
}

api_ready() {
  pid_alive "$STATE/sam.pid" || { tail -n 30 "$LOGS/start-api.log" >&2; die "sam local start-api exited"; }
  grep -q 'Running on' "$LOGS/start-api.log"
}

require_tools() {
  [[ -x $SAM ]] || die "no $SAM: run make venv"
  [[ -x $MOTO ]] || die "no $MOTO: run make venv"
  [[ -f $ENV_VARS ]] || die "no $ENV_VARS: run make env.json"
  command -v podman >/dev/null || die "no podman: run $0 install"
}

cmd_prepare() {
  require_tools
  needs_emulation && register_qemu
  mkdir -p "$STATE" "$LOGS"
  local t0=$SECONDS
  $GO build -o "$STATE/respcmp" ./infra/sam-local/respcmp
  # The local runner, built once: `make invoke` is `go run ./cmd/local
  # invoke`, which links it again for each event (seconds each).
  $GO build -o "$STATE/local-runner" ./cmd/local
  start_podman
  ensure_base_image
  start_dynamodb
  log "podman, base image, emulator and tables ready in $((SECONDS - t0)) s"
  t0=$SECONDS
  sam_build
  log "sam build took $((SECONDS - t0)) s"
}

# lock_state holds .local/sam for this command: a second run in the same work
# tree would share its PID files, ports and logs.
lock_state() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock -n 9 || die "another sam-local command is running in this work tree (lock: $STATE/lock)"
  if pid_alive "$STATE/sam.pid"; then
    die "sam local start-api is already up at $(cat "$STATE/url" 2>/dev/null) (pid $(cat "$STATE/sam.pid")): $0 down first"
  fi
}

cmd_up() {
  cmd_prepare
  local t0=$SECONDS
  start_api
  warm_up
  log "start-api ready in $((SECONDS - t0)) s"
}

# ---- down ---------------------------------------------------------------------------

stop_pid() {
  local file=$1 name=$2 i
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop on SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_down() {
  # SAM removes its warm containers on SIGTERM.
  stop_pid "$STATE/sam.pid" "sam local start-api"
  stop_pid "$STATE/moto.pid" "moto"
  if [[ -S $SOCKET ]] && command -v podman >/dev/null; then
    remove_network_containers
  fi
  stop_pid "$STATE/podman.pid" "podman system service"
  rm -f "$STATE/url" "$STATE/dynamodb-endpoint" "$STATE/lambda-dynamodb-endpoint"
}

cmd_serve() {
  trap cmd_down EXIT
  trap 'exit 130' INT TERM
  cmd_up
  log "serving until Ctrl-C"
  while pid_alive "$STATE/sam.pid"; do sleep 1; done
  die "sam local start-api stopped (log: $LOGS/start-api.log)"
}

# ---- invoke: sam local invoke against make invoke -------------------------------------

cmd_invoke() {
  [[ -s $STATE/dynamodb-endpoint ]] || die "nothing is up: run $0 up first"
  local respcmp=$STATE/respcmp out=$STATE/invoke failed=0 n=0 t0
  mkdir -p "$out"
  [[ -x $STATE/local-runner ]] || $GO build -o "$STATE/local-runner" ./cmd/local
  local ev fn base
  while read -r fn ev; do
    base=$(basename "$ev" .json)
    n=$((n + 1))
    # What `make invoke FN=$fn EVENT=$ev` runs, from the binary built once.
    ENV_FILE=$ENV_VARS "$STATE/local-runner" invoke "$fn" "$ev" >"$out/$base.make.json" 2>"$out/$base.make.log" ||
      { log "make invoke $fn $ev failed: $(tail -n 3 "$out/$base.make.log")"; failed=$((failed + 1)); continue; }
    reset_dynamodb
    t0=$SECONDS
    # shellcheck disable=SC2046
    "$SAM" local invoke $(sam_args) --parameter-overrides "$(overrides)" -e "$ev" "$fn" \
      >"$out/$base.sam.json" 2>"$out/$base.sam.log" ||
      { log "sam local invoke $fn $ev failed: $(tail -n 3 "$out/$base.sam.log")"; failed=$((failed + 1)); continue; }
    if "$respcmp" compare "$out/$base.make.json" "$out/$base.sam.json"; then
      echo "ok   $ev ($fn, sam local invoke $((SECONDS - t0)) s)"
    else
      echo "FAIL $ev ($fn): make invoke and sam local invoke differ (above)"
      failed=$((failed + 1))
    fi
  done < <("$respcmp" route "$TEMPLATE" "$EVENTS"/*.json)
  INVOKE_PASSED=$((n - failed)) INVOKE_FAILED=$failed
  echo "invoke: $INVOKE_PASSED passed, $INVOKE_FAILED failed"
  ((n > 0)) || die "no events in $EVENTS"
  ((failed == 0))
}

# ---- test ---------------------------------------------------------------------------

# scenario_env writes env.json with a short SESSION_REAUTH_WINDOW on top
# (SCENARIO_REAUTH_WINDOW, default 15s): the fresh-authentication scenario
# waits for a session to stop being fresh. The sample events run with it too.
scenario_env() {
  [[ -f $ENV_VARS ]] || die "no $ENV_VARS: run make env.json"
  mkdir -p "$STATE"
  "$VENV/bin/python" - "$ENV_VARS" "$STATE/env.scenarios.json" "${SCENARIO_REAUTH_WINDOW:-15s}" <<'PY'
import json, os, sys
src, dst, window = sys.argv[1:]
with open(src) as f:
    env = json.load(f)
env.setdefault("Parameters", {})["SESSION_REAUTH_WINDOW"] = window
with os.fdopen(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
    json.dump(env, f)
PY
  ENV_VARS=$STATE/env.scenarios.json
}

cmd_test() {
  trap cmd_down EXIT
  scenario_env
  cmd_up
  local url status=0 t0=$SECONDS
  url=$(cat "$STATE/url")
  log "HTTP scenarios against $url"
  SCENARIO_BASE_URL=$url SCENARIO_SERVER=sam-local $GO test -count=1 -run 'TestScenariosExternal' -v ./internal/scenario 2>&1 |
    tee "$LOGS/scenarios.log" | grep -v '^=== ' || true
  grep -q '^ok' "$LOGS/scenarios.log" || status=1
  grep -q -- '--- SKIP' "$LOGS/scenarios.log" && { log "scenario suite skipped"; status=1; }
  log "scenarios took $((SECONDS - t0)) s"
  t0=$SECONDS
  cmd_invoke || status=1
  log "invoke comparison took $((SECONDS - t0)) s"
  # One closing line: scenario subtests and sample events.
  local sp sf
  sp=$(grep -c '^    --- PASS' "$LOGS/scenarios.log" || true)
  sf=$(grep -c '^    --- FAIL' "$LOGS/scenarios.log" || true)
  echo "sam-local: $((sp + ${INVOKE_PASSED:-0})) passed, $((sf + ${INVOKE_FAILED:-0})) failed"
  return $status
}

case ${1:-} in
  install) cmd_install ;;
  up)
    lock_state
    trap 'status=$?; if ((status)); then cmd_down; fi' EXIT
    cmd_up
    ;;
  down) cmd_down ;;
  serve) lock_state && cmd_serve ;;
  invoke)
    exec 9>"$STATE/lock"
    flock -n 9 || die "another sam-local command is running in this work tree"
    cmd_invoke
    ;;
  test) lock_state && cmd_test ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
