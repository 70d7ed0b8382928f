#!/usr/bin/env bash
# Mutation testing with gremlins (docs/testing.md, "Mutation testing").
#
#   mutate.sh full PKG...   every mutant of each package (internal/session, ...)
#   mutate.sh short PKG...  only the mutants on lines changed since the base of
#                           the change (see base_ref), in those of PKG... whose
#                           own non-test .go files it changed; none: nothing runs
#
# Each package gets its own gremlins run with the settings below; its JSON
# and log land in $MUTATE_OUT/<name>.json and .log, its wall time in
# .seconds (<name>: internal/session → session). infra/mutate/mutreport
# turns them into the table.
#
# Settings (environment): GREMLINS (the pinned binary; make installs it),
# MUTATE_OUT (.local/mutate), MUTATE_BASE (a git ref: the base for short),
# GREMLINS_FLAGS (more flags for every run), VENV (.venv), GO (go),
# MUTATE_SHIM (1; 0: gremlins without infra/mutate/shim, see below).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
GREMLINS=${GREMLINS:?GREMLINS must name the gremlins binary (make mutate installs it)}
OUT=${MUTATE_OUT:-.local/mutate}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
VENV=${VENV:-$ROOT/.venv}
GO=${GO:-go}

log() { printf 'mutate: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --workers 1: with two workers on these 2 cores the two test runs (and
#   whatever else runs) share the cores, and a slow run is reported TIMED
#   OUT instead of KILLED or LIVED.
# --timeout-coefficient 10: a mutant's test run may take 10 times as long as
#   the coverage run (gremlins' default, 3, leaves too little room for
#   compiling the mutated package and its dependants on a busy machine),
#   and the shim below makes the coverage run last at least 5 s, so that
#   no mutant gets less than 50 s. Under nice -n 10 beside other engineers'
#   builds (nice 0) a run gets a small share of the CPU, and 10 × 1 s was
#   seen to be too short for a mutant that the tests kill in 4 s.
# --exclude-files /: paths are relative to the package directory, so this
#   leaves out every file in a subdirectory (sessiontest/, a test suite;
#   testdata/): each package is mutated in its own files only. gremlins
#   never mutates _test.go files; no package here has generated code.
GREMLINS_ARGS=(--workers 1 --timeout-coefficient 10 --exclude-files / ${GREMLINS_FLAGS:-})

# gremlins sets each mutant's timeout from the time its coverage run took;
# a cached run ("ok (cached)") takes well under a second, and then nearly
# every mutant times out. -count=1 makes the coverage run run the tests.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"

TMP=$(mktemp -d)
moto_pid=
cleanup() {
  if [ -n "$moto_pid" ]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what gremlins gets wrong on its own -----------------------------------------
#
# infra/mutate/shim/go, first on PATH, runs the real go and corrects two
# things (the shim says how):
# - gremlins calls a mutant NOT COVERED when no executed block of the
#   coverage profile holds it, and Go's cover tool puts case expressions and
#   package-level values in no block at all: every mutant there would be NOT
#   COVERED however well it is tested. infra/mutate/covfix adds the ones the
#   tests provably ran to the profile (its doc comment says how it knows).
# - gremlins swaps tokens without type-checking, and `go test` exits 1 when
#   the mutated code does not compile (`"a" + s` made `"a" - s`): gremlins
#   would count that as KILLED. The shim makes it exit 2: NOT VIABLE.
# MUTATE_SHIM=0 leaves the shim out (gremlins as it is).
if [ "${MUTATE_SHIM:-1}" != 0 ]; then
  MUTATE_REAL_GO=$(command -v "$GO") || die "no $GO on PATH"
  "$GO" build -o "$TMP/covfix" ./infra/mutate/covfix
  export MUTATE_REAL_GO MUTATE_COVFIX=$TMP/covfix PATH=$ROOT/infra/mutate/shim:$PATH
fi

# ---- the DynamoDB emulator -----------------------------------------------------
#
# gremlins runs each mutant's tests in a copy of the module in a temporary
# directory. It copies regular files only: the copy has no .venv when .venv
# is a symlink, and one without python when it is a directory, so
# internal/dynamotest would skip every DynamoDB test (or fail them all with
# CI set) and each mutant they guard would be LIVED (or KILLED) for nothing.
# So moto is started here, once, from the project's .venv, and its endpoint
# goes to every test run in DYNAMODB_TEST_ENDPOINT, which internal/dynamotest
# then uses instead of starting its own: a test that cannot reach it fails,
# none skips. It is checked after each package; a package's results from a
# run during which it stopped answering are thrown away.

needs_dynamodb() { grep -qs 'internal/dynamotest"' "$1"/*_test.go; }

start_moto() {
  [ -n "$moto_pid" ] && return 0
  [ -x "$VENV/bin/moto_server" ] || die "no moto in $VENV: run make venv (infra/requirements.txt pins it)"
  local port
  port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$VENV/bin/python" infra/dynamodb/moto_serial.py -H 127.0.0.1 -p "$port" >"$OUT/moto.log" 2>&1 &
  moto_pid=$!
  export DYNAMODB_TEST_ENDPOINT=http://127.0.0.1:$port
  for _ in $(seq 300); do
    kill -0 "$moto_pid" 2>/dev/null || die "moto exited at start (log: $OUT/moto.log)"
    if curl -fs -o /dev/null "$DYNAMODB_TEST_ENDPOINT/moto-api/"; then
      log "moto (pid $moto_pid) on $DYNAMODB_TEST_ENDPOINT for the DynamoDB tests"
      return 0
    fi
    sleep 0.1
  done
  die "moto did not answer on $DYNAMODB_TEST_ENDPOINT within 30 s (log: $OUT/moto.log)"
}

moto_ok() {
  [ -z "$moto_pid" ] || { kill -0 "$moto_pid" 2>/dev/null && curl -fs -o /dev/null "$DYNAMODB_TEST_ENDPOINT/moto-api/"; }
}

# ---- one package -------------------------------------------------------------------

# run PKG [gremlins flags...]: gremlins on PKG (a directory under the root).
# gremlins runs in the package's directory (where --diff reads git diff) and
# gets its absolute path (it finds the module root by walking up the path it
# is given, and "." has no parent).
run() {
  local pkg=$1 name began status=0
  shift
  name=${pkg#internal/}
  name=${name//\//-}
  [ -d "$pkg" ] || die "no package directory $pkg"
  if needs_dynamodb "$pkg"; then start_moto; fi
  rm -f "$OUT/$name.json" "$OUT/$name.seconds"
  log "$pkg: gremlins unleash ${GREMLINS_ARGS[*]} $* (log: $OUT/$name.log)"
  began=$(date +%s)
  (cd "$pkg" && nice -n 10 "$GREMLINS" unleash "${GREMLINS_ARGS[@]}" "$@" --output "$OUT/$name.json" "$ROOT/$pkg") \
    >"$OUT/$name.log" 2>&1 || status=$?
  echo $(($(date +%s) - began)) >"$OUT/$name.seconds"
  if ! moto_ok; then
    rm -f "$OUT/$name.json"
    die "moto stopped answering during $pkg, so its failed connections would count as killed mutants: results removed (log: $OUT/moto.log)"
  fi
  if [ "$status" -ne 0 ] || [ ! -s "$OUT/$name.json" ]; then
    tail -n 20 "$OUT/$name.log" >&2
    die "gremlins failed on $pkg (status $status; log: $OUT/$name.log)"
  fi
  log "$pkg: $(grep -E '^(Killed|Timed out|Test efficacy|Mutator coverage)' "$OUT/$name.log" | tr '\n' ' ')($(cat "$OUT/$name.seconds") s)"
}

# ---- short mode: which change ------------------------------------------------------

# base_ref prints the commit the change starts from: MUTATE_BASE if set;
# else where HEAD left main (origin/main, else main); when that is HEAD
# itself (a fresh clone of main, as in CI, or main checked out), the change
# is the last commit: HEAD's first parent, which for a merge is the main
# line before the merge, so the change is everything the merge brought.
base_ref() {
  if [ -n "${MUTATE_BASE:-}" ]; then
    git rev-parse -q --verify "$MUTATE_BASE^{commit}" || die "MUTATE_BASE=$MUTATE_BASE is not a commit"
    return
  fi
  local ref mb head
  head=$(git rev-parse HEAD)
  for ref in origin/main main; do
    if mb=$(git merge-base HEAD "$ref" 2>/dev/null) && [ "$mb" != "$head" ]; then
      echo "$mb"
      return
    fi
  done
  git rev-parse -q --verify 'HEAD^1' || die "no base to compare with (HEAD has no parent): set MUTATE_BASE"
}

# changed_packages BASE PKG...: those of PKG... with a changed or new non-test
# .go file of their own (not in a subdirectory), from BASE to the work tree.
changed_packages() {
  local base=$1 pkg files
  shift
  files=$({ git diff --name-only --diff-filter=d --merge-base "$base" -- '*.go'; git ls-files --others --exclude-standard -- '*.go'; } |
    grep -v '_test\.go$' || true)
  for pkg in "$@"; do
    if grep -Eq "^${pkg%/}/[^/]+\.go$" <<<"$files"; then echo "$pkg"; fi
  done
}

mode=${1:-}
[ $# -gt 1 ] || die "usage: mutate.sh full|short PKG..."
shift
case "$mode" in
full)
  for pkg in "$@"; do run "$pkg"; done
  ;;
short)
  base=$(base_ref)
  log "the change: $(git rev-parse --short "$base") ($(git log -1 --format=%s "$base" | cut -c1-70)) to the work tree"
  rm -f "$OUT"/*.json "$OUT"/*.seconds
  mapfile -t pkgs < <(changed_packages "$base" "$@")
  if [ ${#pkgs[@]} -eq 0 ]; then
    log "the change touches no non-test Go file of $*: no mutant to run"
    exit 0
  fi
  # gremlins reads `git diff --merge-base BASE` where it runs and matches its
  # paths with files named relative to the package: run in the package
  # directory with diff.relative set, the two agree. (An empty diff would
  # mean every line to gremlins; changed_packages leaves such packages out.)
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=diff.relative GIT_CONFIG_VALUE_0=true
  for pkg in "${pkgs[@]}"; do run "$pkg" --diff "$base"; done
  ;;
*) die "usage: mutate.sh full|short PKG..." ;;
esac
