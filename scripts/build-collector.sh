#!/usr/bin/env bash
# Builds the slim collector distribution from collector-config/builder-config.yaml
# with the collector builder (ocb), once: the binary is cached under
# .cache/otelcol/<sha256 of the manifest>/. Prints the binary's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/go.sh
manifest=collector-config/builder-config.yaml
version=$(sed -n 's/^  version: *//p' "$manifest")
hash=$(sha256sum "$manifest" | cut -c1-16)
out=".cache/otelcol/$hash"
bin="$out/otelcol-batchtel"
if [ ! -x "$bin" ]; then
  batchtel_require_go "the collector $version"
  gobin="$(go env GOPATH)/bin"
  builder="$gobin/builder-v$version"
  if [ ! -x "$builder" ]; then
    echo "batchtel: installing the collector builder v$version" >&2
    tmp=$(mktemp -d)
    GOBIN="$tmp" go install "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
    mkdir -p "$gobin"
    mv "$tmp/builder" "$builder"
    rm -rf "$tmp"
  fi
  echo "batchtel: building the collector distribution (first run only; a few minutes)" >&2
  start=$(date +%s)
  work=$(mktemp -d)
  sed "s#output_path: .*#output_path: $work#" "$manifest" > "$work.yaml"
  GOFLAGS="-trimpath" "$builder" --config="$work.yaml" --ldflags="-s -w" >&2
  mkdir -p "$out"
  mv "$work/otelcol-batchtel" "$bin"
  rm -rf "$work" "$work.yaml"
  echo "batchtel: collector built in $(batchtel_elapsed "$start")" >&2
fi
echo "$(pwd)/$bin"
