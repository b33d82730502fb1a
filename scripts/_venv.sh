# Sourced by scripts/test and scripts/demo: make .venv exist and hold lendsim (with the given extras).
# Reinstalls only when pyproject.toml changed since the last install, so repeated runs start fast.
ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "lendsim needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
        exit 2
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv ..." >&2
        "$python" -m venv .venv
    fi
    local stamp=".venv/.lendsim-installed${extras:+-$extras}"
    local wanted
    wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "Installing lendsim${extras:+[$extras]} into .venv ..." >&2
        .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
        .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}" 2>&1 | grep -v "^WARNING: Location" >&2 || true
        .venv/bin/python -c "import simulator" || { echo "installation failed" >&2; exit 2; }
        echo "$wanted" > "$stamp"
    fi
}
