#!/usr/bin/env bash
# Scenario: porter.yaml's resources and disk on the local engine.
#   resources {cpu: 0.5, memory: 256M} are the web container's limits, as
#   podman reads them back; disk {path: /data} is a volume of the service's
#   own that keeps what was written through a redeploy and a rollback (each
#   release's web appends a line to /data/boots at start: 1, 2, then 3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app disk
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    run: sh -c 'date +%s.%N >>/data/boots && exec perl /app/server.pl'
    resources: {cpu: 0.5, memory: 256M}
    disk: {path: /data, size: 1G}
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "resources and a disk"

web_container() { pod_container "$(release_pods "$app" production "v$1" | awk '/web-0/ { print $1 }')"; }
boots() { pod exec "$(web_container "$1")" cat /data/boots | wc -l; }

push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
c=$(web_container 1)
[[ -n $c ]] || fail "no web container of v1: $(release_pods "$app")"
assert_eq 268435456 "$(pod inspect --format '{{.HostConfig.Memory}}' "$c")" "the memory limit (256M)"
assert_eq "50000 100000" "$(pod inspect --format '{{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}}' "$c")" \
  "the CPU quota (0.5)"
assert_eq 1 "$(boots 1)" "boots on the disk after v1"
assert_eq "$app-production-web-disk" "$(pod volume ls --format '{{.Name}}' --filter "name=^$app-")" "the volume"

set_greeting "$REPO" "second-$$"
push_ts "$REPO"
expect_push_ok
assert_http "$url" "second-$$"
assert_eq 2 "$(boots 2)" "boots on the disk after v2 (v1's line kept)"

admin_ok rollback "$app" v1
assert_http "$url" hello
assert_eq 3 "$(boots 3)" "boots on the disk after rolling back to v1 (as v3)"
