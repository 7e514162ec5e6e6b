#!/usr/bin/env bash
# Build the standalone `shoal` executable.
#   ./compile.sh                      host binary at dist/shoal (bun build --compile)
#   ./compile.sh --target linux-arm64 cross-compile (linux-x64, linux-arm64, darwin-x64,
#                                     darwin-arm64, windows-x64); repeatable, or "all"
#   ./compile.sh --runtime deno       deno compile; needs a denort runtime (DENORT_BIN or
#                                     network access to the Deno CDN)
set -euo pipefail
cd "$(dirname "$0")"

runtime=bun
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || { echo "error: --target needs a value" >&2; exit 2; }
      targets+=("$2"); shift 2 ;;
    --target=*) targets+=("${1#--target=}"); shift ;;
    --runtime) [ $# -ge 2 ] || { echo "error: --runtime needs a value" >&2; exit 2; }
      runtime="$2"; shift 2 ;;
    --runtime=*) runtime="${1#--runtime=}"; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument \"$1\"" >&2
       echo "hint: run \"./compile.sh --help\" for usage" >&2; exit 2 ;;
  esac
done

bin=node_modules/.bin
[ -x "$bin/$runtime" ] || {
  echo "error: $bin/$runtime is missing: run \"npm ci\" first" >&2; exit 1; }
mkdir -p dist

all=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 windows-x64)
if [ "${#targets[@]}" -eq 1 ] && [ "${targets[0]}" = all ]; then targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  case " ${all[*]} " in *" $t "*) ;; *)
    echo "error: unknown target \"$t\": choose one of ${all[*]} or all" >&2; exit 2 ;;
  esac
done

report() { printf '%s\t%s\n' "$1" "$(du -h "$1" | cut -f1)"; }

deno_target() {
  case "$1" in
    linux-x64) echo x86_64-unknown-linux-gnu ;; linux-arm64) echo aarch64-unknown-linux-gnu ;;
    darwin-x64) echo x86_64-apple-darwin ;; darwin-arm64) echo aarch64-apple-darwin ;;
    windows-x64) echo x86_64-pc-windows-msvc ;;
  esac
}

case "$runtime" in
  bun)
    if [ "${#targets[@]}" -eq 0 ]; then
      "$bin/bun" build --compile --minify --bytecode --format=esm --sourcemap=none src/main.ts --outfile dist/shoal >/dev/null
      report dist/shoal
    fi
    for t in "${targets[@]}"; do
      out="dist/shoal-$t"; [ "$t" = windows-x64 ] && out="$out.exe"
      "$bin/bun" build --compile --minify --bytecode --format=esm --target="bun-$t" src/main.ts --outfile "$out" >/dev/null
      report "$out"
    done ;;
  deno)
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    build() { # $1 = output, $2 = optional rust target triple
      local args=(compile -A --no-check --quiet --output "$1")
      [ -n "${2:-}" ] && args+=(--target "$2")
      if ! "$bin/deno" "${args[@]}" src/main.ts >"$log" 2>&1; then
        echo "error: deno compile failed: it needs a denort runtime binary" >&2
        echo "hint: set DENORT_BIN to a denort binary of deno $("$bin/deno" --version | head -1 | cut -d' ' -f2), or build online, or use the default bun build" >&2
        sed 's/^/  /' "$log" | tail -5 >&2
        exit 1
      fi
      report "$1"
    }
    if [ "${#targets[@]}" -eq 0 ]; then build dist/shoal-deno; fi
    for t in "${targets[@]}"; do
      out="dist/shoal-deno-$t"; [ "$t" = windows-x64 ] && out="$out.exe"
      build "$out" "$(deno_target "$t")"
    done ;;
  *) echo "error: unknown runtime \"$runtime\": choose bun or deno" >&2; exit 2 ;;
esac
