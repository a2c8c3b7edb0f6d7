#!/bin/sh
# Starts the local runner with a bounded heap. Without a bound the JVM lets garbage grow to a quarter of
# the machine's memory before it collects. Arguments are passed on (run, check, help).
#   RELAY_HEAP       the heap bound (default 256m)
#   RELAY_JAR        the runner's jar (default: local/target/userpilot-relay-local.jar next to this script)
#   RELAY_JAVA_OPTS  more JVM options
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jar=${RELAY_JAR:-$here/target/userpilot-relay-local.jar}
if [ ! -f "$jar" ]; then
  echo "relay.sh: $jar is missing; build it first: ./mvnw -B -ntp package -DskipTests" >&2
  exit 2
fi
# ExitOnOutOfMemoryError: a runner out of memory stops instead of limping on; everything answered 200
# is in DATA_DIR and is delivered after the next start.
# shellcheck disable=SC2086
exec "${JAVA:-java}" -Xmx"${RELAY_HEAP:-256m}" -XX:+ExitOnOutOfMemoryError ${RELAY_JAVA_OPTS:-} -jar "$jar" "$@"
