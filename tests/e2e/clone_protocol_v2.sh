#!/usr/bin/env bash
# Scenario: after a push, the app can be cloned and fetched through the
# gateway with git protocol v2 (GIT_PROTOCOL passed through) and with v0.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app clone
make_app_repo "$app" perl-web
set_greeting "$REPO" "clone-one-$$"
sha1=$(head_sha "$REPO")
push "$REPO" porter main
expect_push_ok

clone="$TMP/clone"
if ! GIT_TRACE_PACKET="$TMP/trace-clone" git -c protocol.version=2 clone "$(remote_url "$app")" "$clone" >"$TMP/clone.out" 2>&1; then
  fail "git clone with protocol v2 failed: $(cat "$TMP/clone.out")"
fi
assert_contains "$TMP/trace-clone" "version 2"
assert_contains "$TMP/trace-clone" "command=ls-refs"
assert_eq "$sha1" "$(git -C "$clone" rev-parse origin/main)" "cloned origin/main"
git -C "$clone" checkout -q origin/main
grep -qF "clone-one-$$" "$clone/server.pl" || fail "cloned server.pl lacks the pushed greeting clone-one-$$"

# The .git suffix names the same app.
git ls-remote "$(remote_url "$app").git" refs/heads/main >"$TMP/lsr.out" 2>&1 || fail "ls-remote of $app.git failed: $(cat "$TMP/lsr.out")"
assert_contains "$TMP/lsr.out" "$sha1"

# A new commit arrives by fetch (v2), and by fetch with protocol v0.
set_greeting "$REPO" "clone-two-$$"
sha2=$(head_sha "$REPO")
push "$REPO" porter main
expect_push_ok
if ! GIT_TRACE_PACKET="$TMP/trace-fetch" git -C "$clone" -c protocol.version=2 fetch origin >"$TMP/fetch.out" 2>&1; then
  fail "git fetch (v2) failed: $(cat "$TMP/fetch.out")"
fi
assert_contains "$TMP/trace-fetch" "version 2"
assert_eq "$sha2" "$(git -C "$clone" rev-parse origin/main)" "origin/main after v2 fetch"

git clone -q --bare "$(remote_url "$app")" "$TMP/clone0" 2>"$TMP/clone0.out" || fail "bare clone failed: $(cat "$TMP/clone0.out")"
if ! GIT_TRACE_PACKET="$TMP/trace-v0" git -C "$TMP/clone0" -c protocol.version=0 fetch origin '+refs/heads/*:refs/heads/*' >"$TMP/fetch0.out" 2>&1; then
  fail "git fetch (v0) failed: $(cat "$TMP/fetch0.out")"
fi
assert_not_contains "$TMP/trace-v0" "git< version 2"
assert_eq "$sha2" "$(git -C "$TMP/clone0" rev-parse main)" "main after v0 fetch"
