#!/usr/bin/env bash
# Scenario: a Dockerfile app whose image has a >1 GB layer of random
# (incompressible) bytes is built, pushed to the registry for real and goes
# live; the gateway itself never holds the image: its peak RSS (VmHWM) stays
# under 200 MB. Prints the build and push times and the RSS.
# lib.sh's cleanup removes the app's containers and images (the pulled
# REGISTRY/APP@sha256 image is the same image id as localhost/porter/APP:TAG,
# and removing it removes its untagged build layers); the registry's data
# lives under $TMP, which is removed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

RSS_LIMIT_KB=$((200 * 1024))
BLOB_MIB=1100

start_gateway
new_app app big
src="$TMP/repos/$app"
mkdir -p "$src"
cat >"$src/server.pl" <<'PERL'
use strict; use IO::Socket::INET;
my $port = $ENV{PORT} || 5000;
my $size = -s "/blob";
my $srv = IO::Socket::INET->new(LocalAddr => "0.0.0.0:$port", Listen => 64, ReuseAddr => 1) or die "listen: $!";
$| = 1; print "listening on $port\n";
while (my $c = $srv->accept) {
  while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
  my $body = "big-app blob-bytes=$size\n";
  print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $c;
}
PERL
# The token makes the big layer new on every run (nothing cached to skip).
cat >"$src/Dockerfile" <<DOCKERFILE
FROM debian:bookworm
COPY server.pl /app/server.pl
RUN echo "big-layer $$-$RANDOM-$(date +%s%N)" >/app/token && head -c ${BLOB_MIB}M /dev/urandom >/blob && echo "blob-written-\$(stat -c %s /blob)"
CMD ["perl", "/app/server.pl"]
DOCKERFILE
init_repo "$app" "$src"

hwm_before=$(gw_status_kb VmHWM)
PUSH_LIMIT=480 timed_push "$REPO" porter main
push_rc_ms=$PUSH_MS
expect_push_ok
blob_bytes=$((BLOB_MIB * 1024 * 1024))
assert_contains "$PUSH_OUT" "blob-written-$blob_bytes"
url=$(expect_live "$PUSH_OUT" production)
assert_eq "big-app blob-bytes=$blob_bytes" "$(http_body "$url")" "served body"

gateway_alive || fail "the gateway died during the large push"
hwm_after=$(gw_status_kb VmHWM)
rss_now=$(gw_status_kb VmRSS)

# The Image line: digest and a size in GB; the row records the same.
img_re="-----> Image $REGISTRY/$app@sha256:[0-9a-f]{64} \([0-9]+\.[0-9] GB, pushed in [0-9]+\.[0-9] s\)"
assert_match "$PUSH_OUT" "$img_re"
id=$(deploy_id "$PUSH_OUT")
size=$(db "SELECT image_size FROM deploys WHERE id = $id")
((size > blob_bytes)) || fail "deploys.image_size of #$id is $size; expected more than the blob's $blob_bytes bytes"
# The registry really received the incompressible layer.
reg_bytes=$(du -sb "$TMP/registry/data" | cut -f1)
((reg_bytes > blob_bytes)) || fail "the registry's storage holds $reg_bytes bytes; expected more than $blob_bytes"

build_s=$(stage_seconds "$PUSH_OUT" "Built ")
pushed_s=$(grep -oE 'pushed in [0-9]+\.[0-9] s' "$PUSH_OUT" | head -n 1 | grep -oE '[0-9]+\.[0-9]')
log "MEASURE large image: $(awk -v b="$size" 'BEGIN { printf "%.2f GB", b / 1e9 }'), registry holds $((reg_bytes / 1000000)) MB"
log "MEASURE large image: build ${build_s} s, registry push ${pushed_s} s, whole git push $(ms_to_s "$push_rc_ms") s"
log "MEASURE gateway VmHWM before ${hwm_before} kB, after ${hwm_after} kB (VmRSS now ${rss_now} kB)"
((hwm_after < RSS_LIMIT_KB)) ||
  fail "the gateway's peak RSS (VmHWM) reached ${hwm_after} kB after a >1 GB image; limit ${RSS_LIMIT_KB} kB"
