#!/usr/bin/env bash
# Scenario: what a push may take on disk is bounded (gateway.yaml limits):
#   - a pushed tree whose files add up to more than checkout_mb is refused at
#     checkout with one line, before anything is built;
#   - deploy logs beyond logs_mb go, oldest deploy first (the newest stays);
#   - each replica's log is capped by podman (log_size_max).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

printf 'limits: {checkout_mb: 1, logs_mb: 1}\n' >"$TMP/gateway.yaml"
start_gateway --config "$TMP/gateway.yaml"
new_app app disk
make_app_repo "$app" perl-web

# A build that says 1.2 MB: its deploy log alone is over the budget.
printf 'FROM debian:bookworm\nCOPY server.pl /app/server.pl\nRUN for i in $(seq 1200); do printf "%%01000d\\n" 0; done\nCMD ["perl", "/app/server.pl"]\n' \
  >"$REPO/Dockerfile"
git -C "$REPO" commit -q -am "a loud build"
push "$REPO" porter main >/dev/null
expect_push_ok
first=$(deploy_id "$PUSH_OUT")
(($(stat -c %s "$DATA/logs/$first.log") > 1024 * 1024)) || fail "deploy #$first's log is not over 1 MB"

ctr=$(app_containers "$app" | head -n 1)
assert_eq 10MB "$(pod inspect --format '{{.HostConfig.LogConfig.Size}}' "$ctr")" "the replica's log size cap"

# 2 MB of incompressible data: over checkout_mb.
head -c $((2 * 1024 * 1024)) /dev/urandom >"$REPO/big.bin"
git -C "$REPO" add big.bin
git -C "$REPO" commit -q -m "a big file"
push "$REPO" porter main
expect_push_rejected
assert_contains "$PUSH_OUT" "failed: checkout failed: the pushed tree's files add up to more than 1 MB (limits.checkout_mb)"
assert_not_contains "$PUSH_OUT" "Building with"
second=$(deploy_id "$PUSH_OUT")
[[ ! -e $DATA/logs/$first.log ]] || fail "deploy #$first's log is still there: the logs are over budget"
[[ -s $DATA/logs/$second.log ]] || fail "the newest deploy's log (#$second) is gone"
