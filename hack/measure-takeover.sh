#!/usr/bin/env bash
# Measures how long after a runner's death drctl serve resumes its run, with the default timings
# (plan Lease 15 s, election Lease 15 s), on the local control plane (make cluster-up):
#   A: a `drctl execute` killed with SIGKILL mid-action; one serve replica resumes it;
#   B: the leading serve replica killed with SIGKILL mid-action; the standby resumes it.
# Prints the time from the kill to the resumed runner's claim of the record. Run from the repo root.
set -euo pipefail
BIN=${BIN:-$PWD/bin}
export KUBECONFIG=${KUBECONFIG:-$PWD/.local/kubeconfig}
k() { "$BIN/kubectl" "$@"; }
ns=takeover-$RANDOM
port=$((20000 + RANDOM % 10000))
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; k delete ns "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# An HTTP target whose /slow answers after 20 s, logging each request.
cat >"$work/target.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        print(self.path, flush=True)
        if self.path.endswith("/slow"): time.sleep(20)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/target.py" "$port" >"$work/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
k create ns "$ns" >/dev/null
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: steps}
spec:
  actions:
  - {name: first, type: HTTP, http: {url: "http://127.0.0.1:$port/\$(executionName)/first", method: POST}}
  - {name: slow, type: HTTP, http: {url: "http://127.0.0.1:$port/\$(executionName)/slow", method: POST}, timeout: 1m}
  - {name: after, type: HTTP, http: {url: "http://127.0.0.1:$port/\$(executionName)/after", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover}
spec:
  stages: [{name: only, workflows: [{workflowRef: {name: steps}}]}]
YAML

serve() { # serve LOG [ARGS]: a serve replica of the namespace
  local log=$1; shift
  "$BIN/drctl" serve --watch-namespace "$ns" --allow-controller-identity --webhook-port 0 --metrics-bind-address 0 \
    --health-probe-bind-address 0 "$@" >"$work/$log" 2>&1 &
  pids+=($!)
  echo $!
}
await_slow() {
  for _ in $(seq 1 600); do grep -q "/$1/slow" "$work/target.log" && return; sleep 0.05; done
  echo "no /$1/slow; the run said:" >&2; cat "$work"/*.log >&2; exit 1
}
runner_pid() { k -n "$ns" get drpe "$1" -o jsonpath='{.status.runner.pid}' 2>/dev/null || true; }
phase() { k -n "$ns" get drpe "$1" -o jsonpath='{.status.phase}' 2>/dev/null || true; }
await_claim() { # await_claim EXEC OLD_PID: seconds from now until another runner claims EXEC
  local start; start=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    local p; p=$(runner_pid "$1")
    if [[ -n $p && $p != "$2" ]]; then echo "$(date +%s.%N) - $start" | bc; return; fi
    sleep 0.05
  done
  echo "never"
}

# A: the CLI dies.
serve serve-a.log >/dev/null
"$BIN/drctl" execute failover --name cli-run -n "$ns" --progress plain >"$work/cli.log" 2>&1 &
cli=$!; pids+=($cli)
await_slow cli-run
kill -9 "$cli"
echo "A: drctl execute killed; serve resumed its run after $(await_claim cli-run "$cli") s"
for _ in $(seq 1 600); do [[ $(phase cli-run) == Succeeded ]] && break; sleep 0.1; done
echo "   phase $(phase cli-run); requests: $(grep -c /cli-run/ "$work/target.log") ($(grep -c /cli-run/first "$work/target.log") first)"
for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done; sleep 2

# B: the leading replica dies.
serve serve-b1.log --leader-elect --leader-election-namespace "$ns" >/dev/null
sleep 3
serve serve-b2.log --leader-elect --leader-election-namespace "$ns" >/dev/null
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlanExecution
metadata: {name: serve-run}
spec: {planRef: failover, operationType: Execute}
YAML
await_slow serve-run
leader=$(runner_pid serve-run)
kill -9 "$leader"
echo "B: leading replica (pid $leader) killed; the standby resumed its run after $(await_claim serve-run "$leader") s"
for _ in $(seq 1 600); do [[ $(phase serve-run) == Succeeded ]] && break; sleep 0.1; done
echo "   phase $(phase serve-run); requests: $(grep -c /serve-run/ "$work/target.log") ($(grep -c /serve-run/first "$work/target.log") first)"
