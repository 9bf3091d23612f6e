#!/usr/bin/env bash
# Scenario: everything a push brings is hostile. A key limited to one app and
# one environment (apps="…",environments="production") pushes trees that try
# to make the gateway read host files or fetch buildpacks from where it must
# not:
#   - build.context `ctx` with `ctx -> /` (a COPY of a host canary file);
#   - a Dockerfile that is a symlink to the host canary (method auto: it must
#     be refused, not built with buildpacks instead);
#   - `Dockerfile.in` as build.dockerfile (buildah would #include host files
#     through the host's cpp);
#   - `porter.yaml -> /dev/zero`;
#   - `Procfile -> /etc/shadow`, in a Dockerfile build and in a buildpacks build;
#   - buildpacks file:///…/repos/OTHER-APP.git, ssh://…, git@host:…, http://…,
#     https:// from a host not in buildpack_hosts, a server path outside
#     buildpacks_dir, and https://…#--upload-pack=touch /tmp/pwned.
# Each push is refused within seconds with its one line, nothing of the host
# shows in the output, v1 keeps serving, the gateway lives on and its memory
# stays flat.
#
# ATTACK_ONLY=NAME runs only the case NAME (e.g. against an older build, to
# see it fail there).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

QUICK_S=20  # a refusal comes before any build: well within this
# A host file outside every repository. It is a Dockerfile that prints its
# secret, so that a gateway which let a build read it shows it at once.
canary="$TMP/host-canary"
canary_text="PORTER-HOST-CANARY-$$-$RANDOM"
printf 'FROM debian:bookworm\nRUN echo %s\n' "$canary_text" >"$canary"
pwned="/tmp/porter-pwned-$$"
rm -f "$pwned"

# What must never appear in a push's output: the canary, and /etc/shadow's
# entries (all but the user name, as a Procfile would have split them).
secrets="$TMP/host-secrets"
{
  echo "$canary_text"
  while IFS= read -r line; do
    rest=${line#*:}
    ((${#rest} >= 10)) && printf '%s\n' "$rest"
  done </etc/shadow
} >"$secrets"

# A buildpack on the server, outside the gateway's buildpacks_dir.
outside_bp="$TMP/outside-buildpack"
mkdir -p "$outside_bp/bin"
printf '#!/bin/sh\necho Outside\n' >"$outside_bp/bin/detect"
printf '#!/bin/sh\necho "OUTSIDE-BUILDPACK-RAN"\n' >"$outside_bp/bin/compile"
chmod +x "$outside_bp/bin/"*

gen_key "$TMP/keys/tenant" tenant
new_app app attack
new_app other secret  # another tenant's app, whose repository must stay out of reach
EXTRA_AUTHORIZED_KEYS="apps=\"$app\",environments=\"production\" $(cat "$TMP/keys/tenant.pub")"
cat >"$TMP/gateway.yaml" <<YAML
buildpacks_dir: $REPO_ROOT/buildpacks
YAML
start_gateway --config "$TMP/gateway.yaml"
admin_ok apps:create "$other"
[[ -d $DATA/repos/$other.git ]] || fail "apps:create made no repository $DATA/repos/$other.git"

export GIT_SSH_COMMAND
GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/tenant")  # every push below is the tenant's
deploy_v1 perl-web
rss0=$(gw_status_kb VmRSS)
hwm0=$(gw_status_kb VmHWM)
log "gateway memory after v1: VmRSS $rss0 kB, VmHWM $hwm0 kB"

no_host_secrets() { # FILE
  if grep -qF -f "$secrets" "$1"; then
    fail "host secrets in $1: $(grep -F -o -f "$secrets" "$1" | head -n 3 | tr '\n' ' ')"
  fi
}

ran=0
# attack NAME LINE: commits what the case wrote into $REPO (on top of v1),
# pushes it, and expects a quick refusal with LINE in the verdict, nothing of
# the host in the output and v1 still serving; then resets $REPO to v1.
attack() {
  local name=$1 line=$2 t0 ms verdict
  git -C "$REPO" add -A
  git -C "$REPO" commit -q -m "attack: $name"
  t0=$(now_ms)
  PUSH_LIMIT=120 push "$REPO" porter main
  ms=$(($(now_ms) - t0))
  log "$name: refused in $(ms_to_s "$ms") s"
  no_host_secrets "$PUSH_OUT"
  expect_push_rejected
  expect_failed_verdict "$PUSH_OUT"
  verdict=$(tr -d '\r' <"$PUSH_OUT" | grep -E '^remote: =====> ' | tail -n 1)
  [[ $verdict == *"$line"* ]] || fail "$name: expected the verdict to give '$line'; saw: $verdict"
  # Refused before buildah or git ran for it.
  assert_not_contains "$PUSH_OUT" "STEP 1/"
  assert_not_contains "$PUSH_OUT" "-----> Fetching buildpack"
  assert_not_contains "$PUSH_OUT" "-----> Built "
  ((ms < QUICK_S * 1000)) || fail "$name: refused only after $(ms_to_s "$ms") s"
  assert_eq "$v1" "$(remote_ref "$REPO" refs/heads/main)" "server's main after the $name push"
  assert_http "$url" "v1-$$"
  gateway_alive || fail "the gateway died in case $name"
  git -C "$REPO" reset -q --hard "$v1"
  git -C "$REPO" clean -q -fdx
  ran=$((ran + 1))
}

wanted() { [[ -z ${ATTACK_ONLY:-} || $ATTACK_ONLY == "$1" ]]; }

# porter.yaml with the given build section lines
porter_yaml() { printf 'build:\n' >"$REPO/porter.yaml"; printf '  %s\n' "$@" >>"$REPO/porter.yaml"; }

if wanted context_root; then
  ln -s / "$REPO/ctx"
  porter_yaml "context: ctx"
  printf 'FROM debian:bookworm\nCOPY %s /leak\nRUN cat /leak\n' "${canary#/}" >"$REPO/Dockerfile"
  attack context_root "build.context: ctx is a symbolic link; porter follows no symbolic links inside the repository"
fi

if wanted dockerfile_symlink; then
  ln -sf "$canary" "$REPO/Dockerfile"  # no porter.yaml: method auto
  attack dockerfile_symlink "Dockerfile is a symbolic link; porter reads only regular files inside the repository"
fi

if wanted dockerfile_in; then
  printf '#include "%s"\n' "$canary" >"$REPO/Dockerfile.in"
  porter_yaml "dockerfile: Dockerfile.in"
  attack dockerfile_in "Dockerfile.in is not supported: buildah would run the host's C preprocessor on it"
fi

if wanted porter_yaml_dev_zero; then
  ln -s /dev/zero "$REPO/porter.yaml"
  # A gateway that read it would grow until this cap (not the machine's
  # memory) stopped it. Only the soft limit: it goes back up afterwards.
  prlimit --pid "$GW_PID" --as=$(((1024 * 1024 + $(gw_status_kb VmSize)) * 1024)):
  attack porter_yaml_dev_zero "porter.yaml is a symbolic link; porter reads only regular files inside the repository"
  prlimit --pid "$GW_PID" --as=unlimited:
fi

if wanted procfile_shadow_dockerfile; then
  ln -s /etc/shadow "$REPO/Procfile"
  attack procfile_shadow_dockerfile "Procfile is a symbolic link; porter reads only regular files inside the repository"
fi

if wanted procfile_shadow_buildpacks; then
  ln -s /etc/shadow "$REPO/Procfile"
  porter_yaml "method: buildpacks"
  attack procfile_shadow_buildpacks "Procfile is a symbolic link; porter reads only regular files inside the repository"
fi

https_only="porter fetches git buildpacks only over https://"
if wanted buildpack_file; then
  porter_yaml "method: buildpacks" "buildpacks: [\"file://$DATA/repos/$other.git\"]"
  attack buildpack_file "build.buildpacks: 'file://$DATA/repos/$other.git': file:// is not allowed; $https_only"
fi

if wanted buildpack_ssh; then
  porter_yaml "method: buildpacks" "buildpacks: [\"ssh://git@127.0.0.1:$GW_PORT/$other\"]"
  attack buildpack_ssh "build.buildpacks: 'ssh://git@127.0.0.1:$GW_PORT/$other': ssh:// is not allowed; $https_only"
fi

if wanted buildpack_scp; then
  porter_yaml "method: buildpacks" "buildpacks: [\"git@github.com:heroku/heroku-buildpack-nodejs.git\"]"
  attack buildpack_scp \
    "build.buildpacks: 'git@github.com:heroku/heroku-buildpack-nodejs.git' is an SSH address; $https_only"
fi

if wanted buildpack_http; then
  porter_yaml "method: buildpacks" "buildpacks: [\"http://127.0.0.1:$GW_PORT/x.git\"]"
  attack buildpack_http "build.buildpacks: 'http://127.0.0.1:$GW_PORT/x.git': http:// is not allowed; $https_only"
fi

if wanted buildpack_host; then
  porter_yaml "method: buildpacks" "buildpacks: [\"https://127.0.0.1:$GW_PORT/x.git\"]"
  attack buildpack_host "build.buildpacks: host '127.0.0.1:$GW_PORT' of https://127.0.0.1:$GW_PORT/x.git is not in \
gateway.yaml buildpack_hosts (github.com, gitlab.com, bitbucket.org, codeberg.org)"
fi

if wanted buildpack_path_outside; then
  porter_yaml "method: buildpacks" "buildpacks: [\"$outside_bp\"]"
  attack buildpack_path_outside \
    "build.buildpacks: '$outside_bp' is not beneath the gateway's buildpacks_dir ($REPO_ROOT/buildpacks)"
  assert_not_contains "$PUSH_OUT" "OUTSIDE-BUILDPACK-RAN"
fi

if wanted buildpack_ref_option; then
  bp_url=https://github.com/heroku/heroku-buildpack-nodejs.git
  porter_yaml "method: buildpacks" "buildpacks: [\"$bp_url#--upload-pack=touch $pwned\"]"
  attack buildpack_ref_option \
    "build.buildpacks: ref '--upload-pack=touch $pwned' of $bp_url starts with '-'; git would take it for an option"
  [[ ! -e $pwned ]] || fail "the ref ran a command: $pwned exists"
fi

((ran > 0)) || fail "no case named '${ATTACK_ONLY:-}'"
gateway_alive || fail "the gateway died"
rss1=$(gw_status_kb VmRSS)
hwm1=$(gw_status_kb VmHWM)
log "gateway memory after $ran attacks: VmRSS $rss1 kB (was $rss0), VmHWM $hwm1 kB (was $hwm0)"
((rss1 - rss0 < 8192)) || fail "the gateway's VmRSS grew by $((rss1 - rss0)) kB over the attacks"
((hwm1 - hwm0 < 8192)) || fail "the gateway's peak VmHWM grew by $((hwm1 - hwm0)) kB over the attacks"
# The app still deploys from a sound tree.
set_greeting "$REPO" "v2-$$"
push "$REPO" porter main
expect_push_ok
assert_http "$(expect_live "$PUSH_OUT" production)" "v2-$$"
