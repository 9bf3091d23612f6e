#!/usr/bin/env bash
# Scenario: porter.yaml lists two custom buildpacks:
#   1. file:///…/first.git#v1, a buildpack in a local bare git repository,
#      pinned to tag v1 (the branch has a later v2 commit that would fail the
#      build, so only the pin makes the build pass). Its compile writes a file
#      into BUILD_DIR and an `export` file; its release names the web process.
#   2. a buildpack in a directory on the server (absolute path) whose compile
#      reads the variable the first one exported (multi-buildpack chaining).
# The app answers with content proving both ran, in order, with v1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_build.sh"

start_gateway
new_app app bpgit
token="chain-$$-$RANDOM"

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
git clone -q --bare "$bp_work" "$TMP/bp/first.git"
v1_sha=$(git -C "$TMP/bp/first.git" rev-parse v1)
main_sha=$(git -C "$TMP/bp/first.git" rev-parse main)
[[ $v1_sha != "$main_sha" ]] || fail "the bare repo's main should be past v1"

# ------------------------------------------------ buildpack 2 (server path)
bp2="$TMP/bp/second"
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

# ------------------------------------------------------------------ the app
src="$TMP/repos/$app"
mkdir -p "$src"
echo "app-msg-$$" >"$src/porter-bp.txt"
cat >"$src/porter.yaml" <<YAML
build:
  buildpacks:
    - file://$TMP/bp/first.git#v1
    - $bp2
YAML
init_repo "$app" "$src"

push "$REPO" porter main
expect_push_ok
assert_contains "$PUSH_OUT" "-----> Fetching buildpack file://$TMP/bp/first.git#v1"
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
