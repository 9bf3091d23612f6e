#!/usr/bin/env bash
# Scenario: porter.yaml jobs run from the gateway on the local engine, on a
# test clock where one cron minute lasts 2 s (PORTER_CRON_SECONDS_PER_MINUTE).
# - `tick` ("* * * * *") prints a line, sleeps 3 s (1.5 cron minutes) and
#   prints another: it runs again and again, never two at once (the times
#   that come while it runs are recorded as skipped), its output kept with the
#   config values masked;
# - `broken` exits 7, `slow` outlives its 3 s timeout: both recorded so;
# - `jobs APP` shows the runs with their exit codes, `jobs:log` the output;
# - the gateway killed with -9 while `tick` runs: the restarted gateway marks
#   that run interrupted, removes its container, and runs no scheduled time
#   that already has a row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

export PORTER_CRON_SECONDS_PER_MINUTE=2

start_gateway
new_app app cron
on_teardown 'ids=$(pod ps -aq --filter "name=^$app-"); [[ -z $ids ]] || pod rm -f -t 0 $ids >/dev/null 2>&1'
secret="cron-secret-$$-value"
admin_ok apps:create "$app"
admin_ok config:set "$app" "SECRET_TOKEN=$secret"

make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
jobs:
  tick: {run: 'echo "tick-start token=$SECRET_TOKEN"; sleep 3; echo tick-end', schedule: "* * * * *", timeout: 60}
  broken: {run: "echo about to fail; exit 7", schedule: "*/3 * * * *", timeout: 60}
  slow: {run: "echo slow-start; sleep 120", schedule: "*/5 * * * *", timeout: 3}
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "cron jobs"
push "$REPO"
expect_push_ok
expect_live "$PUSH_OUT" production >/dev/null

runs() { db "SELECT count(*) FROM cron_runs WHERE app = '$app' AND job = '$1' AND status = '$2'"; }
at_least() { (($(runs "$1" "$2") >= $3)); }

# ------------------------------------------------------- runs, on schedule
wait_for 60 at_least tick succeeded 2 || fail "tick did not succeed twice within 60 s: $(db "SELECT * FROM cron_runs")"
wait_for 40 at_least broken failed 1 || fail "broken never recorded a failure: $(db "SELECT * FROM cron_runs")"
wait_for 40 at_least slow 'timed out' 1 || fail "slow never timed out: $(db "SELECT * FROM cron_runs")"
assert_eq 7 "$(db "SELECT DISTINCT exit_code FROM cron_runs WHERE app = '$app' AND job = 'broken' AND status = 'failed'")" \
  "the exit code recorded for broken"
slow_container=$(db "SELECT container FROM cron_runs WHERE app = '$app' AND job = 'slow' AND status = 'timed out' LIMIT 1")
[[ -z $(pod ps -aq --filter "name=^$slow_container\$") ]] || fail "the timed-out run's container $slow_container remains"

# Never two runs of tick at once: each starts after the one before finished,
# and the times that came meanwhile were skipped, not run.
overlaps() {
  db "SELECT count(*) FROM cron_runs a JOIN cron_runs b ON b.app = a.app AND b.job = a.job AND b.id > a.id
      WHERE a.app = '$app' AND a.job = 'tick' AND a.status <> 'skipped' AND b.status <> 'skipped'
        AND b.started_at < COALESCE(a.finished_at, '9999')"
}
assert_eq 0 "$(overlaps)" "tick runs that overlapped"
at_least tick skipped 1 || fail "no time of tick was skipped: did the runs really take longer than a minute?"

# ------------------------------------------------------------ jobs, jobs:log
admin_ok jobs "$app"
sed 's/^/    | /' "$ADMIN_OUT"
assert_contains "$ADMIN_OUT" "tick: * * * * * (UTC), timeout 60 s"
assert_contains "$ADMIN_OUT" "next run "
assert_match "$ADMIN_OUT" "  [0-9T:-]+Z +succeeded +0 +[0-9T:-]+Z +[0-9.]+ s"
assert_match "$ADMIN_OUT" "  [0-9T:-]+Z +failed +7 +[0-9T:-]+Z +[0-9.]+ s"
assert_match "$ADMIN_OUT" "  [0-9T:-]+Z +timed out +- +[0-9T:-]+Z +[0-9.]+ s"
assert_match "$ADMIN_OUT" "  skipped [0-9]+ time\\(s\\) meanwhile, the last [0-9T:-]+Z: the run before still ran"

# jobs:log shows the last run, which may still be going: wait for a finished one.
log_shows() { admin_ok jobs:log "$app" "$1" && grep -qF -- "$2" "$ADMIN_OUT"; }
wait_for 30 log_shows broken "porter: exited 7" || fail "jobs:log never showed broken's exit"
assert_contains "$ADMIN_OUT" "about to fail"
# The last tick run that ran may still be going: wait for a finished one's log.
wait_for 40 at_least tick succeeded 3 || fail "tick stopped running"
tick_log=$(db "SELECT log_path FROM cron_runs WHERE app = '$app' AND job = 'tick' AND status = 'succeeded' LIMIT 1")
assert_contains "$tick_log" "tick-start token=*****"
assert_contains "$tick_log" "tick-end"
assert_not_contains "$tick_log" "$secret"
admin_ok jobs:log "$app" tick
assert_not_contains "$ADMIN_OUT" "$secret"
admin jobs:log "$app" nosuchjob
((ADMIN_RC != 0)) || fail "jobs:log of an unknown job succeeded"

# ------------------------------------------- killed while tick runs, restart
running_tick() { [[ $(runs tick running) == 1 ]]; }
wait_for 20 running_tick || fail "tick is not running"
killed_run=$(db "SELECT id || '|' || container || '|' || scheduled_for FROM cron_runs
                 WHERE app = '$app' AND job = 'tick' AND status = 'running'")
IFS='|' read -r killed_id killed_container killed_time <<<"$killed_run"
container_up() { [[ -n $(pod ps -q --filter "name=^$killed_container\$") ]]; }
wait_for 20 container_up || fail "tick's container $killed_container never ran"
log "killing the gateway (pid $GW_PID) with SIGKILL during run #$killed_id ($killed_time)"
kill -KILL "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
GW_PID=
# What the killed gateway recorded last.
IFS='|' read -r last_id last_before <<<"$(db "SELECT MAX(id) || '|' || MAX(scheduled_for) FROM cron_runs
                                             WHERE app = '$app' AND job = 'tick'")"
container_up || fail "expected tick's container to outlive the killed gateway (nothing to recover?)"

restart_gateway
# The recovery is done before the gateway takes connections.
assert_eq interrupted "$(db "SELECT status FROM cron_runs WHERE id = $killed_id")" "the killed run's status"
[[ -z $(pod ps -aq --filter "name=^$killed_container\$") ]] || fail "the killed run's container $killed_container remains"
after=$(runs tick succeeded)
more_runs() { (($(runs tick succeeded) > after)); }
wait_for 40 more_runs || fail "tick did not run again after the restart"

# No scheduled time ran twice: once per row, once in the gateway's log (both
# gateways append to it), and the new gateway ran only times after the old
# one's last.
assert_eq 0 "$(db "SELECT count(*) FROM (SELECT 1 FROM cron_runs WHERE app = '$app'
                   GROUP BY job, scheduled_for HAVING count(*) > 1)")" "scheduled times with more than one row"
dupes=$(grep -o "cron run app=$app env=production job=tick scheduled_for=[^ ]*" "$DATA/gateway.log" | sort | uniq -d)
[[ -z $dupes ]] || fail "tick started twice for: $dupes"
first_new=$(db "SELECT MIN(scheduled_for) FROM cron_runs WHERE app = '$app' AND job = 'tick' AND id > $last_id")
[[ $first_new > $last_before ]] || fail "the restarted gateway ran $first_new, not after the last time $last_before"
assert_eq 0 "$(overlaps)" "tick runs that overlapped (after the restart)"
log "tick: $(runs tick succeeded) succeeded, $(runs tick skipped) skipped, $(runs tick interrupted) interrupted"
