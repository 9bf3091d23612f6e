#!/usr/bin/env bash
# Scenario: only public keys listed in authorized_keys get in. An unknown key
# is refused (ssh and git push fail, nothing stored); password and
# keyboard-interactive are not even offered; a second listed key works; a
# connection that never authenticates is dropped after timeouts.auth.
. "$(dirname "$0")/lib.sh"

gen_key "$TMP/keys/second" "second-user"
gen_key "$TMP/keys/stranger" "stranger"
EXTRA_AUTHORIZED_KEYS=$(cat "$TMP/keys/second.pub")
cat >"$TMP/gateway.yaml" <<'YAML'
timeouts:
  auth: 3
YAML
start_gateway --config "$TMP/gateway.yaml"
new_app app auth
make_app_repo "$app" perl-web
sha=$(head_sha "$REPO")

ssh_opts=(-p "$GW_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=10)

# 1. Unknown key: plain ssh exec is refused.
rc=0
timeout 30 ssh "${ssh_opts[@]}" -i "$TMP/keys/stranger" -o IdentitiesOnly=yes -o LogLevel=ERROR \
  git@127.0.0.1 "git-upload-pack '$app'" </dev/null >"$TMP/stranger.out" 2>"$TMP/stranger.err" || rc=$?
((rc != 0 && rc != 124)) || fail "ssh with an unknown key: expected refusal (exit 255), got exit $rc"
assert_contains "$TMP/stranger.err" "Permission denied"
[[ ! -s $TMP/stranger.out ]] || fail "ssh with an unknown key got output on stdout: $(head -c 300 "$TMP/stranger.out")"

# 2. Unknown key: git push fails and stores nothing.
rc=0
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/stranger") timeout 60 git -C "$REPO" push porter main >"$TMP/push-stranger.out" 2>&1 || rc=$?
((rc != 0 && rc != 124)) || fail "git push with an unknown key: expected failure, got exit $rc: $(cat "$TMP/push-stranger.out")"
assert_contains "$TMP/push-stranger.out" "Permission denied"
assert_not_contains "$TMP/push-stranger.out" "deploy #"

# 3. Password / keyboard-interactive: refused, and only publickey is offered.
rc=0
timeout 30 ssh "${ssh_opts[@]}" -v -o PreferredAuthentications=password,keyboard-interactive \
  -o PubkeyAuthentication=no git@127.0.0.1 "git-upload-pack '$app'" </dev/null >"$TMP/pw.out" 2>"$TMP/pw.err" || rc=$?
((rc != 0 && rc != 124)) || fail "ssh with password auth: expected refusal, got exit $rc"
grep -q "Authentications that can continue:" "$TMP/pw.err" ||
  fail "ssh -v printed no 'Authentications that can continue:' line: $(grep -i auth "$TMP/pw.err" | head)"
methods=$(sed -nE 's/.*Authentications that can continue: (.*)$/\1/p' "$TMP/pw.err" | tr -d '\r' | sort -u)
assert_eq publickey "$methods" "methods the server offers"
if grep -q "Next authentication method: password" "$TMP/pw.err"; then
  fail "the client got to try a password: $(grep 'authentication method' "$TMP/pw.err")"
fi

# 4. The listed keys work (so the refusals above were about the keys).
push "$REPO" porter main
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null
rc=0
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/second") timeout 60 git -C "$REPO" ls-remote porter refs/heads/main >"$TMP/ls-second.out" 2>&1 || rc=$?
((rc == 0)) || fail "ls-remote with the second authorized key exited $rc: $(cat "$TMP/ls-second.out")"
assert_contains "$TMP/ls-second.out" "$sha"
# The stranger still cannot read.
rc=0
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/stranger") timeout 60 git -C "$REPO" ls-remote porter >"$TMP/ls-stranger.out" 2>&1 || rc=$?
((rc != 0)) || fail "ls-remote with an unknown key succeeded: $(cat "$TMP/ls-stranger.out")"
assert_not_contains "$TMP/ls-stranger.out" "$sha"

# 5. A connection that never authenticates is closed after timeouts.auth (3 s).
exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT"
printf 'SSH-2.0-IdleClient_1.0\r\n' >&3
start=$SECONDS
rc=0
timeout 20 cat <&3 >"$TMP/idle.out" || rc=$?
exec 3<&-
((rc == 0)) || fail "an unauthenticated idle connection was still open after 20 s (timeouts.auth is 3 s)"
head -c 8 "$TMP/idle.out" | grep -q '^SSH-2.0' || fail "the server did not greet with an SSH-2.0 banner: $(head -c 80 "$TMP/idle.out" | od -c | head -3)"
log "idle unauthenticated connection closed after $((SECONDS - start)) s"
gateway_alive || fail "the gateway died during the auth tests"
