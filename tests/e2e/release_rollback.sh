#!/usr/bin/env bash
# Scenario: releases and rollback.
#   push v1 (COLOR=blue set before it), config:set COLOR=red EXTRA=... (a
#   release of the same image), push a new body: `releases` lists every
#   version with commit, image digest, pusher and status. `rollback v1` warns
#   about migrations, builds nothing, serves v1's body with v1's config again,
#   and makes v1's config the environment's config; `releases` shows the new
#   version as a rollback. A rollback to a version that does not exist fails
#   with a clear message and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app rb
admin_ok apps:create "$app"
admin_ok config:set "$app" -e production COLOR=blue-$$
make_app_repo "$app" perl-release
set_greeting "$REPO" "body-one-$$"
sha1=$(head_sha "$REPO")
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "production v1 is live at"
assert_eq "body-one-$$" "$(http_body "$url")" "v1 body"
assert_eq "blue-$$" "$(http_body "$url/env/COLOR")" "v1's COLOR"

admin_ok config:set "$app" -e production COLOR=red-$$ EXTRA=extra-$$
assert_contains "$ADMIN_OUT" "production v2 is live at"
assert_eq "red-$$" "$(http_body "$url/env/COLOR")" "COLOR after config:set"

set_greeting "$REPO" "body-two-$$"
sha2=$(head_sha "$REPO")
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "production v3 is live at"
assert_eq "body-two-$$" "$(http_body "$url")" "v3 body"
assert_eq "red-$$" "$(http_body "$url/env/COLOR")" "v3's COLOR"
assert_eq "extra-$$" "$(http_body "$url/env/EXTRA")" "v3's EXTRA"

# ------------------------------------------------------------- releases
# "vN STATUS COMMIT7 IMAGE PUSHER CREATED DESCRIPTION", newest first
admin_ok releases "$app" -e production
field() { awk -v v="$2" -v f="$3" '$1 == v { print $f }' "$1"; }
image1=$(field "$ADMIN_OUT" v1 4) image2=$(field "$ADMIN_OUT" v2 4) image3=$(field "$ADMIN_OUT" v3 4)
re_image='^127\.0\.0\.1:[0-9]+/'"$app"'@sha256:[0-9a-f]{64}$'
for i in "$image1" "$image2" "$image3"; do
  [[ $i =~ $re_image ]] || fail "expected images by digest (REGISTRY/$app@sha256:...) in 'releases'; saw '$i' in: $(cat "$ADMIN_OUT")"
done
assert_eq "$image1" "$image2" "image of v2 (config:set, no build) vs v1"
[[ $image3 != "$image1" ]] || fail "v3 was built from another commit but has v1's image $image1"
assert_eq "v3 v2 v1" "$(awk '{ print $1 }' "$ADMIN_OUT" | tr '\n' ' ' | sed 's/ $//')" "versions listed, newest first"
assert_match "$ADMIN_OUT" "^v3 +live +${sha2:0:7} $image3  e2e-client  [0-9T:Z-]+  deploy #2 of main$"
assert_match "$ADMIN_OUT" "^v2 +superseded +${sha1:0:7} $image1  e2e-client  [0-9T:Z-]+  config:set COLOR, EXTRA$"
assert_match "$ADMIN_OUT" "^v1 +superseded +${sha1:0:7} $image1  e2e-client  [0-9T:Z-]+  deploy #1 of main$"
releases_before=$(awk '{ print $1, $2 }' "$ADMIN_OUT")

# ------------------------------------------- rollback to a missing version
admin rollback "$app" -e production v99
((ADMIN_RC != 0)) || fail "rollback to v99 (no such release) exited 0"
assert_eq "porter: no release v99 of $app (production)" "$(cat "$ADMIN_ERR")" "rollback v99's message"
assert_eq "" "$(cat "$ADMIN_OUT")" "rollback v99's output"
admin_ok releases "$app" -e production
assert_eq "$releases_before" "$(awk '{ print $1, $2 }' "$ADMIN_OUT")" "releases after the refused rollback"
assert_eq "body-two-$$" "$(http_body "$url")" "body after the refused rollback"
admin_ok config "$app" -e production
assert_eq "COLOR=red-$$ EXTRA=extra-$$" "$(tr '\n' ' ' <"$ADMIN_OUT" | sed 's/ $//')" "config after the refused rollback"

# ...and to the live one.
admin rollback "$app" -e production v3
((ADMIN_RC != 0)) || fail "rollback to the live v3 exited 0"
assert_eq "porter: v3 is already live" "$(cat "$ADMIN_ERR")" "rollback v3's message"

# --------------------------------------------------------- rollback to v1
admin_ok rollback "$app" -e production v1
assert_contains "$ADMIN_OUT" "-----> Rolling back $app (production) to v1: image $image1 with its config, no rebuild"
assert_contains "$ADMIN_OUT" " !     database migrations run by later releases are not undone"
assert_not_contains "$ADMIN_OUT" "Building"
assert_not_contains "$ADMIN_OUT" "STEP "
assert_not_contains "$ADMIN_OUT" "predeploy"
assert_match "$ADMIN_OUT" "^=====> production v4 is live at $url \([0-9.]+ s\)$"
assert_eq "body-one-$$" "$(http_body "$url")" "body after the rollback to v1"
assert_eq "blue-$$" "$(http_body "$url/env/COLOR")" "COLOR after the rollback to v1"
assert_eq 404 "$(http_status "$url/env/EXTRA")" "GET /env/EXTRA after the rollback (v1 had no EXTRA)"
admin_ok config "$app" -e production
assert_eq "COLOR=blue-$$" "$(cat "$ADMIN_OUT")" "config after the rollback (v1's snapshot)"
admin_ok config:get "$app" -e production COLOR
assert_eq "blue-$$" "$(cat "$ADMIN_OUT")" "config:get COLOR after the rollback"

admin_ok releases "$app" -e production
assert_match "$ADMIN_OUT" "^v4 +live +${sha1:0:7} $image1  e2e-client  [0-9T:Z-]+  rollback to v1$"
assert_match "$ADMIN_OUT" "^v3 +superseded "
assert_eq "" "$(release_pods "$app" production v3)" "v3's pods after the rollback"
assert_eq "$app-production-v4-web-0-pod-0 Running" "$(release_pods "$app")" "the app's pods after the rollback"

# The next push deploys normally on top of the rollback, with v1's config.
set_greeting "$REPO" "body-three-$$"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "production v5 is live at"
assert_eq "body-three-$$" "$(http_body "$url")" "body of the push after the rollback"
assert_eq "blue-$$" "$(http_body "$url/env/COLOR")" "COLOR of the push after the rollback"
