#!/usr/bin/env bash
# Scenario: what other platforms' sample apps do, deployed unmodified:
#   an app with only a worker process (no web, an image without CMD) deploys
#     and its worker runs;
#   a Procfile with web, worker and a dev-only type (custom: echo -n) starts
#     web and worker, and the custom type at 0 replicas (nothing restarting);
#   an app that dies at startup is rejected at once (within 10 s of the
#     release starting) with its exit code and its own error message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway

# procfile_app NAME PROCFILE: app NAME from perl-release, its Dockerfile without CMD, this Procfile.
procfile_app() {
  new_app app "$1"
  make_app_repo "$app" perl-release
  sed -i '/^CMD /d' "$REPO/Dockerfile"
  printf '%s\n' "$2" >"$REPO/Procfile"
  git -C "$REPO" add -A
  git -C "$REPO" commit -q -m "Procfile"
}

# ------------------------------------------------------- worker only
procfile_app worker-only "worker: perl /app/worker.pl"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "Releasing v1 to cluster local: worker x1"
assert_match "$PUSH_OUT" "=====> production v1 is running \(no web service\)"
worker_pod=$(release_pods "$app" production v1 | awk '/worker-0/ { print $1 }')
[[ -n $worker_pod ]] || fail "no worker pod: $(release_pods "$app")"
worker_says() { pod logs "$(pod_container "$worker_pod")" 2>/dev/null | grep -q "worker started"; }
wait_for 20 worker_says || fail "the worker printed nothing"
assert_eq Running "$(pod_state "$worker_pod")" "the worker pod's state"

# ------------------------------------------- web, worker, custom: echo -n
procfile_app procfile-types "web: perl /app/server.pl
worker: perl /app/worker.pl
custom: echo -n"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "Releasing v1 to cluster local: custom x0, web x1, worker x1"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" hello
pods=$(release_pods "$app" production v1)
[[ $pods != *custom* ]] || fail "a custom pod runs: $pods"
assert_eq 2 "$(grep -c ' Running$' <<<"$pods")" "running pods (web and worker)"

# ------------------------------------------------- dies at startup
procfile_app dies "web: perl -e 'print qq(connecting to the database\n); die qq(cannot connect to db.internal:5432\n)'"
push_ts "$REPO"
expect_push_rejected
assert_contains "$PUSH_OUT" "! [remote rejected]"
assert_contains "$PUSH_OUT" "web.0| cannot connect to db.internal:5432"
# podman shows the exit code only while the container is down between its
# restarts; on a loaded machine the gateway may see it running each time.
assert_match "$PUSH_OUT" "=====> deploy #[0-9]+ to production failed: release v1 failed: web.0 (exited with code 255|keeps exiting \(restarted [0-9]+ times\)) while starting \(its last lines are above\); rolled back; nothing was running before"
took=$(perl -ne 'my ($t, $x) = /^([0-9.]+) (.*)$/ or next; $s //= $t if $x =~ /-----> Releasing v1/;
  printf "%.0f", $t - $s if $x =~ /=====> /' "$PUSH_TS")
((took < 15)) || fail "the crashing release took $took s to be rejected (the aim: under 10 s; 15 leaves room for a loaded CI machine)"
log "a web that dies at startup was rejected $took s after its release started"
