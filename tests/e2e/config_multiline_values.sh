#!/usr/bin/env bash
# Scenario: config values with line breaks (PEM keys, certificates).
#   config:set --encoded KEY=BASE64 and config:set KEY --stdin (a file piped
#   into ssh) each make a release whose app sees the value byte for byte,
#   final newline included; config:get prints it as stored, `config` on one
#   line with \n escapes. Invalid base64 and a standard input over 64 KiB are
#   refused with one line and change nothing; a predeploy sees the same bytes
#   and each line of the value it prints is masked; the values stay out of
#   the logs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app pem
make_app_repo "$app" perl-release
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)

releases_count() { db "SELECT count(*) FROM releases WHERE app = '$app' AND env = 'production'"; }
config_list() { admin_ok config "$app" >&2; cat "$ADMIN_OUT"; }

# admin_stdin FILE CMD...: like admin (ADMIN_OUT, ADMIN_ERR, ADMIN_RC), with
# FILE as the command's standard input.
admin_stdin() {
  local file=$1; shift
  ADMIN_SEQ=$((ADMIN_SEQ + 1))
  ADMIN_OUT="$TMP/admin-$ADMIN_SEQ.out"
  ADMIN_ERR="$TMP/admin-$ADMIN_SEQ.err"
  log "ssh git@gateway $* < ${file#"$TMP"/} ($(wc -c <"$file") bytes)"
  ADMIN_RC=0
  # shellcheck disable=SC2046
  timeout -k 5 180 $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" git@127.0.0.1 "$*" \
    <"$file" >"$ADMIN_OUT" 2>"$ADMIN_ERR" || ADMIN_RC=$?
  sed 's/^/    | /' "$ADMIN_OUT"
  sed 's/^/    ! /' "$ADMIN_ERR"
  log "ssh exited $ADMIN_RC"
  ((ADMIN_RC != 124)) || fail "ssh $* did not finish within 180 s"
}

# expect_app_sees KEY FILE: GET /env/KEY is FILE's bytes plus the server's "\n"
expect_app_sees() {
  { cat "$2"; echo; } >"$TMP/expected-$1"
  curl -fsS --max-time 5 -o "$TMP/seen-$1" "$url/env/$1"
  cmp "$TMP/expected-$1" "$TMP/seen-$1" || fail "the app's \$$1 differs from ${2#"$TMP"/} (+ \\n)"
}

one_line_refusal() { # WHAT: the command failed with exactly one line on stderr and nothing on stdout
  ((ADMIN_RC != 0)) || fail "$1 exited 0"
  assert_eq 1 "$(wc -l <"$ADMIN_ERR")" "lines on stderr for $1 ($(cat "$ADMIN_ERR"))"
  assert_eq "" "$(cat "$ADMIN_OUT")" "stdout of $1"
}

# Three-line PEM files, each ending in a newline.
openssl genpkey -algorithm ed25519 -out "$TMP/key.pem"
openssl req -x509 -new -key "$TMP/key.pem" -subj "/CN=$app" -days 1 -out "$TMP/cert.pem"
printf 'two\nlines, no newline at the end' >"$TMP/note.txt"
assert_eq 3 "$(wc -l <"$TMP/key.pem")" "lines in key.pem"

# ---------------------------------------------------------------- --encoded
n=$(releases_count)
admin_ok config:set --encoded "$app" "TLS_KEY=$(base64 -w0 "$TMP/key.pem")" -e production \
  "NOTE=$(base64 -w0 "$TMP/note.txt" | tr -d =)"  # padding is optional
assert_contains "$ADMIN_OUT" "-----> Set TLS_KEY, NOTE on $app (production)"
assert_match "$ADMIN_OUT" "^=====> production v2 is live at $url "
assert_eq $((n + 1)) "$(releases_count)" "releases after config:set --encoded"
expect_app_sees TLS_KEY "$TMP/key.pem"
expect_app_sees NOTE "$TMP/note.txt"

# ------------------------------------------------------------------ --stdin
admin_stdin "$TMP/cert.pem" config:set "$app" -e production TLS_CERT --stdin
((ADMIN_RC == 0)) || fail "config:set TLS_CERT --stdin exited $ADMIN_RC: $(cat "$ADMIN_ERR")"
assert_contains "$ADMIN_OUT" "-----> Set TLS_CERT on $app (production)"
assert_match "$ADMIN_OUT" "^=====> production v3 is live at $url "
assert_eq $((n + 2)) "$(releases_count)" "releases after config:set --stdin"
expect_app_sees TLS_CERT "$TMP/cert.pem"
expect_app_sees TLS_KEY "$TMP/key.pem"  # still there

# config:get: the value as stored, then a newline
admin_ok config:get "$app" TLS_CERT
cmp "$TMP/expected-TLS_CERT" "$ADMIN_OUT" || fail "config:get TLS_CERT differs from cert.pem (+ \\n)"
# config: one line per variable, line breaks as \n
escaped_key=$(perl -0pe 's/\\/\\\\/g; s/\n/\\n/g' "$TMP/key.pem")
grep -qxF "TLS_KEY=$escaped_key" <(config_list) || fail "config does not show TLS_KEY=$escaped_key"
assert_eq 3 "$(config_list | wc -l)" "lines of config (NOTE, TLS_CERT, TLS_KEY)"

# ----------------------------------------------- refusals change nothing
before_config=$(config_list)
before_count=$(releases_count)
admin config:set "$app" --encoded "GOOD=Z29vZA==" "TLS_KEY=not*base64"
one_line_refusal "config:set --encoded with invalid base64"
assert_eq "porter: the value of TLS_KEY is not base64 (A-Z a-z 0-9 + / and = padding only)" \
  "$(cat "$ADMIN_ERR")" "the refusal of invalid base64"

head -c $((65 * 1024 + 1)) /dev/zero | tr '\0' x >"$TMP/too-large"
admin_stdin "$TMP/too-large" config:set "$app" TLS_KEY --stdin
one_line_refusal "config:set --stdin with 65 KiB + 1"
assert_eq "porter: cannot read the value of TLS_KEY: more than 65536 bytes on standard input" \
  "$(cat "$ADMIN_ERR")" "the refusal of a too-large standard input"

admin_stdin "$TMP/cert.pem" config:set "$app" "TLS_CERT=x" --stdin
one_line_refusal "config:set KEY=value --stdin"
assert_eq "$before_config" "$(config_list)" "config after the refused commands"
assert_eq "$before_count" "$(releases_count)" "releases after the refused commands"
expect_app_sees TLS_KEY "$TMP/key.pem"
assert_eq 404 "$(http_status "$url/env/GOOD")" "GET /env/GOOD after the refused config:set"

# ------------------- the predeploy sees the same bytes; its output is masked
cat >"$REPO/porter.yaml" <<'YAML'
predeploy:
  run: printf '%s' "$TLS_KEY" | sha256sum; printf '%s\n' "$TLS_KEY"
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "a predeploy that reads TLS_KEY"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "$(sha256sum <"$TMP/key.pem" | cut -d' ' -f1)"
assert_not_contains "$PUSH_OUT" "$(sed -n 2p "$TMP/key.pem")"  # each line of the value is masked
assert_contains "$PUSH_OUT" "*****"

# ------------------------------------- secrets stay out of the logs
secret_line=$(sed -n 2p "$TMP/key.pem")  # the key's base64 body
for value in "$secret_line" "$(base64 -w0 "$TMP/key.pem")" "lines, no newline at the end"; do
  for f in "$DATA/gateway.log" "$DATA"/logs/*.log; do
    [[ -f $f ]] || continue
    ! grep -qF -- "$value" "$f" || fail "config value '$value' appears in $f"
  done
done
