#!/usr/bin/env bash
# Scenario: a build whose RUN step prints 200 MB without a newline still
# deploys. Its output shows the first 8 KiB of the line and a truncation
# marker with the number of bytes dropped, the output after it arrives whole,
# and the gateway never held the line: its peak RSS (VmHWM) stays under
# 100 MB (an unbounded line buffer alone would need 200 MB).
. "$(dirname "$0")/lib.sh"

LIMIT_KB=$((100 * 1024))
KEPT=8192       # bytes of a line the gateway keeps
PRINTED=200000000

start_gateway
[[ $(cat "/proc/$GW_PID/comm") == porter ]] || fail "GW_PID $GW_PID is not the porter process: $(cat "/proc/$GW_PID/comm")"
peak_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$GW_PID/status"; }

new_app app longline
make_app_repo "$app" perl-web
use_dockerfile "$REPO" dockerfiles/long_line.Dockerfile
before=$(peak_kb)

# The push output holds an 8 KiB line: show it without that line.
push "$REPO" porter main >/dev/null
grep -v '\[line truncated:' "$PUSH_OUT" | sed 's/^/    | /'
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "hello"
after=$(peak_kb)
log "gateway peak RSS (VmHWM): $before kB before the push, $after kB after it (limit $LIMIT_KB kB)"

# One truncated line: the first 8 KiB of x's, then the marker.
lines=$(grep -c '\[line truncated: [0-9]* bytes\]' "$PUSH_OUT" || true)
assert_eq 1 "$lines" "lines with a truncation marker"
line=$(grep '\[line truncated: [0-9]* bytes\]' "$PUSH_OUT" | tr -d '\r')
kept=$(tr -cd x <<<"$line" | wc -c)
assert_eq "$KEPT" "$kept" "bytes of the long line shown"
dropped=$(sed -E 's/.*\[line truncated: ([0-9]+) bytes\].*/\1/' <<<"$line")
log "truncation marker: [line truncated: $dropped bytes] after $kept bytes (${#line} characters on the line)"
assert_eq "$((PRINTED - KEPT))" "$dropped" "bytes dropped"
# The step went on and its next lines came through whole.
assert_contains "$PUSH_OUT" "long-line-2-done"

gateway_alive || fail "the gateway died during the build"
((after < LIMIT_KB)) || fail "the gateway's peak RSS grew to $after kB (limit $LIMIT_KB kB) while a build printed a 200 MB line"
