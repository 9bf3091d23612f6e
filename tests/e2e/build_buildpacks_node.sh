#!/usr/bin/env bash
# Scenario: a Node app with no Dockerfile (node-web: express + package-lock,
# `npm start`) is built by the auto-detected nodejs buildpack: `npm ci` pulls
# express from the npm registry, web is `npm start`, and the app answers.
# Then a no-op rebuild (same tree, empty commit) and a one-line change
# rebuild both restore node_modules from the build cache instead of running
# `npm ci`; the three push durations are measured and printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

start_gateway
new_app app bpnode
make_app_repo "$app" node-web
[[ ! -e $REPO/Dockerfile && ! -e $REPO/Procfile ]] || fail "fixture node-web must have no Dockerfile and no Procfile"

# --- cold build
timed_push "$REPO" porter main
cold_ms=$PUSH_MS
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Building with buildpacks"
assert_contains "$PUSH_OUT" "-----> Node.js app detected (buildpack nodejs)"
assert_contains "$PUSH_OUT" "-----> Installing dependencies (npm ci)"
assert_match "$PUSH_OUT" "added [0-9]+ packages"          # npm ci really downloaded packages
assert_contains "$PUSH_OUT" "-----> Saving node_modules to the cache"
assert_not_contains "$PUSH_OUT" "Restoring node_modules from the cache"
# auto-detection picked nodejs only (no Aptfile, so no apt; nothing else)
assert_not_contains "$PUSH_OUT" "(buildpack python)"
assert_not_contains "$PUSH_OUT" "(buildpack static)"
url=$(expect_live "$PUSH_OUT" production)
assert_eq "hello from node-web (express 4.21.2)" "$(http_body "$url")" "body of the cold build's release"
id=$(deploy_id "$PUSH_OUT")
assert_eq live "$(deploy_status "$id")" "deploys.status of #$id"
cold_build=$(stage_seconds "$PUSH_OUT" "Built ")

# The image runs web as `npm start` through the launcher.
image=$(db "SELECT image FROM deploys WHERE id = $id")
cmd=$(pod image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$image")
assert_eq '["/usr/local/bin/porter-launch"] ["npm start"]' "$cmd" "entrypoint and cmd of $image"

# The cache holds node_modules under its key.
cache="$SANDBOX/cache/$app/production/node"
[[ -s $cache/key && -d $cache/node_modules/express ]] ||
  fail "expected $cache/key and $cache/node_modules/express after the cold build; have: $(ls -A "$cache" 2>&1 | tr '\n' ' ')"

# --- no-op rebuild: same tree, new commit
git -C "$REPO" commit -q --allow-empty -m "no-op rebuild"
timed_push "$REPO" porter main
noop_ms=$PUSH_MS
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Restoring node_modules from the cache (dependencies unchanged)"
assert_contains "$PUSH_OUT" "-----> Installing dependencies (npm install, from the cache)"
assert_not_contains "$PUSH_OUT" "(npm ci)"
assert_not_contains "$PUSH_OUT" "Saving node_modules to the cache"
url=$(expect_live "$PUSH_OUT" production)
assert_eq "hello from node-web (express 4.21.2)" "$(http_body "$url")" "body after the no-op rebuild"
noop_build=$(stage_seconds "$PUSH_OUT" "Built ")

# --- one-line change rebuild
sed -i 's/|| "hello"/|| "howdy"/' "$REPO/server.js"
grep -qF '|| "howdy"' "$REPO/server.js" || fail "could not edit server.js"
git -C "$REPO" commit -q -am "one-line change"
timed_push "$REPO" porter main
change_ms=$PUSH_MS
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Restoring node_modules from the cache (dependencies unchanged)"
assert_not_contains "$PUSH_OUT" "(npm ci)"
url=$(expect_live "$PUSH_OUT" production)
assert_eq "howdy from node-web (express 4.21.2)" "$(http_body "$url")" "body after the one-line change"
change_build=$(stage_seconds "$PUSH_OUT" "Built ")

log "MEASURE node cold push: $(ms_to_s "$cold_ms") s (build ${cold_build} s)"
log "MEASURE node no-op rebuild push: $(ms_to_s "$noop_ms") s (build ${noop_build} s)"
log "MEASURE node one-line change push: $(ms_to_s "$change_ms") s (build ${change_build} s)"
