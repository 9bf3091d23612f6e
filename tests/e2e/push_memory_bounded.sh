#!/usr/bin/env bash
# Scenario: a 128 MB push streams through the gateway without the gateway
# holding it. libssh re-opens the client's window whenever it is read,
# whatever it still holds, so a bridge that read in small pieces grew by
# tens of MB during such a push; the gateway now holds at most about two
# windows. The pack arrives intact and a clone returns the same bytes.
. "$(dirname "$0")/lib.sh"

readonly max_growth_mb=24 # 2 MB bridge buffer + libssh's windows, with room

E2E_REGISTRY=none start_gateway
new_app app bigpush
make_app_repo "$app" perl-web
git -C "$REPO" checkout -q -b feature-big
head -c $((128 * 1024 * 1024)) /dev/urandom >"$REPO/blob.bin"
git -C "$REPO" add blob.bin
git -C "$REPO" commit -q -m "128 MB of random data"
sha=$(head_sha "$REPO")

rss_kb() { awk -v field="$1:" '$1 == field { print $2 }' "/proc/$GW_PID/status"; }
before=$(rss_kb VmRSS)
echo 5 >"/proc/$GW_PID/clear_refs" # the peak (VmHWM) starts again from now
push "$REPO" porter feature-big
expect_push_ok
assert_contains "$PUSH_OUT" "maps to no environment"
peak=$(rss_kb VmHWM)
growth_mb=$(((peak - before) / 1024))
log "FIGURE gateway RSS before the push $((before / 1024)) MB, peak during it $((peak / 1024)) MB (+$growth_mb MB)"
if [[ -n ${PORTER_SANITIZED:-} ]]; then
  log "a sanitized build: ASan keeps freed memory in quarantine, so the bound is not checked"
else
  ((growth_mb <= max_growth_mb)) || fail "the gateway grew by $growth_mb MB during a 128 MB push (at most $max_growth_mb expected)"
fi
assert_eq "$sha" "$(remote_ref "$REPO" refs/heads/feature-big)" "server's refs/heads/feature-big"

git clone -q --branch feature-big "$(remote_url "$app")" "$TMP/clone"
assert_eq "$(sha256sum <"$REPO/blob.bin")" "$(sha256sum <"$TMP/clone/blob.bin")" "the cloned blob's sha256"
