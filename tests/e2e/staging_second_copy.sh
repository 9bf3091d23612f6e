#!/usr/bin/env bash
# Scenario: the same app pushed to main and staging runs as two copies, with
# two URLs, each answering with its own branch's content.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app shop
make_app_repo "$app" perl-web
set_greeting "$REPO" "prod-$$"
push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "to production"
prod_url=$(expect_live "$PUSH_OUT" production)
assert_http "$prod_url" "prod-$$"

git -C "$REPO" checkout -q -b staging
set_greeting "$REPO" "stage-$$"
push "$REPO" porter staging
expect_push_ok
assert_match "$PUSH_OUT" "-----> $app: deploy #[0-9]+ of staging \([0-9a-f]+\) to staging"
stage_url=$(expect_live "$PUSH_OUT" staging)

[[ $prod_url != "$stage_url" ]] || fail "production and staging share the URL $prod_url"
assert_http "$stage_url" "stage-$$"
assert_http "$prod_url" "prod-$$"

assert_eq 2 "$(db "SELECT count(*) FROM deploys WHERE app = '$app' AND status = 'live'")" "live deploys of $app"
assert_eq "production staging" "$(db "SELECT group_concat(env, ' ') FROM (SELECT env FROM deploys WHERE app = '$app' AND status = 'live' ORDER BY env)")" "envs of live deploys"

# Deleting a branch that deploys somewhere is refused; the ref and the
# staging copy stay.
stage_sha=$(head_sha "$REPO")
push "$REPO" porter :staging
expect_push_rejected
assert_contains "$PUSH_OUT" "refused"
assert_eq "$stage_sha" "$(remote_ref "$REPO" refs/heads/staging)" "server's refs/heads/staging after the refused delete"
assert_http "$stage_url" "stage-$$"
