#!/usr/bin/env bash
# Scenario: 100 concurrent `git ls-remote` through the gateway all succeed
# and all see the pushed ref. They come from one address with one key: the
# caps on connections per address and sessions per key are raised to let
# them (preauth_flood.sh tests the caps themselves).
. "$(dirname "$0")/lib.sh"

N=100
printf 'limits: {preauth_per_address: %d, sessions_per_key: %d}\n' "$N" "$N" >"$TMP/gateway.yaml"
start_gateway --config "$TMP/gateway.yaml"
new_app app many
make_app_repo "$app" perl-web
sha=$(head_sha "$REPO")
push "$REPO" porter main
expect_push_ok

url=$(remote_url "$app")
for i in $(seq 1 $N); do
  setsid bash -c 'timeout --foreground 120 git ls-remote "$1" >"$2" 2>&1; echo $? >"$2.rc"' lsr "$url" "$TMP/ls-$i.out" </dev/null &
  BG_PIDS+=("$!")
done
all_done() { local i; for i in $(seq 1 $N); do [[ -s $TMP/ls-$i.out.rc ]] || return 1; done; }
start=$SECONDS
wait_for 150 all_done || fail "not all $N ls-remote finished within 150 s ($(ls "$TMP"/ls-*.rc 2>/dev/null | wc -l) did)"
log "$N ls-remote finished in $((SECONDS - start)) s"

bad=0
for i in $(seq 1 $N); do
  rc=$(<"$TMP/ls-$i.out.rc")
  if ((rc != 0)) || ! grep -qE "^${sha}[[:space:]]+refs/heads/main$" "$TMP/ls-$i.out"; then
    bad=$((bad + 1))
    ((bad > 3)) || echo "ls-remote $i: exit $rc: $(head -c 300 "$TMP/ls-$i.out")" >&2
  fi
done
((bad == 0)) || fail "$bad of $N concurrent ls-remote failed or did not show $sha refs/heads/main"
gateway_alive || fail "the gateway died"
# Still serving afterwards.
git ls-remote "$url" refs/heads/main >"$TMP/after.out" 2>&1 || fail "ls-remote after the burst failed: $(cat "$TMP/after.out")"
assert_contains "$TMP/after.out" "$sha"
