#!/usr/bin/env bash
# Scenario: config commands over SSH on a deployed app.
#   config:set with a quoted value containing spaces (and escaped quotes),
#   config:get, config (the list), config:unset: each set/unset makes a new
#   release that the app sees; a bad key (1BAD=x) is refused with one line
#   and changes nothing; the data dir is 0700 and state.db 0600; values never
#   reach the gateway's log or the deploy logs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app cfg
make_app_repo "$app" perl-release
set_greeting "$REPO" "cfg-default-$$"
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_eq "cfg-default-$$" "$(http_body "$url")" "body before any config"

releases_count() { db "SELECT count(*) FROM releases WHERE app = '$app' AND env = 'production'"; }
live_version() { db "SELECT version FROM releases WHERE app = '$app' AND env = 'production' AND status = 'live'"; }
config_list() { admin_ok config "$app" -e production >&2; cat "$ADMIN_OUT"; }
n=$(releases_count)
assert_eq 1 "$n" "releases after the first push"

# --------------------------------------- config:set, quoted, with spaces
greeting="hello big world $$"
admin_ok config:set "$app" "GREETING='$greeting'"
assert_contains "$ADMIN_OUT" "-----> Set GREETING on $app (production)"
assert_match "$ADMIN_OUT" "^=====> production v2 is live at $url "
assert_not_contains "$ADMIN_OUT" "Building"
assert_eq $((n + 1)) "$(releases_count)" "releases after config:set GREETING"
assert_eq 2 "$(live_version)" "live release after config:set GREETING"
assert_eq "$greeting" "$(http_body "$url")" "body after config:set GREETING (the app's \$GREETING)"

admin_ok config:set "$app" -e production 'QUOTED="say \"hi\" now"' "PLAIN=plain-$$"
assert_contains "$ADMIN_OUT" "-----> Set QUOTED, PLAIN on $app (production)"
assert_eq $((n + 2)) "$(releases_count)" "releases after config:set QUOTED PLAIN (one release for both)"
assert_eq 'say "hi" now' "$(http_body "$url/env/QUOTED")" "the app's \$QUOTED"
assert_eq "plain-$$" "$(http_body "$url/env/PLAIN")" "the app's \$PLAIN"

admin_ok config:get "$app" GREETING
assert_eq "$greeting" "$(cat "$ADMIN_OUT")" "config:get GREETING"
admin_ok config:get "$app" -e production QUOTED
assert_eq 'say "hi" now' "$(cat "$ADMIN_OUT")" "config:get QUOTED"
assert_eq "GREETING=$greeting
PLAIN=plain-$$
QUOTED=say \"hi\" now" "$(config_list)" "config (the list)"

# ------------------------------------------------------- config:unset
admin_ok config:unset "$app" GREETING
assert_contains "$ADMIN_OUT" "-----> Unset GREETING on $app (production)"
assert_match "$ADMIN_OUT" "^=====> production v4 is live at $url "
assert_eq $((n + 3)) "$(releases_count)" "releases after config:unset GREETING"
assert_eq "cfg-default-$$" "$(http_body "$url")" "body after config:unset GREETING (the default again)"
admin config:get "$app" GREETING
((ADMIN_RC != 0)) || fail "config:get of an unset key exited 0"
assert_eq "porter: GREETING is not set in $app (production)" "$(cat "$ADMIN_ERR")" "config:get GREETING after unset"
assert_eq "PLAIN=plain-$$
QUOTED=say \"hi\" now" "$(config_list)" "config after unset"

# ----------------------------------------------- a bad key changes nothing
before_config=$(config_list)
before_count=$(releases_count)
one_line_refusal() { # WHAT: the command failed with exactly one line on stderr and nothing on stdout
  ((ADMIN_RC != 0)) || fail "$1 exited 0"
  assert_eq 1 "$(wc -l <"$ADMIN_ERR")" "lines on stderr for $1 ($(cat "$ADMIN_ERR"))"
  assert_eq "" "$(cat "$ADMIN_OUT")" "stdout of $1"
}
admin config:set "$app" 1BAD=x
one_line_refusal "config:set 1BAD=x"
assert_match "$ADMIN_ERR" "^porter: expected KEY=VALUE with a KEY of letters, digits and _ \(like DATABASE_URL\)$"
assert_not_contains "$ADMIN_ERR" "1BAD"  # a mistyped pair may be the secret itself: never echoed
admin config:set "$app" "GOOD=good-$$" 1BAD=x     # a good key beside a bad one: nothing is set
one_line_refusal "config:set GOOD=... 1BAD=x"
admin config:set "$app" "NOEQUALS"
one_line_refusal "config:set NOEQUALS"
admin config:unset "$app" 1BAD
one_line_refusal "config:unset 1BAD"
assert_match "$ADMIN_ERR" "^porter: invalid config key: keys are letters, digits and _"
assert_eq "$before_config" "$(config_list)" "config after the refused commands"
assert_eq "$before_count" "$(releases_count)" "releases after the refused commands"
assert_eq 404 "$(http_status "$url/env/GOOD")" "GET /env/GOOD after the refused config:set"

# ------------------------------------- secrets stay out of the logs
secret="tok-$$-Zq8xW3vB9"
admin_ok config:set "$app" "API_TOKEN=$secret"
assert_eq "$secret" "$(http_body "$url/env/API_TOKEN")" "the app's \$API_TOKEN"
# A push after it (the deploy log masks config values).
set_greeting "$REPO" "cfg-next-$$"
push_ts "$REPO"
expect_push_ok
assert_eq "$secret" "$(http_body "$url/env/API_TOKEN")" "\$API_TOKEN after the next push"
for value in "$secret" "$greeting" "plain-$$" 'say "hi" now'; do
  for f in "$DATA/gateway.log" "$DATA"/logs/*.log; do
    [[ -f $f ]] || continue
    ! grep -qF -- "$value" "$f" || fail "config value '$value' appears in $f: $(grep -F -- "$value" "$f" | head -n 2)"
  done
done
grep -q "config changed app=$app env=production keys=API_TOKEN" "$DATA/gateway.log" ||
  fail "the gateway log does not record the config change (by key) for API_TOKEN"

# --------------------------------------------------------- file modes
assert_eq 700 "$(stat -c %a "$DATA")" "mode of the data dir $DATA"
assert_eq 600 "$(stat -c %a "$DATA/state.db")" "mode of $DATA/state.db"
loose=$(find "$DATA/releases" -type f ! -perm 0600 -printf '%m %p\n')
assert_eq "" "$loose" "release files (manifests hold config values) not 0600"

# ------------------------------------------- deploys and deploy:log
id=$(deploy_id "$PUSH_OUT")
admin_ok deploys "$app"
assert_match "$ADMIN_OUT" "^#$id +production +main +$(git -C "$REPO" rev-parse --short=7 HEAD) +live +e2e-client "
assert_eq "$(db "SELECT count(*) FROM deploys WHERE app = '$app'")" "$(wc -l <"$ADMIN_OUT")" "lines of deploys"
admin_ok deploy:log "$id"
assert_contains "$ADMIN_OUT" "-----> Checked out "
assert_match "$ADMIN_OUT" "^=====> production v[0-9]+ is live at $url "
assert_not_contains "$ADMIN_OUT" "$secret"
admin deploy:log 999999
assert_eq "porter: no deploy #999999 that your key may see" "$(cat "$ADMIN_ERR")" "deploy:log of an unknown id"

# ------------------------------------------------------ run (one-off)
admin run "$app" -- sh -c "'exit 3'"
assert_eq 3 "$ADMIN_RC" "the exit status of run -- sh -c 'exit 3'"
admin_ok run "$app" -e production -- sh -c "'echo token=\$API_TOKEN; hostname; echo to-stderr >&2'"
assert_contains "$ADMIN_OUT" "token=$secret"  # the release's config, unmasked: the key may read it anyway
assert_contains "$ADMIN_ERR" "to-stderr"  # stderr stays apart
one_offs() { pod ps -a --format '{{.Names}}' | grep -c -- "^$app-production-v[0-9]*-run-" || true; }
# A client that goes away ends its one-off: nothing is left running.
timeout -s KILL 5 $(ssh_cmd_for "$CLIENT_KEY") -n -p "$GW_PORT" git@127.0.0.1 "run $app -- sleep 300" || true
wait_for 30 eval '(( $(one_offs) == 0 ))' || fail "one-off containers remain: $(pod ps -a --format '{{.Names}}' | grep -- "-run-")"
recorded() { grep -q "one-off app=$app env=production user=e2e-client release=v[0-9]* program=sleep exit=" "$DATA/gateway.log"; }
wait_for 30 recorded || fail "the gateway log does not record the ended one-off"
