#!/usr/bin/env bash
# Scenario: a Dockerfile build that prints nothing for 25 s still deploys.
#
# The gateway closes an SSH session after timeouts.idle seconds without a byte
# either way; here that is 10 s, shorter than the build's silence. What keeps
# the session alive is git itself: while the pre-receive hook (which relays
# the deploy) is quiet, receive-pack sends an empty sideband keepalive packet
# every receive.keepAlive seconds (git's default: 5). Those bytes cross the
# session, so the push must succeed, its client must have seen a silence
# longer than the idle timeout, and the app must go live.
#
# Control: the same silent build with keepalives switched off in the app's
# repository (receive.keepAlive=0) is cut off by the idle timeout in the
# middle of the silence, and the first release keeps serving. Without it, a
# gateway whose idle timer never bites would pass the first half for the
# wrong reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

IDLE=10     # timeouts.idle for this gateway, seconds
SILENCE=25  # the fixture's `sleep`, seconds

cat >"$TMP/gateway.yaml" <<YAML
timeouts: {idle: $IDLE}
YAML
start_gateway --config "$TMP/gateway.yaml"
new_app app silent
make_app_repo "$app" perl-web
set_greeting "$REPO" "after-silence-$$"
use_dockerfile "$REPO" dockerfiles/silent.Dockerfile "silentbust-$$-$RANDOM$RANDOM"
sha=$(head_sha "$REPO")

# silence_gap FILE: seconds (to the 0.1 s) between the line carrying the
# build's start marker and the next line the client received, "-" if either
# is missing. FILE is push_ts's timestamped output.
silence_gap() {
  awk '$0 ~ /silent-build-2-started/ && !t0 { t0 = $1; next }
       t0 && !t1 { t1 = $1 }
       END { if (t0 && t1) printf "%.1f\n", t1 - t0; else print "-" }' "$1"
}

# idle_log_lines: the gateway's log lines about closing an idle session
# ("ssh session idle timeout ...", "[git] session idle for N s, stopping git")
idle_log_lines() { grep -E 'idle timeout|idle for [0-9]+ s' "$DATA/gateway.log" || true; }

# 1. Keepalives on (git's default): the push survives the silence.
start=$SECONDS
push_ts "$REPO" porter main
log "push took $((SECONDS - start)) s"
expect_push_ok
assert_match "$PUSH_OUT" "^remote: -----> $app: deploy #[0-9]+ of main \([0-9a-f]{7,40}\) to production"
# Both markers come from the running shell (the STEP header shows $((...)) only).
assert_match "$PUSH_OUT" "^remote: .*silent-build-2-started"
assert_match "$PUSH_OUT" "^remote: .*silent-build-4-done"
gap=$(silence_gap "$PUSH_TS")
[[ $gap != - ]] || fail "could not find the start marker and a line after it in $PUSH_TS"
log "the client received nothing for $gap s after the build's start marker (idle timeout $IDLE s)"
# Nothing (no progress line of the gateway's own) filled the silence: the
# session really was quiet, but for git's keepalives, for longer than timeouts.idle.
awk -v g="$gap" -v min="$((IDLE + 5))" 'BEGIN { exit !(g >= min) }' ||
  fail "the client saw only a $gap s gap after the start marker; expected at least $((IDLE + 5)) s of silence (sleep $SILENCE)"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "after-silence-$$"
id=$(deploy_id "$PUSH_OUT")
assert_eq live "$(deploy_status "$id")" "deploys.status of #$id"
assert_eq "$sha" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main"
[[ -z $(idle_log_lines) ]] || fail "the gateway logged an idle session during the push that succeeded: $(idle_log_lines)"

# 2. Control: keepalives off in the app's repository. The session goes quiet
# for longer than timeouts.idle and the gateway hangs up mid-build.
server_repo="$DATA/repos/$app.git"
[[ -f $server_repo/HEAD ]] || server_repo="$DATA/repos/$app"
[[ -f $server_repo/HEAD ]] || fail "cannot find the app's bare repository under $DATA/repos: $(ls "$DATA/repos" 2>&1)"
git config --file "$server_repo/config" receive.keepAlive 0
set_greeting "$REPO" "never-live-$$"
use_dockerfile "$REPO" dockerfiles/silent.Dockerfile "silentbust-$$-$RANDOM$RANDOM"
start=$SECONDS
push_ts "$REPO" porter main
took=$((SECONDS - start))
log "push without keepalives ended after $took s"
expect_push_rejected
assert_match "$PUSH_OUT" "^remote: .*silent-build-2-started"
assert_not_contains "$PUSH_OUT" "silent-build-4-done"
assert_not_contains "$PUSH_OUT" "is live at"
# The hang-up (the next thing the client saw) came after timeouts.idle of
# silence, not earlier, and long before the build would have ended.
gap2=$(silence_gap "$PUSH_TS")
log "the gateway hung up $gap2 s after the build's start marker"
[[ $gap2 != - ]] && awk -v g="$gap2" -v lo="$((IDLE - 1))" -v hi="$SILENCE" 'BEGIN { exit !(g >= lo && g < hi) }' ||
  fail "expected the session to end between $((IDLE - 1)) and $SILENCE s after the start marker; the gap was $gap2 s"
id2=$(deploy_id "$PUSH_OUT")
log "gateway log: $(idle_log_lines | tail -n 1)"
# The build was cut off, not finished: the cancelled deploy never goes live.
not_running() { [[ $(deploy_status "$id2") != running ]]; }
wait_for 60 not_running || fail "deploy #$id2 still 'running' 60 s after its session was closed"
status2=$(deploy_status "$id2")
[[ $status2 != live ]] || fail "deploy #$id2 went live although its session was closed"
log "deploy #$id2 ended '$status2'"
assert_http "$url" "after-silence-$$"
assert_eq "$sha" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the cut-off push"
gateway_alive || fail "the gateway died"
