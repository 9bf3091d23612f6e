#!/usr/bin/env bash
# Scenario: an app with two web replicas is deployed twice (v1 -> v2 -> v3)
# while a client requests it non-stop through the gateway's proxy: no request
# fails, and the client sees the old and the new bodies. Then a release whose
# health check never passes is rejected ("never became healthy ... rolled
# back"): the client never sees its body, v3 keeps answering, and none of the
# failed release's pods remain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app zdt
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    replicas: 2
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "two web replicas"
set_greeting "$REPO" "body-v1-$$"
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "Releasing v1 to cluster local: web x2"
assert_eq "body-v1-$$" "$(http_body "$url")" "v1 body"
web_pods() { release_pods "$app" production "$1" | awk '{ print $1 "=" $2 }' | tr '\n' ' '; }
assert_eq "$app-production-v1-web-0-pod-0=Running $app-production-v1-web-1-pod-0=Running " "$(web_pods v1)" "v1's pods"

# ------------------------------------------------- the client, non-stop
# Sequential GETs until $LOOP/stop exists (bounded: 120 s or 20000 requests).
# Records every change of body ("N BODY" in bodies), every failure ("N CODE
# BODY" in errors: non-200 answers, and 000 when curl got no answer at all)
# and, when it ends, "REASON REQUESTS OK FAILED" in summary.
LOOP="$TMP/loop"
mkdir -p "$LOOP"
: >"$LOOP/bodies"
: >"$LOOP/errors"
setsid bash -c '
  url=$1 dir=$2 n=0 ok=0 bad=0 last= reason=time
  end=$((SECONDS + 120))
  while ((SECONDS < end)); do
    [[ -e $dir/stop ]] && { reason=flag; break; }
    ((n < 20000)) || { reason=cap; break; }
    n=$((n + 1))
    code=$(curl -s -o "$dir/body" -w "%{http_code}" --max-time 10 "$url") || true
    if [[ $code == 200 ]]; then
      ok=$((ok + 1))
      body=$(<"$dir/body")
      [[ $body == "$last" ]] || { echo "$n $body" >>"$dir/bodies"; last=$body; }
    else
      bad=$((bad + 1))
      echo "$n ${code:-000} $(head -c 200 "$dir/body" 2>/dev/null | tr "\n" " ")" >>"$dir/errors"
    fi
    echo "$n" >"$dir/count"
  done
  echo "$reason $n $ok $bad" >"$dir/summary"
' request_loop "$url" "$LOOP" </dev/null >"$LOOP/log" 2>&1 &
BG_PIDS+=("$!")
disown "$!"

seen() { grep -qE "^[0-9]+ $1\$" "$LOOP/bodies"; }
requests() { loop_count "$LOOP"; }
more_requests() { (($(requests) >= $1)); }
wait_for 20 seen "body-v1-$$" || fail "the request loop never saw v1's body; errors: $(head -n 5 "$LOOP/errors")"

# ---------------------------------------------- two deploys under load
set_greeting "$REPO" "body-v2-$$"
push_ts "$REPO"
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null
assert_contains "$PUSH_OUT" "traffic switched to v2 in"
report_release_timing "$PUSH_TS" "v2 (web x2, cached build)"
wait_for 20 seen "body-v2-$$" || fail "the request loop never saw v2's body after v2 went live"

set_greeting "$REPO" "body-v3-$$"
push_ts "$REPO"
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null
report_release_timing "$PUSH_TS" "v3 (web x2, cached build)"
wait_for 20 seen "body-v3-$$" || fail "the request loop never saw v3's body after v3 went live"
assert_eq "$app-production-v3-web-0-pod-0=Running $app-production-v3-web-1-pod-0=Running " "$(web_pods v3)" "v3's pods"
assert_eq "" "$(web_pods v1)$(web_pods v2)" "pods of the superseded v1 and v2"

# ------------------------------------- a release that never becomes healthy
v3_sha=$(head_sha "$REPO")
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    replicas: 2
    healthcheck: {path: /missing, attempts: 4, timeout: 2}
YAML
git -C "$REPO" commit -q -am "health check on a path that answers 404"
set_greeting "$REPO" "body-v4-$$"
push_ts "$REPO"
expect_push_rejected
expect_failed_verdict "$PUSH_OUT"
assert_match "$PUSH_OUT" "release v4 never became healthy: GET /missing on web\.[01] answered 404 after 4 attempts; rolled back; the previous release \(v3\) is still serving"
assert_not_contains "$PUSH_OUT" "traffic switched"
assert_eq "$v3_sha" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the unhealthy release"
assert_eq "" "$(web_pods v4)" "pods of the failed release v4"
assert_eq "$app-production-v3-web-0-pod-0=Running $app-production-v3-web-1-pod-0=Running " "$(web_pods v3)" "v3's pods after the failed v4"
assert_eq "body-v3-$$" "$(http_body "$url")" "body after the failed v4"

# Let the client run on a little past the failed release, then stop it.
after=$(($(requests) + 20))
wait_for 30 more_requests "$after" || fail "the request loop stalled at $(requests) requests"
touch "$LOOP/stop"
summary_written() { [[ -s $LOOP/summary ]]; }
wait_for 20 summary_written || fail "the request loop did not stop within 20 s of being told"

read -r reason total ok failed <"$LOOP/summary"
log "request loop: $total requests, $ok ok, $failed failed (ended by $reason); body changes: $(tr '\n' ' ' <"$LOOP/bodies")"
assert_eq flag "$reason" "why the request loop ended (flag = told to stop; time/cap = it ran out first)"
((failed == 0)) || fail "$failed of $total requests failed during the deploys; first ones: $(head -n 10 "$LOOP/errors")"
((ok == total)) || fail "$ok of $total requests answered 200"
first_seen() { awk -v b="$1" '$2 == b { print $1; exit }' "$LOOP/bodies"; }
s1=$(first_seen "body-v1-$$") s2=$(first_seen "body-v2-$$") s3=$(first_seen "body-v3-$$")
[[ -n $s1 && -n $s2 && -n $s3 ]] && ((s1 < s2 && s2 < s3)) ||
  fail "expected the client to see v1, then v2, then v3; body changes were: $(tr '\n' ' ' <"$LOOP/bodies")"
! seen "body-v4-$$" || fail "the client was served the unhealthy release's body v4"
assert_eq "body-v3-$$" "$(tail -n 1 "$LOOP/bodies" | cut -d' ' -f2-)" "the last body the client saw"
