#!/usr/bin/env bash
# Scenario: a build fails with a config var's value in the failure's own
# line: the value is also in the text of the failing Dockerfile step, which
# buildah's last line (the verdict's reason) quotes. The value is masked
# everywhere the failure goes: the pusher's output, the deploy log, the
# gateway log, the deploys row in the state database and the on-failure
# hook's JSON. Masked means replaced by *****: the verdict still says what
# happened.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

token="tok-$$-${RANDOM}x${RANDOM}"
HOOKS="$TMP/hooks"
mkdir -p "$HOOKS"
printf '#!/bin/sh\ncat >>"%s/on-failure.json"\n' "$TMP" >"$HOOKS/on-failure"
chmod 0755 "$HOOKS/on-failure"
printf 'hooks_dir: %s\n' "$HOOKS" >"$TMP/gateway.yaml"

start_gateway --config "$TMP/gateway.yaml"
new_app app leaky
admin_ok apps:create "$app"
admin_ok config:set "$app" "API_TOKEN=$token"
make_app_repo "$app" perl-web
printf 'FROM debian:bookworm\nRUN echo "index is https://user:%s@pypi.example/simple" && exit 3\n' "$token" \
  >"$REPO/Dockerfile"
git -C "$REPO" commit -q -am "a step that prints the token and fails"
push "$REPO" porter main
expect_push_rejected
id=$(deploy_id "$PUSH_OUT")
assert_contains "$PUSH_OUT" 'failed: build failed: Error: building at STEP "RUN echo "index is https://user:*****@pypi.example/simple" && exit 3"'

[[ -s $TMP/on-failure.json ]] || fail "the on-failure hook did not run"
assert_contains "$TMP/on-failure.json" 'index is https://user:*****@pypi.example/simple'
row=$(db "SELECT * FROM deploys WHERE id = $id")
[[ $row == *'user:*****@pypi'* ]] || fail "the deploys row does not hold the masked failure: $row"
assert_contains "$DATA/gateway.log" 'user:*****@pypi'
sqlite3 "$DATA/state.db" .dump | grep -v '^INSERT INTO config_vars' >"$TMP/state.sql"  # the value's own home
for file in "$PUSH_OUT" "$TMP/on-failure.json" "$DATA/gateway.log" "$TMP/state.sql" "$DATA"/logs/*; do
  ! grep -qF -- "$token" "$file" || fail "the token is in $file: $(grep -F -- "$token" "$file" | head -n 2)"
done
