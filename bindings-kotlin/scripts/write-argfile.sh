#!/usr/bin/env bash
# Maven's process-test-classes step (see pom.xml): writes a java argument file holding the
# test classpath (this project's classes and test classes, which carry the native library, and
# every dependency jar in ~/.m2), so that a plain command runs a test main class, e.g. the
# fleet worker (conformance/fleet/README.md):
#   java @bindings-kotlin/target/fleet-worker.argfile ai.refold.session.FleetWorker
# Usage: write-argfile.sh OUT CLASSPATH (exec-maven-plugin's <classpath/>).
set -euo pipefail
out="$1"
classpath="$2"
# Java argument files: a quoted argument may hold spaces; backslashes and quotes are escaped.
classpath="${classpath//\\/\\\\}"
classpath="${classpath//\"/\\\"}"
printf -- '-classpath "%s"\n' "$classpath" >"$out.tmp"
mv -f "$out.tmp" "$out"
