#!/usr/bin/env bash
# Scenario: a release writes its Kubernetes manifests:
# DATA/releases/APP/production/vN/kubernetes.yaml holds the cluster form: the
# environment's Namespace and NetworkPolicy, the release's config Secret, the
# predeploy Job, one Deployment per service with the porter.yaml replica
# counts and the image by digest (the one the pods run), config only through
# the Secret, and web's Service; owner-only since it carries config values.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_release.sh"

start_gateway
new_app app mani
admin_ok apps:create "$app"
admin_ok config:set "$app" "MANIFEST_VAR=mv-$$"
make_app_repo "$app" perl-release
cat >"$REPO/porter.yaml" <<'YAML'
services:
  web:
    replicas: 2
  worker:
    run: perl /app/worker.pl
predeploy:
  run: echo predeploy-ran
YAML
git -C "$REPO" add porter.yaml
git -C "$REPO" commit -q -m "web x2, worker x1, a predeploy"
push_ts "$REPO"
expect_push_ok
url=$(expect_live "$PUSH_OUT" production)
assert_contains "$PUSH_OUT" "predeploy-ran"
assert_eq hello "$(http_body "$url")" "body"
image=$(db "SELECT image FROM releases WHERE app = '$app' AND env = 'production' AND version = 1")
[[ $image =~ ^127\.0\.0\.1:[0-9]+/$app@sha256:[0-9a-f]{64}$ ]] || fail "release v1's image is not by digest: '$image'"
assert_contains "$PUSH_OUT" "-----> Image $image "

dir="$DATA/releases/$app/production/v1"
k8s="$dir/kubernetes.yaml"
[[ -s $k8s ]] || fail "no $k8s; $dir has: $(ls -la "$dir" 2>&1)"
assert_eq 600 "$(stat -c %a "$k8s")" "mode of $k8s"
log "kubernetes.yaml:"
sed 's/^/    | /' "$k8s"

# Structure, by grep (no YAML library needed).
count() { grep -cE -- "$1" "$k8s" || true; }
assert_eq 7 "$(count '^---$')" "documents in kubernetes.yaml"
assert_eq 1 "$(count '^kind: NetworkPolicy$')" "NetworkPolicies (the environment's isolation)"
assert_eq 1 "$(count '^kind: Job$')" "Jobs (the predeploy)"
assert_eq 2 "$(count '^kind: Deployment$')" "Deployments (web, worker)"
assert_eq 3 "$(count "^ *image: $image\$")" "containers with image $image"
assert_eq 3 "$(count '^ *image: ')" "containers in all"
# each Deployment: its name line, then its replicas line
assert_eq "$app-production-web 2|$app-production-worker 1" \
  "$(awk '/^kind: Deployment$/ { d = 1 } /^---$/ { d = 0 } d && /^  name: / { n = $2 } d && /^  replicas: / { print n, $2 }' "$k8s" | paste -sd'|')" \
  "Deployments and their replicas"
assert_eq 1 "$(count '^kind: Secret$')" "Secrets (the release's config)"
assert_eq 1 "$(count "mv-$$")" "MANIFEST_VAR values (the Secret's only)"

# Structure, by a YAML parser, where python3-yaml is installed.
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$k8s" "$app" "$image" "mv-$$" <<'PY' || fail "kubernetes.yaml structure (see above)"
import sys, yaml
path, app, image, var = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
deps = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
errors = []
def want(what, got, expected):
    if got != expected:
        errors.append("%s: expected %r, got %r" % (what, expected, got))
want("kinds", sorted(by_kind), ["Deployment", "Job", "Namespace", "NetworkPolicy", "Secret", "Service"])
secret = by_kind.get("Secret", [{}])[0]
want("secret name", secret.get("metadata", {}).get("name"), app + "-production-config-v1")
want("secret MANIFEST_VAR", secret.get("stringData", {}).get("MANIFEST_VAR"), var)
policy = by_kind.get("NetworkPolicy", [{}])[0]
want("policy selects", policy.get("spec", {}).get("podSelector"),
     {"matchLabels": {"porter.app": app, "porter.env": "production"}})
want("deployments", sorted(deps), [app + "-production-web", app + "-production-worker"])
for name, replicas in ((app + "-production-web", 2), (app + "-production-worker", 1)):
    d = deps.get(name)
    if not d:
        continue
    want(name + " apiVersion", d["apiVersion"], "apps/v1")
    want(name + " replicas", d["spec"]["replicas"], replicas)
    want(name + " selector = template labels", d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
         d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"])
    want(name + " porter.release", d["spec"]["template"]["metadata"]["labels"]["porter.release"], "v1")
    c = d["spec"]["template"]["spec"]["containers"]
    want(name + " containers", len(c), 1)
    want(name + " image", c[0]["image"], image)
    want(name + " envFrom", c[0].get("envFrom"), [{"secretRef": {"name": app + "-production-config-v1"}}])
worker = deps.get(app + "-production-worker")
if worker:
    want("worker command", worker["spec"]["template"]["spec"]["containers"][0].get("command"),
         ["/bin/sh", "-c", "perl /app/worker.pl"])
web = deps.get(app + "-production-web")
if web:
    probe = web["spec"]["template"]["spec"]["containers"][0].get("readinessProbe", {})
    want("web readinessProbe path", probe.get("httpGet", {}).get("path"), "/")
job = by_kind.get("Job", [{}])[0]
want("predeploy command", job.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0].get("command"),
     ["/bin/sh", "-c", "echo predeploy-ran"])
for e in errors:
    print("kubernetes.yaml: " + e)
sys.exit(1 if errors else 0)
PY
  log "kubernetes.yaml parsed with python3-yaml: structure ok"
else
  log "python3-yaml not installed: checked kubernetes.yaml by grep only"
fi

# The pods run what the manifest says.
for p in web-0 web-1 worker-0; do
  ctr=$(pod_container "$app-production-v1-$p-pod-0")
  [[ -n $ctr ]] || fail "no container for $p; pods: $(release_pods "$app")"
  assert_eq "$image" "$(pod inspect --format '{{.ImageName}}' "$ctr")" "image of $ctr"
  [[ -s $dir/$p.yaml ]] || fail "no per-replica manifest $dir/$p.yaml"
done
assert_eq 3 "$(release_pods "$app" production v1 | grep -c ' Running$')" "running pods of v1"
