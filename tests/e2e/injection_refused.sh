#!/usr/bin/env bash
# Scenario: the exec string is never given to a shell and app names are
# checked. Other commands, shell requests, pty requests, subsystems, port
# forwarding and bad app names each get one stderr line and a non-zero exit;
# no injected command runs; nothing is created outside the data dir.
. "$(dirname "$0")/lib.sh"

start_gateway
pwned="/tmp/porter-pwned-$$"
rm -f "$pwned"

n=0
# refuse DESCRIPTION [ssh args...]: runs ssh to the gateway, expects a
# non-zero exit (not a timeout), empty stdout and exactly one stderr line.
refuse() {
  local what=$1; shift
  n=$((n + 1))
  local out="$TMP/inj-$n.out" err="$TMP/inj-$n.err" rc=0
  timeout 20 $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" "$@" </dev/null >"$out" 2>"$err" || rc=$?
  log "$what: exit $rc, stderr: $(head -c 200 "$err" | tr '\n' '|')"
  ((rc != 124)) || fail "$what: ssh still running after 20 s (expected a prompt refusal)"
  ((rc != 0)) || fail "$what: expected a non-zero exit, got 0 (stdout: $(head -c 200 "$out"))"
  if [[ ${ONE_LINE:-1} == 1 ]]; then
    local lines
    lines=$(grep -c '' "$err" || true)
    [[ $lines == 1 && -n $(tr -d '[:space:]' <"$err") ]] ||
      fail "$what: expected exactly one non-empty stderr line, got $lines: $(sed 's/^/    | /' "$err")"
    [[ ! -s $out ]] || fail "$what: expected no stdout, got: $(head -c 300 "$out")"
  fi
}

refuse "exec ls" git@127.0.0.1 ls
refuse "exec 'id'" git@127.0.0.1 "id"
refuse "exec touch" git@127.0.0.1 "touch $pwned"
refuse "receive-pack ../etc" git@127.0.0.1 "git-receive-pack '../etc'"
refuse "receive-pack /../etc" git@127.0.0.1 "git-receive-pack '/../etc'"
refuse "receive-pack a/b" git@127.0.0.1 "git-receive-pack 'a/b'"
refuse "receive-pack a;touch" git@127.0.0.1 "git-receive-pack 'a;touch $pwned'"
refuse "receive-pack a;id" git@127.0.0.1 "git-receive-pack 'a;id'"
refuse "receive-pack \$(id)" git@127.0.0.1 "git-receive-pack '\$(id)'"
refuse "receive-pack \$(touch)" git@127.0.0.1 "git-receive-pack '\$(touch $pwned)'"
refuse "receive-pack backticks" git@127.0.0.1 "git-receive-pack '\`touch $pwned\`'"
refuse "upload-pack 'x' ; touch" git@127.0.0.1 "git-upload-pack 'x' ; touch $pwned"
refuse "upload-pack 'x' ; id" git@127.0.0.1 "git-upload-pack 'x' ; id"
refuse "upload-pack x && touch" git@127.0.0.1 "git-upload-pack x && touch $pwned"
refuse "upload-pack newline" git@127.0.0.1 "git-upload-pack 'x'
touch $pwned"
refuse "receive-pack quote in name" git@127.0.0.1 "git-receive-pack 'a'\\''b'"
refuse "receive-pack double quotes" git@127.0.0.1 "git-receive-pack \"a\"b\""
refuse "receive-pack unbalanced quote" git@127.0.0.1 "git-receive-pack 'abc"
refuse "receive-pack uppercase" git@127.0.0.1 "git-receive-pack 'Shop'"
refuse "receive-pack leading digit" git@127.0.0.1 "git-receive-pack '1shop'"
refuse "receive-pack 64 chars" git@127.0.0.1 "git-receive-pack 'a$(printf 'b%.0s' {1..63})'"
refuse "receive-pack empty name" git@127.0.0.1 "git-receive-pack ''"
refuse "receive-pack no argument" git@127.0.0.1 "git-receive-pack"
refuse "receive-pack two arguments" git@127.0.0.1 "git-receive-pack 'a' 'b'"
refuse "upload-archive" git@127.0.0.1 "git-upload-archive 'shop'"
refuse "blank command" git@127.0.0.1 " "
ONE_LINE=0 refuse "subsystem sftp" -s git@127.0.0.1 sftp
# A shell request (no command): with and without a pty. With -tt the server's
# message may arrive on the tty (stdout), so only exit code and no-injection count.
ONE_LINE=0 refuse "shell request -T" -T git@127.0.0.1
[[ -n $(cat "$TMP/inj-$n.err" "$TMP/inj-$n.out") ]] || fail "shell request: no message at all"
ONE_LINE=0 refuse "shell request -tt" -tt git@127.0.0.1
ONE_LINE=0 refuse "pty + exec ls" -tt git@127.0.0.1 ls
# Port forwarding through the gateway is refused.
ONE_LINE=0 refuse "direct-tcpip -W" -W "127.0.0.1:$GW_PORT" git@127.0.0.1

[[ ! -e $pwned ]] || fail "an injected command ran: $pwned exists"
for p in "$TMP/etc" "$DATA/../etc" "/etc/hooks" "/etc/HEAD" "$TMP/a" "$REPO_ROOT/etc"; do
  [[ ! -e $p ]] || fail "a path outside the app store was created: $p"
done
if find "$TMP" -path "$DATA" -prune -o -name HEAD -print | grep -q .; then
  fail "a git repo appeared outside the data dir: $(find "$TMP" -path "$DATA" -prune -o -name HEAD -print)"
fi
if find "$DATA" -name 'HEAD' -path '*etc*' | grep -q .; then
  fail "a repo named like etc was created: $(find "$DATA" -name HEAD -path '*etc*')"
fi
gateway_alive || fail "the gateway died during the injection attempts"

# The gateway still serves a valid push afterwards.
new_app app inj
make_app_repo "$app" perl-web
push "$REPO" porter main
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" hello
