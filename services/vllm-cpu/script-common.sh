# Sourced by install-runtime.sh, make-wheelhouse.sh and pin-requirements.sh: strict mode, where this
# directory is, the shared versions (runtime.env) and which python makes virtualenvs and wheels.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=runtime.env
source "$here/runtime.env"
python="${PYTHON:-python3}"

# require_one_arg USAGE "$@": exit 2 with the usage unless exactly one argument was given.
require_one_arg() {
    local usage=$1
    shift
    [ $# -eq 1 ] || { echo "usage: $usage" >&2; exit 2; }
}
