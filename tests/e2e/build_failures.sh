#!/usr/bin/env bash
# Scenario: build failures. An app's v1 (a Dockerfile app) is deployed first;
# then each of these pushes is rejected with the branch left at v1, v1 still
# answering, the deploy recorded as failed and its log file DATA/logs/ID.log
# holding the failure:
#   a. a Dockerfile whose RUN step fails: the failing step and its last
#      output lines are shown;
#   b. an app with only a README: no buildpack detected, the message lists
#      the buildpacks tried;
#   c. python-flask-unreachable: the python buildpack's one clear line about
#      the unreachable package index (no pip retries). The app's
#      PIP_INDEX_URL config var names a port nothing listens on (these
#      machines do reach PyPI); the line shows it masked, as every config
#      value is;
#   d. a `RUN sleep 60` Dockerfile, on a gateway whose gateway.yaml says
#      timeouts: {build: 5}: the build times out, the push is rejected within
#      20 s saying so, and no sleep process (nor buildah working container)
#      remains. Then a good push deploys: the gateway is fine.
#
# a-c run on a gateway with the default build timeout, d on a second one
# (same script, same registry): with a 5 s limit for every build, case c
# (python3 -m venv alone takes 3.5 s on an idle 2-core machine, over 6 s with
# another test running) would time out instead of reaching the index check.
# On the 5 s gateway, the pushes that must deploy are retried (twice at
# most) when, and only when, they ran out of build time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

# replace_tree [FIXTURE]: empties the repo's tree, then copies in FIXTURE's
# files (commit_all commits the result).
replace_tree() {
  git -C "$REPO" rm -rq --ignore-unmatch .
  [[ -z ${1:-} ]] || cp -a "$FIXTURES/apps/$1/." "$REPO/"
}
commit_all() {
  git -C "$REPO" add -A
  git -C "$REPO" commit -q -m "$1"
}

# expect_rejected_keeping_v1 TEXT_IN_LOG: the common checks after a failed push
expect_rejected_keeping_v1() {
  expect_push_rejected
  expect_failed_verdict "$PUSH_OUT"
  assert_contains "$PUSH_OUT" "the previous release (v1) is still serving"
  assert_not_contains "$PUSH_OUT" "is live at"
  local id
  id=$(deploy_id "$PUSH_OUT")
  ((id != id1)) || fail "the failed push reused deploy #$id1"
  assert_eq failed "$(deploy_status "$id")" "deploys.status of the failed #$id"
  assert_eq "$v1" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the failed push"
  assert_http "$url" "v1-$$"
  assert_eq live "$(deploy_status "$id1")" "deploys.status of v1's #$id1"
  expect_deploy_log_contains "$id" "$1"
  expect_deploy_log_contains "$id" "deploy #$id to production failed"
  FAILED_ID=$id
}

start_gateway
new_app app bfail
gw_ssh git@127.0.0.1 apps:create "$app" >/dev/null
gw_ssh git@127.0.0.1 config:set "$app" PIP_INDEX_URL=http://127.0.0.1:9/simple >/dev/null
deploy_v1 perl-web

# ---------------------------------------------- a. a RUN step that fails
log "case a: a failing RUN step"
cat >"$REPO/Dockerfile" <<DOCKERFILE
FROM debian:bookworm
COPY server.pl /app/server.pl
RUN echo "cache-bust $$-$RANDOM" && for i in 1 2 3; do echo "fail-line-\$i-\$((40+2))"; done && exit 3
CMD ["perl", "/app/server.pl"]
DOCKERFILE
commit_all "a RUN step that fails"
push "$REPO" porter main
expect_rejected_keeping_v1 "fail-line-3-42"
# the failing step, its last output lines (computed by the shell, so they
# come from the step running, not from the STEP header) and buildah's error
assert_match "$PUSH_OUT" 'STEP 3/4: RUN echo "cache-bust '
for i in 1 2 3; do assert_contains "$PUSH_OUT" "fail-line-$i-42"; done
assert_match "$PUSH_OUT" 'Error: building at STEP "RUN echo "cache-bust .*": while running runtime: exit status 3'
# the verdict names the failing step (buildah's last line)
assert_match "$PUSH_OUT" "=====> deploy #$FAILED_ID to production failed: build failed: Error: building at STEP \"RUN echo \"cache-bust .*exit status 3"
expect_deploy_log_contains "$FAILED_ID" "exit status 3"
# (that a failed RUN step leaves no buildah working container behind is
# failing_build_keeps_previous.sh's to check; lib.sh's cleanup removes any)
BUILD_BASES+=("$(layer_before "$PUSH_OUT" 'RUN echo "cache-bust ')")

# ------------------------------------------- b. nothing to detect (README only)
log "case b: no buildpack detects the app"
replace_tree
printf '# readme-only-%s\nNothing to run here.\n' "$$" >"$REPO/README.md"
commit_all "only a README"
push "$REPO" porter main
msg="no buildpack detected this app (tried apt, nodejs, python, static, procfile); add a Procfile, a Dockerfile, or list build.buildpacks in porter.yaml"
expect_rejected_keeping_v1 "$msg"
assert_contains "$PUSH_OUT" "=====> deploy #$FAILED_ID to production failed: $msg;"

# ------------------------------------------- c. the package index is unreachable
log "case c: pip cannot reach the package index"
replace_tree python-flask-unreachable
commit_all "flask app"
push "$REPO" porter main
line="!     error: cannot reach the Python package index (*****): pip could not download flask"
expect_rejected_keeping_v1 "$line"
assert_contains "$PUSH_OUT" "-----> Python app detected (buildpack python)"
n=$(grep -F -- "$line" "$PUSH_OUT" | grep -cvF "=====>")
assert_eq 1 "$n" "times the package-index line is shown (besides the verdict, which may name it)"
# one clear line, not pip's retries and tracebacks
assert_not_contains "$PUSH_OUT" "Retrying"
assert_not_contains "$PUSH_OUT" "Traceback"
# it is the buildpack's last word: between it and the runner's summary
# there is only buildah's own exit note (its stderr may come first)
summary="error: buildpack python failed to compile (exit 1)"
assert_contains "$PUSH_OUT" "$summary"
between=$(tr -d '\r' <"$PUSH_OUT" | awk -v a="$line" -v b="$summary" '
  index($0, b) { exit } on { print } index($0, a) { on = 1 }' | grep -v 'subprocess exited with status' || true)
[[ -z $between ]] || fail "expected nothing from the buildpack after the package-index line; got:
$between"

# ------------------------------------------- d. the build times out
log "case d: a build that outlives timeouts.build (5 s)"
printf 'timeouts: {build: 5}\n' >"$TMP/gateway.yaml"
start_gateway --config "$TMP/gateway.yaml"
new_app app btime
make_app_repo "$app" perl-web
set_greeting "$REPO" "v1-$$"

# push_setup NAME: a push that must deploy. With 5 s for a whole build, a
# build waiting on buildah's storage lock (another test committing a large
# layer) can run out of time; only that is retried, twice at most.
push_setup() {
  local attempt
  for attempt in 1 2 3; do
    push "$REPO" porter main
    ((PUSH_RC != 0)) || return 0
    grep -qF "failed: build timed out after 5 s" "$PUSH_OUT" ||
      fail "$1: push failed, and not for lack of time (see above)"
    log "$1: attempt $attempt ran out of build time (busy machine); retrying"
  done
  fail "$1: three attempts all ran out of build time"
}

# v1 holds every layer the timed-out build starts from (a token of this run
# makes them its own), so that build has only its sleeping step to run.
base_token="timeout-base $$-$RANDOM-$RANDOM"
dockerfile() { # dockerfile [EXTRA_RUN_LINE]
  printf 'FROM debian:bookworm\nRUN echo "%s"\n%sCOPY server.pl /app/server.pl\nCMD ["perl", "/app/server.pl"]\n' \
    "$base_token" "${1:+$1$'\n'}" >"$REPO/Dockerfile"
}
dockerfile
commit_all "v1 with the shared base layers"
v1=$(head_sha "$REPO")
push_setup "v1 on the 5 s gateway"
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "v1-$$"
id1=$(deploy_id "$PUSH_OUT")

marker="60.$$"   # a sleep argument no other process on this machine uses
# (the shell computes 2 and 6: the STEP header shows neither marker)
# shellcheck disable=SC2016
dockerfile "RUN echo \"timeout-step-\$((1+1))-started\" && sleep $marker && echo \"timeout-step-\$((3+3))-done\""
grep -qF "sleep $marker" "$REPO/Dockerfile" || fail "could not write the sleeping Dockerfile"
commit_all "a build that sleeps 60 s"
timed_push "$REPO" porter main
expect_rejected_keeping_v1 "timed out"
assert_contains "$PUSH_OUT" "=====> deploy #$FAILED_ID to production failed: build timed out after 5 s;"
assert_contains "$PUSH_OUT" "timeout-step-2-started"       # the step really ran
assert_not_contains "$PUSH_OUT" "timeout-step-6-done"
((PUSH_MS < 20000)) || fail "the timed-out push took $(ms_to_s "$PUSH_MS") s; expected under 20 s (timeouts.build is 5 s)"
left=$(pgrep -a -f -- "sleep $marker" || true)
[[ -z $left ]] || fail "the timed-out build left processes running:
$left"
log "MEASURE timed-out push (timeouts.build 5 s) rejected after $(ms_to_s "$PUSH_MS") s"
# the image the killed RUN step's working container was made from
to_base=$(layer_before "$PUSH_OUT" 'RUN echo "timeout-step-')
[[ -n $to_base ]] || fail "found no '--> IMAGE_ID' line before the timed-out RUN step"
BUILD_BASES+=("$to_base")  # lib.sh's cleanup removes what is left

# The gateway is still fine: a good push deploys.
dockerfile
commit_all "back to a Dockerfile that builds"
set_greeting "$REPO" "v2-$$"
push_setup "v2 after the timeout"
url2=$(expect_live "$PUSH_OUT" production)
assert_http "$url2" "v2-$$"

# Last: the killed build left no buildah working container behind either
# (a 10 s grace; the build ended long before).
wait_for 10 no_build_leftovers "$to_base" ||
  fail "the timed-out build left buildah working container(s) behind: $(build_leftovers "$to_base" | tr '\n' ' ')(from image $to_base)"
