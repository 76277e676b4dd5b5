#!/usr/bin/env bash
# `make test`: each stage in turn, timed; stops at the first failure with a clear message.
set -uo pipefail
cd "$(dirname "$0")/.."

summary=()
stage() {
  local name=$1; shift
  echo
  echo "==> $name: $*"
  local t0=$SECONDS
  if "$@"; then
    summary+=("$(printf '%-32s %5d s' "$name" $((SECONDS - t0)))")
    echo "--> $name passed in $((SECONDS - t0)) s"
  else
    echo
    echo "FAILED: $name (after $((SECONDS - t0)) s). Command: $*" >&2
    echo "Fix this stage and run 'make test' again; the stages after it did not run." >&2
    exit 1
  fi
}

start=$SECONDS
stage "ruff (lint and format check)" bash -c 'ruff check code chapters && ruff format --check code'
stage "unit tests (code/tests)" python -m pytest -q code/tests
stage "strict nbval on the wheel" bash tools/nbval_wheel.sh
stage "book build (forced execution)" jupyter-book build . --all -W -n --keep-going

echo
echo "All stages passed:"
printf '  %s\n' "${summary[@]}"
echo "  total                            $((SECONDS - start)) s"
