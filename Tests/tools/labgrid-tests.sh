#!/usr/bin/env bash
# The labgrid package's own tests (contrib/labgrid): a private venv with labgrid and ruff from
# PyPI at pinned versions (created on first use, like scripts/rdl2ipxact's), the package
# installed into it, ruff over its Python, then its pytest tests. --bed also runs the ones
# that boot the QEMU test bed (through the guest's console, and through a labgrid coordinator
# and exporter on 127.0.0.1 with a contended place); each is bounded by its timeouts.
#   Tests/tools/labgrid-tests.sh [--bed]      BARLUA_LABGRID_VENV=DIR (default ~/.cache/barlua/labgrid-venv)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pins=(labgrid==26.0.1 ruff==0.17.5)
venv=${BARLUA_LABGRID_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/barlua/labgrid-venv}
stamp=$venv/.barlua-pins
if [[ ! -x $venv/bin/pytest ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "${pins[*]}" ]]; then
  echo "labgrid-tests: installing ${pins[*]} into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >&2
  echo "${pins[*]}" >"$stamp"
fi
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e "$repo/contrib/labgrid" >&2
"$venv/bin/ruff" check "$repo/contrib/labgrid"
[[ ${1:-} == --bed ]] && export BARLUA_LABGRID_BED=1
cd "$repo"
exec timeout 1500 "$venv/bin/pytest" -p no:cacheprovider -rs contrib/labgrid/tests
