#!/usr/bin/env bash
# Runs every callrec test: installs missing peers (sipp, kamailio...),
# vets, then runs the unit, end-to-end and interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

unformatted=$(gofmt -l cmd internal test 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -count=1 -timeout 20m ./...
