package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	clientcmd "k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeKubeconfig(path, name, server string, ca []byte, client *keyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: client.certPEM, ClientKeyData: client.keyPEM}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

func (c *cluster) containerdConfig() string {
	d := c.dir
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %[3]q

[debug]
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = %[4]q
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = %[5]q
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    # no CAP_SYS_RESOURCE here: never ask runc to lower oom_score_adj below our own
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "runc"
          Root = %[6]q
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = %[7]q
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = %[8]q
`, filepath.Join(d, "containerd/root"), filepath.Join(d, "containerd/state"), c.containerdSock(),
		filepath.Join(d, "containerd/opt"), pauseImage, c.runcRoot(), filepath.Join(d, "cni/net.d"),
		filepath.Join(d, "containerd/certs.d"))
}

// registryHosts makes the local registry a plain-http one for containerd.
// The registries containerd pulls from over plain http: the host's
// 127.0.0.1:5000 (also as localhost:5000) and those listed, comma-separated,
// in PORTER_TESTCLUSTER_REGISTRIES (a test's own registry on a free port).
func plainHTTPRegistries() []string {
	registries := []string{"127.0.0.1:5000", "localhost:5000"}
	for _, registry := range strings.Split(os.Getenv("PORTER_TESTCLUSTER_REGISTRIES"), ",") {
		if registry = strings.TrimSpace(registry); registry != "" {
			registries = append(registries, registry)
		}
	}
	return registries
}

func registryHosts(host string) string {
	return fmt.Sprintf(`server = "http://%[1]s"

[host."http://%[1]s"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
`, host)
}

func (c *cluster) cniConfig() string {
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": %[1]q,
  "plugins": [
    {
      "type": "bridge",
      "bridge": %[1]q,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "%[2]s.0/24", "gateway": "%[2]s.1"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": %[3]q
      }
    }
  ]
}
`, c.Bridge, c.subnetPrefix(), filepath.Join(c.dir, "cni/ipam"))
}

func (c *cluster) kubeletConfig() string {
	p := filepath.Join(c.dir, "pki")
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: %[2]d
readOnlyPort: 0
healthzPort: 0
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: ["none"]
makeIPTablesUtilChains: false
containerRuntimeEndpoint: unix://%[3]s
podLogsDir: %[4]s
tlsCertFile: %[5]s/kubelet.crt
tlsPrivateKeyFile: %[5]s/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %[5]s/ca.crt}
authorization:
  mode: Webhook
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {"memory.available": "1Mi", "nodefs.available": "1%%", "imagefs.available": "1%%", "nodefs.inodesFree": "1%%"}
mergeDefaultEvictionSettings: false
serializeImagePulls: false
resolvConf: /etc/resolv.conf
# No DNS server runs here; naming one keeps pods' ClusterFirst policy valid
# (no "MissingClusterDNS" warning on every pod).
clusterDNS: ["10.96.0.10"]
clusterDomain: cluster.local
maxPods: 110
`, c.NodeIP(), c.KubeletPort, c.containerdSock(), filepath.Join(c.dir, "kubelet/pod-logs"), p)
}

// nodeName derives a DNS-1123 node name from the cluster directory's name.
func nodeName(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(dir)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if len(n) > 50 {
		n = strings.Trim(n[:50], "-")
	}
	if n == "" {
		n = "node"
	}
	return n
}
