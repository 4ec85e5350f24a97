#!/usr/bin/env bash
# The mutation run (docs/testing.md, "Mutation testing"). It refuses to run as root: the
# mutants of src/lab are the suite's teardown and clean-up code with their guards broken,
# and the unit tests then run them for real. A teardown whose "outside the state root"
# check is mutated away removes whatever path its test names; a process filter mutated to
# "every process" signals every process. As root that reaches the whole machine; as an
# unprivileged user the kernel refuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
  echo "test:mutation: refusing to run as root: mutated clean-up code runs for real and could remove or signal anything (docs/testing.md); run it as an unprivileged user that owns this checkout" >&2
  exit 2
fi
exec npx stryker run "$@"
