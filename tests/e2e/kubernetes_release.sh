#!/usr/bin/env bash
# Scenario: releases to real Kubernetes clusters, one per environment
# (scripts/test-cluster: kube-apiserver, kube-controller-manager, the
# scheduler and a real kubelet on containerd, built from the Kubernetes Go
# modules), pulling from the test's registry with an image_pull_secret,
# through the real SSH gateway:
#   push main -> the production cluster: the predeploy Job's log in the push,
#     rollout progress, Deployments by the pushed digest, config only in a
#     Secret (envFrom), the Ingress, the app answering through its Service
#   push staging -> the staging cluster, and nothing of it in production
#   config:set -> a new ReplicaSet with a new Secret, no build;
#     rollback v1 -> v1's digest and v1's config
#   a failing predeploy, a crashing web, a web that never becomes ready ->
#     rejected with the reason, the live release untouched
#   a client killed mid-rollout -> the previous release back, nothing of the
#     cancelled one left
#   the API server gone -> one clear line, the live release record untouched
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"
. "$(dirname "$0")/lib_kube.sh"

start_clusters production staging
cat >"$TMP/gateway.yaml" <<YAML
kubectl: $KUBECTL
environments:
  production:
    cluster: kubernetes
    kubeconfig: ${KUBECONFIGS[production]}
    domain: kube.test
    image_pull_secret: regcred
    user_namespaces: false  # containerd 1.6 has none
  staging:
    cluster: kubernetes
    kubeconfig: ${KUBECONFIGS[staging]}
    image_pull_secret: regcred
    user_namespaces: false
YAML
start_gateway --config "$TMP/gateway.yaml"

new_app app kube
ns="$app-production"
web="$app-production-web"
allow_pulls production "$ns"
allow_pulls staging "$app-staging"
admin_ok apps:create "$app"
admin_ok config:set "$app" "GREETING=kube-v1-$$"
make_app_repo "$app" perl-release
write_porter_yaml() { # WEB_RUN HEALTH_PATH PREDEPLOY
  cat >"$REPO/porter.yaml" <<YAML
services:
  web:
    run: $1
    replicas: 2
    healthcheck: {path: $2, attempts: 30, timeout: 1}
predeploy:
  run: $3
YAML
  git -C "$REPO" add porter.yaml
  git -C "$REPO" commit -q -m "porter.yaml: web '$1', health $2, predeploy '$3'"
}
write_porter_yaml "perl /app/server.pl" / "echo predeploy-ran-$$"

live_version() { db "SELECT version FROM releases WHERE app = '$app' AND env = '$1' AND status = 'live'"; }
release_image() { db "SELECT image FROM releases WHERE app = '$app' AND env = 'production' AND version = $1"; }
deployed_image() { kc production -n "$ns" get deployment "$web" -o 'jsonpath={.spec.template.spec.containers[0].image}'; }
release_pods() { kc production -n "$ns" get pods -l "porter.app=$app,porter.release=$1" -o name; }
answers() { [[ $(cluster_get production "$ns" "$web" "${2:-/}" 2>/dev/null) == "$1" ]]; }

# ---------------------------------------------------------- push main
push_ts "$REPO"
expect_push_ok
url=$(expect_cluster_live "$PUSH_OUT" production)
assert_eq "http://production.$app.kube.test" "$url" "production's URL (the Ingress host)"
assert_contains "$PUSH_OUT" "Releasing v1 to cluster kubernetes: web x2"
assert_contains "$PUSH_OUT" "predeploy-ran-$$"
assert_contains "$PUSH_OUT" "web 2/2 ready"
assert_match "$PUSH_OUT" "web [01]/2 ready"  # progress before the end
image1=$(release_image 1)
[[ $image1 =~ @sha256:[0-9a-f]{64}$ ]] || fail "release v1's image is not by digest: $image1"
assert_eq "$image1" "$(deployed_image)" "production Deployment's image"
assert_eq 2 "$(kc production -n "$ns" get deployment "$web" -o 'jsonpath={.status.readyReplicas}')" "ready replicas"
assert_eq "$app-production-config-v1" \
  "$(kc production -n "$ns" get deployment "$web" -o 'jsonpath={.spec.template.spec.containers[0].envFrom[0].secretRef.name}')" \
  "the Deployment's envFrom"
kc production -n "$ns" get deployment "$web" -o yaml >"$TMP/web-deployment.yaml"
assert_not_contains "$TMP/web-deployment.yaml" "kube-v1-$$"
assert_eq "kube-v1-$$" \
  "$(kc production -n "$ns" get secret "$app-production-config-v1" -o 'jsonpath={.data.GREETING}' | base64 -d)" \
  "GREETING in the v1 Secret"
assert_eq "production.$app.kube.test" \
  "$(kc production -n "$ns" get ingress "$web" -o 'jsonpath={.spec.rules[0].host}')" "the Ingress host"
assert_eq 60 "$(kc production -n "$ns" get ingress "$web" \
  -o 'jsonpath={.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-read-timeout}')" "the Ingress read timeout"
assert_eq 1 "$(kc production -n "$ns" get jobs -l "porter.app=$app" -o name | wc -l)" "predeploy Jobs"
wait_for 30 answers "kube-v1-$$" || fail "the app does not answer kube-v1-$$ through its Service"

# ------------------------------------------------------- push staging
push_ts "$REPO" porter main:staging
expect_push_ok
assert_eq "http://$app-staging-web.$app-staging.svc.cluster.local" "$(expect_cluster_live "$PUSH_OUT" staging)" \
  "staging's URL (no domain: the Service)"
[[ -n $(kc staging -n "$app-staging" get deployment "$app-staging-web" -o name) ]] || fail "no web in staging"
[[ -z $(kc production get namespace "$app-staging" --ignore-not-found -o name) ]] ||
  fail "the staging release reached the production cluster"
[[ -z $(kc staging get namespace "$ns" --ignore-not-found -o name) ]] ||
  fail "the production release reached the staging cluster"

# ------------------------------------------- config:set and rollback
replica_sets() { kc production -n "$ns" get rs -l "app.kubernetes.io/name=$web" -o name | wc -l; }
assert_eq 1 "$(replica_sets)" "ReplicaSets after v1"
admin_ok config:set "$app" -e production "GREETING=kube-v2-$$"
assert_match "$ADMIN_OUT" "^=====> production v2 is live at http://production.$app.kube.test "
assert_not_contains "$ADMIN_OUT" "Building"
assert_eq 2 "$(replica_sets)" "ReplicaSets after config:set (a new one)"
assert_eq "$image1" "$(deployed_image)" "the image after config:set"
assert_eq "kube-v2-$$" \
  "$(kc production -n "$ns" get secret "$app-production-config-v2" -o 'jsonpath={.data.GREETING}' | base64 -d)" \
  "GREETING in the v2 Secret"
wait_for 30 answers "kube-v2-$$" || fail "the app does not answer kube-v2-$$ after config:set"

set_greeting "$REPO" "built-v3-$$"
push_ts "$REPO"
expect_push_ok
assert_eq 3 "$(live_version production)" "live version after the second push"
image3=$(release_image 3)
[[ $image3 != "$image1" ]] || fail "the second build has the first one's digest"
assert_eq "$image3" "$(deployed_image)" "the Deployment's image after the second push"

admin_ok rollback "$app" -e production v1
assert_match "$ADMIN_OUT" "^=====> production v4 is live at "
assert_eq "$image1" "$(deployed_image)" "the image after rollback v1"
assert_eq "kube-v1-$$" \
  "$(kc production -n "$ns" get secret "$app-production-config-v4" -o 'jsonpath={.data.GREETING}' | base64 -d)" \
  "GREETING in the v4 Secret (v1's snapshot)"
wait_for 30 answers "kube-v1-$$" || fail "the app does not answer kube-v1-$$ after rollback v1"

# --------------------------------------- failures leave v4 serving
expect_rejected_v4_serving() { # WHAT REASON
  expect_push_rejected
  expect_failed_verdict "$PUSH_OUT"
  assert_contains "$PUSH_OUT" "$2"
  assert_eq 4 "$(live_version production)" "live version after $1"
  wait_for 90 eval '[[ $(deployed_image) == "$image1" ]]' || fail "the Deployment runs $(deployed_image) after $1"
  wait_for 90 eval '[[ -z $(release_pods "$3") ]]' || fail "pods of $3 remain after $1: $(release_pods "$3")"
  [[ -z $(kc production -n "$ns" get secrets,jobs -l "porter.app=$app,porter.release=$3" -o name) ]] ||
    fail "the Secret or Job of $3 remains after $1"
  wait_for 30 answers "kube-v1-$$" || fail "the app does not answer kube-v1-$$ after $1"
}

set_greeting "$REPO" "bad-predeploy-$$"
write_porter_yaml "perl /app/server.pl" / "echo predeploy-fails-$$; exit 7"
push_ts "$REPO"
expect_rejected_v4_serving "a failing predeploy" "predeploy 'echo predeploy-fails-$$; exit 7' failed (exit 7)" v5
assert_contains "$PUSH_OUT" "predeploy-fails-$$"
assert_not_contains "$PUSH_OUT" "Releasing v5"

set_greeting "$REPO" "crashing-$$"
write_porter_yaml "perl -e 'exit 3'" / "echo predeploy-ran-$$"
push_ts "$REPO"
expect_rejected_v4_serving "a crashing web" "did not roll out: web: CrashLoopBackOff (exit 3)" v6

set_greeting "$REPO" "never-ready-$$"
write_porter_yaml "perl /app/server.pl" /missing "echo predeploy-ran-$$"
push_ts "$REPO"
expect_rejected_v4_serving "a web never ready" "did not roll out: web: ProgressDeadlineExceeded" v7

# ---------------------------------------- a client killed mid-rollout
set_greeting "$REPO" "slow-$$"
write_porter_yaml "sh -c 'sleep 60; exec perl /app/server.pl'" / "echo predeploy-ran-$$"
push_bg "$REPO" "$TMP/killed.out"
rolling() { grep -q "web 0/2 ready" "$TMP/killed.out"; }
wait_for 120 rolling || fail "the slow release never started rolling out: $(cat "$TMP/killed.out")"
kill -KILL -- "-$BG_PID"
cancelled() { [[ $(db "SELECT status FROM deploys WHERE app = '$app' ORDER BY id DESC LIMIT 1") == cancelled ]]; }
wait_for 60 cancelled || fail "the killed push's deploy is $(db "SELECT status FROM deploys WHERE app = '$app' ORDER BY id DESC LIMIT 1")"
assert_eq failed "$(db "SELECT status FROM releases WHERE app = '$app' AND env = 'production' AND version = 8")" \
  "the killed release's record"
wait_for 90 eval '[[ $(deployed_image) == "$image1" ]]' || fail "the Deployment runs $(deployed_image) after the kill"
wait_for 90 eval '[[ -z $(release_pods v8) ]]' || fail "pods of v8 remain after the kill: $(release_pods v8)"
assert_eq 4 "$(live_version production)" "live version after the kill"
wait_for 30 answers "kube-v1-$$" || fail "the app does not answer kube-v1-$$ after the kill"

# ------------------------------------------------ the API server gone
stop_cluster staging
set_greeting "$REPO" "unreachable-$$"
push_ts "$REPO" porter main:staging
expect_push_rejected
verdict=$(tr -d '\r' <"$PUSH_OUT" | grep -E '^remote: =====> ')
assert_eq 1 "$(wc -l <<<"$verdict")" "verdict lines"
[[ $verdict == *"failed: cluster kubernetes: cannot reach the API server: dial tcp 127.0.0.1:"*": connect: connection refused; the previous release (v1) is still serving"* ]] ||
  fail "unexpected verdict for an unreachable cluster: $verdict"
assert_eq 1 "$(live_version staging)" "staging's live version with its cluster gone"
