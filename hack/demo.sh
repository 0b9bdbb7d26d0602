#!/usr/bin/env bash
# `make demo`: the e-commerce failover on the local control plane (make cluster-up). A small local
# service (hack/demoservices) stands in for the chat, orchestrator, Kafka router and health
# endpoints, and completes Jobs, since no kubelet runs here. Clusternet's CRDs come from drctl's
# own generated copies (pkg/crd/clusternet/bases), which match Clusternet's schemas.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
export KUBECONFIG=$PWD/.local/kubeconfig
step() { printf '\n$ %s\n' "$*"; "$@"; }

"$BIN/kubectl" apply --server-side -f pkg/crd/clusternet/bases/ >/dev/null
"$BIN/kubectl" wait --for condition=Established crd/localizations.apps.clusternet.io crd/subscriptions.apps.clusternet.io >/dev/null
"$BIN/kubectl" apply --server-side --force-conflicts -f hack/demo/fixtures.yaml >/dev/null
step "$BIN/drctl" validate -f examples/ecommerce/
step "$BIN/kubectl" apply --server-side -f examples/ecommerce/plan.yaml -f examples/ecommerce/workflows/

# The stand-in services, restarted for each demo.
if [[ -f .local/demo-services.pid ]]; then kill "$(cat .local/demo-services.pid)" 2>/dev/null || true; fi
rm -f .local/demo-services.url
go build -o "$BIN/demoservices" ./hack/demoservices
# A fixed port, so that reverting an earlier demo run reaches the same stand-in URLs.
nohup "$BIN/demoservices" --kubeconfig "$KUBECONFIG" --listen "127.0.0.1:${DEMO_PORT:-18473}" --url-file .local/demo-services.url >.local/demo-services.log 2>&1 &
echo $! >.local/demo-services.pid
for _ in $(seq 1 50); do [[ -s .local/demo-services.url ]] && break; sleep 0.1; done
URL=$(cat .local/demo-services.url)

# A second demo on the same control plane first undoes the first one: the failover's objects exist
# already, and drctl never takes over objects an earlier execution created.
LAST=$("$BIN/kubectl" get drp ecommerce-failover -n ecommerce -o jsonpath='{.status.phase}/{.status.lastExecutionRef}')
if [[ $LAST == Executed/* ]]; then
  step "$BIN/drctl" revert "${LAST#Executed/}" -n ecommerce --progress plain --yes || true
fi

# --yes: the demo runs straight through (on a terminal, drctl first shows what a run touches and asks).
step "$BIN/drctl" execute ecommerce-failover -n ecommerce --yes \
  -p notifyURL="$URL/chat/hooks/dr-war-room" -p orchestratorURL="$URL/orchestrator" \
  -p kafkaRouterURL="$URL/kafka-router" -p storefrontURL="$URL/shop" -p paymentsURL="$URL/pay" || true

EXEC=$("$BIN/kubectl" get drpe -n ecommerce -l drplan=ecommerce-failover --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[-1:].metadata.name}')
step "$BIN/kubectl" get drp,drpe -n ecommerce
cat <<MSG

The run is recorded in DRPlanExecution ecommerce/$EXEC. Next:
  export KUBECONFIG=$KUBECONFIG
  bin/drctl revert $EXEC -n ecommerce     # undo it, last stage first
  bin/kubectl describe drpe $EXEC -n ecommerce
  make cluster-down                        # stop the local control plane (the stand-in services keep running until then)
MSG
