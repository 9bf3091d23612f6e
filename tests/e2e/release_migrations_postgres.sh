#!/usr/bin/env bash
# Scenario: an app backed by a real PostgreSQL (DATABASE_URL set with
# config:set before the first push) runs its migrations as the release's
# predeploy:
#   v1 creates a table and a row, the app serves it;
#   v2 adds a column, the app serves it;
#   v3's migration fails: the push is rejected (predeploy failed), the ref
#      stays, v2 keeps answering with its data and the schema is untouched;
#   config:set of another variable makes a new release from the same image
#      without a build.
# The database password never reaches the gateway's logs or the pusher.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_postgres
db_name="app_$$"
db_user="porter_$$"
db_pass="Pw$$x${RANDOM}q${RANDOM}z"   # letters and digits: no URL escaping
pg_create_db "$db_name" "$db_user" "$db_pass"
# Apps reach no host port unless gateway.yaml allows it: this database is
# allowed, and reached from the app's network at host.containers.internal.
dburl="postgres://$db_user:$db_pass@host.containers.internal:$PG_PORT/$db_name"
export PG_DB=$db_name
printf 'host_services: [%s]\n' "$PG_PORT" >"$TMP/gateway.yaml"

start_gateway --config "$TMP/gateway.yaml"
new_app app pgapp
admin_ok apps:create "$app"
admin_ok config:set "$app" -e production "DATABASE_URL=$dburl"
assert_contains "$ADMIN_OUT" "no release of production yet"

# The migrations' schema, as information_schema sees it.
items_columns() {
  pg_sql "SELECT COALESCE(string_agg(column_name, ',' ORDER BY ordinal_position), '<no table>')
          FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'items'"
}
applied_migrations() { pg_sql "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations"; }
live_version() { sed -nE 's/.*=====> production v([0-9]+) is live at .*/\1/p' "$1" | tail -n 1; }

# ---------------------------------------------------------------- v1
make_app_repo "$app" pg-app
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "-----> Running predeploy: bin/migrate"
assert_contains "$PUSH_OUT" "migrating *****"       # the URL, masked
assert_contains "$PUSH_OUT" "applying: 001_create_items"
assert_contains "$PUSH_OUT" "migrations done"
assert_eq "items: widget-from-v1" "$(http_body "$url")" "v1 body"
assert_eq "id,name" "$(items_columns)" "columns of items after v1"
assert_eq "001_create_items" "$(applied_migrations)" "schema_migrations after v1"
report_release_timing "$PUSH_TS" "pg-app v1"
v1=$(live_version "$PUSH_OUT")

# ---------------------------------------------------------------- v2
cat >"$REPO/migrations/002_add_color.sql" <<'SQL'
ALTER TABLE items ADD COLUMN color text NOT NULL DEFAULT 'none';
UPDATE items SET color = 'green-from-v2';
SQL
cat >"$REPO/query.sql" <<'SQL'
SELECT 'items: ' || string_agg(name || '/' || color, ',' ORDER BY id) FROM items;
SQL
git -C "$REPO" add -A
git -C "$REPO" commit -q -m "v2: items have a color"
v2_sha=$(head_sha "$REPO")
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "already applied: 001_create_items"
assert_contains "$PUSH_OUT" "applying: 002_add_color"
assert_not_contains "$PUSH_OUT" "applying: 001_create_items"
assert_eq "items: widget-from-v1/green-from-v2" "$(http_body "$url")" "v2 body"
assert_eq "id,name,color" "$(items_columns)" "columns of items after v2"
assert_eq "001_create_items,002_add_color" "$(applied_migrations)" "schema_migrations after v2"
report_release_timing "$PUSH_TS" "pg-app v2 (cached build)"
v2=$(live_version "$PUSH_OUT")
((v2 > v1)) || fail "v2's release number v$v2 is not above v1's v$v1"

# -------------------------------------------- v3: a migration that fails
cat >"$REPO/migrations/003_weight.sql" <<'SQL'
ALTER TABLE items ADD COLUMN weight integer;
INSERT INTO items (name, color) VALUES ('widget-from-v3', 'red');
SELECT 1 / 0 AS broken_migration;
SQL
cat >"$REPO/query.sql" <<'SQL'
SELECT 'items: ' || string_agg(name || '/' || color || '/' || weight, ',' ORDER BY id) FROM items;
SQL
git -C "$REPO" add -A
git -C "$REPO" commit -q -m "v3: a broken migration"
push_ts "$REPO"
expect_push_rejected
expect_failed_verdict "$PUSH_OUT"
assert_contains "$PUSH_OUT" "applying: 003_weight"
assert_contains "$PUSH_OUT" "division by zero"      # psql's error reached the pusher
verdict=$(grep -F '=====>' "$PUSH_OUT" | tail -n 1)
[[ $verdict == *"predeploy 'bin/migrate' failed"* && $verdict == *"(v$v2) is still serving"* ]] ||
  fail "expected the verdict to say predeploy 'bin/migrate' failed and v$v2 is still serving; saw: $verdict"
assert_not_contains "$PUSH_OUT" "is live at"
assert_not_contains "$PUSH_OUT" "Health check"      # nothing was started
assert_eq "$v2_sha" "$(remote_ref "$REPO" refs/heads/main)" "server's refs/heads/main after the failed migration"
assert_eq "items: widget-from-v1/green-from-v2" "$(http_body "$url")" "body after the failed v3"
assert_eq "id,name,color" "$(items_columns)" "columns of items after the failed v3 (rolled back)"
assert_eq "001_create_items,002_add_color" "$(applied_migrations)" "schema_migrations after the failed v3"
assert_eq 1 "$(pg_sql 'SELECT count(*) FROM items')" "rows in items after the failed v3"
assert_eq "" "$(release_pods "$app" production "v$((v2 + 1))")" "pods of the failed release"

# ------------------------------------ config:set: a release without a build
admin_ok releases "$app" -e production
image_v2=$(awk -v v="v$v2" '$1 == v { print $4 }' "$ADMIN_OUT")
[[ $image_v2 == *@sha256:* ]] || fail "expected v$v2's image by digest in 'releases'; saw: $(cat "$ADMIN_OUT")"
flag="feature-on-$$"
admin_ok config:set "$app" -e production "FEATURE_FLAG=$flag"
assert_not_contains "$ADMIN_OUT" "Building"
assert_not_contains "$ADMIN_OUT" "Checked out"
assert_contains "$ADMIN_OUT" "already applied: 002_add_color"   # predeploy runs again, applies nothing
assert_match "$ADMIN_OUT" "=====> production v[0-9]+ is live at "
v4=$(live_version "$ADMIN_OUT")
((v4 > v2)) || fail "config:set made v$v4, not a release after v$v2"
assert_eq "items: widget-from-v1/green-from-v2" "$(http_body "$url")" "body after config:set"
admin_ok releases "$app" -e production
assert_match "$ADMIN_OUT" "^v$v4 +live "
assert_eq "$image_v2" "$(awk -v v="v$v4" '$1 == v { print $4 }' "$ADMIN_OUT")" "image of the config:set release v$v4"
assert_match "$ADMIN_OUT" "^v$v2 +superseded "
assert_match "$ADMIN_OUT" "^v$((v2 + 1)) +failed "
# The new release's process has the variable.
ctr=$(pod_container "$app-production-v$v4-web-0-pod-0")
[[ -n $ctr ]] || fail "no container in pod $app-production-v$v4-web-0-pod-0; pods: $(release_pods "$app")"
assert_eq "$flag" "$(pod exec "$ctr" printenv FEATURE_FLAG)" "FEATURE_FLAG inside v$v4's web container"

# ------------------------------------------- the password stays secret
for f in "$DATA/gateway.log" "$DATA"/logs/*.log "$TMP"/push-*.out "$TMP"/admin-*.out "$TMP"/admin-*.err; do
  [[ -f $f ]] || continue
  ! grep -qF -- "$db_pass" "$f" || fail "the database password appears in $f: $(grep -F -- "$db_pass" "$f" | head -n 2)"
done
ls "$DATA"/logs/*.log >/dev/null 2>&1 || fail "no deploy logs in $DATA/logs"
grep -qF "migrating *****" "$DATA"/logs/*.log || fail "the deploy logs do not show the masked URL 'migrating *****'"
