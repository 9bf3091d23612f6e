#!/usr/bin/env bash
# Scenario: 10 pushes to 10 different apps at once all deploy, each to its
# own URL answering with its own content.
. "$(dirname "$0")/lib.sh"

N=10
start_gateway
apps=() repos=()
for i in $(seq 1 $N); do
  new_app app "par$i"
  make_app_repo "$app" perl-web
  set_greeting "$REPO" "par-$i-$$"
  apps+=("$app") repos+=("$REPO")
done

for i in $(seq 1 $N); do
  push_bg "${repos[i-1]}" "$TMP/par-$i.out"
done
all_done() { local i; for i in $(seq 1 $N); do [[ -s $TMP/par-$i.out.rc ]] || return 1; done; }
wait_for 190 all_done || fail "not all $N pushes finished within 190 s"

declare -A seen_url=()
for i in $(seq 1 $N); do
  out="$TMP/par-$i.out"
  rc=$(bg_rc "$out")
  if ((rc != 0)); then
    sed 's/^/    | /' "$out"
    fail "push $i (app ${apps[i-1]}) exited $rc"
  fi
  assert_contains "$out" "-----> ${apps[i-1]}: deploy #"
  url=$(expect_live "$out" production)
  [[ -z ${seen_url[$url]:-} ]] || fail "apps ${seen_url[$url]} and ${apps[i-1]} share the URL $url"
  seen_url[$url]=${apps[i-1]}
  assert_http "$url" "par-$i-$$"
done
n=$(db "SELECT count(DISTINCT app) FROM deploys WHERE status = 'live' AND app LIKE 'par%-$$'")
assert_eq $N "$n" "apps with a live deploy"
