#!/usr/bin/env bash
# Checks the CI examples in contrib/ against their schemas with check-jsonschema (PyPI, pinned,
# in a private venv created on first use): the GitLab CI job against GitLab's own CI schema
# (check-jsonschema's vendored copy, vendor.gitlab-ci), the LAVA test definition against
# Tests/tools/lava-testdef.schema.json (LAVA's testdef.py restated). The Jenkinsfile has no
# offline checker (Jenkins' declarative linter needs a Jenkins controller): the tests run its
# shell step instead.
#   Tests/tools/ci-lint.sh [GITLAB_CI_YML LAVA_TESTDEF_YAML]   (default: the files in contrib/)
#   Tests/tools/ci-lint.sh --gitlab-script | --lava-steps      print the job's script lines /
#                                                              the definition's run steps
#   BARLUA_CI_LINT_VENV=DIR   the venv (default ~/.cache/barlua/ci-lint-venv)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pins=(check-jsonschema==0.39.0)
venv=${BARLUA_CI_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/barlua/ci-lint-venv}
stamp=$venv/.barlua-pins
if [[ ! -x $venv/bin/check-jsonschema ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "${pins[*]}" ]]; then
  echo "ci-lint: installing ${pins[*]} into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >&2
  echo "${pins[*]}" >"$stamp"
fi
# The YAML reader check-jsonschema itself uses (ruamel.yaml), for the commands of the examples.
lines() { # FILE PYTHON-EXPRESSION-ON-doc
  "$venv/bin/python" - "$1" "$2" <<'PY'
import sys
from ruamel.yaml import YAML
doc = YAML(typ="safe").load(open(sys.argv[1]))
for line in eval(sys.argv[2], {"doc": doc}):
    print(line)
PY
}
case ${1:-} in
--gitlab-script) lines "$repo/contrib/ci/gitlab-ci.yml" 'doc["barlua-device-tests"]["script"]'; exit ;;
--lava-steps) lines "$repo/contrib/lava/barlua-device-tests.yaml" 'doc["run"]["steps"]'; exit ;;
esac
gitlab=$(realpath "${1:-$repo/contrib/ci/gitlab-ci.yml}")
lava=$(realpath "${2:-$repo/contrib/lava/barlua-device-tests.yaml}")
cd "$repo"
status=0
"$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "$gitlab" || status=1
"$venv/bin/check-jsonschema" --schemafile Tests/tools/lava-testdef.schema.json "$lava" || status=1
exit $status
