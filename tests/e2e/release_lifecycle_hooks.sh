#!/usr/bin/env bash
# Scenario: operator lifecycle hooks (gateway.yaml hooks_dir). pre-build,
# post-release and on-failure hooks get the deploy as JSON on stdin (app, env,
# stage, deploy, commit...; never a config value) and their output reaches the
# pusher. A pre-release hook that exits 1 rejects the push with its message;
# on-failure hears why; the previous release keeps serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

HOOKS="$TMP/hooks"
OUT="$TMP/hook-out"
mkdir -p "$HOOKS" "$OUT"
# Each hook appends its stdin (one JSON object per line) to OUT/STAGE.jsonl
# and its stage to OUT/order.
for stage in pre-build post-release on-failure; do
  cat >"$HOOKS/$stage" <<SH
#!/bin/sh
cat >>"$OUT/$stage.jsonl"
echo "$stage" >>"$OUT/order"
echo "$stage hook ran"
SH
  chmod 0755 "$HOOKS/$stage"
done
cat >"$TMP/gateway.yaml" <<YAML
hooks_dir: $HOOKS
YAML

start_gateway --config "$TMP/gateway.yaml"
new_app app hooks
secret="hooksecret-$$-Kd93"
admin_ok apps:create "$app"
admin_ok config:set "$app" "SECRET_VALUE=$secret"
make_app_repo "$app" perl-release
set_greeting "$REPO" "hooks-v1-$$"
sha1=$(head_sha "$REPO")
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
id1=$(deploy_id "$PUSH_OUT")
assert_eq "hooks-v1-$$" "$(http_body "$url")" "v1 body"
assert_contains "$PUSH_OUT" "pre-build hook ran"     # hook output reaches the pusher
assert_contains "$PUSH_OUT" "post-release hook ran"
assert_eq "pre-build post-release" "$(tr '\n' ' ' <"$OUT/order" | sed 's/ $//')" "hooks run, in order"
[[ ! -e $OUT/on-failure.jsonl ]] || fail "on-failure ran for a deploy that succeeded: $(cat "$OUT/on-failure.jsonl")"

# check_json FILE KEY=VALUE...: FILE has exactly one JSON object per line; the
# last one has these fields with these values (KEY~PREFIX: starts with PREFIX).
check_json() {
  local file=$1; shift
  python3 - "$file" "$@" <<'PY' || fail "hook input $file: see above"
import json, sys
path, checks = sys.argv[1], sys.argv[2:]
lines = [l for l in open(path).read().splitlines() if l.strip()]
try:
    records = [json.loads(l) for l in lines]
except ValueError as e:
    sys.exit("not one JSON object per line (%s): %r" % (e, lines))
last = records[-1]
for check in checks:
    if "~" in check:
        key, prefix = check.split("~", 1)
        ok = isinstance(last.get(key), str) and last[key].startswith(prefix)
    else:
        key, value = check.split("=", 1)
        ok = last.get(key) == value
    if not ok:
        sys.exit("field %s: expected %s, got %r in %s" % (key, check, last.get(key), json.dumps(last)))
PY
}
check_json "$OUT/pre-build.jsonl" "app=$app" env=production stage=pre-build "deploy=$id1" "commit=$sha1" \
  ref=refs/heads/main pusher=e2e-client
check_json "$OUT/post-release.jsonl" "app=$app" env=production stage=post-release "deploy=$id1" "commit=$sha1" \
  ref=refs/heads/main pusher=e2e-client release=v1 status=live "image~127.0.0.1:"
assert_eq 1 "$(wc -l <"$OUT/pre-build.jsonl")" "records in pre-build.jsonl after one deploy"

# -------------------------------------- a pre-release hook refuses: freeze
cat >"$HOOKS/pre-release" <<SH
#!/bin/sh
cat >>"$OUT/pre-release.jsonl"
echo "checking the release calendar"
echo "release freeze until Monday (ticket FRZ-$$)"
exit 1
SH
chmod 0755 "$HOOKS/pre-release"
set_greeting "$REPO" "hooks-v2-$$"
push_ts "$REPO"
expect_push_rejected
expect_failed_verdict "$PUSH_OUT"
id2=$(deploy_id "$PUSH_OUT")
assert_contains "$PUSH_OUT" "checking the release calendar"
verdict=$(grep -F '=====>' "$PUSH_OUT" | tail -n 1)
[[ $verdict == *"pre-release hook refused: release freeze until Monday (ticket FRZ-$$)"* ]] ||
  fail "expected the verdict to carry the hook's message; saw: $verdict"
assert_not_contains "$PUSH_OUT" "Health check"
assert_eq "$sha1" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the refused release"
assert_eq "hooks-v1-$$" "$(http_body "$url")" "body after the refused release"
assert_eq failed "$(deploy_status "$id2")" "deploys.status of the refused #$id2"
assert_eq "" "$(release_pods "$app" production v2)" "pods of the refused release"
check_json "$OUT/pre-release.jsonl" "app=$app" env=production stage=pre-release "deploy=$id2" release=v2 status=running
check_json "$OUT/on-failure.jsonl" "app=$app" env=production stage=on-failure "deploy=$id2" \
  "commit=$(head_sha "$REPO")" "error~pre-release hook refused: release freeze until Monday"
assert_eq "pre-build post-release pre-build on-failure" "$(tr '\n' ' ' <"$OUT/order" | sed 's/ $//')" "hooks run, in order"

# No hook ever saw a config value.
for f in "$OUT"/*.jsonl; do
  ! grep -qF -- "$secret" "$f" || fail "the config value of SECRET_VALUE reached hook input $f"
done
! grep -qF "SECRET_VALUE" "$OUT"/*.jsonl || fail "a config key reached the hooks' input: $(grep -F SECRET_VALUE "$OUT"/*.jsonl)"
# ...and the app did get it.
assert_eq "$secret" "$(http_body "$url/env/SECRET_VALUE")" "the app's \$SECRET_VALUE"

# Removing the freeze lets the same commit through.
rm "$HOOKS/pre-release"
push_ts "$REPO"
expect_push_ok
assert_eq "hooks-v2-$$" "$(http_body "$url")" "body once the freeze is lifted"
