#!/usr/bin/env bash
# Scenario: 5 clones push different commits to main of one app at once. The
# env lock serializes them (someone waits: "waiting for deploy #"); the pushes
# that lose are rejected as stale (or non-fast-forward); in the end the live
# app answers with the content of the commit the server's main points to.
. "$(dirname "$0")/lib.sh"

N=5
start_gateway
new_app app race
make_app_repo "$app" perl-web "$TMP/base"
set_greeting "$REPO" "base-$$"
base=$(head_sha "$REPO")
push "$REPO" porter main
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null

declare -A greeting_of=()
for i in $(seq 1 $N); do
  git clone -q "$TMP/base" "$TMP/c$i"
  git -C "$TMP/c$i" remote add porter "$(remote_url "$app")"
  set_greeting "$TMP/c$i" "race-$i-$$"
  greeting_of[$(head_sha "$TMP/c$i")]="race-$i-$$"
done

for i in $(seq 1 $N); do
  push_bg "$TMP/c$i" "$TMP/race-$i.out"
done
all_done() { local i; for i in $(seq 1 $N); do [[ -s $TMP/race-$i.out.rc ]] || return 1; done; }
wait_for 190 all_done || fail "not all $N pushes finished within 190 s"

for i in $(seq 1 $N); do
  log "push $i (greeting race-$i-$$) exited $(bg_rc "$TMP/race-$i.out")"
  sed 's/^/    | /' "$TMP/race-$i.out"
done
for i in $(seq 1 $N); do
  (($(bg_rc "$TMP/race-$i.out") != 124)) || fail "push $i did not finish within 180 s (a hang; outputs above)"
done
ok=0 waited=0
for i in $(seq 1 $N); do
  out="$TMP/race-$i.out"
  rc=$(bg_rc "$out")
  if grep -qF "waiting for deploy #" "$out"; then waited=$((waited + 1)); fi
  if ((rc == 0)); then
    ok=$((ok + 1))
    expect_live "$out" production >/dev/null
  else
    grep -qE "stale|non-fast-forward|fetch first" "$out" ||
      fail "push $i was rejected without saying 'stale' or non-fast-forward (exit $rc)"
    assert_not_contains "$out" "is live at"
  fi
done
((ok >= 1)) || fail "none of the $N concurrent pushes succeeded"
((waited >= 1)) || fail "no push output showed 'waiting for deploy #' (expected the env lock to queue at least one)"
log "$ok of $N pushes succeeded, $waited waited for the env lock"

final=$(remote_ref "$TMP/base" refs/heads/main)
[[ $final != "$base" ]] || fail "server's main is still the base commit although $ok pushes succeeded"
[[ -n ${greeting_of[$final]:-} ]] || fail "server's main $final is none of the pushed commits"
# Which push put it there must have succeeded.
winner=${greeting_of[$final]}; winner=${winner#race-}; winner=${winner%%-*}
assert_eq 0 "$(bg_rc "$TMP/race-$winner.out")" "exit code of push $winner whose commit is on main"

# The live deploy of production is that commit, and its URL answers its content.
row=$(db "SELECT new_sha || ' ' || url FROM deploys WHERE app = '$app' AND env = 'production' AND status = 'live' ORDER BY id DESC LIMIT 1")
live_sha=${row%% *} live_url=${row#* }
assert_eq "$final" "$live_sha" "new_sha of the live production deploy"
assert_eq 1 "$(db "SELECT count(*) FROM deploys WHERE app = '$app' AND env = 'production' AND status = 'live'")" "number of live production deploys"
assert_http "$live_url" "${greeting_of[$final]}"
url=$(expect_live "$TMP/race-$winner.out" production)
assert_http "$url" "${greeting_of[$final]}"
running=$(db "SELECT count(*) FROM deploys WHERE app = '$app' AND status IN ('queued', 'running')")
assert_eq 0 "$running" "deploys still queued/running after all pushes ended"
