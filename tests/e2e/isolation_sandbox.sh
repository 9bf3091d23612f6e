#!/usr/bin/env bash
# Scenario: code a tenant pushes runs as an unprivileged, isolated tenant. A
# key limited to one app and environment pushes an app whose Dockerfile RUN
# step, predeploy and web replica each run fixtures/apps/probe-web/probe.sh:
#   - root inside is a non-root uid on the host: read from the host side
#     (/proc/PID/status of the build step and of the app's process), and in
#     /proc/self/uid_map inside;
#   - `ls /proc` shows none of the host's processes;
#   - the image's files belong to root inside (the build store's id mapping
#     is undone when the image is pushed);
#   - the nested-chroot escape is refused and never reads a host canary file;
#   - none reaches the registry, the gateway's SSH port, another app's
#     replica (its published port, its container address), or a host
#     listener on 0.0.0.0 (through the host's address); the outside network
#     (deb.debian.org:80) is still reached.
# The same probe run on the host reaches every one of those listeners and
# reads the canary through the escape: the probe can tell.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

canary="$TMP/host-canary"
canary_text="PORTER-HOST-CANARY-$$-$RANDOM"
echo "$canary_text" >"$canary"
chmod 0644 "$canary"
chmod 0711 "$TMP"  # a root escaped into the host as any uid could reach it

# A host service on every address, which tenants must not reach either.
host_ip=$(ip -4 route get 1.1.1.1 | grep -oE 'src [0-9.]+' | cut -d' ' -f2)
[[ -n $host_ip ]] || fail "cannot tell this host's address"
wide_port=$(free_port)
python3 -m http.server --bind 0.0.0.0 "$wide_port" >/dev/null 2>&1 &
BG_PIDS+=($!)
wide_up() { curl -fsS --max-time 2 -o /dev/null "http://$host_ip:$wide_port/"; }
wait_for 20 wide_up || fail "the host listener on 0.0.0.0:$wide_port did not come up"

gen_key "$TMP/keys/tenant" tenant
new_app app sandboxed
new_app other neighbour
EXTRA_AUTHORIZED_KEYS="apps=\"$app\",environments=\"production\" $(cat "$TMP/keys/tenant.pub")"
start_gateway

# The neighbour: another tenant's app, deployed first with the admin key.
make_app_repo "$other" perl-web "$TMP/repos/other"
push "$TMP/repos/other" porter main
expect_push_ok
other_ctr=$(app_containers "$other" | head -n 1)
[[ -n $other_ctr ]] || fail "the neighbour app has no running container"
other_port=$(pod port "$other_ctr" | grep -oE '127\.0\.0\.1:[0-9]+' | head -n 1 | cut -d: -f2)
other_ip=$(pod inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$other_ctr")
[[ -n $other_port && -n $other_ip ]] || fail "cannot tell the neighbour's published port ($other_port) and address ($other_ip)"

make_app_repo "$app" probe-web
cp "$FIXTURES/apps/perl-web/server.pl" "$REPO/"  # the probes' app serves as perl-web does
{
  echo "canary $canary"
  echo "target registry 127.0.0.1 ${REGISTRY##*:}"
  echo "target gateway-ssh 127.0.0.1 $GW_PORT"
  echo "target neighbour-published 127.0.0.1 $other_port"
  echo "target neighbour-direct $other_ip 5000"
  echo "target host-wide-listener $host_ip $wide_port"
  echo "target outside deb.debian.org 80"
} >"$REPO/probe.conf"
echo "# bust $$-$RANDOM" >>"$REPO/Dockerfile"
git -C "$REPO" add -A
git -C "$REPO" commit -q -m "probe targets and the server"

# The control: from the host, every listener answers.
control="$TMP/control.out"
"$REPO/probe.sh" host >"$control" 2>&1
for name in registry gateway-ssh neighbour-published neighbour-direct host-wide-listener; do
  assert_contains "$control" "PROBE host net $name open"
done
assert_contains "$control" "PROBE host escape canary-read: $canary_text"

GIT_SSH_COMMAND=$(ssh_cmd_for "$TMP/keys/tenant") push_bg "$REPO" "$TMP/push.out"
lingering() { grep -qF "PROBE build lingering" "$TMP/push.out"; }
wait_for 120 lingering || { sed 's/^/    | /' "$TMP/push.out"; fail "the build's probe never ran"; }
build_pid=$(pgrep -f '^porter-probe-build' | head -n 1)
[[ -n $build_pid ]] || fail "no process porter-probe-build on the host while the build step lingers"
build_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$build_pid/status")
log "the build step's process $build_pid runs as host uid $build_uid"
((build_uid >= 100000)) || fail "the build step runs as host uid $build_uid"
done_pushing() { [[ -s $TMP/push.out.rc ]]; }
wait_for 180 done_pushing || fail "the push did not end"
sed 's/^/    | /' "$TMP/push.out"
assert_eq 0 "$(bg_rc "$TMP/push.out")" "the tenant's push exit code"
out="$TMP/push.out"

ctr=$(app_containers "$app" | head -n 1)
[[ -n $ctr ]] || fail "the tenant's app has no running container"
pod exec "$ctr" /probe/probe.sh app >"$TMP/app.out" 2>&1 || fail "probe in the app failed: $(cat "$TMP/app.out")"
sed 's/^/    | app: /' "$TMP/app.out"
app_pid=$(pod inspect --format '{{.State.Pid}}' "$ctr")
app_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$app_pid/status")
log "the app's process $app_pid runs as host uid $app_uid"
((app_uid >= 100000)) || fail "the app runs as host uid $app_uid"

for where in build predeploy app; do
  file=$out
  [[ $where == app ]] && file="$TMP/app.out"
  line=$(grep -oE "PROBE $where uid_map [0-9 ]+" "$file" | head -n 1)
  read -r _ _ _ inside outside _ <<<"$line"
  [[ $inside == 0 ]] && ((outside >= 100000)) || fail "$where: root is not mapped to an unprivileged uid: '$line'"
  procs=$(grep -oE "PROBE $where procs [0-9]+" "$file" | awk '{ print $4 }')
  ((procs < 10)) || fail "$where sees $procs processes in /proc: the host's"
  assert_contains "$file" "PROBE $where owners 0 0"
  assert_contains "$file" "PROBE $where escape chroot-refused"
  for name in registry gateway-ssh neighbour-published neighbour-direct host-wide-listener; do
    assert_contains "$file" "PROBE $where net $name closed"
  done
  assert_contains "$file" "PROBE $where net outside open"
done
assert_not_contains "$out" "$canary_text"
assert_not_contains "$TMP/app.out" "$canary_text"
