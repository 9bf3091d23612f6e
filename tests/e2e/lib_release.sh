# shellcheck shell=bash
# Helpers for the release scenarios (tests/e2e/release_*.sh), on top of lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/lib_release.sh"
#
# admin / admin_ok CMD...   an SSH command to the gateway (config:set, releases...)
# push_ts DIR [ARGS]        lib.sh's push, with a receive timestamp on every line
# report_release_timing     build-end-to-verdict figures of a push_ts push
# http_status URL           the HTTP status code of a GET ("000": no answer)
# release_pods, pod_state, pod_container   an app's pods as podman sees them
# start_postgres, pg_sql, pg_create_db     a private PostgreSQL, stopped at exit
# on_teardown CMD           run CMD at exit, before lib.sh's cleanup
#
# Every wait polls a condition with a deadline (lib.sh's wait_for).

# ------------------------------------------------------------------ cleanup

# lib.sh's EXIT trap (cleanup) ends with `exit $rc` and reads $? on entry, so
# this file's own teardown runs first and then hands over the original status.
_RELEASE_TEARDOWN=()   # commands run (last registered first) before lib.sh's cleanup

release_cleanup() {
  local rc=$?
  trap - ERR
  set +e
  local i
  for ((i = ${#_RELEASE_TEARDOWN[@]} - 1; i >= 0; i--)); do
    eval "${_RELEASE_TEARDOWN[i]}"
  done
  (exit "$rc")
  cleanup
}
trap release_cleanup EXIT

on_teardown() { _RELEASE_TEARDOWN+=("$*"); }

# ------------------------------------------------------------ SSH commands

ADMIN_SEQ=0
# admin CMD...: runs `ssh -p GW_PORT git@127.0.0.1 CMD...` with the test key
# (180 s limit). The words are joined with spaces, as ssh does: quote values
# for the gateway's own parser, e.g. admin config:set "$app" "GREETING='a b'".
# Sets ADMIN_OUT (stdout file), ADMIN_ERR (stderr file) and ADMIN_RC; never
# fails by itself (see admin_ok).
admin() {
  ADMIN_SEQ=$((ADMIN_SEQ + 1))
  ADMIN_OUT="$TMP/admin-$ADMIN_SEQ.out"
  ADMIN_ERR="$TMP/admin-$ADMIN_SEQ.err"
  log "ssh git@gateway $*"
  # shellcheck disable=SC2046
  if timeout -k 5 180 $(ssh_cmd_for "$CLIENT_KEY") -n -p "$GW_PORT" git@127.0.0.1 "$*" \
    >"$ADMIN_OUT" 2>"$ADMIN_ERR"; then
    ADMIN_RC=0
  else
    ADMIN_RC=$?
  fi
  sed 's/^/    | /' "$ADMIN_OUT"
  sed 's/^/    ! /' "$ADMIN_ERR"
  log "ssh exited $ADMIN_RC"
  ((ADMIN_RC != 124)) || fail "ssh $* did not finish within 180 s"
}

# admin_ok CMD...: admin, and fail unless it exited 0
admin_ok() {
  admin "$@"
  ((ADMIN_RC == 0)) || fail "expected 'ssh ... $*' to succeed; it exited $ADMIN_RC: $(cat "$ADMIN_ERR")"
}

# ------------------------------------------------------------------ pushes

# push_ts DIR [git push args...]: like lib.sh's push (sets PUSH_OUT, PUSH_RC),
# and also writes PUSH_TS: every line prefixed with the epoch time (to the ms) at
# which the client received it.
push_ts() {
  local dir=$1; shift
  (($#)) || set -- porter main
  PUSH_SEQ=$((PUSH_SEQ + 1))
  PUSH_OUT="$TMP/push-$PUSH_SEQ.out"
  PUSH_TS="$PUSH_OUT.ts"
  log "git push $* (in ${dir#"$TMP"/}, timestamped)"
  { local rc=0; timeout -k 5 180 git -C "$dir" push "$@" 2>&1 || rc=$?; echo "$rc" >"$PUSH_OUT.rc"; } |
    perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\r/\n/g; for my $l (split /\n/) { printf "%.3f %s\n", time, $l if length $l }' \
      >"$PUSH_TS"
  PUSH_RC=$(<"$PUSH_OUT.rc")
  cut -d' ' -f2- "$PUSH_TS" >"$PUSH_OUT"
  sed 's/^/    | /' "$PUSH_OUT"
  log "git push exited $PUSH_RC"
  ((PUSH_RC != 124)) || fail "git push $* did not finish within 180 s"
}

# report_release_timing FILE WHAT: logs (and appends to $E2E_FIGURES, if set)
# the time from the end of the build (the "Image ..." line, or "Built ..."
# without a registry) to the verdict, split into its steps as the client saw
# them, and the gateway's own "traffic switched ... in N s" figure.
report_release_timing() {
  local file=$1 what=$2 line
  line=$(perl -ne '
    my ($t, $text) = /^([0-9.]+) (.*)$/ or next;
    $build //= $t if $text =~ /-----> (Image|Built) /; $build = $t if $text =~ /-----> Image /;
    $release //= $t if $text =~ /-----> Releasing v/;
    $health //= $t if $text =~ /-----> Health check /;
    $healthy //= $t if $text =~ /ok: all web replicas healthy/;
    $switch //= $t if $text =~ /traffic switched to /;
    $stopped //= $t if $text =~ /       stopped v[0-9]+/;
    $verdict //= $t if $text =~ /=====> /;
    ($switched) = $text =~ /traffic switched to v[0-9]+ in ([0-9.]+ s)/ if $text =~ /traffic switched/;
    END {
      exit 1 unless defined $build && defined $verdict;
      my $d = sub { defined $_[0] && defined $_[1] ? sprintf("%.1f s", $_[1] - $_[0]) : "-" };
      printf "end of build to verdict %s (predeploy %s, start pods %s, health check %s, switch %s, stop old %s); gateway: traffic switched in %s\n",
        $d->($build, $verdict), $d->($build, $release), $d->($release, $health), $d->($health, $healthy),
        $d->($healthy, $switch), $d->($switch, $stopped), $switched // "-";
    }' "$file") || fail "no build-end or verdict line in $file"
  log "FIGURE $what: $line"
  [[ -z ${E2E_FIGURES:-} ]] || echo "$TEST_NAME | $what | $line" >>"$E2E_FIGURES"
}

# --------------------------------------------------------------------- HTTP

# http_status URL: the status code of a GET, "000" when nothing answered
http_status() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" || true; }

# loop_count DIR: how many requests the request loop writing DIR/count has
# made. The loop rewrites the file each time, so it may be seen empty.
loop_count() {
  local n
  n=$(cat "$1/count" 2>/dev/null) || true
  echo "${n:-0}"
}

# ------------------------------------------------------------ release pods

# release_pods APP [ENV] [VERSION]: "NAME STATUS" of the app's pods (podman pod
# ps), sorted by name; with VERSION (vN) only that release's.
release_pods() {
  local app=$1 env=${2:-production} version=${3:-}
  pod pod ps --filter "name=^$app-$env-${version:+$version-}" --format '{{.Name}} {{.Status}}' 2>/dev/null | sort
}

# pod_state POD: podman's state of a pod (Running, Degraded, Exited...), empty if none
pod_state() { pod pod inspect --format '{{.State}}' "$1" 2>/dev/null || true; }

# pod_container POD: the name of the pod's app container (not its infra container)
pod_container() {
  pod ps -a --filter "pod=$1" --format '{{.Names}} {{.IsInfra}}' 2>/dev/null | awk '$2 == "false" { print $1; exit }'
}

# ------------------------------------------------------------- PostgreSQL

PG_BIN=
PG_PORT=
PG_DIR=
PG_SOCK=
# start_postgres: initdb in $TMP/pg (as the postgres user: the server refuses
# root), start it on a free port on 127.0.0.1, wait until pg_isready answers
# (30 s deadline). Local socket connections are trusted (the test's own psql,
# as postgres); TCP ones (from 127.0.0.1 and podman's networks) need a
# password (scram), so an app only gets in with the password of its
# DATABASE_URL. Stopped at exit. Sets PG_PORT, PG_SOCK.
start_postgres() {
  local d
  for d in /usr/lib/postgresql/*/bin /usr/local/bin; do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then PG_BIN=$d; break; fi
  done
  [[ -n $PG_BIN ]] || PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  [[ -x $PG_BIN/initdb ]] || fail "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
  command -v psql >/dev/null && command -v pg_isready >/dev/null || fail "psql and pg_isready are needed"
  id postgres >/dev/null 2>&1 || fail "no 'postgres' user to run the server as"

  # The server runs as postgres: it may traverse (not list) the test's dir.
  chmod 0711 "$TMP"
  PG_DIR="$TMP/pg"
  PG_SOCK="$PG_DIR/run"
  mkdir -p "$PG_DIR/run"
  chown -R postgres: "$PG_DIR"
  chmod 0700 "$PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync >"$TMP/pg-initdb.log" 2>&1 ||
    fail "initdb failed: $(tail -n 5 "$TMP/pg-initdb.log")"
  # Apps connect from their podman networks (10.89.0.0/16, through the
  # gateway's host_services forwarding), with the password too.
  echo "host all all 10.89.0.0/16 scram-sha-256" >>"$PG_DIR/data/pg_hba.conf"
  on_teardown stop_postgres

  local try
  for try in 1 2 3; do
    PG_PORT=$(free_port)
    if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK -c fsync=off -c full_page_writes=off" \
      start >"$TMP/pg-start.log" 2>&1; then
      pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }
      wait_for 30 pg_ready || fail "PostgreSQL started but pg_isready never answered on 127.0.0.1:$PG_PORT"
      log "PostgreSQL on 127.0.0.1:$PG_PORT (data $PG_DIR/data)"
      return 0
    fi
    log "pg_ctl start on port $PG_PORT failed (try $try): $(tail -n 3 "$PG_DIR/server.log" 2>/dev/null)"
  done
  fail "could not start PostgreSQL: $(tail -n 5 "$PG_DIR/server.log" 2>/dev/null)"
}

stop_postgres() {
  [[ -n $PG_DIR && -f $PG_DIR/data/postmaster.pid ]] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 20 stop >/dev/null 2>&1 && return 0
  local pid
  pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
  return 0
}

# pg_sql SQL: runs SQL as the superuser over the local socket; prints
# unaligned tuples-only output (fails on any error)
pg_sql() {
  psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "${PG_DB:-postgres}" -v ON_ERROR_STOP=1 -tA -c "$1"
}

# pg_create_db DB USER PASSWORD: a login role owning a new database
pg_create_db() {
  PG_DB=postgres pg_sql "CREATE ROLE \"$2\" LOGIN PASSWORD '$3'" >/dev/null
  PG_DB=postgres pg_sql "CREATE DATABASE \"$1\" OWNER \"$2\"" >/dev/null
}
