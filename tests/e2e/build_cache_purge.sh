#!/usr/bin/env bash
# Scenario: `ssh git@gateway cache:purge APP` empties the app's build cache
# (SANDBOX/cache/APP); the next build still works, runs cold (npm ci again, as
# the cache is gone) and fills the cache again. `-e ENV` purges one
# environment; an unknown app is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

start_gateway
new_app app bpurge
make_app_repo "$app" node-web
cache_root="$SANDBOX/cache/$app"

push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Saving node_modules to the cache"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "hello from node-web"
[[ -s $cache_root/production/node/key && -d $cache_root/production/node/node_modules/express ]] ||
  fail "expected the node cache under $cache_root/production/node after a build; have: $(find "$cache_root" -maxdepth 3 2>&1 | head -n 20 | tr '\n' ' ')"

admin_ok cache:purge "$app"
assert_eq "purged the build cache of $app" "$(tr -d '\r' <"$ADMIN_OUT")" "cache:purge output"
if [[ -e $cache_root ]]; then
  left=$(find "$cache_root" -mindepth 1 | head -n 5)
  [[ -z $left ]] || fail "cache:purge left files in $cache_root: $left"
fi
# the release keeps serving: purging touches only the cache
assert_http "$url" "hello from node-web"

# The next build works without the cache: npm ci runs again, the cache refills.
git -C "$REPO" commit -q --allow-empty -m "rebuild after purge"
push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Installing dependencies (npm ci)"
assert_not_contains "$PUSH_OUT" "Restoring node_modules from the cache"
assert_contains "$PUSH_OUT" "-----> Saving node_modules to the cache"
url=$(expect_live "$PUSH_OUT" production)
assert_eq "hello from node-web (express 4.21.2)" "$(http_body "$url")" "body after the rebuild"
[[ -s $cache_root/production/node/key ]] || fail "the rebuild did not refill $cache_root/production/node"

# One environment only.
admin_ok cache:purge "$app" -e production
assert_eq "purged the build cache of $app (production)" "$(tr -d '\r' <"$ADMIN_OUT")" "cache:purge -e output"
[[ ! -e $cache_root/production ]] || fail "cache:purge -e production left $cache_root/production: $(ls -A "$cache_root/production")"

# An app that does not exist is refused.
admin cache:purge "nosuch-$$"
((ADMIN_RC != 0)) || fail "cache:purge of an unknown app exited 0"
assert_contains "$ADMIN_OUT" "no app named 'nosuch-$$'"
