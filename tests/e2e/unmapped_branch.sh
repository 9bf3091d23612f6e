#!/usr/bin/env bash
# Scenario: a branch that maps to no environment is stored, not deployed.
. "$(dirname "$0")/lib.sh"

start_gateway
new_app app feat
make_app_repo "$app" perl-web
git -C "$REPO" checkout -q -b feature-x
set_greeting "$REPO" "feature-$$"
sha=$(head_sha "$REPO")

push "$REPO" porter feature-x
expect_push_ok
assert_contains "$PUSH_OUT" "maps to no environment"
assert_not_contains "$PUSH_OUT" "is live at"
assert_eq "$sha" "$(remote_ref "$REPO" refs/heads/feature-x)" "server's refs/heads/feature-x"

names=$(app_containers "$app" all)
[[ -z $names ]] || fail "expected no container for $app; podman ps -a shows: ${names//$'\n'/ }"
pods=$(pod pod ps --filter "label=porter.app=$app" --format '{{.Name}}')
[[ -z $pods ]] || fail "expected no pod for $app; podman pod ps shows: ${pods//$'\n'/ }"
if [[ -f $DATA/state.db ]]; then
  n=$(db "SELECT count(*) FROM deploys WHERE app = '$app' AND status IN ('queued', 'running', 'live')")
  assert_eq 0 "$n" "queued/running/live deploys of $app"
fi

# A branch that maps to no environment can be deleted.
push "$REPO" porter :feature-x
expect_push_ok
assert_eq "" "$(remote_ref "$REPO" refs/heads/feature-x)" "server's refs/heads/feature-x after deleting it"
