#!/usr/bin/env bash
# Scenario: porter.yaml lists two custom buildpacks:
#   1. https://127.0.0.1:PORT/first.git#v1, a buildpack in a git repository
#      served over https (git's "dumb" protocol, from a static file server
#      with a self-signed certificate the gateway is told to trust), pinned
#      to tag v1 (the branch has a later v2 commit that would fail the build,
#      so only the pin makes the build pass). Its compile writes a file into
#      BUILD_DIR and an `export` file; its release names the web process.
#      gateway.yaml allows the host (buildpack_hosts).
#   2. a buildpack in a directory on the server beneath the gateway's
#      buildpacks_dir (absolute path) whose compile reads the variable the
#      first one exported (multi-buildpack chaining).
# The app answers with content proving both ran, in order, with v1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

token="chain-$$-$RANDOM"

# ------------------------------------------------------- the https server
# A self-signed certificate for 127.0.0.1, and a static file server over TLS
# on a free port (the port the kernel gave it, written to a file).
mkdir -p "$TMP/tls" "$TMP/www"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" 2>"$TMP/tls/openssl.log" ||
  fail "openssl could not make a certificate: $(cat "$TMP/tls/openssl.log")"
cat >"$TMP/https_server.py" <<'PY'
import functools, http.server, os, ssl, sys

root, cert, key, port_file = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
setsid python3 "$TMP/https_server.py" "$TMP/www" "$TMP/tls/cert.pem" "$TMP/tls/key.pem" "$TMP/https.port" \
  </dev/null >"$TMP/https.log" 2>&1 &
BG_PIDS+=("$!")
disown "$!"
wait_for 15 test -s "$TMP/https.port" || fail "the https server did not start: $(cat "$TMP/https.log")"
https_port=$(<"$TMP/https.port")
log "https server on 127.0.0.1:$https_port"

# ---------------------------------------------------------- buildpack 1 (git)
bp_work="$TMP/bp/first"
mkdir -p "$bp_work/bin"
cat >"$bp_work/bin/detect" <<'SH'
#!/usr/bin/env bash
[[ -f $1/porter-bp.txt ]] || exit 1
echo "FirstPack"
SH
cat >"$bp_work/bin/compile" <<SH
#!/usr/bin/env bash
set -euo pipefail
build_dir=\$1
echo "-----> first buildpack v1 compiling"
mkdir -p "\$build_dir/site"
printf 'first=v1-%s msg=%s\n' "\$((40+2))" "\$(cat "\$build_dir/porter-bp.txt")" >"\$build_dir/site/first.txt"
# for the next buildpacks' compile
echo "export FIRST_TOKEN=$token" >"\$(dirname "\$0")/../export"
echo "       wrote site/first.txt and export"
SH
cat >"$bp_work/bin/release" <<'SH'
#!/usr/bin/env bash
cat <<'YAML'
---
default_process_types:
  web: python3 -m http.server $PORT --bind 0.0.0.0 --directory /app/site
YAML
SH
chmod +x "$bp_work/bin/"*
git -C "$bp_work" init -q -b main
git -C "$bp_work" add -A
git -C "$bp_work" commit -q -m "first buildpack v1"
git -C "$bp_work" tag v1
# v2, after the tag: would break every build that uses it
cat >"$bp_work/bin/compile" <<'SH'
#!/usr/bin/env bash
echo " !     error: first buildpack v2 is broken (the build must use the pinned v1)"
exit 1
SH
git -C "$bp_work" commit -q -am "first buildpack v2 (broken)"
git clone -q --bare "$bp_work" "$TMP/www/first.git"
git -C "$TMP/www/first.git" update-server-info  # what git's dumb http protocol reads
v1_sha=$(git -C "$TMP/www/first.git" rev-parse v1)
main_sha=$(git -C "$TMP/www/first.git" rev-parse main)
[[ $v1_sha != "$main_sha" ]] || fail "the bare repo's main should be past v1"

# ------------------------------------------------ buildpack 2 (server path)
# The gateway's own buildpacks_dir: the built-ins, and this one beside them.
cp -a "$REPO_ROOT/buildpacks" "$TMP/buildpacks"
bp2="$TMP/buildpacks/second"
mkdir -p "$bp2/bin"
cat >"$bp2/bin/detect" <<'SH'
#!/usr/bin/env bash
echo "SecondPack"
SH
cat >"$bp2/bin/compile" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
build_dir=$1
echo "-----> second buildpack compiling"
if [[ -z ${FIRST_TOKEN:-} ]]; then
  echo " !     error: FIRST_TOKEN was not exported by the first buildpack"
  exit 1
fi
[[ -f $build_dir/site/first.txt ]] || { echo " !     error: site/first.txt missing"; exit 1; }
printf 'second saw FIRST_TOKEN=%s after: %s\n' "$FIRST_TOKEN" "$(cat "$build_dir/site/first.txt")" \
  >"$build_dir/site/second.txt"
SH
cat >"$bp2/bin/release" <<'SH'
#!/usr/bin/env bash
printf -- '---\ndefault_process_types: {}\n'
SH
chmod +x "$bp2/bin/"*

# ---------------------------------------------------------------- the gateway
cat >"$TMP/gateway.yaml" <<YAML
buildpacks_dir: $TMP/buildpacks
buildpack_hosts: ["127.0.0.1"]
YAML
# The gateway's git children trust the test's certificate (the gateway's
# environment reaches them).
export GIT_SSL_CAINFO="$TMP/tls/cert.pem"
start_gateway --config "$TMP/gateway.yaml"
new_app app bpgit

# ------------------------------------------------------------------ the app
src="$TMP/repos/$app"
mkdir -p "$src"
echo "app-msg-$$" >"$src/porter-bp.txt"
cat >"$src/porter.yaml" <<YAML
build:
  buildpacks:
    - https://127.0.0.1:$https_port/first.git#v1
    - $bp2
YAML
init_repo "$app" "$src"

push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Fetching buildpack https://127.0.0.1:$https_port/first.git#v1"
# Fetched over https, from the test's server (dumb protocol: info/refs, then objects).
assert_contains "$TMP/https.log" "GET /first.git/info/refs"
assert_contains "$PUSH_OUT" "-----> FirstPack app detected (buildpack first)"
assert_contains "$PUSH_OUT" "-----> first buildpack v1 compiling"
assert_contains "$PUSH_OUT" "-----> SecondPack app detected (buildpack second)"
assert_contains "$PUSH_OUT" "-----> second buildpack compiling"
assert_not_contains "$PUSH_OUT" "v2 is broken"
first_at=$(grep -nF -- "first buildpack v1 compiling" "$PUSH_OUT" | head -n 1 | cut -d: -f1)
second_at=$(grep -nF -- "second buildpack compiling" "$PUSH_OUT" | head -n 1 | cut -d: -f1)
((first_at < second_at)) || fail "the buildpacks compiled out of order (first at line $first_at, second at $second_at)"
url=$(expect_live "$PUSH_OUT" production)

first_body="first=v1-42 msg=app-msg-$$"
assert_eq "$first_body" "$(http_body "$url/first.txt")" "GET /first.txt"
assert_eq "second saw FIRST_TOKEN=$token after: $first_body" "$(http_body "$url/second.txt")" "GET /second.txt"

# web came from the first buildpack's release (no Procfile; the second's {}
# removed nothing).
id=$(deploy_id "$PUSH_OUT")
image=$(db "SELECT image FROM deploys WHERE id = $id")
cmd=$(pod image inspect --format '{{json .Config.Cmd}}' "$image")
assert_eq '["python3 -m http.server $PORT --bind 0.0.0.0 --directory /app/site"]' "$cmd" "Cmd of $image"

# Without the pin, the default branch (v2) is used, and it fails: the pin
# is what made the first build pass.
sed -i "s|first.git#v1|first.git|" "$REPO/porter.yaml"
git -C "$REPO" commit -q -am "unpinned buildpack"
push "$REPO" porter main
expect_push_rejected
expect_failed_verdict "$PUSH_OUT"
assert_contains "$PUSH_OUT" "first buildpack v2 is broken"
assert_contains "$PUSH_OUT" "error: buildpack first failed to compile (exit 1)"
assert_http "$url/second.txt" "second saw FIRST_TOKEN=$token"
