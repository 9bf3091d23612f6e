#!/usr/bin/env bash
# Scenario: the dashboard's HTTP API, end to end with curl and a cookie jar.
#   Login: `ssh ... dashboard` prints a one-use link; it sets an HttpOnly,
#     SameSite=Strict session cookie; a reused or expired link gets 403.
#   Every API endpoint without a session: 401. A key limited to staging sees
#     no production data and gets 403 there; a key for another app gets 403.
#   A POST without the CSRF token: 403; malformed JSON: 400 with a message.
#   PATCH config makes one release and the app answers the new value;
#   rollback brings the old value back.
#   The deploy log streams a running push's lines; app logs stream live.
#   Resize (POST .../resize) makes a new release with the new memory limit;
#   a bad value is 400 and makes none; no CSRF token or another key: 403.
#   The apps list gives each environment's health and the image size.
#   CPU and memory samples outlast a gateway restart (charts and `ps`).
#   dashboard:logout-all turns the cookie into 401.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

mkdir -p "$TMP/keys"
gen_key "$TMP/keys/staging" staging-only
gen_key "$TMP/keys/other" other-app
EXTRA_AUTHORIZED_KEYS="environments=\"staging\" $(cat "$TMP/keys/staging.pub")
apps=\"someother\" $(cat "$TMP/keys/other.pub")"
cat >"$TMP/gateway.yaml" <<'YAML'
dashboard: {login_seconds: 2, session_hours: 1}
YAML
start_gateway --config "$TMP/gateway.yaml"
wait_for 10 test -s "$DATA/dashboard.addr" || fail "no $DATA/dashboard.addr"
DASH="http://$(<"$DATA/dashboard.addr")"
log "dashboard at $DASH"

new_app app dash
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    run: sh -c 'while :; do echo "tick $(date +%s%N)"; sleep 0.5; done & exec perl /app/server.pl'
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "a web process that ticks"
set_greeting "$REPO" "v1-$$"
# A build slow enough that its log is read while it runs.
sed -i 's/^RUN echo built$/RUN echo building-slowly-'$$' \&\& sleep 4 \&\& echo built/' "$REPO/Dockerfile"
grep -q "building-slowly-$$" "$REPO/Dockerfile" || fail "could not slow the fixture's build down"
git -C "$REPO" commit -q -am "a slower build"
ENV_PATH="/api/v1/apps/$app/environments/production"

# ------------------------------------------------------------------ helpers

# dashboard_link KEY: runs `ssh ... dashboard` with KEY; prints the link.
dashboard_link() {
  local out="$TMP/link.out"
  # shellcheck disable=SC2046
  $(ssh_cmd_for "$1") -n -p "$GW_PORT" git@127.0.0.1 dashboard >"$out" 2>&1 || fail "ssh dashboard failed: $(cat "$out")"
  (($(wc -l <"$out") == 1)) || fail "ssh dashboard printed more than one line: $(cat "$out")"
  grep -qE "^Open http://127\.0\.0\.1:[0-9]+/login/[0-9a-f]{64} within 2 s \(one use\)$" "$out" ||
    fail "unexpected ssh dashboard line: $(cat "$out")"
  grep -oE 'http://[^ ]+' "$out"
}

# open_link LINK JAR: GET the link with a cookie jar; sets LINK_CODE, LINK_HEADERS.
open_link() {
  LINK_HEADERS="$TMP/link.headers"
  LINK_CODE=$(curl -s -o /dev/null -D "$LINK_HEADERS" -w '%{http_code}' --max-time 10 -c "$2" "$1") || LINK_CODE=000
}

# api JAR METHOD PATH [BODY]: sets API_CODE and API_OUT (the body). Sends the
# CSRF token in $CSRF when it is set.
api() {
  local jar=$1 method=$2 path=$3
  API_OUT="$TMP/api.out"
  local args=(-s -o "$API_OUT" -w '%{http_code}' --max-time 120 -X "$method" -b "$jar")
  [[ -n ${CSRF:-} ]] && args+=(-H "X-CSRF-Token: $CSRF")
  (($# >= 4)) && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  API_CODE=$(curl "${args[@]}" "$DASH$path") || API_CODE=000
}

expect_code() { # CODE WHAT
  [[ $API_CODE == "$1" ]] || fail "$2: expected HTTP $1, got $API_CODE: $(head -c 400 "$API_OUT")"
}

json() { jq -r "$1" "$API_OUT"; }

# login KEY JAR: a session for KEY in JAR; sets CSRF.
login() {
  open_link "$(dashboard_link "$1")" "$2"
  [[ $LINK_CODE == 303 ]] || fail "login link answered $LINK_CODE, not 303"
  CSRF=
  api "$2" GET /api/v1/session
  expect_code 200 "GET /api/v1/session"
  CSRF=$(json .csrf)
}

# ---------------------------------------------------------------- login
JAR="$TMP/jar"
link=$(dashboard_link "$CLIENT_KEY")
open_link "$link" "$JAR"
[[ $LINK_CODE == 303 ]] || fail "login link answered $LINK_CODE, not 303"
grep -qi '^location: /' "$LINK_HEADERS" || fail "no redirect to /: $(cat "$LINK_HEADERS")"
cookie=$(grep -i '^set-cookie: porter_session=' "$LINK_HEADERS") || fail "no session cookie: $(cat "$LINK_HEADERS")"
for attribute in HttpOnly SameSite=Strict Path=/ Max-Age=3600; do
  [[ $cookie == *"$attribute"* ]] || fail "the session cookie lacks $attribute: $cookie"
done
open_link "$link" "$TMP/jar-reused"
[[ $LINK_CODE == 403 ]] || fail "a reused login link answered $LINK_CODE, not 403"
expired=$(dashboard_link "$CLIENT_KEY")
sleep 3  # login_seconds is 2: this waits for the expiry itself
open_link "$expired" "$TMP/jar-expired"
[[ $LINK_CODE == 403 ]] || fail "an expired login link answered $LINK_CODE, not 403"
CSRF=
api "$TMP/jar-expired" GET /api/v1/session
expect_code 401 "session after an expired link"

api "$JAR" GET /api/v1/session
expect_code 200 "GET /api/v1/session"
[[ $(json .user) == e2e-client ]] || fail "session user is $(json .user)"
CSRF=$(json .csrf)
[[ $CSRF =~ ^[0-9a-f]{64}$ ]] || fail "no CSRF token in the session: $(cat "$API_OUT")"

# ------------------------------------------------ a running deploy's log
push_bg "$REPO" "$TMP/slow-push.out"
running_deploy() {
  deploy=$(db "SELECT id FROM deploys WHERE app = '$app' AND status IN ('queued', 'running') ORDER BY id DESC LIMIT 1")
  [[ -n $deploy ]]
}
wait_for 30 running_deploy || fail "the background push started no deploy"
STREAM="$TMP/deploy.sse"
setsid curl -s -N --max-time 150 -b "$JAR" "$DASH/api/v1/deploys/$deploy/log" >"$STREAM" 2>&1 </dev/null &
BG_PIDS+=("$!")
wait_for 60 grep -q "^data: .*building-slowly-$$" "$STREAM" || fail "the deploy log stream showed no build line: $(head -c 800 "$STREAM")"
[[ ! -s $TMP/slow-push.out.rc ]] || fail "the push had finished before its log line streamed"
wait_for 150 grep -q "^event: end" "$STREAM" || fail "the deploy log stream did not end after the deploy: $(tail -c 600 "$STREAM")"
wait_for 30 test -s "$TMP/slow-push.out.rc" || fail "the background push did not finish"
[[ $(bg_rc "$TMP/slow-push.out") == 0 ]] || fail "the slow push failed: $(cat "$TMP/slow-push.out")"
grep -q "^data: .*is live at" "$STREAM" || fail "the stream lacks the verdict: $(tail -c 600 "$STREAM")"
PUSH_OUT="$TMP/slow-push.out"
url=$(expect_live "$PUSH_OUT" production)

# ------------------------------------------------- no session: 401 everywhere
SAVED_CSRF=$CSRF
CSRF=
for endpoint in "GET /api/v1/session" "GET /api/v1/apps" "GET $ENV_PATH" "GET $ENV_PATH/releases" \
  "POST $ENV_PATH/rollback" "GET $ENV_PATH/config" "GET $ENV_PATH/config/X" "PATCH $ENV_PATH/config" \
  "GET $ENV_PATH/deploys" "GET /api/v1/deploys/1/log" "GET $ENV_PATH/logs" "GET $ENV_PATH/metrics" \
  "POST $ENV_PATH/scale" "POST $ENV_PATH/resize"; do
  read -r method path <<<"$endpoint"
  api /dev/null "$method" "$path" '{}'
  expect_code 401 "$endpoint without a session"
  [[ -n $(json .error) ]] || fail "$endpoint: 401 without an error message"
done
CSRF=$SAVED_CSRF

# ------------------------------------------------------------ reads
api "$JAR" GET /api/v1/apps
expect_code 200 "GET /api/v1/apps"
[[ $(json ".[] | select(.name == \"$app\") | .environments[] | select(.name == \"production\") | .release.version") == 1 ]] ||
  fail "/apps does not show production v1: $(cat "$API_OUT")"
production_in_apps() { jq ".[] | select(.name == \"$app\") | .environments[] | select(.name == \"production\") | $1" "$API_OUT"; }
IMAGE_SIZE=$(production_in_apps .release.image_size)
[[ $IMAGE_SIZE =~ ^[0-9]+$ ]] && ((IMAGE_SIZE > 1000000)) || fail "/apps gives no image size: $(cat "$API_OUT")"
log "FIGURE image size of v1: $IMAGE_SIZE bytes"
[[ $(production_in_apps '.health | "\(.summary) \(.ready)/\(.wanted)"') == '"healthy 1/1"' ]] ||
  fail "/apps does not show production healthy 1/1: $(cat "$API_OUT")"
api "$JAR" GET "$ENV_PATH"
expect_code 200 "GET environment"
[[ $(json .release.version) == 1 && $(json '.replicas[0].service') == web ]] || fail "environment: $(cat "$API_OUT")"
[[ $(json .release.image_size) == "$IMAGE_SIZE" && $(json .health.summary) == healthy ]] || fail "environment: $(cat "$API_OUT")"
# The first request asks the engine (podman inspect); the next ones within 3 s reuse its answer.
sleep 3.5  # lets the answer fetched just above go stale, so the first timing below is a cold one
cold=$(curl -s -o /dev/null -w '%{time_total}' -b "$JAR" "$DASH$ENV_PATH")
total=0
for _ in 1 2 3 4 5 6 7 8 9; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -b "$JAR" "$DASH$ENV_PATH")
  total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
done
log "FIGURE GET $ENV_PATH: $(awk -v c="$cold" -v t="$total" 'BEGIN { printf "%.0f ms asking the engine, then mean %.1f ms over 9", c * 1000, t * 1000 / 9 }')"
api "$JAR" GET "$ENV_PATH/deploys"
expect_code 200 "GET deploys"
[[ $(json '.[0].status') == live ]] || fail "deploys: $(cat "$API_OUT")"
api "$JAR" GET "$ENV_PATH/metrics?since=600"
expect_code 200 "GET metrics"
[[ $(json '.replicas[0].name') == web.0 ]] || fail "metrics: $(cat "$API_OUT")"

# ------------------------------------------------------ other keys: 403
STAGING_JAR="$TMP/jar-staging"
login "$TMP/keys/staging" "$STAGING_JAR"
api "$STAGING_JAR" GET /api/v1/apps
expect_code 200 "staging key: GET /apps"
! grep -q production "$API_OUT" || fail "a staging-only key sees production in /apps: $(cat "$API_OUT")"
for endpoint in "GET $ENV_PATH" "GET $ENV_PATH/releases" "GET $ENV_PATH/config" "GET $ENV_PATH/deploys" \
  "GET $ENV_PATH/metrics" "GET $ENV_PATH/logs"; do
  read -r method path <<<"$endpoint"
  api "$STAGING_JAR" "$method" "$path"
  expect_code 403 "staging key: $endpoint"
done
api "$STAGING_JAR" POST "$ENV_PATH/rollback" '{"version": 1}'
expect_code 403 "staging key: POST rollback"
api "$STAGING_JAR" GET "/api/v1/deploys/$(deploy_id "$PUSH_OUT")/log"
expect_code 403 "staging key: a production deploy's log"
OTHER_JAR="$TMP/jar-other"
login "$TMP/keys/other" "$OTHER_JAR"
api "$OTHER_JAR" GET "/api/v1/apps/$app/environments/staging"
expect_code 403 "another app's key"
api "$OTHER_JAR" GET /api/v1/apps
[[ $(json length) == 0 ]] || fail "another app's key sees apps: $(cat "$API_OUT")"
api "$JAR" GET /api/v1/session
CSRF=$(json .csrf)

# ------------------------------------------------------- CSRF and bad JSON
SAVED_CSRF=$CSRF
CSRF=
api "$JAR" PATCH "$ENV_PATH/config" '{"set": {"A": "1"}}'
expect_code 403 "PATCH without X-CSRF-Token"
CSRF=wrong
api "$JAR" POST "$ENV_PATH/rollback" '{"version": 1}'
expect_code 403 "POST with a wrong X-CSRF-Token"
CSRF=$SAVED_CSRF
api "$JAR" PATCH "$ENV_PATH/config" '{"set": '
expect_code 400 "malformed JSON"
[[ -n $(json .error) ]] || fail "400 without a message"
api "$JAR" PATCH "$ENV_PATH/config" '{"set": {"1BAD": "x"}}'
expect_code 422 "an invalid key"

# --------------------------------------------------- config and rollback
api "$JAR" PATCH "$ENV_PATH/config" '{"set": {"DASH_VAR": "one-'$$'", "OTHER": "x"}}'
expect_code 200 "PATCH config"
api "$JAR" PATCH "$ENV_PATH/config" '{"set": {"DASH_VAR": "two-'$$'"}, "unset": ["OTHER"]}'
expect_code 200 "PATCH config set+unset"
api "$JAR" GET "$ENV_PATH/releases"
[[ $(json '.[0].version') == 3 && $(json '.[0].status') == live ]] || fail "no live v3 after two PATCHes: $(cat "$API_OUT")"
[[ $(json '[.[].image_size] | unique | .[]') == "$IMAGE_SIZE" ]] || fail "releases without the image's size: $(cat "$API_OUT")"
assert_http "$url/env/DASH_VAR" "two-$$"
[[ $(http_status "$url/env/OTHER") == 404 ]] || fail "OTHER is still set in the app"
api "$JAR" GET "$ENV_PATH/config"
[[ $(json .vars.DASH_VAR) == '*****' ]] || fail "config values are not masked: $(cat "$API_OUT")"
! grep -q "two-$$" "$API_OUT" || fail "a config value leaked"
api "$JAR" GET "$ENV_PATH/config/DASH_VAR"
[[ $(json .value) == "two-$$" ]] || fail "revealing DASH_VAR: $(cat "$API_OUT")"
api "$JAR" POST "$ENV_PATH/rollback" '{"version": 2}'
expect_code 200 "rollback to v2"
[[ $(json .ok) == true && $(json .warning) == *migrations* ]] || fail "rollback answer: $(cat "$API_OUT")"
assert_http "$url/env/DASH_VAR" "one-$$"
api "$JAR" POST "$ENV_PATH/rollback" '{"version": 99}'
expect_code 422 "rollback to a release that does not exist"
[[ $(json .ok) == false && -n $(json .error) ]] || fail "refused rollback answer: $(cat "$API_OUT")"
! grep -q "one-$$\|two-$$" "$DATA/gateway.log" 2>/dev/null || fail "a config value is in the gateway log"

# ------------------------------------------------------- app logs, live
LOGS="$TMP/logs.sse"
started_ns=$(date +%s%N)
setsid bash -c "curl -s -N --max-time 60 -b '$JAR' '$DASH$ENV_PATH/logs?service=web&tail=0' |
  perl -MTime::HiRes=time -ne 'BEGIN { \$| = 1 } printf \"%d %s\", time * 1e9, \$_'" >"$LOGS" 2>&1 </dev/null &
BG_PIDS+=("$!")
fresh_ticks() { (($(awk -v since="$started_ns" '$2 == "data:" && $5 == "tick" && $6 > since' "$LOGS" | wc -l) >= 3)); }
wait_for 20 fresh_ticks || fail "the logs stream showed no new tick: $(head -c 600 "$LOGS")"
log "FIGURE app print -> SSE latency: $(awk -v since="$started_ns" '$2 == "data:" && $5 == "tick" && $6 > since {
  d = ($1 - $6) / 1e6; if (d > max) max = d; sum += d; n++ } END { printf "%d lines, mean %.0f ms, max %.0f ms", n, sum / n, max }' "$LOGS")"

# ---------------------------------------------------------- scale
api "$JAR" POST "$ENV_PATH/scale" '{"web": 2}'
expect_code 200 "scale web to 2"
api "$JAR" GET "$ENV_PATH"
[[ $(json '.replicas | length') == 2 ]] || fail "not 2 replicas after scaling: $(cat "$API_OUT")"
api "$JAR" GET /api/v1/apps
[[ $(production_in_apps '.health | "\(.summary) \(.ready)/\(.wanted)"') == '"healthy 2/2"' ]] ||
  fail "/apps does not show production healthy 2/2 after scaling: $(cat "$API_OUT")"

# ---------------------------------------------------------- resize
live_version() { api "$JAR" GET "$ENV_PATH/releases" && json '.[0] | select(.status == "live") | .version'; }
before=$(live_version)
for bad in '{"service": "web", "memory": "lots"}' '{"service": "web", "memory": "1K"}' '{"service": "web", "cpu": "-1"}' \
  '{"service": "web"}' '{"memory": "256M"}' '{"service": "web", "memory": "256M", "disk": "1G"}' '{"service": '; do
  api "$JAR" POST "$ENV_PATH/resize" "$bad"
  expect_code 400 "resize $bad"
  [[ -n $(json .error) && $(json .error | wc -l) == 1 ]] || fail "resize $bad: not a one-line error: $(cat "$API_OUT")"
done
SAVED_CSRF=$CSRF
CSRF=
api "$JAR" POST "$ENV_PATH/resize" '{"service": "web", "memory": "256M"}'
expect_code 403 "resize without X-CSRF-Token"
for key in other staging; do
  api "$TMP/jar-$key" GET /api/v1/session
  CSRF=$(json .csrf)
  api "$TMP/jar-$key" POST "$ENV_PATH/resize" '{"service": "web", "memory": "256M"}'
  expect_code 403 "$key key: resize production"
done
CSRF=$SAVED_CSRF
[[ $(live_version) == "$before" ]] || fail "a refused resize made a release: v$before is no longer the newest"
api "$JAR" POST "$ENV_PATH/resize" '{"service": "web", "memory": "256M", "cpu": "0.5"}'
expect_code 200 "resize web to 256M and 0.5 CPU"
[[ $(live_version) == $((before + 1)) ]] || fail "no live v$((before + 1)) after resizing: $(cat "$API_OUT")"
api "$JAR" GET "$ENV_PATH"
[[ $(json .resources.web.memory_bytes) == 268435456 && $(json .resources.web.millicpu) == 500 ]] ||
  fail "the environment does not show web's new size: $(cat "$API_OUT")"
c=$(pod_container "$(release_pods "$app" production "v$((before + 1))" | awk '/web-0/ { print $1 }')")
assert_eq 268435456 "$(pod inspect --format '{{.HostConfig.Memory}}' "$c")" "web.0's memory limit after resizing to 256M"
api "$JAR" POST "$ENV_PATH/resize" '{"service": "nosuch", "memory": "256M"}'
expect_code 422 "resize a service that does not exist"

# -------------------------------------------- metrics outlast a restart
has_samples() {
  api "$JAR" GET "$ENV_PATH/metrics?since=3600" && (($(jq '[.replicas[].samples | length] | add // 0' "$API_OUT") >= 2))
}
wait_for 40 has_samples || fail "no CPU and memory samples before the restart: $(cat "$API_OUT")"
stopped_at=$(date +%s)
stop_gateway
rm -f "$DATA/dashboard.addr"
restart_gateway
restarted_at=$(date +%s)
DASH="http://$(<"$DATA/dashboard.addr")"
admin_ok ps "$app"
grep -qE '^web\.0 .* [0-9.]+% +[0-9.]+ MiB' "$ADMIN_OUT" || fail "ps shows no figures right after the restart: $(cat "$ADMIN_OUT")"
login "$TMP/keys/staging" "$STAGING_JAR"  # sessions live in memory: both keys log in again
login "$CLIENT_KEY" "$JAR"
api "$JAR" GET "$ENV_PATH/metrics?since=3600"
expect_code 200 "GET metrics after the restart"
kept=$(jq --argjson t "$stopped_at" '[.replicas[].samples[] | select(.at <= $t)] | length' "$API_OUT")
((kept >= 2)) || fail "no samples from before the restart: $(cat "$API_OUT")"
log "FIGURE metrics after a restart: $kept samples from before it, $(($(date +%s) - restarted_at)) s after it started"
db "SELECT COUNT(*) FROM metric_samples" | grep -qE '^[1-9]' || fail "no rows in metric_samples"

# ------------------------------------------------------ logout-all
# shellcheck disable=SC2046
out=$($(ssh_cmd_for "$CLIENT_KEY") -n -p "$GW_PORT" git@127.0.0.1 dashboard:logout-all)
[[ $out == "ended 1 dashboard session of e2e-client" ]] || fail "logout-all said: $out"
api "$JAR" GET /api/v1/apps
expect_code 401 "the cookie after dashboard:logout-all"
api "$STAGING_JAR" GET /api/v1/session
expect_code 200 "another key's session after logout-all"
