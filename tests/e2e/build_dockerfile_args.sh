#!/usr/bin/env bash
# Scenario: porter.yaml points at a Dockerfile in a subdirectory, with a
# build context in another, a build.args value and a build.config_vars entry
# naming a config var set beforehand (config:set). The build arg arrives as
# an ARG; the config var is a secret: a RUN step mounts it
# (--mount=type=secret) and the value is never on a command line during the
# build (/proc/*/cmdline) nor in the image's history or config. The RUN step
# bakes both into a file (the app's own choice) and the live app serves them. The image is pushed
# to the gateway's registry: the push output names it by digest with its size,
# the deploys row records digest and size, and the registry lists the tag
# production-<12 hex of the commit>.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

start_gateway
[[ -n ${REGISTRY:-} ]] || fail "start_gateway started no registry (porter --help lacks --registry?)"
new_app app bargs

arg_value="baked-arg-$$"
var_value="secret-word-$$-$RANDOM"

# The app: Dockerfile under docker/web/, sources under app/ (the context); the
# server only serves what the build wrote into /app/baked.txt.
src="$TMP/repos/$app"
mkdir -p "$src/docker/web" "$src/app"
cat >"$src/app/server.pl" <<'PERL'
use strict; use IO::Socket::INET;
my $port = $ENV{PORT} || 5000;
open(my $f, "<", "/app/baked.txt") or die "no /app/baked.txt: $!";
my $baked = do { local $/; <$f> };
my $srv = IO::Socket::INET->new(LocalAddr => "0.0.0.0:$port", Listen => 64, ReuseAddr => 1) or die "listen: $!";
$| = 1; print "listening on $port\n";
while (my $c = $srv->accept) {
  while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
  my $body = "$baked\n";
  print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $c;
}
PERL
cat >"$src/docker/web/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm
ARG GREETING_ARG=unset-arg
# server.pl exists only in the context directory (app/), not at the repo root
COPY server.pl /app/server.pl
# the pause lets the test read every command line while the secret is in use
RUN --mount=type=secret,id=SECRET_WORD printf 'arg=%s var=%s' "$GREETING_ARG" "$(cat /run/secrets/SECRET_WORD)" >/app/baked.txt && echo "baked-$((6*7))" && sleep 3
CMD ["perl", "/app/server.pl"]
DOCKERFILE
cat >"$src/porter.yaml" <<YAML
build:
  method: dockerfile
  dockerfile: docker/web/Dockerfile
  context: app
  args:
    GREETING_ARG: $arg_value
  config_vars: [SECRET_WORD]
YAML
init_repo "$app" "$src"
sha=$(head_sha "$REPO")

# The config var exists before the first deploy.
admin_ok apps:create "$app"
admin_ok config:set "$app" -e production "SECRET_WORD=$var_value"
admin_ok config:get "$app" -e production SECRET_WORD
assert_eq "$var_value" "$(tr -d '\r' <"$ADMIN_OUT")" "config:get SECRET_WORD"

out="$TMP/build.out"
push_bg "$REPO" "$out"
baking() { grep -qsF "baked-42" "$out"; }
wait_for 120 baking || { sed 's/^/    | /' "$out"; fail "the RUN step did not run within 120 s"; }
# While the RUN step holds the secret: no process has it on its command line.
if grep -lsF -- "$var_value" /proc/[0-9]*/cmdline; then fail "the config var's value is on a command line during the build"; fi
push_done() { [[ -s $out.rc ]]; }
wait_for 180 push_done || fail "the push did not finish"
PUSH_OUT=$out
sed 's/^/    | /' "$PUSH_OUT"
PUSH_RC=$(<"$out.rc")
expect_push_ok
assert_contains "$PUSH_OUT" "baked-42"  # the RUN step ran in this build
url=$(expect_live "$PUSH_OUT" production)
assert_http "$url" "arg=$arg_value var=$var_value"
body=$(http_body "$url")
assert_eq "arg=$arg_value var=$var_value" "$body" "served body"

# The image as pushed: REGISTRY/APP@sha256:<64 hex> (SIZE, pushed in N s)
id=$(deploy_id "$PUSH_OUT")
img_re="-----> Image $REGISTRY/$app@sha256:[0-9a-f]{64} \([0-9]+(\.[0-9])? (MB|GB), pushed in [0-9]+\.[0-9] s\)"
assert_match "$PUSH_OUT" "$img_re"
line=$(grep -E -- "$img_re" "$PUSH_OUT" | head -n 1)
digest=$(grep -oE 'sha256:[0-9a-f]{64}' <<<"$line")
log "image line: $(sed -E "s/^remote: //; s/[[:space:]]+$//" <<<"$line")"

row=$(db "SELECT image_digest, image_size, image, status FROM deploys WHERE id = $id")
IFS='|' read -r db_digest db_size db_image db_status <<<"$row"
assert_eq "$digest" "$db_digest" "deploys.image_digest of #$id"
assert_eq "$REGISTRY/$app@$digest" "$db_image" "deploys.image of #$id"
assert_eq live "$db_status" "deploys.status of #$id"
[[ $db_size =~ ^[0-9]+$ ]] && ((db_size > 50 * 1000 * 1000)) ||
  fail "deploys.image_size of #$id should be the image's size in bytes (a debian image, > 50 MB); got '$db_size'"
# The size shown is the recorded one, in MB.
shown_mb=$(sed -E 's/.*\(([0-9]+) MB, pushed.*/\1/' <<<"$line")
assert_eq "$(( (db_size + 500000) / 1000000 ))" "$shown_mb" "size shown in the Image line (MB)"

# The registry has the repository with the tag production-<12 hex>.
tags=$(registry_tags "$app")
log "registry tags of $app: ${tags//$'\n'/ }"
assert_eq "production-${sha:0:12}" "$tags" "tags of $app in the registry"
[[ $tags =~ ^production-[0-9a-f]{12}$ ]] || fail "tag '$tags' is not production-<12 hex>"
# ... and the tag resolves to the recorded digest.
reg_digest=$(curl -fsS --max-time 5 -u "$REGISTRY_CREDS" -o /dev/null -D - \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY/v2/$app/manifests/production-${sha:0:12}" |
  tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
assert_eq "$digest" "$reg_digest" "registry digest of tag production-${sha:0:12}"

# Without credentials the registry gives nothing away.
anonymous=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/$app/tags/list")
assert_eq 401 "$anonymous" "HTTP status of an anonymous read of the registry"

# The config var's value is never shown to the pusher (masked) ...
assert_not_contains "$PUSH_OUT" "$var_value"
# ... and is not in the image's history or configuration (the image that
# runs, pulled from the registry by digest).
history=$(pod image history --no-trunc --format '{{.CreatedBy}}' "$REGISTRY/$app@$digest")
[[ $history == *"--mount=type=secret"* || $history == *"printf"* ]] || fail "unexpected image history: $history"
if grep -qF -- "$var_value" <<<"$history"; then fail "the config var's value is in the image history"; fi
if pod image inspect "$REGISTRY/$app@$digest" | grep -qF -- "$var_value"; then
  fail "the config var's value is in the image configuration"
fi
# ... and the build log on the server has the build too.
expect_deploy_log_contains "$id" "baked-42"
