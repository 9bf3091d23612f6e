#!/usr/bin/env bash
# Scenario: a push of main deploys a Dockerfile app to production; the verdict
# names a URL that answers with the pushed content; the deploy is recorded as
# live with its log file; the ref is stored; the container is running.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app web
make_app_repo "$app" perl-web
set_greeting "$REPO" "hello-one-$$"
sha=$(head_sha "$REPO")

push "$REPO" porter main
expect_push_ok
assert_match "$PUSH_OUT" "^remote: -----> $app: deploy #[0-9]+ of main \([0-9a-f]{7,40}\) to production"
short=$(sed -nE "s/.*-----> $app: deploy #[0-9]+ of main \(([0-9a-f]+)\).*/\1/p" "$PUSH_OUT" | head -n 1)
[[ $sha == "$short"* ]] || fail "deploy header names commit $short; pushed $sha"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "hello-one-$$"

id=$(deploy_id "$PUSH_OUT")
assert_eq live "$(deploy_status "$id")" "deploys.status of #$id"
assert_eq "$app|production|$sha" "$(db "SELECT app, env, new_sha FROM deploys WHERE id = $id")" "deploys (app, env, new_sha) of #$id"
assert_eq "$url" "$(db "SELECT url FROM deploys WHERE id = $id")" "deploys.url of #$id"
[[ -s $DATA/logs/$id.log ]] || fail "expected a non-empty deploy log $DATA/logs/$id.log; ls logs: $(ls "$DATA/logs" 2>&1)"

assert_eq "$sha" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main"

# The container runs, labelled with the app (and named after app and env).
names=$(app_containers "$app")
grep -qE "$app-production" <<<"$names" ||
  fail "expected a running container labelled porter.app=$app named like $app-production...; podman ps shows: '${names//$'\n'/ }'"

# A second push of the same app redeploys with the new content.
set_greeting "$REPO" "hello-two-$$"
push "$REPO" porter main
expect_push_ok
url2=$(expect_live "$PUSH_OUT" production)
assert_http "$url2" "hello-two-$$"
id2=$(deploy_id "$PUSH_OUT")
((id2 > id)) || fail "second deploy id $id2 is not greater than first $id"
assert_eq live "$(deploy_status "$id2")" "deploys.status of #$id2"
