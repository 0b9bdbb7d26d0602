#!/usr/bin/env bash
# Starts or stops drctl's local control plane (kube-apiserver + etcd on loopback, built into bin/
# from the Go module proxy). `make cluster-up` / `make cluster-down` call this.
#   up:   idempotent; writes .local/kubeconfig and installs drctl's CRDs
#   down: stops it; etcd data stays in .local/etcd until `rm -rf .local`
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
STATE=.local
PIDFILE=$STATE/localcluster.pid
KUBECONFIG_FILE=$STATE/kubeconfig

running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
up)
  mkdir -p "$STATE"
  if running && [[ -f $KUBECONFIG_FILE ]]; then
    echo "local control plane already running (pid $(cat "$PIDFILE")); KUBECONFIG=$KUBECONFIG_FILE"
  else
    rm -f "$KUBECONFIG_FILE"
    go build -o "$BIN/localcluster" ./hack/localcluster
    nohup "$BIN/localcluster" --dir "$STATE" --assets "$BIN" >"$STATE/localcluster.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
      [[ -f $KUBECONFIG_FILE ]] && break
      running || { cat "$STATE/localcluster.log" >&2; echo "local control plane failed to start" >&2; exit 1; }
      sleep 0.5
    done
    [[ -f $KUBECONFIG_FILE ]] || { echo "timed out waiting for $KUBECONFIG_FILE" >&2; exit 1; }
    echo "local control plane started (pid $(cat "$PIDFILE")); log: $STATE/localcluster.log"
  fi
  "$BIN/drctl" install --kubeconfig "$KUBECONFIG_FILE"
  echo
  echo "Use it with:  export KUBECONFIG=$PWD/$KUBECONFIG_FILE"
  ;;
down)
  if [[ -f $STATE/demo-services.pid ]]; then kill "$(cat "$STATE/demo-services.pid")" 2>/dev/null || true; rm -f "$STATE/demo-services.pid"; fi
  if running; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    echo "local control plane stopped"
  else
    echo "local control plane not running"
  fi
  rm -f "$PIDFILE" "$KUBECONFIG_FILE"
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 2
  ;;
esac
