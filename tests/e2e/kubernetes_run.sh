#!/usr/bin/env bash
# Scenario: `run` on a Kubernetes environment (a real test cluster,
# scripts/test-cluster) through the real SSH gateway: the one-off is a Job
# in the live release's image with its config (from the release's Secret);
# its output streams back, its exit code is ssh's, and the Job is deleted
# afterwards. A terminal (ssh -tt) is refused there in one line. The other
# day-2 commands work through the cluster too: ps (status; the test cluster
# has no metrics API), logs of the release's pods, and ps:scale in place
# (the Deployment's replicas, no new release).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"
. "$(dirname "$0")/lib_kube.sh"

start_clusters production
cat >"$TMP/gateway.yaml" <<YAML
kubectl: $KUBECTL
environments:
  production:
    cluster: kubernetes
    kubeconfig: ${KUBECONFIGS[production]}
    image_pull_secret: regcred
    user_namespaces: false  # containerd 1.6 has none
YAML
start_gateway --config "$TMP/gateway.yaml"

new_app app krun
ns="$app-production"
allow_pulls production "$ns"
admin_ok apps:create "$app"
admin_ok config:set "$app" "GREETING=kube-run-$$"
make_app_repo "$app" perl-release
push_ts "$REPO"
expect_push_ok

run_jobs() { kc production -n "$ns" get jobs -l "porter.app=$app,porter.service=run" -o name; }
admin run "$app" -- sh -c "'echo greeting=\$GREETING; echo to-err >&2; exit 4'"
assert_eq 4 "$ADMIN_RC" "the exit status of run -- sh -c '... exit 4' on Kubernetes"
assert_contains "$ADMIN_OUT" "greeting=kube-run-$$"  # the release's config, from its Secret
assert_contains "$ADMIN_OUT" "to-err"                # kubectl logs merges the container's streams
wait_for 60 eval '[[ -z $(run_jobs) ]]' || fail "the one-off's Job remains: $(run_jobs)"
grep -q "one-off app=$app env=production user=e2e-client release=v1 program=sh exit=4 " "$DATA/gateway.log" ||
  fail "the gateway log does not record the one-off"

# ssh -tt: python's pty module gives ssh a terminal; the gateway refuses to pass it on.
log "ssh -tt run $app -- sh"
rc=0
# shellcheck disable=SC2046  # the ssh command line is words, as in lib.sh
timeout -k 5 60 python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
seen = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: ssh has exited
        break
    if not data:
        break
    seen += data
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
' $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" -tt git@127.0.0.1 "run $app -- sh" >"$TMP/tty.out" 2>&1 || rc=$?
sed 's/^/    | /' "$TMP/tty.out"
assert_eq 1 "$rc" "the exit status of ssh -tt run on Kubernetes"
assert_contains "$TMP/tty.out" "porter: no terminal for run on Kubernetes environments"
assert_eq "" "$(run_jobs)" "Jobs made for the refused terminal"

# ------------------------------------------------ ps, logs and ps:scale
admin_ok ps "$app"
assert_match "$ADMIN_OUT" "^web\.[a-z0-9]+ +v1 +running +0 "
admin_ok logs "$app" --tail 5
assert_match "$ADMIN_OUT" "^20[0-9-]+T[0-9:.]+Z web\.[a-z0-9]+: listening on 5000$"
admin_ok ps:scale "$app" web=2
assert_contains "$ADMIN_OUT" "production runs web x2"
assert_eq 2 "$(kc production -n "$ns" get deployment "$app-production-web" -o 'jsonpath={.status.readyReplicas}')" \
  "ready web replicas after ps:scale web=2"
assert_eq 1 "$(db "SELECT COUNT(*) FROM releases WHERE app = '$app'")" "releases after ps:scale (it makes none)"
admin_ok ps "$app"
assert_eq 2 "$(grep -cE '^web\.[a-z0-9]+ +v1 +running' "$ADMIN_OUT")" "running web replicas in ps"
