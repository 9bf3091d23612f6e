# Shared helpers for Porter's end-to-end tests. Each scenario script sources
# this file:
#
#     . "$(dirname "$0")/lib.sh"
#
# and then drives a real gateway (started with start_gateway) with real `git`
# and `ssh` clients. Every wait is a poll on a condition with a deadline
# (wait_for); nothing sleeps and hopes.
#
# Environment:
#   PORTER_BIN  absolute path of the porter binary (default: build/porter
#               under the repo root)
#   KEEP_TMP=1  keep the test's temp dir (path printed at exit)
#   E2E_TRACE=1 run the scenario with `set -x`

set -Eeuo pipefail
shopt -s inherit_errexit

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
FIXTURES="$E2E_DIR/fixtures"
TEST_NAME=$(basename "$0" .sh)

: "${PORTER_BIN:=$REPO_ROOT/build/porter}"
case $PORTER_BIN in /*) ;; *) PORTER_BIN="$PWD/$PORTER_BIN" ;; esac

TMP=$(mktemp -d "/tmp/porter-e2e-$TEST_NAME.XXXXXX")
DATA="$TMP/data"
GW_PID=
GW_PORT=
GW_ADDR=
CLIENT_KEY="$TMP/keys/client"
APPS=()       # apps whose containers cleanup removes
BG_PIDS=()    # background jobs (process-group leaders) cleanup kills
AT_EXIT=()    # functions cleanup calls first (a scenario's own undo)
PUSH_SEQ=0

# Isolate git from the host's configuration; give commits an identity.
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL="$TMP/gitconfig"
export GIT_AUTHOR_NAME="Porter E2E" GIT_AUTHOR_EMAIL="e2e@porter.test"
export GIT_COMMITTER_NAME="Porter E2E" GIT_COMMITTER_EMAIL="e2e@porter.test"
export GIT_TERMINAL_PROMPT=0
cat >"$GIT_CONFIG_GLOBAL" <<'EOF'
[init]
	defaultBranch = main
[advice]
	detachedHead = false
EOF

mkdir -p "$TMP/keys"

# ---------------------------------------------------------------- reporting

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%H:%M:%S)" "$*"; }

dump_gateway_log() {
  local f="$DATA/gateway.log"
  if [[ -s $f ]]; then
    echo "----- last 60 lines of $f -----"
    tail -n 60 "$f" || true
    echo "----- end of gateway log -----"
  fi
  # The apps' own output (the newest replicas first), for failures in the app's container.
  local replica_log
  for replica_log in $(ls -t "$DATA"/logs/apps/*/*/*/*.log 2>/dev/null | head -n 4); do
    echo "----- last 15 lines of $replica_log -----"
    tail -n 15 "$replica_log" || true
  done
}

_failed=0
fail() {
  _failed=1
  trap - ERR
  # Name the scenario's line (the first caller outside lib.sh).
  local i=1 where
  while [[ ${BASH_SOURCE[i]:-} == "${BASH_SOURCE[0]}" ]]; do i=$((i + 1)); done
  where="${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
  {
    echo "FAIL [$TEST_NAME] $where: $*"
    # In a command substitution the main shell reports (and dumps) next.
    [[ $BASHPID == "$$" ]] && dump_gateway_log
  } >&2
  exit 1
}

on_err() {
  local code=$1 line=$2 cmd=$3
  trap - ERR
  # A failing command substitution or subshell reports here too; only the
  # main shell prints the gateway log.
  echo "FAIL [$TEST_NAME] line $line: command exited $code: $cmd" >&2
  if [[ $BASHPID == "$$" ]]; then
    _failed=1
    dump_gateway_log >&2
  fi
  exit "$code"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# ------------------------------------------------------------------ cleanup

podman_conf() {
  # The gateway's own containers.conf, or one with the settings this host
  # needs (platform.md) when the gateway has not written one (yet).
  if [[ -s $DATA/containers.conf ]]; then
    echo "$DATA/containers.conf"
  else
    if [[ ! -s $TMP/containers.conf ]]; then
      printf '[engine]\nruntime="runc"\ncgroup_manager="cgroupfs"\n[containers]\ndefault_ulimits=["nofile=1024:1024","nproc=1024:1024"]\n' \
        >"$TMP/containers.conf"
    fi
    echo "$TMP/containers.conf"
  fi
}

# podman with the gateway's configuration
pod() { CONTAINERS_CONF=$(podman_conf) podman "$@"; }
# buildah on the gateway's own store for builds (gateway/sandbox/build_store.hpp)
build_store() { buildah --root /var/lib/porter/build-store --runroot /run/porter/build-store --storage-driver overlay "$@"; }

stop_gateway() {
  [[ -n $GW_PID ]] || return 0
  if kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM -- "-$GW_PID" 2>/dev/null || kill -TERM "$GW_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$GW_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$GW_PID" 2>/dev/null; then
      echo "[$TEST_NAME] gateway did not exit 15 s after SIGTERM; sending SIGKILL" >&2
    fi
  fi
  # Whatever is left of its process group (builds, receive-packs) goes too.
  kill -KILL -- "-$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=
  stop_proxy
}

# The gateway's nginx (DATA/nginx) outlives the gateway by design; a test
# stops it with its data dir. Only processes whose command line names this
# test's data dir are signalled.
stop_proxy() {
  local pids p
  # (the master's command line names its config; workers exit with it)
  pids=$(pgrep -f -- "$DATA/nginx" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  for p in $pids; do kill -QUIT "$p" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    local alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
}

cleanup() {
  local rc=$?
  trap - ERR
  set +e
  ((rc != 0)) && ((_failed == 0)) && { echo "FAIL [$TEST_NAME]: exited $rc" >&2; dump_gateway_log >&2; }
  local p
  for p in "${AT_EXIT[@]}"; do "$p"; done
  for p in "${BG_PIDS[@]}"; do
    # Only while its leader lives is group $p surely ours: an ended group's id
    # may by now lead another test's process (pid_max is 32768 here).
    kill -0 "$p" 2>/dev/null && { kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; }
  done
  stop_gateway
  local app ids
  for app in "${APPS[@]}"; do
    ids=$(pod pod ps -q --filter "label=porter.app=$app" 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $ids ]] && pod pod rm -f -t 0 $ids >/dev/null 2>&1
    ids=$(pod ps -aq --filter "label=porter.app=$app" 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $ids ]] && pod rm -f -t 0 $ids >/dev/null 2>&1
    # the gateway tags images localhost/porter/APP:ENV-SHA. Untag by name, never
    # rmi by ID: identical builds of other tests' apps share the image ID.
    # The filter also lists the image's other names (a Dockerfile that is only
    # FROM makes the base image itself): keep this app's own names only.
    ids=$(build_store images --format '{{.Name}}:{{.Tag}}' --filter "reference=localhost/porter/$app" 2>/dev/null |
      grep "^localhost/porter/$app:" | sort -u)
    # shellcheck disable=SC2086
    [[ -n $ids ]] && build_store rmi $ids >/dev/null 2>&1
    ids=$(pod volume ls --format '{{.Name}}' --filter "name=^$app-" 2>/dev/null)  # the app's disks
    # shellcheck disable=SC2086
    [[ -n $ids ]] && pod volume rm -f $ids >/dev/null 2>&1
    ids=$(pod network ls --format '{{.Name}}' --filter "name=^porter-$app-" 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $ids ]] && pod network rm -f $ids >/dev/null 2>&1
  done
  [[ -n ${SANDBOX:-} ]] && rm -rf "$SANDBOX"
  local base c
  for base in "${BUILD_BASES[@]}"; do
    for c in $(build_leftovers "$base"); do build_store rm "$c" >/dev/null 2>&1; done
  done
  if [[ ${KEEP_TMP:-} == 1 ]]; then
    echo "[$TEST_NAME] kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  ((rc == 0)) && log "PASS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ ${E2E_TRACE:-} == 1 ]] && set -x

# --------------------------------------------------------------- utilities

# wait_for DEADLINE_SECONDS CMD...: run CMD every 0.2 s until it succeeds;
# returns 1 (and says so) when DEADLINE_SECONDS pass first.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  while :; do
    if "$@"; then return 0; fi
    if ((SECONDS >= deadline)); then
      echo "[$TEST_NAME] wait_for: gave up after ${secs}s waiting for: $*" >&2
      return 1
    fi
    sleep 0.2
  done
}

# new_app VAR BASE: sets VAR to a unique app name and registers it.
new_app() {
  local -n _out=$1
  _out="$2-$$"
  [[ $_out =~ ^[a-z][a-z0-9-]{0,62}$ ]] || fail "bad app name $_out"
  APPS+=("$_out")
}

gen_key() { # gen_key PATH [COMMENT]
  ssh-keygen -q -t ed25519 -N '' -C "${2:-e2e}" -f "$1" <&-
}

ssh_cmd_for() { # the GIT_SSH_COMMAND for a key
  echo "ssh -i $1 -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=10"
}

# gw_ssh [ssh options] [-- command]: ssh to the gateway as git@ with the client key
gw_ssh() {
  # shellcheck disable=SC2046
  $(ssh_cmd_for "$CLIENT_KEY") -p "$GW_PORT" "$@"
}

remote_url() { echo "ssh://git@127.0.0.1:$GW_PORT/$1"; }

# ------------------------------------------------------------------ gateway

# free_port: a port on 127.0.0.1 that nothing listens on and no NAT rule
# forwards: a pod's hostPort would take its connections (host_ports_unclaimed.sh).
free_port() {
  iptables -w -t nat -S 2>/dev/null | python3 -c '
import re, socket, sys
claimed = set()
for ports in re.findall(r"--dports? ([0-9,:]+)", sys.stdin.read()):
    for item in ports.split(","):
        first, _, last = item.partition(":")
        claimed.update(range(int(first), int(last or first) + 1))
while True:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if port not in claimed:
        print(port)
        break
'
}

REG_PID=
# start_registry: a private OCI registry (docker-registry) for this test on a
# free port, requiring credentials as the one scripts/run starts; sets
# REGISTRY=127.0.0.1:PORT, REGISTRY_CREDS=USER:PASSWORD (for curl -u) and
# REGISTRY_AUTH (its containers auth.json, which start_gateway gives the gateway).
start_registry() {
  local port password
  mkdir -p "$TMP/registry"
  password="e2e-$$-$RANDOM$RANDOM"
  htpasswd -Bin porter <<<"$password" >"$TMP/registry/htpasswd" 2>/dev/null
  REGISTRY_CREDS="porter:$password"
  for _ in 1 2 3; do
    port=$(free_port)
    cat >"$TMP/registry/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $TMP/registry/data}, delete: {enabled: false}}
http: {addr: 127.0.0.1:$port}
auth: {htpasswd: {realm: porter, path: $TMP/registry/htpasswd}}
YAML
    REGISTRY_AUTH="$TMP/registry/auth.json"
    printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$port" "$(printf '%s' "$REGISTRY_CREDS" | base64 -w0)" >"$REGISTRY_AUTH"
    setsid docker-registry serve "$TMP/registry/config.yml" </dev/null >>"$TMP/registry/log" 2>&1 &
    REG_PID=$!
    BG_PIDS+=("$REG_PID")
    disown "$REG_PID"
    registry_up() { curl -fsS --max-time 2 -u "$REGISTRY_CREDS" "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; }
    if wait_for 15 registry_up; then
      REGISTRY="127.0.0.1:$port"
      log "registry on $REGISTRY"
      return 0
    fi
    kill -KILL -- "-$REG_PID" 2>/dev/null || true
  done
  fail "could not start docker-registry: $(tail -n 5 "$TMP/registry/log")"
}

# start_gateway [extra serve args]: fresh data dir, client key and
# authorized_keys (plus the lines of $EXTRA_AUTHORIZED_KEYS, if set), then
# waits until DIR/gateway.addr names the listening address.
# Where the binary has them, it also passes --proxy-listen 127.0.0.1:0 (apps'
# proxy on a free port, so tests can run in parallel) and --registry with a
# private registry (E2E_REGISTRY=HOST:PORT to use another, E2E_REGISTRY=none
# to keep images local).
start_gateway() {
  [[ -x $PORTER_BIN ]] || fail "PORTER_BIN=$PORTER_BIN is not an executable"
  stop_gateway
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [[ -f $CLIENT_KEY ]] || gen_key "$CLIENT_KEY" "e2e-client"
  cat "$CLIENT_KEY.pub" >"$TMP/authorized_keys"
  if [[ -n ${EXTRA_AUTHORIZED_KEYS:-} ]]; then
    printf '%s\n' "$EXTRA_AUTHORIZED_KEYS" >>"$TMP/authorized_keys"
  fi
  local help extra=()
  help=$("$PORTER_BIN" --help 2>&1 || true)
  if [[ $help == *--proxy-listen* ]]; then extra+=(--proxy-listen 127.0.0.1:0); fi
  if [[ $help == *--dashboard-listen* ]]; then extra+=(--dashboard-listen 127.0.0.1:0); fi
  if [[ $help == *--registry* ]]; then
    case ${E2E_REGISTRY:-} in
      none) extra+=(--registry "") ;;
      "")
        [[ -n ${REGISTRY:-} ]] || start_registry
        cp "$REGISTRY_AUTH" "$DATA/registry-auth.json"
        extra+=(--registry "$REGISTRY") ;;
      *) extra+=(--registry "$E2E_REGISTRY") ;;
    esac
  fi
  GW_ARGS=("${extra[@]}" "$@")
  launch_gateway
}

# restart_gateway: a new gateway on the same data dir and arguments, after
# the last one stopped or was killed (its address file is replaced).
restart_gateway() {
  rm -f "$DATA/gateway.addr"
  launch_gateway
}

launch_gateway() {
  log "starting $PORTER_BIN serve ${GW_ARGS[*]} (data dir $DATA)"
  setsid "$PORTER_BIN" serve --listen 127.0.0.1:0 --data-dir "$DATA" \
    --authorized-keys "$TMP/authorized_keys" "${GW_ARGS[@]}" \
    </dev/null >>"$DATA/gateway.log" 2>&1 &
  GW_PID=$!
  local deadline=$((SECONDS + 30))
  while :; do
    if [[ -s $DATA/gateway.addr ]]; then
      GW_ADDR=$(<"$DATA/gateway.addr")
      GW_ADDR=${GW_ADDR%%[[:space:]]*}
      [[ $GW_ADDR =~ ^127\.0\.0\.1:[0-9]+$ ]] && break
    fi
    local rc
    kill -0 "$GW_PID" 2>/dev/null || { wait "$GW_PID" && rc=0 || rc=$?; GW_PID=; fail "gateway exited (status $rc) before writing $DATA/gateway.addr"; }
    ((SECONDS < deadline)) || fail "gateway wrote no valid $DATA/gateway.addr within 30 s (content: '$(cat "$DATA/gateway.addr" 2>/dev/null)')"
    sleep 0.1
  done
  # Builds and build caches live outside the data dir (see GatewayConfig::builds_dir).
  SANDBOX=$(grep -o 'sandbox_dir=[^ ]*' "$DATA/gateway.log" | tail -n 1 | cut -d= -f2)
  [[ -d $SANDBOX/builds ]] || fail "the gateway's log names no sandbox_dir with a builds dir"
  GW_PORT=${GW_ADDR##*:}
  ((GW_PORT > 0)) || fail "gateway.addr has port 0: $GW_ADDR"
  export GIT_SSH_COMMAND
  GIT_SSH_COMMAND=$(ssh_cmd_for "$CLIENT_KEY")
  log "gateway pid $GW_PID listening on $GW_ADDR"
}

gateway_alive() { [[ -n $GW_PID ]] && kill -0 "$GW_PID" 2>/dev/null; }

# -------------------------------------------------------------------- repos

# make_app_repo NAME FIXTURE [DIR]: a git repo (branch main, one commit) with
# the fixture's files and remote `porter` pointing at app NAME on the gateway.
# Sets REPO to its path (default $TMP/repos/NAME).
make_app_repo() {
  local name=$1 fixture=$2 dir=${3:-$TMP/repos/$1}
  [[ -d $FIXTURES/apps/$fixture ]] || fail "no fixture $FIXTURES/apps/$fixture"
  [[ -n $GW_PORT ]] || fail "make_app_repo before start_gateway"
  mkdir -p "$dir"
  cp -a "$FIXTURES/apps/$fixture/." "$dir/"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" commit -q -m "initial $fixture"
  git -C "$dir" remote add porter "$(remote_url "$name")"
  # shellcheck disable=SC2034  # read by the scenarios
  REPO=$dir
}

# set_greeting DIR TEXT: change the default greeting of the perl-web server
# and commit. TEXT: letters, digits and dashes.
set_greeting() {
  local dir=$1 text=$2
  [[ $text =~ ^[A-Za-z0-9-]+$ ]] || fail "set_greeting: bad text $text"
  sed -i -E "s/\\|\\| \"[A-Za-z0-9-]*\"\\)/|| \"$text\")/" "$dir/server.pl"
  grep -qF "\"$text\")" "$dir/server.pl" || fail "set_greeting: could not edit $dir/server.pl"
  git -C "$dir" commit -q -am "greeting $text"
}

# use_dockerfile DIR FIXTURE_DOCKERFILE [BUST]: replace DIR/Dockerfile with a
# fixture Dockerfile (path under fixtures/), CACHEBUST replaced by BUST, commit.
use_dockerfile() {
  local dir=$1 src=$FIXTURES/$2 bust=${3:-$$-$RANDOM-$RANDOM}
  [[ -f $src ]] || fail "no fixture $src"
  sed "s/CACHEBUST/$bust/g" "$src" >"$dir/Dockerfile"
  git -C "$dir" commit -q -am "Dockerfile from $2"
}

head_sha() { git -C "$1" rev-parse "${2:-HEAD}"; }

# remote_ref DIR REF: the sha the gateway reports for REF (empty if none)
remote_ref() {
  local out
  out=$(git -C "$1" ls-remote porter "$2") || fail "git ls-remote porter $2 failed in $1"
  awk -v r="$2" '$2 == r { print $1 }' <<<"$out"
}

# ------------------------------------------------------------------- pushes

# push DIR [git push args...]: runs `git push` (default `porter main`) in DIR
# with a limit of PUSH_LIMIT seconds (default 180); sets PUSH_OUT (file with
# stdout+stderr) and PUSH_RC.
push() {
  local dir=$1 secs=${PUSH_LIMIT:-180}; shift
  (($#)) || set -- porter main
  PUSH_SEQ=$((PUSH_SEQ + 1))
  PUSH_OUT="$TMP/push-$PUSH_SEQ.out"
  log "git push $* (in ${dir#"$TMP"/}, limit $secs s)"
  if timeout -k 5 "$secs" git -C "$dir" push "$@" >"$PUSH_OUT" 2>&1; then
    PUSH_RC=0
  else
    PUSH_RC=$?
  fi
  sed 's/^/    | /' "$PUSH_OUT"
  log "git push exited $PUSH_RC"
  ((PUSH_RC != 124)) || fail "git push $* did not finish within $secs s"
}

# deploy_v1 FIXTURE: app $app (see new_app) from FIXTURE with greeting
# v1-$$, pushed live to production. Sets REPO, v1 (sha), url, id1 (deploy id).
deploy_v1() {
  make_app_repo "$app" "$1"
  set_greeting "$REPO" "v1-$$"
  v1=$(head_sha "$REPO")
  push "$REPO" porter main
  expect_push_ok
  url=$(expect_live "$PUSH_OUT" production)
  assert_http "$url" "v1-$$"
  id1=$(deploy_id "$PUSH_OUT")
}

expect_push_ok() {
  ((PUSH_RC == 0)) || fail "expected push to succeed, it exited $PUSH_RC (output above, file $PUSH_OUT)"
}
expect_push_rejected() {
  ((PUSH_RC != 0)) || fail "expected push to fail, it exited 0 (output above, file $PUSH_OUT)"
}

# App URLs: http://127.0.0.1:PORT (the interface in the test brief) or
# http://ENV.APP.localhost:PORT (the gateway's nginx proxy; curl resolves
# *.localhost to the loopback address by itself).
URL_RE='http://(127\.0\.0\.1|[a-z0-9-]+\.[a-z0-9-]+\.localhost):[0-9]+'

# verdict_url FILE: the URL from the `=====> ENV is live at URL (N s)` line
verdict_url() {
  local line
  line=$(tr -d '\r' <"$1" | grep -E "=====> .* is live at $URL_RE" | tail -n 1) ||
    fail "no '=====> ... is live at http://HOST:PORT' line in $1"
  grep -oE "$URL_RE" <<<"$line" | head -n 1
}

# expect_live FILE ENV: asserts the success verdict line for ENV; prints the URL
expect_live() {
  local file=$1 env=$2
  tr -d '\r' <"$file" | grep -qE "^remote: =====> $env( v[0-9]+)? is live at $URL_RE \([0-9]+(\.[0-9]+)? s\)" ||
    fail "expected a line 'remote: =====> $env [vN] is live at http://HOST:PORT (N.N s)' in $file; saw: $(grep -F '=====>' "$file" || echo '<no =====> line>')"
  verdict_url "$file"
}

# expect_failed_verdict FILE: asserts the failure verdict line
expect_failed_verdict() {
  local file=$1 line
  line=$(tr -d '\r' <"$file" | grep -E '^remote: =====> ' | tail -n 1) ||
    fail "expected a 'remote: =====> ...' verdict line in $file; none"
  # "previous release is still serving", also as "previous release (v1) is still serving"
  [[ $line == *failed* && $line =~ previous\ release(\ \(v[0-9]+\))?\ is\ still\ serving ]] ||
    fail "expected the verdict to contain 'failed' and 'previous release [(vN)] is still serving'; saw: $line"
  assert_contains "$file" "! [remote rejected]"
}

# deploy_id FILE [ENV]: the ID of the first `-----> APP: deploy #ID of ...` line
deploy_id() {
  local pat='-----> [a-z][a-z0-9-]*: deploy #[0-9]+ of '
  local line
  if [[ -n ${2:-} ]]; then
    line=$(grep -E -- "$pat.* to $2" "$1" | head -n 1) || fail "no 'deploy #ID of ... to $2' line in $1"
  else
    line=$(grep -E -- "$pat" "$1" | head -n 1) || fail "no '-----> APP: deploy #ID of BRANCH' line in $1"
  fi
  sed -E 's/.*deploy #([0-9]+) of .*/\1/' <<<"$line"
}

# ------------------------------------------------------------------ asserts

assert_contains() { # FILE TEXT
  grep -qF -- "$2" "$1" ||
    fail "expected $1 to contain '$2'; it contains:
$(sed 's/^/    | /' "$1" | tail -n 40)"
}
assert_not_contains() { # FILE TEXT
  ! grep -qF -- "$2" "$1" ||
    fail "expected $1 not to contain '$2'; it has: $(grep -F -- "$2" "$1" | head -n 3)"
}
assert_match() { # FILE ERE
  grep -qE -- "$2" "$1" ||
    fail "expected $1 to match /$2/; it contains:
$(sed 's/^/    | /' "$1" | tail -n 40)"
}
assert_eq() { # EXPECTED SEEN WHAT
  [[ $1 == "$2" ]] || fail "${3:-value}: expected '$1', saw '$2'"
}

# http_body URL: body of a GET (5 s limit); non-zero on any failure
http_body() { curl -fsS --max-time 5 "$1"; }

# assert_http URL EXPECTED_BODY_SUBSTRING
assert_http() {
  local body rc=0
  body=$(curl -fsS --max-time 5 "$1" 2>&1) || rc=$?
  ((rc == 0)) || fail "GET $1 failed (curl exit $rc): $body"
  [[ $body == *"$2"* ]] || fail "GET $1: expected body containing '$2', got '$body'"
}

# ----------------------------------------------------------- build leftovers

BUILD_BASES=()  # image ids whose leftover buildah working containers cleanup removes

# layer_before FILE TEXT: the image id buildah printed (`--> ID` or
# `--> Using cache ID`) last before the first output line containing TEXT,
# i.e. the image a RUN step's working container was made from.
layer_before() {
  awk -v t="$2" 'index($0, t) { exit }
    /--> / { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) >= 11) id = $i }
    END { print id }' "$1"
}

# build_leftovers IMAGE_ID: buildah working containers made from IMAGE_ID
build_leftovers() {
  build_store containers --format '{{.ImageID}} {{.ContainerName}}' 2>/dev/null |
    awk -v id="$1" 'index($1, id) == 1 { print $2 }'
}
no_build_leftovers() { [[ -z $(build_leftovers "$1") ]]; }

# expect_no_build_leftovers OUTPUT_FILE RUN_STEP_TEXT WHAT: the build that
# stopped at the RUN step containing RUN_STEP_TEXT left no buildah working
# container behind (waits up to 30 s for it to go).
expect_no_build_leftovers() {
  local base
  base=$(layer_before "$1" "$2")
  [[ -n $base ]] || fail "found no '--> IMAGE_ID' line before '$2' in $1"
  BUILD_BASES+=("$base")
  wait_for 30 no_build_leftovers "$base" ||
    fail "$3 left buildah working container(s) behind: $(build_leftovers "$base" | tr '\n' ' ')(from image $base; buildah bud without --force-rm keeps them)"
}

# --------------------------------------------------------------- containers

# app_containers APP [STATE]: names of the app's containers (running ones by
# default; STATE=all for all)
app_containers() {
  local all=()
  [[ ${2:-} == all ]] && all=(-a)
  pod ps "${all[@]}" --filter "label=porter.app=$1" --format '{{.Names}}'
}

# --------------------------------------------------------------- state db

db() { sqlite3 -cmd '.timeout 5000' "$DATA/state.db" "$1"; }

deploy_status() { db "SELECT status FROM deploys WHERE id = $1"; }

# --------------------------------------------------------------- background

# push_bg DIR OUTFILE [git push args...]: starts `git push` (default
# `porter main`) in the background in its own process group (180 s limit).
# Output goes to OUTFILE, the exit code to OUTFILE.rc when it ends.
# Sets BG_PID (also the process group id).
push_bg() {
  local dir=$1 out=$2; shift 2
  (($#)) || set -- porter main
  rm -f "$out.rc"
  setsid bash -c 'timeout --foreground -k 5 180 git -C "$1" push "${@:3}" >"$2" 2>&1; echo $? >"$2.rc"' \
    push_bg "$dir" "$out" "$@" </dev/null &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
  disown "$BG_PID"  # no job notices when a test kills it
}

# bg_rc OUTFILE: exit code of a push_bg push (fails if it has not ended)
bg_rc() {
  [[ -s $1.rc ]] || fail "background push writing $1 has not finished"
  cat "$1.rc"
}
