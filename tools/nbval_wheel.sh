#!/usr/bin/env bash
# Strict nbval, run the way a reader runs a chapter outside this repository:
# build the dlbook wheel, install it into a fresh virtual environment that sees the pinned
# dependencies but not the checkout, copy each chapter notebook into an empty directory,
# and re-execute it there, comparing every output with the committed one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python -m build --wheel --no-isolation --outdir "$work/dist" "$root" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
python -m venv "$work/venv"
# The fresh environment reuses the installed dependencies through a plain path line. A path
# line does not run the .pth files of that directory, so the editable install of the
# checkout stays invisible: dlbook can only come from the wheel.
deps=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$deps" > "$site/_dlbook_test_deps.pth"
"$work/venv/bin/python" -m pip install --quiet --no-deps --no-index "$work"/dist/dlbook-*.whl

mkdir "$work/nb"
cp "$root"/chapters/*.ipynb "$work/nb/"
cd "$work/nb"
"$work/venv/bin/python" - <<'PY'
import pathlib, sys
import dlbook, dlbook.data
where = pathlib.Path(dlbook.__file__).resolve()
assert pathlib.Path(sys.prefix).resolve() in where.parents, f"dlbook imported from {where}, not the wheel"
print(f"dlbook {dlbook.__version__} from the wheel; data files: {', '.join(dlbook.data.available())}")
PY
"$work/venv/bin/python" -m pytest --nbval --nbval-current-env -p no:cacheprovider \
  --nbval-sanitize-with "$root/tools/nbval_sanitize.cfg" --nbval-cell-timeout 600 \
  -q --rootdir "$work/nb" ./*.ipynb
