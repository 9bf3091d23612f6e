#!/usr/bin/env bash
# Scenario: the gateway is killed with -9 in the middle of a build. Its build
# goes on as an orphan (its process group outlives the daemon), keeping its
# buildah working container and its build tree under SANDBOX/builds. The next
# `porter serve` on the same data dir must end that build, remove its working
# container and build tree, and record the deploy as interrupted, all before
# it takes a push (before it writes gateway.addr); then a push deploys.
. "$(dirname "$0")/lib.sh"

# buildah working containers made by builds of this test's gateway (every
# build tags its containers with a path in its build dir).
tagged_containers() {
  local id tag
  for id in $(build_store containers --quiet --notruncate); do
    tag=$(build_store inspect --type container --format '{{.DefaultMountsFilePath}}' "$id" 2>/dev/null) || continue
    [[ $tag == "$SANDBOX/builds/"* ]] && echo "$id"
  done
  return 0
}

start_gateway
new_app app crash
make_app_repo "$app" perl-web
bust="crashbust-$$-$RANDOM$RANDOM"
use_dockerfile "$REPO" dockerfiles/slow.Dockerfile "$bust"

out="$TMP/slow.out"
push_bg "$REPO" "$out"
build_started() { grep -qsF "slow-build-2-started" "$out"; }
wait_for 90 build_started || { sed 's/^/    | /' "$out"; fail "the slow build did not start within 90 s"; }
id=$(deploy_id "$out")
log "deploy #$id is building; killing the gateway (pid $GW_PID) with SIGKILL"
kill -KILL "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
GW_PID=

# What a crash leaves: the build still running, its container and its tree.
pgrep -f "$bust" >/dev/null || fail "expected the orphaned build to outlive the gateway (nothing to clean up?)"
[[ -n $(tagged_containers) ]] || fail "expected the orphaned build to hold a buildah working container"
[[ -d $SANDBOX/builds/$id ]] || fail "expected the build tree $SANDBOX/builds/$id after the crash"
log "orphans after the crash: build processes $(pgrep -f "$bust" | tr '\n' ' '), containers $(tagged_containers | cut -c1-12 | tr '\n' ' ')"

restart_gateway
# gateway.addr is written once the gateway takes pushes: all must be gone now.
! pgrep -af "$bust" || fail "the restarted gateway takes pushes while the interrupted build still runs"
leftovers=$(tagged_containers)
[[ -z $leftovers ]] || fail "the interrupted build's working containers remain: $leftovers"
[[ -z $(ls -A "$SANDBOX/builds") ]] || fail "build trees remain: $(ls -A "$SANDBOX/builds")"
assert_eq interrupted "$(deploy_status "$id")" "deploys.status of #$id after the restart"
grep -q "cleaned up after the previous run: deploys_interrupted=1 process_trees=1 containers=[1-9]" "$DATA/gateway.log" ||
  fail "the gateway log does not say what it cleaned up"

# The gateway works: a push deploys (the killed push never stored its ref).
git -C "$REPO" remote set-url porter "$(remote_url "$app")"  # the new gateway's port
[[ -z $(remote_ref "$REPO" refs/heads/main) ]] || fail "the interrupted push stored refs/heads/main"
set_greeting "$REPO" "after-crash-$$"
use_dockerfile "$REPO" dockerfiles/fast.Dockerfile
push "$REPO" porter main
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "after-crash-$$"
