#!/usr/bin/env bash
# Scenario: a key limited to environments="staging" sees only the branches
# that deploy to staging (and branches that deploy nowhere): the production
# branch is neither listed nor fetchable for it, while a key without limits
# sees both. (Commits reachable from a visible branch stay visible.)
. "$(dirname "$0")/lib.sh"

gen_key "$TMP/keys/staging" staging-only
EXTRA_AUTHORIZED_KEYS="environments=\"staging\" $(cat "$TMP/keys/staging.pub")"
start_gateway
new_app app hide
make_app_repo "$app" perl-web
set_greeting "$REPO" "prod-$$"
push "$REPO" porter main
expect_push_ok
git -C "$REPO" checkout -q -b staging
set_greeting "$REPO" "stage-$$"
push "$REPO" porter staging
expect_push_ok
git -C "$REPO" checkout -q -b feature
git -C "$REPO" commit -q --allow-empty -m "a branch that deploys nowhere"
push "$REPO" porter feature
expect_push_ok

refs_seen_with() {  # refs_seen_with KEY: the branches git ls-remote lists
  GIT_SSH_COMMAND=$(ssh_cmd_for "$1") git ls-remote "$(remote_url "$app")" 'refs/heads/*' | awk '{print $2}' | sort | tr '\n' ' '
}
assert_eq "refs/heads/feature refs/heads/main refs/heads/staging " "$(refs_seen_with "$CLIENT_KEY")" "branches an unrestricted key sees"
assert_eq "refs/heads/feature refs/heads/staging " "$(refs_seen_with "$TMP/keys/staging")" "branches a staging-only key sees"

# Fetching the production branch by name fails for the staging-only key.
rc=0
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/staging") git -C "$REPO" fetch -q "$(remote_url "$app")" \
  refs/heads/main:refs/remotes/hidden/main >"$TMP/fetch.out" 2>&1 || rc=$?
sed 's/^/    | /' "$TMP/fetch.out"
((rc != 0)) || fail "the staging-only key fetched refs/heads/main"
# A clone with that key has staging, not main.
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/staging") git clone -q "$(remote_url "$app")" "$TMP/clone" 2>&1 | sed 's/^/    | /'
[[ -z $(git -C "$TMP/clone" branch -r --list 'origin/main') ]] || fail "a clone with the staging-only key has origin/main"
[[ -n $(git -C "$TMP/clone" branch -r --list 'origin/staging') ]] || fail "a clone with the staging-only key lacks origin/staging"
