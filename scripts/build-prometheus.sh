#!/usr/bin/env bash
# Builds Prometheus and promtool (module github.com/prometheus/prometheus) and
# Alertmanager (github.com/prometheus/alertmanager) at the releases .env pins
# for docker-compose.yml, so the tests run what compose runs. Cached by
# version under .cache/prometheus/<version>/ and .cache/alertmanager/<version>/.
# Prints two lines last: the Prometheus directory (prometheus, promtool) and
# the Alertmanager binary. Prometheus is built with `remove_all_sd`, its own
# build tag for leaving out the cloud service-discovery plugins (Kubernetes,
# AWS, Azure, GCE, ...): about half of its code and build time, and nothing
# compose's prometheus.yml uses (static targets; the tests add file_sd, which
# stays); PromQL, the TSDB and the receivers are the release's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/go.sh

# Image tag vX.Y.Z of prom/prometheus is Go module version v0.XYY.Z (3.14.0 = v0.314.0).
pin() { sed -n "s/^$1=.*:v//p" .env; }
prom_version=$(pin PROMETHEUS_IMAGE)
am_version=$(pin ALERTMANAGER_IMAGE)
[ -n "$prom_version" ] && [ -n "$am_version" ] || { echo "batchtel: PROMETHEUS_IMAGE or ALERTMANAGER_IMAGE missing from .env" >&2; exit 1; }
IFS=. read -r p_major p_minor p_patch <<<"$prom_version"
prom_module_version=$(printf 'v0.%d%02d.%d' "$p_major" "$p_minor" "$p_patch")

# build <cache dir> <module> <module version> <display version> <command packages...>
# ($tags: Go build tags for it)
# A wrapper module requires the release and repeats its replace directives:
# `go install pkg@version` refuses modules that have any.
build() {
  local out=$1 module=$2 modversion=$3 version=$4; shift 4
  local start work gomod
  start=$(date +%s)
  batchtel_require_go "$module $version"
  work=$(mktemp -d)
  (
    cd "$work"
    go mod init batchtel.local/build >/dev/null 2>&1
    gomod=$(go mod download -json "$module@$modversion" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    [ -n "$gomod" ] || { echo "batchtel: the module proxy does not serve $module@$modversion" >&2; exit 1; }
    # The release's go line, so GOTOOLCHAIN=auto fetches a new enough Go.
    go mod edit -go="$(sed -n 's/^go //p' "$gomod")" -require="$module@$modversion"
    # replace lines: "old [v] => new v" (local-path replaces cannot apply outside the repository).
    sed -n '/^replace (/,/^)/{/^replace (/d;/^)/d;p};s/^replace //p' "$gomod" \
      | awk '$2 == "=>" && NF == 4 { print $1 "=" $3 "@" $4 } $3 == "=>" && NF == 5 { print $1 "@" $2 "=" $4 "@" $5 }' \
      | while read -r r; do go mod edit -replace="$r"; done
    { echo '//go:build tools'; echo 'package tools'; echo 'import ('
      for pkg in "$@"; do echo "  _ \"$module/$pkg\""; done; echo ')'; } > tools.go
    if [ "$module" = github.com/prometheus/alertmanager ]; then without_ui_assets "$module" "$modversion"; fi
    go mod tidy >&2
    for pkg in "$@"; do
      CGO_ENABLED=0 go build -trimpath ${tags:+-tags "$tags"} -o "$work/bin/$(basename "$pkg")" -ldflags="-s -w \
        -X github.com/prometheus/common/version.Version=$version \
        -X github.com/prometheus/common/version.Revision=$modversion \
        -X github.com/prometheus/common/version.Branch=release \
        -X github.com/prometheus/common/version.BuildUser=batchtel" "$module/$pkg" >&2
    done
  )
  mkdir -p "$(dirname "$out")"
  rm -rf "$out.tmp" && mv "$work/bin" "$out.tmp" && mv "$out.tmp" "$out"
  rm -rf "$work"
  echo "batchtel: built $(basename "$module") $version in $(batchtel_elapsed "$start")" >&2
}

# Alertmanager embeds its web UI's built assets (ui/app/dist), which its Go
# module does not ship (they are built with npm and Elm in its release process).
# The build uses a copy of the release's source with a placeholder page there:
# the same server and API (what the tests use), without the web UI.
without_ui_assets() {
  local module=$1 modversion=$2 src
  src=$(go mod download -json "$module@$modversion" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp -r "$src" am-src && chmod -R u+w am-src
  for ui in elm mantine; do
    mkdir -p "am-src/ui/app/dist/$ui"
    echo '<!doctype html><title>Alertmanager</title><p>This build has no web UI (its assets are not part of the Go module); the API is at /api/v2/.' > "am-src/ui/app/dist/$ui/index.html"
  done
  go mod edit -replace="$module=./am-src"
}

prom_dir=".cache/prometheus/$prom_version"
am_dir=".cache/alertmanager/$am_version"
if [ ! -x "$prom_dir/prometheus" ] || [ ! -x "$prom_dir/promtool" ]; then
  echo "batchtel: building Prometheus $prom_version and promtool (first run only; several minutes)" >&2
  tags=remove_all_sd build "$prom_dir" github.com/prometheus/prometheus "$prom_module_version" "$prom_version" cmd/prometheus cmd/promtool
fi
if [ ! -x "$am_dir/alertmanager" ]; then
  echo "batchtel: building Alertmanager $am_version (first run only; a few minutes)" >&2
  build "$am_dir" github.com/prometheus/alertmanager "v$am_version" "$am_version" cmd/alertmanager
fi
echo "$(pwd)/$prom_dir"
echo "$(pwd)/$am_dir/alertmanager"
