# Sourced by the other scripts: make sure .venv exists and holds Parley (editable) with the
# given extras, then put .venv/bin first on PATH. Reinstalls only when pyproject.toml changed.
#   ensure_venv            # Parley alone
#   ensure_venv test       # Parley and the test tools

ensure_venv() {
  local extras="${1:-}" python="${PYTHON:-python3}" spec="." stamp
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Parley needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
    echo "Set PYTHON=/path/to/python3.11 and run this again." >&2
    return 1
  fi
  if ! .venv/bin/python -c '' 2>/dev/null; then
    echo "==> creating .venv with $("$python" --version 2>&1)"
    "$python" -m venv --clear .venv
  fi
  if [ -n "$extras" ]; then spec=".[$extras]"; fi
  stamp=".venv/.parley-installed-${extras:-base}"
  if [ ! -f "$stamp" ] || ! cmp -s pyproject.toml "$stamp" || [ ! -x .venv/bin/parley ]; then
    echo "==> pip install -e \"$spec\""
    .venv/bin/python -m pip install -qq -e "$spec"
    cp pyproject.toml "$stamp"
  fi
  export VIRTUAL_ENV="$PWD/.venv"
  export PATH="$VIRTUAL_ENV/bin:$PATH"
}
