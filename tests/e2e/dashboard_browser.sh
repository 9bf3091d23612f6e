#!/usr/bin/env bash
# Scenario: the web dashboard in a real browser (Debian's chromium, headless,
# driven by playwright-core from dashboard/node_modules) against a real
# gateway. dashboard/tests/browser.test.mjs checks, each with a deadline:
#   the link from `ssh ... dashboard` logs in, once (a reused link is refused);
#   the apps list shows the app pushed here; a config change made in the page
#   makes a release and the app answers the new value; a rollback in the page
#   brings the old value back; a `git push` running in the background shows
#   its build lines in the page while it runs; app log lines appear live; a key
#   limited to environments="staging" sees no production (and gets 403 there);
#   the apps list shows each environment's health and image size, and the
#   environment page has the resize form.
# It also takes screenshots (docs/dashboard/*.png, laptop and phone widths; the
# environment's once its charts have samples) and
# logs FIGUREs: an environment page's load time, and the latency from a line
# the app prints (with its timestamp) to its appearance in the page.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
DASHBOARD_DIR="$REPO_ROOT/dashboard"
[[ -x $CHROMIUM ]] || fail "no $CHROMIUM: scripts/setup installs Debian's chromium"
[[ -d $DASHBOARD_DIR/node_modules/playwright-core ]] || fail "no playwright-core in $DASHBOARD_DIR/node_modules: run scripts/setup"
[[ -s $DASHBOARD_DIR/dist/index.html ]] || fail "the front end is not built ($DASHBOARD_DIR/dist): run scripts/setup"

gen_key "$TMP/keys/staging" staging-only
EXTRA_AUTHORIZED_KEYS="environments=\"staging\" $(cat "$TMP/keys/staging.pub")"
cat >"$TMP/gateway.yaml" <<YAML
dashboard: {assets: $DASHBOARD_DIR/dist}
YAML
start_gateway --config "$TMP/gateway.yaml"
dashboard_addr_written() { [[ -s $DATA/dashboard.addr ]]; }
wait_for 10 dashboard_addr_written || fail "the gateway wrote no $DATA/dashboard.addr"
DASH_ADDR=$(<"$DATA/dashboard.addr")
DASH_ADDR=${DASH_ADDR%%[[:space:]]*}
log "dashboard on $DASH_ADDR"

# The app prints a line with its clock (ns) every 0.3 s: the page's log
# latency is measured against it (containers share the host's clock).
new_app app dash
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    run: sh -c 'while :; do echo "tick $(date +%s%N)"; sleep 0.3; done & exec perl /app/server.pl'
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "a web service that ticks"
push "$REPO" porter main
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
admin_ok config:set "$app" -e production COLOR=red
assert_contains "$ADMIN_OUT" "v2"
assert_http "$url/env/COLOR" red
push "$REPO" porter main:staging
expect_push_ok

# The next commit builds slowly, printing a line a second: the browser test
# pushes it in the background and watches those lines arrive.
printf 'RUN for i in $(seq 1 12); do echo "slow build step $i of %s"; sleep 1; done\n' "$$-$RANDOM" >>"$REPO/Dockerfile"
git -C "$REPO" commit -q -am "a slow build"

FIGURES_FILE="$TMP/figures"
: >"$FIGURES_FILE"
log "running dashboard/tests/browser.test.mjs in $CHROMIUM"
rc=0
DASH_URL="http://$DASH_ADDR" APP="$app" APP_URL="$url" REPO_DIR="$REPO" \
  SSH_ADMIN="$(ssh_cmd_for "$CLIENT_KEY") -p $GW_PORT git@127.0.0.1" \
  SSH_STAGING="$(ssh_cmd_for "$TMP/keys/staging") -p $GW_PORT git@127.0.0.1" \
  CHROMIUM="$CHROMIUM" SCREENSHOT_DIR="$REPO_ROOT/docs/dashboard" FIGURES_FILE="$FIGURES_FILE" \
  timeout -k 5 300 node --test --test-reporter=spec "$DASHBOARD_DIR/tests/browser.test.mjs" 2>&1 |
  sed 's/^/    | /' || rc=$?
while IFS= read -r figure; do
  log "FIGURE $figure"
  [[ -z ${E2E_FIGURES:-} ]] || echo "$TEST_NAME | $figure" >>"$E2E_FIGURES"
done <"$FIGURES_FILE"
((rc == 0)) || fail "the browser test failed (exit $rc; its output above)"

# What the browser did is what the gateway recorded: v3 (the page's config
# change), v4 (its rollback to v2), v5 (the slow push).
admin_ok releases "$app"
assert_match "$ADMIN_OUT" "v5"
