#!/bin/sh
# Print the path of a Python that medcost supports (3.11.5+ or 3.12, as pyproject.toml's
# requires-python says), or explain in one line on stderr why there is none and exit 1.
# `make setup` uses it; PYTHON=/path/to/python (environment) is checked instead of searched.
set -u
LOW="3.11.5"
usable() { "$1" -c 'import sys; sys.exit(0 if (3, 11, 5) <= sys.version_info[:3] < (3, 13) else 1)' >/dev/null 2>&1; }
version() { "$1" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "not runnable"; }

if [ -n "${PYTHON:-}" ]; then
    if usable "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
    if command -v "$PYTHON" >/dev/null 2>&1; then seen="$(version "$PYTHON")"; else seen="not found"; fi
    echo "error: setup: PYTHON=$PYTHON is $seen; medcost needs Python $LOW+ or 3.12" >&2
    exit 1
fi
found=""
seen=" "
for name in python3.11 python3.12 python3; do
    for path in $(which -a "$name" 2>/dev/null); do
        real="$(readlink -f "$path")"
        case "$seen" in *" $real "*) continue ;; esac  # /bin and /usr/bin are often one folder
        seen="$seen$real "
        if usable "$path"; then echo "$path"; exit 0; fi
        found="$found${found:+, }$path $(version "$path")"
    done
done
echo "error: setup: no Python $LOW+ or 3.12 found (${found:-no python3.11, python3.12 or python3 on PATH}); install one or run make setup PYTHON=/path/to/python3.12" >&2
exit 1
