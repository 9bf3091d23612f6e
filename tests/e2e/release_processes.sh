#!/usr/bin/env bash
# Scenario: porter.yaml asks for 3 web replicas and 2 worker replicas; one
# push runs exactly those 5 pods. A web process killed with SIGKILL from the
# host is restarted in place (restart policy: new pid, same port answering);
# a web pod and a worker pod removed outright are put back by the gateway's
# reconciler within 40 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app procs
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    replicas: 3
  worker:
    run: perl /app/worker.pl
    replicas: 2
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "web x3, worker x2"
set_greeting "$REPO" "procs-$$"
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "Releasing v1 to cluster local: web x3, worker x2"
assert_contains "$PUSH_OUT" "Health check GET / on web x3"
report_release_timing "$PUSH_TS" "web x3 + worker x2"
assert_eq "procs-$$" "$(http_body "$url")" "body"

p="$app-production-v1"
expected="$p-web-0-pod-0 Running
$p-web-1-pod-0 Running
$p-web-2-pod-0 Running
$p-worker-0-pod-0 Running
$p-worker-1-pod-0 Running"
assert_eq "$expected" "$(release_pods "$app")" "the app's pods (podman pod ps)"
# The gateway recorded the same replicas; only web ones have a port.
assert_eq "web|0|1 web|1|1 web|2|1 worker|0|0 worker|1|0" \
  "$(db "SELECT service, idx, port > 0 FROM replicas r JOIN releases l ON l.id = r.release_id
         WHERE l.app = '$app' AND l.status = 'live' ORDER BY service, idx" | tr '\n' ' ' | sed 's/ $//')" \
  "replicas of the live release in state.db (service|index|has port)"
for i in 0 1; do
  ctr=$(pod_container "$p-worker-$i-pod-0")
  worker_up() { pod logs "$ctr" 2>&1 | grep -q "worker started"; }
  wait_for 20 worker_up || fail "worker $i ($ctr) never logged 'worker started': $(pod logs "$ctr" 2>&1 | tail -n 5)"
done

replica_port() { db "SELECT r.port FROM replicas r JOIN releases l ON l.id = r.release_id WHERE r.pod = '$1' AND l.status = 'live'"; }
answers() { [[ $(curl -fsS --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null) == "procs-$$" ]]; }

# ------------------------------------ kill -9 a web process from the host
web1="$p-web-1-pod-0"
ctr=$(pod_container "$web1")
[[ -n $ctr ]] || fail "no app container in pod $web1"
old_pid=$(pod inspect --format '{{.State.Pid}}' "$ctr")
((old_pid > 0)) || fail "container $ctr has no running process (State.Pid=$old_pid)"
port1=$(replica_port "$web1")
answers "$port1" || fail "web.1 does not answer on 127.0.0.1:$port1 before the kill"
log "kill -9 $old_pid (main process of $ctr)"
kill -KILL "$old_pid"
restarted() {
  local pid status
  read -r pid status < <(pod inspect --format '{{.State.Pid}} {{.State.Status}}' "$ctr" 2>/dev/null) || return 1
  [[ $status == running ]] && ((pid > 0 && pid != old_pid))
}
wait_for 30 restarted || fail "container $ctr was not restarted within 30 s of kill -9: $(pod inspect --format '{{.State.Status}} pid={{.State.Pid}} restarts={{.RestartCount}}' "$ctr" 2>&1)"
! kill -0 "$old_pid" 2>/dev/null || fail "process $old_pid is still alive after kill -9"
wait_for 20 answers "$port1" || fail "web.1 does not answer on 127.0.0.1:$port1 after its restart"
log "web.1 restarted: pid $old_pid -> $(pod inspect --format '{{.State.Pid}}' "$ctr"), restarts=$(pod inspect --format '{{.RestartCount}}' "$ctr")"
assert_eq "procs-$$" "$(http_body "$url")" "body through the proxy after the restart"

# --------------------------- remove pods outright: the reconciler restores them
web2="$p-web-2-pod-0"
worker1="$p-worker-1-pod-0"
port2=$(replica_port "$web2")
pod_id() { pod pod inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
web2_id=$(pod_id "$web2") worker1_id=$(pod_id "$worker1")
[[ -n $web2_id && -n $worker1_id ]] || fail "no pod ids for $web2 / $worker1"
log "podman pod rm -f $web2 $worker1"
removed_at=$SECONDS
pod pod rm -f -t 0 "$web2" "$worker1" >/dev/null
# (The reconciler may already be at work: a restored pod is a new pod, with a new id.)
restored() {
  [[ $(pod_state "$web2") == Running && $(pod_state "$worker1") == Running ]] &&
    [[ $(pod_id "$web2") != "$web2_id" && $(pod_id "$worker1") != "$worker1_id" ]]
}
wait_for 40 restored || fail "the reconciler did not restore $web2 and $worker1 within 40 s (states: '$(pod_state "$web2")' '$(pod_state "$worker1")'); gateway log: $(grep -F 'restor' "$DATA/gateway.log" | tail -n 3)"
log "FIGURE reconciler: both pods running again $((SECONDS - removed_at)) s after 'podman pod rm' started (reconcile interval 10 s)"
assert_contains "$DATA/gateway.log" "replica missing, restoring app=$app env=production pod=$web2"
assert_contains "$DATA/gateway.log" "replica missing, restoring app=$app env=production pod=$worker1"
wait_for 20 answers "$port2" || fail "the restored web.2 does not answer on its port 127.0.0.1:$port2"
ctr=$(pod_container "$worker1")
wait_for 20 worker_up || fail "the restored worker.1 never logged 'worker started'"
assert_eq "$expected" "$(release_pods "$app")" "the app's pods after the restore"
assert_eq "procs-$$" "$(http_body "$url")" "body through the proxy after the restore"
