#!/usr/bin/env bash
# Builds what the benchmarks need and runs every scenario; prints a table and writes
# bench/results/latest.json. Usage: bench/run.sh [--quick] [--no-build] [--only=a,b,...]
# (scenarios: artifacts ingest dispatch ratelimit cold memory jmh). See README.md, "Performance".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=1
args=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) args+=("$arg") ;;
  esac
done

command -v java >/dev/null 2>&1 || { echo "bench: no java on PATH (JDK 17 or newer needed)" >&2; exit 2; }
echo "bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//'), $(java -version 2>&1 | head -n1)"
echo "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) cores; anything near 1 or more means another workload is running)"

started=$(date +%s)
if [ "$build" = 1 ]; then
  # The function zips, the bench module and, once it is merged, the local runner's jar. Tests are the
  # CI's job; nothing is installed into ~/.m2.
  modules=bench
  if grep -q '<module>local</module>' pom.xml; then
    modules=bench,local
  fi
  echo "bench: building $modules and what they need (./mvnw -pl $modules -am package -DskipTests) ..."
  log=$(mktemp)
  if ! ./mvnw -B -ntp -q -pl "$modules" -am package -DskipTests >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "bench: the build failed" >&2
    exit 1
  fi
  rm -f "$log"
fi
built=$(date +%s)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null | grep -v 'bench/results/latest.json' || true)" ]; then
  commit="$commit+dirty"
fi

# Bounded: the scenarios stop themselves; this is the backstop.
status=0
timeout --signal=TERM --kill-after=30 900 \
  java -Xms256m -Xmx2g -cp "bench/target/classes:bench/target/lib/*" com.userpilotrelay.bench.Bench \
  --repo="$root" --commit="$commit" ${args[@]+"${args[@]}"} || status=$?
finished=$(date +%s)
echo "bench: build $((built - started)) s, scenarios $((finished - built)) s, total $((finished - started)) s"
exit "$status"
