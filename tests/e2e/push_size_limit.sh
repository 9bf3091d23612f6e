#!/usr/bin/env bash
# Scenario: gateway.yaml limits: {push_mb: 1}. A push whose pack is over
# 1 MB (2 MB of random data) is refused by git itself before any deploy
# starts, and stores nothing; a small push to the same app deploys.
. "$(dirname "$0")/lib.sh"

printf 'limits: {push_mb: 1}\n' >"$TMP/gateway.yaml"
start_gateway --config "$TMP/gateway.yaml"
new_app app limit
make_app_repo "$app" perl-web
head -c 2000000 /dev/urandom >"$REPO/blob.bin"
git -C "$REPO" add blob.bin
git -C "$REPO" commit -q -m "2 MB of random data"
push "$REPO" porter main
expect_push_rejected
assert_contains "$PUSH_OUT" "pack exceeds maximum allowed size"
assert_not_contains "$PUSH_OUT" "deploy #"
[[ -z $(remote_ref "$REPO" refs/heads/main) ]] || fail "the refused push stored refs/heads/main"

git -C "$REPO" rm -q blob.bin
git -C "$REPO" commit -q -m "without the blob"
git -C "$REPO" checkout -q --orphan small && git -C "$REPO" commit -q -m "small tree" && git -C "$REPO" branch -q -M small main
set_greeting "$REPO" "small-$$"
push "$REPO" porter main
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "small-$$"
