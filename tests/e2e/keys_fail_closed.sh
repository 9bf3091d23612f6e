#!/usr/bin/env bash
# Scenario: authorized_keys options fail closed. A key whose line has options
# the gateway does not understand, or cannot parse (spaces, single quotes, a
# misspelt name, OpenSSH options Porter does not implement, a conflicting
# repeat, an empty item, a stray comma, an unclosed quote) is refused at
# authentication, and the gateway log names the line and the option, never
# the key. Keys restricted correctly get in and stay restricted (option names
# in any case), from= is matched against the client's address, a key with a
# broken line and a valid one gets the valid line's access, and a key limited
# to some environments may not purge every environment's build cache.
. "$(dirname "$0")/lib.sh"

# ---- the keys file

LINES=()            # authorized_keys lines after the client's own (line 1)
declare -A LINE_OF  # key name -> its first line number

# add_line NAME OPTIONS: a line for key NAME (made on first use) with OPTIONS
add_line() {
  local name=$1 options=$2
  [[ -f $TMP/keys/$name ]] || gen_key "$TMP/keys/$name" "$name"
  LINES+=("$options $(cat "$TMP/keys/$name.pub")")
  [[ -n ${LINE_OF[$name]:-} ]] || LINE_OF[$name]=$((${#LINES[@]} + 1))
}

# Malformed lines: key name, what the log must say about its line, options.
BAD_NAMES=() BAD_LOGGED=()
bad() {
  BAD_NAMES+=("$1")
  BAD_LOGGED+=("$2")
  add_line "$1" "$3"
}
bad spaced         "option 'environments' needs a value"                'environments = "staging"'
bad after-space    "option 'environments' comes after a space"          'no-pty environments="staging"'
bad single-quoted  "option 'environments': its value must be in double" "environments='staging'"
bad unquoted       "option 'Environments': its value must be in double" 'Environments=staging'
bad env-var        "option 'environment' is not supported"              'environment="staging"'
bad command        "option 'command' is not supported"                  'command="echo hi"'
bad permitopen     "option 'permitopen' is not supported"               'permitopen="localhost:80"'
bad unknown        "option 'bogus-option' is not supported"             'bogus-option'
bad conflicting    "option 'environments' is given twice"               'environments="staging",environments="production"'
bad empty-item     "option 'apps': an item of its list is empty"        'apps="shop,,blog"'
bad trailing-comma "the options end with a comma"                       'environments="staging",'
bad unclosed       "option 'environments': a double quote is never"     'environments="staging'

# Lines that work.
add_line stella 'environments="staging"'
add_line upper 'Environments="staging",no-pty,restrict,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc'
add_line far 'from="10.9.9.9"'
add_line near 'from="127.0.0.1,!10.9.9.9",environments="staging"'
add_line twice 'command="echo hi"'
add_line twice 'environments="staging"'

EXTRA_AUTHORIZED_KEYS=$(printf '%s\n' "${LINES[@]}")
start_gateway
KEYS_FILE=$TMP/authorized_keys
new_app app keys
make_app_repo "$app" perl-web
GW_LOG=$DATA/gateway.log

# as_key NAME WORDS...: runs a command over ssh with key NAME; sets OUT
# (stdout+stderr file) and RC.
SEQ=0
as_key() {
  local name=$1; shift
  SEQ=$((SEQ + 1))
  OUT="$TMP/as-$SEQ-$name.out"
  log "ssh as $name: $*"
  RC=0
  # shellcheck disable=SC2046
  timeout -k 5 60 $(ssh_cmd_for "$TMP/keys/$name") -p "$GW_PORT" git@127.0.0.1 "$*" </dev/null >"$OUT" 2>&1 || RC=$?
  sed 's/^/    | /' "$OUT"
  ((RC != 124)) || fail "ssh as $name: $* did not finish within 60 s"
}

expect_key_refused() { # NAME
  as_key "$1" apps:list
  ((RC == 255)) || fail "key $1 (line ${LINE_OF[$1]}): expected ssh to be refused (exit 255), got exit $RC"
  assert_contains "$OUT" "Permission denied (publickey)"
  assert_not_contains "$OUT" "$app"
}

# push_as NAME [git push args...]: `push` with key NAME
push_as() {
  local name=$1; shift
  GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/$name") push "$REPO" "$@"
}

expect_no_production_push() { # NAME: a restricted key cannot deploy to production
  git -C "$REPO" commit -q --allow-empty -m "production push by $1"
  push_as "$1" porter main
  expect_push_rejected
  assert_contains "$PUSH_OUT" "access denied: your key may not deploy to production"
  assert_not_contains "$PUSH_OUT" "deploy #"
}

# ---- 1. the unrestricted key deploys production (and fills its build cache)

push "$REPO" porter main
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null
cache=$SANDBOX/cache/$app
[[ -d $cache/production ]] || fail "no build cache $cache/production after a production deploy"

# ---- 2. each malformed line refuses its key, and the log says why

for i in "${!BAD_NAMES[@]}"; do
  name=${BAD_NAMES[i]}
  expect_key_refused "$name"
  assert_contains "$GW_LOG" "$KEYS_FILE line ${LINE_OF[$name]}: ${BAD_LOGGED[i]}"
done
[[ $(grep -c "the key on this line is refused" "$GW_LOG") -ge ${#BAD_NAMES[@]} ]] ||
  fail "expected a warning per refused line in $GW_LOG"

# git push with one of them fails too, and deploys nothing.
git -C "$REPO" commit -q --allow-empty -m "push with a malformed key"
push_as after-space porter main
expect_push_rejected
assert_contains "$PUSH_OUT" "Permission denied (publickey)"
assert_not_contains "$PUSH_OUT" "deploy #"
git -C "$REPO" reset -q --hard HEAD~1

# ---- 3. from= is matched against the client's address

expect_key_refused far
assert_contains "$GW_LOG" "$KEYS_FILE line ${LINE_OF[far]}: from= does not allow the client address 127.0.0.1"
as_key near apps:list
((RC == 0)) || fail "key near (from=\"127.0.0.1,...\") was refused from 127.0.0.1: exit $RC"
assert_contains "$OUT" "$app"
expect_no_production_push near

# ---- 4. a correctly restricted key works and stays restricted

as_key stella apps:list
((RC == 0)) || fail "the staging-only key was refused: exit $RC"
assert_contains "$OUT" "$app"
expect_no_production_push stella
push_as stella porter HEAD:staging
expect_push_ok
expect_live "$PUSH_OUT" staging >/dev/null
[[ -d $cache/staging ]] || fail "no build cache $cache/staging after a staging deploy"
as_key stella releases "$app"
((RC != 0)) || fail "the staging-only key read production's releases"
assert_contains "$OUT" "access denied: your key may not use production"

# Option names are case-insensitive: Environments= restricts as well.
as_key upper releases "$app" -e staging
((RC == 0)) || fail "key upper (Environments=\"staging\",no-pty,restrict,...) could not read staging's releases: exit $RC"
expect_no_production_push upper

# A key with a refused line and a valid one gets the valid line's access.
as_key twice apps:list
((RC == 0)) || fail "key twice (a command= line, then a valid one) was refused: exit $RC"
assert_contains "$GW_LOG" "$KEYS_FILE line ${LINE_OF[twice]}: option 'command' is not supported"
expect_no_production_push twice

# ---- 5. cache:purge without -e means every environment

as_key stella cache:purge "$app"
((RC != 0)) || fail "the staging-only key purged every environment's cache"
assert_contains "$OUT" "access denied: your key may not purge every environment's cache; name one with -e"
[[ -d $cache/production && -d $cache/staging ]] ||
  fail "a refused cache:purge deleted caches: $(ls -A "$cache" | tr '\n' ' ')"
as_key stella cache:purge "$app" -e production
((RC != 0)) || fail "the staging-only key purged production's cache"
assert_contains "$OUT" "access denied: your key may not use production"
[[ -d $cache/production ]] || fail "a refused cache:purge -e production deleted $cache/production"
as_key stella cache:purge "$app" -e staging
((RC == 0)) || fail "the staging-only key could not purge staging's cache: exit $RC"
assert_eq "purged the build cache of $app (staging)" "$(tr -d '\r' <"$OUT")" "cache:purge -e staging output"
[[ ! -e $cache/staging && -d $cache/production ]] ||
  fail "cache:purge -e staging should remove only $cache/staging; left: $(ls -A "$cache" | tr '\n' ' ')"
# The unrestricted key may purge them all (so the refusals above could fail).
as_key client cache:purge "$app"
((RC == 0)) || fail "the unrestricted key could not purge every cache: exit $RC"
[[ ! -e $cache/production ]] || fail "cache:purge by the unrestricted key left $cache/production"

# ---- 6. no key material in the log

for pub in "$TMP"/keys/*.pub; do
  body=$(awk '{ print $2 }' "$pub")
  assert_not_contains "$GW_LOG" "$body"
done
gateway_alive || fail "the gateway died"
