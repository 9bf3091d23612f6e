#!/usr/bin/env bash
# Scenario: no port the gateway picks (for "port 0" listen addresses: SSH,
# dashboard, apps' proxy; and for web replicas' host ports) is one that a
# NAT rule already forwards. podman holds no socket on a hostPort, so a port
# nothing listens on may still be forwarded to another pod (another
# gateway's, or a leftover whose network is gone): a replica given such a
# port is never healthy or its traffic reaches the other pod, and a gateway
# listening on one is unreachable (both seen in CI). Here one rule (for an
# address nothing uses) claims the lower half of the kernel's ephemeral
# range, where a bind to port 0 with SO_REUSEADDR (asio's and Go's default)
# looks first; every port the gateway picks must come from the other half.
. "$(dirname "$0")/lib.sh"

read -r low high </proc/sys/net/ipv4/ip_local_port_range
claimed_to=$(((low + high) / 2))
claim=(OUTPUT -p tcp -d 127.255.255.254/32 -m multiport --dports "$low:$claimed_to"
  -m comment --comment "porter-e2e-$TEST_NAME-$$" -j RETURN)
iptables -w -t nat -I "${claim[@]}"
unclaim() { iptables -w -t nat -D "${claim[@]}" 2>/dev/null || true; }
AT_EXIT+=(unclaim)
log "ports $low-$claimed_to claimed by a NAT rule; $((high - claimed_to)) left"

unclaimed() { # PORT WHAT
  (($1 > claimed_to || $1 < low)) || fail "$2 is port $1, which a NAT rule forwards ($low-$claimed_to)"
}

start_gateway
new_app app web
make_app_repo "$app" perl-web
printf 'services:\n  web:\n    replicas: 2\n' >"$REPO/porter.yaml"
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "web x2"
set_greeting "$REPO" "hello-$$"
push "$REPO" porter main
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "hello-$$"

unclaimed "${REGISTRY##*:}" "the test's registry (lib.sh free_port)"
unclaimed "$GW_PORT" "the gateway's SSH port"
dashboard=$(<"$DATA/dashboard.addr")
unclaimed "${dashboard##*:}" "the dashboard's port"
proxy_port=${url##*:}
unclaimed "$proxy_port" "the apps' proxy"
ports=$(pod ps --filter "label=porter.app=$app" --format '{{.Ports}}' | grep -oE '127\.0\.0\.1:[0-9]+' | cut -d: -f2 | sort -u)
(($(wc -w <<<"$ports") == 2)) || fail "expected 2 published web ports, podman shows: $ports"
for port in $ports; do unclaimed "$port" "a web replica's host port"; done
log "ssh on $GW_PORT, dashboard on ${dashboard##*:}, proxy on $proxy_port, replicas on $(echo $ports)"
