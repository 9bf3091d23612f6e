#!/usr/bin/env bash
# Scenario: `porter doctor` on this machine finds every part the gateway
# needs (scripts/setup installed them): every line is ok, exit 0. It fails
# with a one-line fix for what is missing, and `porter serve` refuses to
# start then, naming it, instead of failing the first push.
. "$(dirname "$0")/lib.sh"

start_registry
mkdir -p "$DATA"
cp "$REGISTRY_AUTH" "$DATA/registry-auth.json"  # the registry requires credentials
doctor_out="$TMP/doctor.out"
rc=0
"$PORTER_BIN" doctor --data-dir "$DATA" --registry "$REGISTRY" >"$doctor_out" 2>&1 || rc=$?
sed 's/^/    | /' "$doctor_out"
((rc == 0)) || fail "porter doctor exited $rc on this machine"
for part in git buildah podman runc iptables catatonit nginx registry "image localhost/debian:bookworm" \
  "image localhost/porter/stack:bookworm" cgroup2 subuid; do
  grep -q "^ok    $part: " "$doctor_out" || fail "porter doctor does not report '$part' as ok"
done
! grep -qv "^ok    \|^all essential parts present$" "$doctor_out" || fail "porter doctor reports a part that is not ok"

# A registry that does not answer is missing: doctor fails with a fix, and
# serve refuses to start with the same words.
dead="127.0.0.1:$(free_port)"
rc=0
"$PORTER_BIN" doctor --data-dir "$DATA" --registry "$dead" >"$doctor_out" 2>&1 || rc=$?
((rc == 1)) || fail "porter doctor exited $rc with no registry at $dead; expected 1"
assert_contains "$doctor_out" "FAIL  registry: nothing answers at http://$dead/v2/"
serve_out="$TMP/serve.out"
rc=0
timeout 60 "$PORTER_BIN" serve --listen 127.0.0.1:0 --data-dir "$DATA" --registry "$dead" \
  --proxy-listen 127.0.0.1:0 >"$serve_out" 2>&1 || rc=$?
sed 's/^/    | /' "$serve_out"
((rc != 0 && rc != 124)) || fail "porter serve did not refuse to start without a registry (exit $rc)"
assert_contains "$serve_out" "cannot start: missing registry"
[[ ! -e $DATA/gateway.addr ]] || fail "porter serve wrote gateway.addr although it refused to start"

# A registry that requires credentials the gateway does not have is missing too.
rm "$DATA/registry-auth.json"
rc=0
"$PORTER_BIN" doctor --data-dir "$DATA" --registry "$REGISTRY" >"$doctor_out" 2>&1 || rc=$?
((rc == 1)) || fail "porter doctor exited $rc without the registry's credentials; expected 1"
assert_contains "$doctor_out" "FAIL  registry: http://$REGISTRY/v2/ requires credentials: put them in $DATA/registry-auth.json"
cp "$REGISTRY_AUTH" "$DATA/registry-auth.json"

# Tools missing from PATH are named, each with its fix.
mkdir -p "$TMP/empty-path"
rc=0
PATH="$TMP/empty-path" "$PORTER_BIN" doctor --data-dir "$DATA" --registry "$REGISTRY" >"$doctor_out" 2>&1 || rc=$?
((rc == 1)) || fail "porter doctor exited $rc with an empty PATH; expected 1"
assert_contains "$doctor_out" "FAIL  buildah: missing: apt-get install buildah"
assert_contains "$doctor_out" "FAIL  git: missing: apt-get install git"
