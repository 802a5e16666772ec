#!/usr/bin/env sh
# Starts ChatRouter's server jar with a class-data sharing archive (AppCDS), which shortens the start and makes
# the first seconds faster: the classes the server loads, and the lambda classes it spins, are mapped from the
# archive instead of being loaded, verified and generated again.
#
# The first run (or the first after the jar changed) writes the archive when the server stops (it takes a few
# seconds then); every later run maps it. The server's warm-up runs the request path before the port opens, so
# even a short first run leaves an archive of the classes requests need. Without an archive, or with one the JVM
# cannot use, the server starts as plain `java -jar` would.
#
# Usage: scripts/chatrouter-server.sh [--config FILE] [--host H] [--port N]   (the jar's own options)
# Env:   CHATROUTER_JAR  the jar (default: router-vertx-http/target/chatrouter-server.jar of this checkout)
#        CHATROUTER_CDS  the archive (default: the jar's path with .jsa instead of .jar)
#        JAVA_OPTS       more JVM options, such as -Xmx512m
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${CHATROUTER_JAR:-$root/router-vertx-http/target/chatrouter-server.jar}
archive=${CHATROUTER_CDS:-${jar%.jar}.jsa}
if [ ! -f "$jar" ]; then
  echo "no $jar: build it first (cd $root && mvn -B -ntp -DskipTests package)" >&2
  exit 2
fi
if [ -f "$archive" ] && [ ! "$jar" -nt "$archive" ]; then
  cds="-XX:SharedArchiveFile=$archive"
else
  rm -f "$archive"
  cds="-XX:ArchiveClassesAtExit=$archive"   # written when this run stops
fi
# -Xlog:cds=off,cds+dynamic=off: the archive's own warnings (classes it cannot hold) are not the server's log
# shellcheck disable=SC2086
exec java $cds -Xlog:cds=off -Xlog:cds+dynamic=off ${JAVA_OPTS:-} -jar "$jar" "$@"
