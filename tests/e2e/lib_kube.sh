# shellcheck shell=bash
# Helpers for the Kubernetes scenarios, on top of lib.sh and lib_release.sh:
#
# start_clusters NAME...  real control planes with a node each (scripts/test-cluster),
#                         stopped at exit; KUBECONFIGS[NAME] is each one's kubeconfig
# allow_pulls NAME NS     the namespace, with the registry's credentials as "regcred"
# stop_cluster NAME
# kc NAME ARGS...         kubectl against cluster NAME
# cluster_get NAME NS SVC PATH   an HTTP GET through the Service (port-forward)
#
# Every wait polls a condition with a deadline (lib.sh's wait_for).

KUBECTL="$REPO_ROOT/build/kube/bin/kubectl"
declare -A KUBECONFIGS=()

# start_clusters NAME...: starts the clusters side by side and waits for
# all; their nodes pull over plain http from the test's registry (lib.sh's
# start_registry, which this calls first).
start_clusters() {
  local name dir pids=()
  [[ -n ${REGISTRY:-} ]] || start_registry
  for name in "$@"; do
    dir="$TMP/clusters/$name"
    mkdir -p "$dir"
    on_teardown "'$REPO_ROOT/scripts/test-cluster' down '$dir' >/dev/null 2>&1"
    log "starting test cluster $name"
    PORTER_TESTCLUSTER_REGISTRIES=$REGISTRY "$REPO_ROOT/scripts/test-cluster" up "$dir" >"$dir/up.out" 2>"$dir/up.err" &
    pids+=($!)
  done
  local i=0
  for name in "$@"; do
    dir="$TMP/clusters/$name"
    wait "${pids[i]}" || fail "scripts/test-cluster up $dir failed: $(tail -n 20 "$dir/up.err")"
    i=$((i + 1))
    local printed
    printed=$(tail -n 1 "$dir/up.out")
    [[ -s $printed ]] || fail "scripts/test-cluster up printed no kubeconfig: $(cat "$dir/up.out")"
    # A copy that outlives `down`: an unreachable cluster, not a missing file.
    KUBECONFIGS[$name]="$TMP/clusters/$name.kubeconfig"
    cp "$printed" "${KUBECONFIGS[$name]}"
    log "cluster $name: ${KUBECONFIGS[$name]}"
  done
}

# allow_pulls NAME NS: namespace NS in cluster NAME, with the Secret
# "regcred" holding the test registry's credentials (image_pull_secret).
allow_pulls() {
  local name=$1 ns=$2
  kc "$name" create namespace "$ns" >/dev/null
  kc "$name" -n "$ns" create secret docker-registry regcred --docker-server="$REGISTRY" \
    --docker-username="${REGISTRY_CREDS%%:*}" --docker-password="${REGISTRY_CREDS#*:}" >/dev/null
}

stop_cluster() { "$REPO_ROOT/scripts/test-cluster" down "$TMP/clusters/$1"; }

kc() {
  local name=$1; shift
  "$KUBECTL" --kubeconfig "${KUBECONFIGS[$name]}" --request-timeout=20s "$@"
}

# cluster_get NAME NS SERVICE PATH: GET http://SERVICE:80/PATH through
# `kubectl port-forward` (no kube-proxy here); prints the body.
cluster_get() {
  local name=$1 ns=$2 service=$3 path=$4 pf="$TMP/port-forward.$RANDOM" port
  setsid "$KUBECTL" --kubeconfig "${KUBECONFIGS[$name]}" -n "$ns" port-forward "service/$service" ":80" \
    </dev/null >"$pf" 2>&1 &
  local pid=$!
  forwarding() { grep -qE 'Forwarding from 127\.0\.0\.1:[0-9]+' "$pf"; }
  if ! wait_for 20 forwarding; then
    kill -- "-$pid" 2>/dev/null
    fail "kubectl port-forward to $service gave no port: $(cat "$pf")"
  fi
  port=$(grep -oE 'Forwarding from 127\.0\.0\.1:[0-9]+' "$pf" | head -n 1 | grep -oE '[0-9]+$')
  curl -fsS --max-time 10 "http://127.0.0.1:$port$path" || { kill -- "-$pid" 2>/dev/null; return 1; }
  kill -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# expect_cluster_live FILE ENV: the success verdict line for ENV on a cluster; prints the URL
expect_cluster_live() {
  local line
  line=$(tr -d '\r' <"$1" | grep -E "^remote: =====> $2 v[0-9]+ is live at http://[a-z0-9.-]+ \([0-9.]+ s\) *$") ||
    fail "expected 'remote: =====> $2 vN is live at http://HOST (N s)' in $1; saw: $(grep -F '=====>' "$1" || echo none)"
  grep -oE 'http://[a-z0-9.-]+' <<<"$line"
}
