# Sourced by the build scripts: checks the Go prerequisite once. The modules
# built here (collector, Prometheus, Alertmanager) require a newer Go than
# most distributions ship; any Go from 1.21 on can fetch the toolchain a
# module asks for through the module proxy (GOTOOLCHAIN=auto), so 1.21 is the
# minimum to have installed.
batchtel_require_go() {
  local what=$1
  if ! command -v go >/dev/null 2>&1; then
    echo "batchtel: Go 1.21 or newer is needed to build $what (https://go.dev/dl/, or a distribution package of 1.21 or newer); none is installed" >&2
    exit 1
  fi
  local v
  v=$(go env GOVERSION 2>/dev/null || true)
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%[.a-z]*}
  if ! [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 21 ]; }; then
    echo "batchtel: Go 1.21 or newer is needed to build $what; found '${v:-unknown}' (an older Go cannot fetch newer toolchains)" >&2
    exit 1
  fi
  # A distribution's Go may set GOTOOLCHAIN=local; auto lets it download the
  # toolchain a module's go line requires (a no-op when the installed Go is new enough).
  export GOTOOLCHAIN=auto
}

# Prints "<seconds> s" since $1 (epoch seconds).
batchtel_elapsed() { echo "$(( $(date +%s) - $1 )) s"; }
