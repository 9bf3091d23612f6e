#!/usr/bin/env bash
# Scenario: build output streams to the client as it happens: a RUN step's
# first line arrives seconds before its last line and before the verdict.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app prog
make_app_repo "$app" perl-web
use_dockerfile "$REPO" dockerfiles/steps.Dockerfile

out="$TMP/timed.out"
log "git push porter main (timestamped)"
{
  timeout -k 5 180 git -C "$REPO" push porter main 2>&1 && rc=0 || rc=$?
  echo "$rc" >"$out.rc"
} | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >"$out"
sed 's/^/    | /' "$out"
rc=$(<"$out.rc")
((rc == 0)) || fail "git push exited $rc"
assert_match "$out" "^[0-9.]+ remote: =====> production( v[0-9]+)? is live at $URL_RE"

stamp() { # first timestamp of a line matching ERE $1
  local t
  t=$(grep -E -m1 -- "$1" "$out" | cut -d' ' -f1)
  [[ -n $t ]] || fail "no output line matching /$1/"
  echo "$t"
}
t_one=$(stamp 'remote: .*step-one-42')
t_two=$(stamp 'remote: .*step-two-42')
t_verdict=$(stamp 'remote: =====> ')
gap() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
log "step-one -> step-two: $(gap "$t_one" "$t_two") s; step-one -> verdict: $(gap "$t_one" "$t_verdict") s"
awk -v a="$t_one" -v b="$t_two" 'BEGIN { exit !(b - a >= 3) }' ||
  fail "step-one-42 arrived only $(gap "$t_one" "$t_two") s before step-two-42 (the step sleeps 4 s between them): output is not streamed"
awk -v a="$t_one" -v b="$t_verdict" 'BEGIN { exit !(b - a >= 3) }' ||
  fail "step-one-42 arrived only $(gap "$t_one" "$t_verdict") s before the verdict (expected >= 3 s)"
