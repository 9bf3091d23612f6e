#!/usr/bin/env bash
# Scenario: day-2 process commands on the local engine, through the real
# SSH gateway.
#   logs -f: a line each web replica prints after the command started shows
#     within 2 s, prefixed web.0 / web.1; the stream ends with the client.
#   ps: each replica with its state and the sampler's CPU and memory.
#   ps:scale web=3: three healthy replicas behind the proxy with no failed
#     request under a request loop; the count outlasts a push and a gateway
#     restart. ps:resize sets the containers' memory limit (read back from
#     podman). Bad input gets one line and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

cat >"$TMP/gateway.yaml" <<'YAML'
autoscaler: {interval: 1}
YAML
start_gateway --config "$TMP/gateway.yaml"
new_app app procs
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    replicas: 2
    run: sh -c 'while :; do echo "tick $(date +%s%N)"; sleep 0.5; done & exec perl /app/server.pl'
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "two web replicas that tick"
set_greeting "$REPO" "v1-$$"
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)

# ---------------------------------------------------------------- logs -f
threads() { ls "/proc/$GW_PID/task" | wc -l; }
threads_before=$(threads)
FOLLOW="$TMP/follow.out"
started_ns=$(date +%s%N)
setsid bash -c "$(ssh_cmd_for "$CLIENT_KEY") -n -p $GW_PORT git@127.0.0.1 'logs $app -f --tail 0' |
  perl -MTime::HiRes=time -ne 'BEGIN { \$| = 1 } printf \"%d %s\", time * 1e9, \$_'" >"$FOLLOW" 2>&1 </dev/null &
follower=$!
BG_PIDS+=("$follower")
# A tick printed after the command started, by replica $1.
fresh_tick() { awk -v since="$started_ns" -v who="$1:" '$3 == who && $4 == "tick" && $5 > since' "$FOLLOW" | grep -q .; }
wait_for 20 fresh_tick web.0 || fail "logs -f showed no new line of web.0: $(head -c 600 "$FOLLOW")"
wait_for 5 fresh_tick web.1 || fail "logs -f showed no new line of web.1: $(head -c 600 "$FOLLOW")"
latency=$(awk -v since="$started_ns" '$4 == "tick" && $5 > since { d = ($1 - $5) / 1e6; if (d > max) max = d; sum += d; n++ }
  END { printf "%d lines, mean %.0f ms, max %.0f ms", n, sum / n, max }' "$FOLLOW")
log "FIGURE logs -f latency (app print -> client): $latency"
max_ms=$(awk -v since="$started_ns" '$4 == "tick" && $5 > since { d = ($1 - $5) / 1e6; if (d > max) max = d } END { printf "%d", max }' "$FOLLOW")
((max_ms < 2000)) || fail "a line took $max_ms ms to reach logs -f"
assert_match "$FOLLOW" "^[0-9]+ 20[0-9-]+T[0-9:.]+Z web\.[01]: tick"
kill -- -"$follower" 2>/dev/null || true
session_ended() { (($(threads) <= threads_before)); }
wait_for 15 session_ended || fail "the gateway kept $(($(threads) - threads_before)) more threads after the logs -f client went away"

admin_ok logs "$app" --tail 3 --service web
(($(wc -l <"$ADMIN_OUT") == 3)) || fail "logs --tail 3 printed $(wc -l <"$ADMIN_OUT") lines"

# --------------------------------------------------------------------- ps
has_figures() { admin ps "$app" && grep -qE '^web\.1 +v1 +running +0 .* [0-9.]+% +[0-9.]+ MiB' "$ADMIN_OUT"; }
wait_for 30 has_figures || fail "ps shows no CPU and memory of web.1"

# ------------------------------------------------- ps:scale under a request loop
LOOP="$TMP/loop"
mkdir -p "$LOOP"
: >"$LOOP/errors"
setsid bash -c '
  url=$1 dir=$2 n=0 bad=0
  while [[ ! -e $dir/stop ]] && ((n < 20000)); do
    n=$((n + 1))
    code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 "$url") || true
    [[ $code == 200 ]] || { bad=$((bad + 1)); echo "$n ${code:-000}" >>"$dir/errors"; }
    echo "$n" >"$dir/count"
  done
  echo "$n $bad" >"$dir/summary"
' request_loop "$url" "$LOOP" </dev/null >"$LOOP/log" 2>&1 &
BG_PIDS+=("$!")
requests() { loop_count "$LOOP"; }
more_requests() { (($(requests) >= $1)); }
wait_for 20 more_requests 10 || fail "the request loop does not run"

releases_before=$(db "SELECT COUNT(*) FROM releases")
scale_started=$(date +%s%N)
admin_ok ps:scale "$app" web=3
log "FIGURE ps:scale web=3, time to healthy and routed: $((($(date +%s%N) - scale_started) / 1000000)) ms"
assert_contains "$ADMIN_OUT" "production runs web x3"
running_webs() { release_pods "$app" production v1 | grep -c 'web-[0-9]-pod-0 Running' || true; }
assert_eq 3 "$(running_webs)" "running web pods of v1 after ps:scale web=3"
assert_eq "$releases_before" "$(db "SELECT COUNT(*) FROM releases")" "releases after ps:scale (it makes none)"
admin_ok ps "$app"
assert_match "$ADMIN_OUT" "^web\.2 +v1 +running"

# Bad input: one line each, nothing changes.
for bad in "web=lots" "nosuch=2" "web=0" "web=101"; do
  admin ps:scale "$app" "$bad"
  ((ADMIN_RC == 1)) || fail "ps:scale $bad exited $ADMIN_RC"
  assert_eq 1 "$(wc -l <"$ADMIN_ERR")" "lines of error for ps:scale $bad"
done
assert_contains "$ADMIN_ERR" "porter: the count of web must be a number from 0 to 100"
admin ps:resize "$app" web --memory 12X
assert_contains "$ADMIN_ERR" "--memory takes a size like 512M or 2G"
admin ps:scale other-$$ web=2
assert_contains "$ADMIN_ERR" "no app named 'other-$$'"
assert_eq 3 "$(running_webs)" "running web pods after refused commands"

# The count outlasts a push (still under the request loop)...
set_greeting "$REPO" "v2-$$"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "web x3"
touch "$LOOP/stop"
summary_written() { [[ -s $LOOP/summary ]]; }
wait_for 20 summary_written || fail "the request loop did not stop"
read -r total failed <"$LOOP/summary"
log "request loop: $total requests, $failed failed"
((failed == 0)) || fail "$failed of $total requests failed while scaling and pushing: $(head -n 5 "$LOOP/errors")"

# ... and a gateway restart; ps:resize and ps:restart are new releases of the live one.
stop_gateway
restart_gateway
admin_ok ps:resize "$app" web --memory 256M
assert_contains "$ADMIN_OUT" "v3 is live"
url=$(grep -o "is live at http://[^ ]*" "$ADMIN_OUT" | awk "{ print \$4 }")
admin_ok ps "$app"
assert_eq 3 "$(grep -cE '^web\.[0-2] +v3 +running' "$ADMIN_OUT")" "v3's running web replicas after the restart and the resize"
c=$(pod_container "$(release_pods "$app" production v3 | awk '/web-2/ { print $1 }')")
assert_eq 268435456 "$(pod inspect --format '{{.HostConfig.Memory}}' "$c")" "web.2's memory limit after ps:resize --memory 256M"
admin_ok ps:restart "$app"
assert_contains "$ADMIN_OUT" "v4 is live"
assert_http "$url" "v2-$$"
