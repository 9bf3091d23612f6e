# shellcheck shell=bash
# Helpers for the container-build scenarios (tests/e2e/build_*.sh). Sourced
# after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/lib_build.sh"
#
# Not a scenario itself (CTest must skip lib*.sh).

# admin WORDS...: runs an admin command over SSH as git@ (the same ssh command
# git uses); sets ADMIN_OUT (file with stdout+stderr) and ADMIN_RC, and shows
# the output.
ADMIN_SEQ=0
admin() {
  ADMIN_SEQ=$((ADMIN_SEQ + 1))
  ADMIN_OUT="$TMP/admin-$ADMIN_SEQ.out"
  log "ssh git@gateway $*"
  # shellcheck disable=SC2046  # the ssh command line is words, as in lib.sh
  if timeout -k 5 120 $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" git@127.0.0.1 "$*" >"$ADMIN_OUT" 2>&1; then
    ADMIN_RC=0
  else
    ADMIN_RC=$?
  fi
  sed 's/^/    | /' "$ADMIN_OUT"
  ((ADMIN_RC != 124)) || fail "ssh $* did not finish within 120 s"
}

# admin_ok WORDS...: admin, and fail unless it exited 0
admin_ok() {
  admin "$@"
  ((ADMIN_RC == 0)) || fail "ssh git@gateway $* exited $ADMIN_RC: $(cat "$ADMIN_OUT")"
}

# init_repo NAME DIR: turns DIR (already holding the app's files) into a git
# repo (branch main, one commit) whose remote `porter` is app NAME. Sets REPO.
init_repo() {
  local name=$1 dir=$2
  [[ -n $GW_PORT ]] || fail "init_repo before start_gateway"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" commit -q -m "initial $name"
  git -C "$dir" remote add porter "$(remote_url "$name")"
  # shellcheck disable=SC2034  # for the scenario
  REPO=$dir
}

# now_ms: wall clock in milliseconds
now_ms() { date +%s%3N; }

# ms_to_s MS: "12.3"
ms_to_s() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# timed_push DIR [git push args...]: push, and set PUSH_MS to how long it
# took. PUSH_LIMIT=SECS allows more than push's 180 s.
timed_push() {
  local t0
  t0=$(now_ms)
  push "$@"
  PUSH_MS=$(($(now_ms) - t0))
  log "push took $(ms_to_s "$PUSH_MS") s"
}

# stage_seconds FILE TEXT: the "(N.N s)" of the first `-----> TEXT...` line
stage_seconds() {
  tr -d '\r' <"$1" | grep -F -- "-----> $2" | head -n 1 | grep -oE '[0-9]+(\.[0-9]+)? s\)' | tail -n 1 |
    sed 's/ s)//'
}

# gw_status_kb FIELD: a field of /proc/GW_PID/status in kB (VmHWM, VmRSS)
gw_status_kb() {
  awk -v f="$1:" '$1 == f { print $2 }' "/proc/$GW_PID/status"
}

# registry_tags REPOSITORY: the tags the test's registry lists, one a line
registry_tags() {
  curl -fsS --max-time 5 -u "$REGISTRY_CREDS" "http://$REGISTRY/v2/$1/tags/list" |
    python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin).get("tags") or []))'
}

# expect_deploy_log_contains ID TEXT: DATA/logs/ID.log exists and has TEXT
expect_deploy_log_contains() {
  local file="$DATA/logs/$1.log"
  [[ -s $file ]] || fail "no deploy log $file; ls logs: $(ls "$DATA/logs" 2>&1 | tr '\n' ' ')"
  grep -qF -- "$2" "$file" || fail "deploy log $file lacks '$2'; it has:
$(sed 's/^/    | /' "$file" | tail -n 30)"
}
