#!/usr/bin/env bash
# Scenario: the pushing client is killed while its build runs. The daemon
# cancels the job (status "cancelled"), kills the build's process tree,
# starts no container, leaves the ref alone, and frees the env lock: the next
# push to the same env goes through at once.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app kill
make_app_repo "$app" perl-web
set_greeting "$REPO" "slow-$$"
bust="slowbust-$$-$RANDOM$RANDOM"
use_dockerfile "$REPO" dockerfiles/slow.Dockerfile "$bust"

out="$TMP/slow.out"
push_bg "$REPO" "$out"
pgid=$BG_PID
build_started() { grep -qsF "slow-build-2-started" "$out"; }
wait_for 90 build_started || { sed 's/^/    | /' "$out"; fail "the slow build's first output (slow-build-2-started) did not arrive within 90 s"; }
id=$(deploy_id "$out")
log "build of deploy #$id is running; killing the client (process group $pgid)"
assert_eq running "$(deploy_status "$id")" "deploys.status of #$id while building"
kill -KILL -- "-$pgid"
sed 's/^/    | /' "$out"

is_cancelled() { [[ $(deploy_status "$id") == cancelled ]]; }
start=$SECONDS
wait_for 60 is_cancelled || fail "deploy #$id: expected status cancelled within 60 s of the client's death; it is '$(deploy_status "$id")'"
log "deploy #$id cancelled $((SECONDS - start)) s after the client died"
# The build's process tree is gone (its `sleep 30` carries the bust value).
build_gone() { ! pgrep -f "$bust" >/dev/null; }
wait_for 30 build_gone || fail "the cancelled build is still running: $(pgrep -af "$bust")"
assert_not_contains "$out" "slow-build-4-done"
expect_no_build_leftovers "$out" 'RUN echo "slow-build-' "the cancelled build"
names=$(app_containers "$app" all)
[[ -z $names ]] || fail "a container was started for the cancelled deploy #$id: ${names//$'\n'/ }"
[[ -z $(remote_ref "$REPO" refs/heads/main) ]] || fail "the cancelled push stored refs/heads/main"
gateway_alive || fail "the gateway died"

# No stale lock: a fast push to the same env deploys promptly, without waiting.
set_greeting "$REPO" "after-kill-$$"
use_dockerfile "$REPO" dockerfiles/fast.Dockerfile
start=$SECONDS
push "$REPO" porter main
expect_push_ok
((SECONDS - start <= 60)) || fail "the push after the kill took $((SECONDS - start)) s (stale lock?)"
assert_not_contains "$PUSH_OUT" "waiting for deploy #"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "after-kill-$$"
assert_eq cancelled "$(deploy_status "$id")" "deploys.status of the killed #$id afterwards"
