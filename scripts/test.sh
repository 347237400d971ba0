#!/usr/bin/env bash
# Runs every callrec test: installs missing peers (sipp, kamailio...),
# vets, then runs the unit, end-to-end and interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
bash scripts/deps.sh

unformatted=$(gofmt -l cmd internal test 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
# -artifacts keeps what tests save with t.ArtifactDir (the web UI test's
# screenshots) under test-artifacts/, for CI to collect.
mkdir -p test-artifacts
go test -count=1 -timeout 20m -artifacts -outputdir "$PWD/test-artifacts" ./...
# The concurrent packages once more under the race detector.
go test -count=1 -race -timeout 10m ./internal/media/ ./internal/rtpp/ ./internal/app/ ./internal/proxy/ \
	./internal/catalog/ ./internal/ship/ ./internal/collect/ ./internal/api/ ./internal/record/ ./internal/asr/
