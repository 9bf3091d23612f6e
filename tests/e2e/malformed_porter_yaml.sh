#!/usr/bin/env bash
# Scenario: a porter.yaml that is not valid YAML is rejected with an error
# naming the line; one with an unknown key is rejected naming the key; in
# both cases the previous release keeps serving and the ref stays put.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app yaml
deploy_v1 perl-web

# rejected_keeps_v1 DESCRIPTION: the last push was rejected and v1 still serves
rejected_keeps_v1() {
  expect_push_rejected
  expect_failed_verdict "$PUSH_OUT"
  assert_not_contains "$PUSH_OUT" "is live at"
  assert_eq "$v1" "$(remote_ref "$REPO" refs/heads/main)" "server's main after the $1 push"
  assert_http "$url" "v1-$$"
}

# 1. Bad YAML: the sequence item on line 4 cannot follow a map entry.
set_greeting "$REPO" "v2-$$"
printf '# porter.yaml\nbuild:\n  dockerfile: Dockerfile\n  - oops\n' >"$REPO/porter.yaml"
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "broken porter.yaml"
push "$REPO" porter main
rejected_keeps_v1 "bad YAML"
assert_contains "$PUSH_OUT" "porter.yaml"
grep -qE "line 4([^0-9]|$)|porter\.yaml:4([^0-9]|$)" "$PUSH_OUT" ||
  fail "expected the error to name line 4 of porter.yaml ('line 4' or 'porter.yaml:4'); saw: $(grep -i -E 'yaml|error' "$PUSH_OUT" | head -n 5)"

# 2. Unknown top-level key.
printf 'frobnicate_widgets: true\n' >"$REPO/porter.yaml"
git -C "$REPO" commit -q -am "porter.yaml with an unknown key"
push "$REPO" porter main
rejected_keeps_v1 "unknown key"
assert_contains "$PUSH_OUT" "frobnicate_widgets"

# 3. Unknown nested key (a typo of build.dockerfile).
printf 'build:\n  dockerfil: Dockerfile\n' >"$REPO/porter.yaml"
git -C "$REPO" commit -q -am "porter.yaml with a typo"
push "$REPO" porter main
rejected_keeps_v1 "nested unknown key"
assert_contains "$PUSH_OUT" "dockerfil"

# Removing the file deploys again.
git -C "$REPO" rm -q porter.yaml
git -C "$REPO" commit -q -m "no porter.yaml"
push "$REPO" porter main
expect_push_ok
url2=$(expect_live "$PUSH_OUT" production)
assert_http "$url2" "v2-$$"
