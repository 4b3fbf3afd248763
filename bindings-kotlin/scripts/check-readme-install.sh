#!/usr/bin/env bash
# The README's install lines are the ones `make test-kotlin` exercises: it names
# `make kotlin-install`, and its <dependency> block (the first ```xml block) is, whitespace
# aside, the one examples/jvm-consumer/pom.xml builds against.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
README="$HERE/README.md"
POM="$HERE/../examples/jvm-consumer/pom.xml"

grep -qF 'make kotlin-install' "$README" || { echo "check-readme-install: README lacks 'make kotlin-install'" >&2; exit 1; }
block="$(awk '/^```xml$/ { inside = 1; next } /^```$/ && inside { exit } inside' "$README" | tr -d ' \t\n')"
[[ "$block" == "<dependency>"*"<artifactId>refold-session</artifactId>"*"</dependency>" ]] ||
  { echo "check-readme-install: no <dependency> block for refold-session in the README" >&2; exit 1; }
tr -d ' \t\n' <"$POM" | grep -qF "$block" ||
  { echo "check-readme-install: the README's <dependency> block is not the one in $POM" >&2; exit 1; }
echo "check-readme-install: README install lines match examples/jvm-consumer"
