#!/usr/bin/env bash
# `make demo`: on the local control plane (make cluster-up), validate the examples offline, store
# them in the cluster and list them the way an operator would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
export KUBECONFIG=$PWD/.local/kubeconfig
step() { printf '\n$ %s\n' "$*"; "$@"; }

step "$BIN/drctl" validate -f examples/
"$BIN/kubectl" create namespace ecommerce --dry-run=client -o yaml | "$BIN/kubectl" apply -f - >/dev/null
step "$BIN/kubectl" apply --server-side -f examples/quickstart/ -f examples/ecommerce/ -f examples/ecommerce/workflows/
step "$BIN/kubectl" get drp,drw,drpe -A
cat <<'MSG'

Running a plan (drctl execute / revert / cancel / resume) is not yet in this build: it arrives with
the engine. Until then the demo stops here. Stop the control plane with `make cluster-down`.
MSG
