#!/usr/bin/env bash
# Scenario: the local engine's autoscaler. A worker declares resources
# {cpu: 0.25} and autoscaling {min: 1, max: 3, cpu_percent: 50}; it burns
# its CPU until BURN_UNTIL (a config var, epoch seconds), then idles. The
# autoscaler (sampling every second, scale-down window 10 s) must add
# replicas up to 3 while it burns, shown in ps and logged as events, and
# come back to 1 once it idles, without a new release.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

cat >"$TMP/gateway.yaml" <<'YAML'
autoscaler: {interval: 1, scale_down_window: 10}
YAML
start_gateway --config "$TMP/gateway.yaml"
new_app app burn
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  worker:
    run: perl -e 'while (time < $ENV{BURN_UNTIL}) { $x++ } sleep 3600'
    resources: {cpu: 0.25}
    autoscaling: {min: 1, max: 3, cpu_percent: 50}
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "a worker that burns its CPU, autoscaled"
admin_ok apps:create "$app"
# Long enough for the push and the scale-up; set before the first deploy.
admin_ok config:set "$app" "BURN_UNTIL=$(($(date +%s) + 75))"
push_ts "$REPO"
expect_push_ok
assert_contains "$PUSH_OUT" "worker x1"
live_at=$SECONDS

# Running workers as ps shows them (the recorded replicas, with podman's state).
workers() { admin ps "$app" >/dev/null && grep -cE '^worker\.[0-2] +v1 +running' "$ADMIN_OUT" || true; }
workers_are() { (($(workers) == $1)); }
wait_for 90 workers_are 3 || fail "the burning worker did not scale to 3 (has $(workers)); gateway log: $(grep autoscal "$DATA/gateway.log" | tail -n 5)"
log "FIGURE autoscaler: 1 -> 3 burning workers $((SECONDS - live_at)) s after the release went live"
grep autoscaling "$DATA/gateway.log" | sed 's/^/    /'
admin_ok ps "$app"
assert_contains "$ADMIN_OUT" "worker: autoscaling between 1 and 3, CPU 50%"
assert_match "$DATA/gateway.log" "autoscaling app=$app env=production service=worker from=1 to=[23]"

burn_ends=$(db "SELECT value FROM config_vars WHERE app = '$app' AND key = 'BURN_UNTIL'")
wait_for 120 workers_are 1 || fail "the idle workers did not scale back to 1 (has $(workers))"
grep autoscaling "$DATA/gateway.log" | tail -n 2 | sed 's/^/    /'
log "FIGURE autoscaler: 3 -> 1 idle workers $(($(date +%s) - burn_ends)) s after the burn ended (scale-down window 10 s)"
assert_eq 1 "$(db "SELECT COUNT(*) FROM releases WHERE app = '$app'")" "releases (scaling makes none)"
