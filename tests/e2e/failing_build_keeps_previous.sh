#!/usr/bin/env bash
# Scenario: a push whose Dockerfile RUN step fails is rejected; the verdict
# says it failed and that the previous release is still serving; the ref stays
# at v1 and the v1 URL still answers v1.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app fail
deploy_v1 perl-web
v1_containers=$(app_containers "$app")
[[ -n $v1_containers ]] || fail "no running container labelled porter.app=$app after v1 went live"

set_greeting "$REPO" "v2-$$"
use_dockerfile "$REPO" dockerfiles/failing.Dockerfile
push "$REPO" porter main
expect_push_rejected
expect_failed_verdict "$PUSH_OUT"
assert_contains "$PUSH_OUT" "failing-step-42"      # the build output reached the user
failed_out=$PUSH_OUT
assert_not_contains "$PUSH_OUT" "is live at"
id2=$(deploy_id "$PUSH_OUT")
((id2 != id1)) || fail "the failed push reused deploy #$id1"

assert_eq "$v1" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the failed push"
assert_http "$url" "v1-$$"
assert_eq failed "$(deploy_status "$id2")" "deploys.status of the failed #$id2"
assert_eq live "$(deploy_status "$id1")" "deploys.status of the previous #$id1"
[[ -s $DATA/logs/$id2.log ]] || fail "no deploy log $DATA/logs/$id2.log for the failed deploy"
grep -qF "failing-step-42" "$DATA/logs/$id2.log" || fail "the failed deploy's log lacks the build output 'failing-step-42'"
assert_eq "$v1_containers" "$(app_containers "$app")" "the app's running containers after the failed push"

# The failed build cleaned up after itself.
expect_no_build_leftovers "$failed_out" 'RUN echo "failing-step-' "the failed build"

# Fixing the build deploys again.
use_dockerfile "$REPO" dockerfiles/fast.Dockerfile
push "$REPO" porter main
expect_push_ok
url3=$(expect_live "$PUSH_OUT" production)
assert_http "$url3" "v2-$$"
assert_eq "$(head_sha "$REPO")" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the fix"
