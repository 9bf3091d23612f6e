#!/usr/bin/env bash
# Scenario: aptfile-web (an Aptfile listing imagemagick, a Procfile running a
# python server that shells out to `convert -version`, no Dockerfile) is built
# with the apt buildpack plus the procfile buildpack; imagemagick is installed
# into the image's system by apt (dpkg knows it, libraries resolve with no
# LD_LIBRARY_PATH), so `convert` runs inside the container and the served
# body names ImageMagick. Downloaded .debs stay in the build cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

start_gateway
new_app app bpapt
make_app_repo "$app" aptfile-web

timed_push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Building with buildpacks"
# apt runs in addition to the app's own buildpack (procfile here), apt first
apt_line=$(grep -nF -- "(buildpack apt)" "$PUSH_OUT" | head -n 1 | cut -d: -f1)
proc_line=$(grep -nF -- "(buildpack procfile)" "$PUSH_OUT" | head -n 1 | cut -d: -f1)
[[ -n $apt_line && -n $proc_line ]] || fail "expected both '(buildpack apt)' and '(buildpack procfile)' detection lines"
((apt_line < proc_line)) || fail "apt (line $apt_line) should compile before procfile (line $proc_line)"
assert_contains "$PUSH_OUT" "-----> Installing imagemagick"
assert_contains "$PUSH_OUT" "-----> Installed 1 package(s) from the Aptfile"
url=$(expect_live "$PUSH_OUT" production)

body=$(http_body "$url") || fail "GET $url failed (the server answers 500 when convert is missing)"
log "served: $body"
[[ $body == *ImageMagick* ]] || fail "expected the body to contain 'ImageMagick' (first line of convert -version); got '$body'"
[[ $body =~ ^Version:\ ImageMagick\ [0-9] ]] || fail "expected 'Version: ImageMagick N...' from convert -version; got '$body'"

# Installed into the system by dpkg, not unpacked under /app with
# LD_LIBRARY_PATH tricks.
id=$(deploy_id "$PUSH_OUT")
image=$(db "SELECT image FROM deploys WHERE id = $id")
env_json=$(pod image inspect --format '{{json .Config.Env}}' "$image")
[[ $env_json != *LD_LIBRARY_PATH* ]] || fail "the image sets LD_LIBRARY_PATH: $env_json"
ctr=$(app_containers "$app" | grep -E -- "$app-production" | head -n 1)
[[ -n $ctr ]] || fail "no running container of $app; podman ps: $(app_containers "$app" all | tr '\n' ' ')"
status=$(pod exec "$ctr" dpkg-query -W -f '${Status}' imagemagick 2>&1) || fail "dpkg-query in $ctr: $status"
assert_eq "install ok installed" "$status" "dpkg status of imagemagick in the running container"
where=$(pod exec "$ctr" sh -c 'command -v convert') || fail "no convert on PATH in $ctr"
assert_eq /usr/bin/convert "$where" "convert's path"
# The serving process (python3 server.py) has no LD_LIBRARY_PATH either.
# shellcheck disable=SC2016
server_env=$(pod exec "$ctr" sh -c 'for p in /proc/[0-9]*; do
    if tr "\0" " " <"$p/cmdline" 2>/dev/null | grep -q "server.py"; then tr "\0" "\n" <"$p/environ"; exit 0; fi
  done; exit 3') || fail "could not find the server.py process in $ctr"
grep -q '^PORT=' <<<"$server_env" || fail "read the wrong environment for server.py: $server_env"
! grep -q '^LD_LIBRARY_PATH=' <<<"$server_env" || fail "server.py runs with $(grep '^LD_LIBRARY_PATH=' <<<"$server_env")"

# The .debs were kept in the build cache, not in the image.
debs=$(find "$SANDBOX/cache/$app/production/apt/archives" -name 'imagemagick*.deb' | wc -l)
((debs >= 1)) || fail "no imagemagick .deb in $SANDBOX/cache/$app/production/apt/archives"
in_image=$(pod exec "$ctr" sh -c 'ls /var/cache/apt/archives/*.deb 2>/dev/null | wc -l')
assert_eq 0 "$in_image" ".debs left in the image's /var/cache/apt/archives"

log "MEASURE aptfile cold push: $(ms_to_s "$PUSH_MS") s (build $(stage_seconds "$PUSH_OUT" "Built ") s)"
