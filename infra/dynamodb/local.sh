#!/usr/bin/env bash
# The local DynamoDB of `make dev STORE=dynamodb`: dynalite (npm, pinned in
# infra/dynamodb/package-lock.json) on 127.0.0.1, its data on disk under the
# gitignored .local/dynamodb/, so sessions and accounts survive a restart.
# (The tests use moto, in memory; docs/dynamodb.md says why each.)
#
#   infra/dynamodb/local.sh run     # in the foreground, until Ctrl-C
#   infra/dynamodb/local.sh start   # in the background; prints the endpoint
#   infra/dynamodb/local.sh stop    # stops the one that start started
#   infra/dynamodb/local.sh status
#
# DYNAMODB_PORT (default 8000) chooses the port. start and run create the
# template's tables when they are missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/dynamodb"
data="$root/.local/dynamodb"
port="${DYNAMODB_PORT:-8000}"
endpoint="http://127.0.0.1:$port"
pidfile="$data/dynalite.pid"
log="$data/dynalite.log"
bin="$here/node_modules/.bin/dynalite"

install() {
	if [ ! -x "$bin" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
		echo "installing dynalite (infra/dynamodb/package-lock.json)..." >&2
		npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2
	fi
	mkdir -p "$data/data"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

wait_ready() {
	for _ in $(seq 1 100); do
		if ! kill -0 "$1" 2>/dev/null; then break; fi # it exited (port taken?)
		if curl -s -o /dev/null "$endpoint"; then return 0; fi
		sleep 0.1
	done
	echo "dynalite did not answer on $endpoint (log: $log)" >&2
	return 1
}

tables() { (cd "$root" && go run ./infra/dynamodb/createtables -endpoint "$endpoint") >&2; }

announce() {
	echo "DynamoDB (dynalite) on $endpoint, data in .local/dynamodb/data" >&2
	echo "export DYNAMODB_ENDPOINT=$endpoint"
}

case "${1:-run}" in
run)
	install
	"$bin" --host 127.0.0.1 --port "$port" --path "$data/data" --createTableMs 0 --deleteTableMs 0 &
	pid=$!
	trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' INT TERM EXIT
	wait_ready "$pid"
	tables
	announce
	wait "$pid"
	;;
start)
	if running; then announce; exit 0; fi
	install
	nohup "$bin" --host 127.0.0.1 --port "$port" --path "$data/data" --createTableMs 0 --deleteTableMs 0 >"$log" 2>&1 &
	echo $! >"$pidfile"
	wait_ready "$!" || { kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile"; exit 1; }
	tables
	announce
	;;
stop)
	if running; then
		kill "$(cat "$pidfile")"
		echo "stopped dynalite (pid $(cat "$pidfile"))" >&2
	fi
	rm -f "$pidfile"
	;;
status)
	if running; then announce; else echo "not running" >&2; exit 1; fi
	;;
*)
	echo "usage: $0 run|start|stop|status" >&2
	exit 2
	;;
esac
