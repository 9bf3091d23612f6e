#!/usr/bin/env bash
# Scenario (issue 12, item 8): a stranger must not stop the gateway.
#  1. Default caps (limits.preauth_connections 100, preauth_per_address 10):
#     1,000 idle TCP connections (no SSH byte sent) from 9 loopback addresses
#     other than 127.0.0.1; 10 per address are held, the other 910 are closed
#     at accept, and the log says so once per address. While they are held a
#     real push deploys and `apps:list` answers within a few seconds.
#  2. Caps raised in gateway.yaml: all 1,000 are held (each with its session
#     thread), and a push and `apps:list` still work. The gateway's RSS is
#     reported (FIGURE) in both cases.
#  3. limits.sessions_per_key 20 (default): 20 sessions of one key held open
#     (git-upload-pack waiting for its client), the 21st is refused with
#     "porter: too many sessions for this key (20)" and exit status 1; once one
#     ends, a new one is let in.
. "$(dirname "$0")/lib.sh"

N=1000
SOURCES=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9,127.0.0.10
# Long enough an auth timeout that the held connections stay held throughout.
printf 'timeouts: {auth: 120}\n' >"$TMP/gateway.yaml"

figure() {
  log "FIGURE $1: $2"
  [[ -z ${E2E_FIGURES:-} ]] || echo "$TEST_NAME | $1 | $2" >>"$E2E_FIGURES"
}
status_field() { grep -oE "^$2:[[:space:]]+[0-9]+" "/proc/$1/status" | grep -oE '[0-9]+$'; }

cat >"$TMP/flood.py" <<'PY'
# flood.py PORT N SOURCES STATUS STOP: opens N TCP connections to
# 127.0.0.1:PORT, from the source addresses SOURCES (comma-separated) in
# turn, sends nothing, and sorts them: closed by the gateway, or held (the
# gateway's SSH banner arrived, or nothing yet). Writes "connected= held=
# closed= failed=" to STATUS, and holds the open ones until STOP exists.
import errno, os, resource, socket, sys, time

port, n, sources, status, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4], sys.argv[5]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
socks, failed = [], 0
for i in range(n):
    s = socket.socket()
    try:
        s.bind((sources[i % len(sources)], 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
    except OSError:
        failed += 1
        s.close()

def sort():
    held = closed = 0
    for s in socks:
        try:
            data = s.recv(256, socket.MSG_PEEK)
            if data: held += 1
            else: closed += 1
        except BlockingIOError:
            held += 1
        except OSError:
            closed += 1
    return held, closed

def banners():
    count = 0
    for s in socks:
        try:
            if s.recv(256, socket.MSG_PEEK).startswith(b"SSH-"): count += 1
        except OSError:
            pass
    return count

# Settled: every connection either closed or greeted by the gateway.
deadline = time.time() + 20
while time.time() < deadline:
    held, closed = sort()
    if banners() == held: break
    time.sleep(0.2)
held, closed = sort()
with open(status + ".tmp", "w") as f:
    f.write(f"connected={len(socks)} held={held} closed={closed} failed={failed} greeted={banners()}\n")
os.rename(status + ".tmp", status)
while not os.path.exists(stop):
    time.sleep(0.2)
held, closed = sort()
with open(status + ".end", "w") as f:
    f.write(f"held={held} closed={closed}\n")
PY

FLOOD_PID=
# start_flood NAME: N connections in the background; waits until they are sorted.
start_flood() {
  rm -f "$TMP/$1.status" "$TMP/$1.stop"
  setsid python3 "$TMP/flood.py" "$GW_PORT" "$N" "$SOURCES" "$TMP/$1.status" "$TMP/$1.stop" \
    </dev/null >"$TMP/$1.log" 2>&1 &
  FLOOD_PID=$!
  BG_PIDS+=("$FLOOD_PID")
  disown "$FLOOD_PID"
  local start=$SECONDS
  wait_for 60 test -s "$TMP/$1.status" || fail "the flood did not settle: $(cat "$TMP/$1.log")"
  FLOOD=$(<"$TMP/$1.status")
  log "flood of $N connections settled in $((SECONDS - start)) s: $FLOOD"
}
stop_flood() {
  touch "$TMP/$1.stop"
  wait_for 20 test -s "$TMP/$1.status.end" || fail "the flood did not end"
  log "flood at its end: $(<"$TMP/$1.status.end")"
  kill -KILL -- "-$FLOOD_PID" 2>/dev/null || true
}
field() { grep -oE "(^| )$1=[0-9]+" <<<"$2" | cut -d= -f2; }

# push_and_list WHAT GREETING: a push that must deploy, and apps:list that
# must answer within 5 s, while the flood is held.
push_and_list() {
  set_greeting "$REPO" "$2"
  local start=$SECONDS
  push "$REPO" porter main
  expect_push_ok
  url=$(expect_live "$PUSH_OUT" production)
  assert_http "$url" "$2"
  figure "push during the flood ($1)" "$((SECONDS - start)) s"
  local t0 t1
  t0=$(date +%s%N)
  timeout 5 $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" git@127.0.0.1 apps:list >"$TMP/list.out" 2>&1 ||
    fail "apps:list did not answer within 5 s during the flood ($1): $(cat "$TMP/list.out")"
  t1=$(date +%s%N)
  assert_contains "$TMP/list.out" "$app"
  figure "apps:list during the flood ($1)" "$(((t1 - t0) / 1000000)) ms"
}

rss_figure() { # WHAT HELD
  local rss threads
  rss=$(status_field "$GW_PID" VmRSS)
  threads=$(status_field "$GW_PID" Threads)
  figure "gateway RSS, $1" "${rss} kB (${threads} threads; baseline ${BASE_RSS} kB, $(((rss - BASE_RSS) / ($2 > 0 ? $2 : 1))) kB per held connection, $2 held)"
}

# ---- 1. default caps
start_gateway --config "$TMP/gateway.yaml"
new_app app flood
make_app_repo "$app" perl-web
BASE_RSS=$(status_field "$GW_PID" VmRSS)
log "gateway RSS before the flood: $BASE_RSS kB"

start_flood default
held=$(field held "$FLOOD")
closed=$(field closed "$FLOOD")
(($(field connected "$FLOOD") == N)) || fail "not all $N connections were made: $FLOOD"
((held == 90 && closed == 910)) ||
  fail "with the default caps, 10 connections per address (90) should be held and 910 closed at accept: $FLOOD"
rss_figure "1,000 connections at default caps" "$held"
push_and_list "default caps" "default-$$"
gateway_alive || fail "the gateway died"

refusals=$(grep -c 'refused a connection from 127\.0\.0\.' "$DATA/gateway.log" || true)
grep 'refused a connection from' "$DATA/gateway.log" | head -n 3 | sed 's/^/    | /'
((refusals >= 1)) || fail "the gateway's log shows no refusal"
# Once per address per minute: at most one line for each of the 9 addresses.
((refusals <= 9)) || fail "$refusals refusal lines for 9 addresses in under a minute: the log is flooded"
grep -q 'refused a connection from 127\.0\.0\.2: 10 connections not yet authenticated from this address (limits.preauth_per_address)' \
  "$DATA/gateway.log" || fail "no refusal line for 127.0.0.2 naming limits.preauth_per_address"
assert_not_contains "$DATA/gateway.log" "refused a connection from 127.0.0.1:"
stop_flood default

# ---- 2. caps raised: all 1,000 are taken
printf 'timeouts: {auth: 120}\nlimits: {preauth_connections: 2000, preauth_per_address: 1000}\n' >"$TMP/gateway.yaml"
stop_gateway
restart_gateway
git -C "$REPO" remote set-url porter "$(remote_url "$app")"  # a new port
BASE_RSS=$(status_field "$GW_PID" VmRSS)
start_flood raised
held=$(field held "$FLOOD")
((held == N && $(field greeted "$FLOOD") == N)) || fail "with the caps raised, all $N connections should be held: $FLOOD"
rss_figure "1,000 connections held (caps raised)" "$held"
push_and_list "caps raised, 1,000 held" "raised-$$"
gateway_alive || fail "the gateway died"
end_refusals=$(grep -c 'refused a connection from' "$DATA/gateway.log" || true)
((end_refusals == refusals)) || fail "connections were refused with the caps raised"
stop_flood raised
(($(field held "$(<"$TMP/raised.status.end")") == N)) || fail "held connections were dropped during the flood"

# ---- 3. sessions per key
# hold_session I: git-upload-pack of the app, waiting for its client (which
# sends nothing) after the ref advertisement.
cat >"$TMP/hold.sh" <<'SH'
# hold.sh SSH_COMMAND PORT APP OUT: stdin stays open and silent for 120 s
$1 -p "$2" git@127.0.0.1 "git-upload-pack '$3'" >"$4.out" 2>"$4.err" < <(sleep 120)
echo $? >"$4.rc"
SH
hold_session() {
  setsid bash "$TMP/hold.sh" "$(ssh_cmd_for "$CLIENT_KEY")" "$GW_PORT" "$app" "$TMP/session-$1" </dev/null &
  BG_PIDS+=("$!")
  SESSION_PIDS[$1]=$!
  disown "$!"
}
session_state() { [[ -s $TMP/session-$1.out || -s $TMP/session-$1.rc ]]; }
declare -A SESSION_PIDS
for i in $(seq 1 20); do
  hold_session "$i"
  wait_for 15 session_state "$i" || fail "session $i got no answer"
  [[ ! -e $TMP/session-$i.rc ]] || fail "session $i of 20 ended: exit $(<"$TMP/session-$i.rc"): $(cat "$TMP/session-$i.err")"
done
log "20 sessions of one key held open"
hold_session 21
wait_for 15 test -s "$TMP/session-21.rc" || fail "the 21st session of the key was not refused (it is still open)"
assert_eq 1 "$(<"$TMP/session-21.rc")" "the 21st session's exit status"
assert_contains "$TMP/session-21.err" "porter: too many sessions for this key (20)"
[[ ! -s $TMP/session-21.out ]] || fail "the refused session got output: $(head -c 200 "$TMP/session-21.out")"
for i in $(seq 1 20); do [[ ! -e $TMP/session-$i.rc ]] || fail "session $i ended while the 21st was refused"; done
assert_contains "$DATA/gateway.log" 'reason="too many sessions for this key (20)"'
figure "sessions per key" "20 held, the 21st refused: $(tr -d '\r' <"$TMP/session-21.err")"
# One ends: its slot is free again.
kill -KILL -- "-${SESSION_PIDS[1]}"
gw_slot_free() { gw_ssh git@127.0.0.1 apps:list >"$TMP/after.out" 2>&1; }
wait_for 10 gw_slot_free || fail "no new session after one of 20 ended: $(cat "$TMP/after.out")"
assert_contains "$TMP/after.out" "$app"
for i in $(seq 2 20); do kill -KILL -- "-${SESSION_PIDS[$i]}" 2>/dev/null || true; done
