package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// cluster is what `up` records in DIR/cluster.json for `down` and a later `up`.
type cluster struct {
	dir         string
	Node        string `json:"node"`
	Index       int    `json:"subnetIndex"` // pods get 10.244.INDEX.0/24, the node is 10.244.INDEX.1
	Bridge      string `json:"bridge"`
	EtcdPort    int    `json:"etcdPort"`
	EtcdPeer    int    `json:"etcdPeerPort"`
	APIPort     int    `json:"apiPort"`
	KubeletPort int    `json:"kubeletPort"`
}

// The processes `up` starts, in start order; `down` stops them in reverse.
var components = []string{"etcd", "containerd", "apiserver", "controller-manager", "scheduler", "kubelet"}

func (c *cluster) subnetPrefix() string   { return fmt.Sprintf("10.244.%d", c.Index) }
func (c *cluster) NodeIP() string         { return c.subnetPrefix() + ".1" }
func (c *cluster) containerdSock() string { return filepath.Join(c.dir, "containerd/containerd.sock") }
func (c *cluster) runcRoot() string       { return filepath.Join(c.dir, "containerd/runc") }
func (c *cluster) kubeconfig() string     { return filepath.Join(c.dir, "kubeconfig") }
func (c *cluster) pidFile(n string) string {
	return filepath.Join(c.dir, "run", n+".pid")
}

func loadCluster(dir string) (*cluster, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	return c, json.Unmarshal(data, c)
}

func (c *cluster) save() error {
	data, _ := json.MarshalIndent(c, "", "  ")
	return os.WriteFile(filepath.Join(c.dir, "cluster.json"), append(data, '\n'), 0o644)
}

func absDir(args []string) (string, error) {
	if len(args) != 1 {
		return "", errors.New("expected exactly one argument: DIR")
	}
	return filepath.Abs(args[0])
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "testcluster: "+format+"\n", a...)
}

func timeout() time.Duration {
	if s := os.Getenv("PORTER_TESTCLUSTER_TIMEOUT"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 120 * time.Second
}

func runUp(args []string) int {
	dir, err := absDir(args)
	if err != nil {
		logf("up: %v", err)
		return 2
	}
	if c, err := loadCluster(dir); err == nil {
		if c.allRunning() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout())
			defer cancel()
			if err := c.waitReady(ctx); err == nil {
				fmt.Println(c.kubeconfig())
				return 0
			}
		}
		logf("up: %s holds a cluster that is not healthy: stopping it and starting anew", dir)
		c.down()
	}
	start := time.Now()
	c, err := create(dir)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), timeout())
		defer cancel()
		err = c.start(ctx)
		if err == nil {
			err = c.waitReady(ctx)
		}
	}
	if err != nil {
		logf("up: %v", err)
		if c != nil {
			c.dumpLogs()
			if os.Getenv("PORTER_TESTCLUSTER_KEEP") == "" {
				c.down()
			}
		}
		return 1
	}
	logf("cluster %q up in %.1fs: node %s (%s), apiserver https://127.0.0.1:%d", c.Node, time.Since(start).Seconds(), c.Node, c.NodeIP(), c.APIPort)
	fmt.Println(c.kubeconfig())
	return 0
}

func (c *cluster) allRunning() bool {
	for _, n := range components {
		if pid := c.pid(n); pid == 0 || !alive(pid) {
			return false
		}
	}
	return true
}

// create lays out DIR: ports, node network, certificates and configurations.
func create(dir string) (*cluster, error) {
	for _, sub := range []string{"etcd", "pki", "run", "containerd", "cni", "kubelet", "kubeconfig", "kubelet.kubeconfig", "cluster.json", "pause.tar"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	for _, sub := range []string{"pki", "run", "logs", "cni/net.d", "kubelet/root", "kubelet/pod-logs", "kubelet/volume-plugins"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	c := &cluster{dir: dir, Node: nodeName(dir)}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	c.EtcdPort, c.EtcdPeer, c.APIPort, c.KubeletPort = ports[0], ports[1], ports[2], ports[3]
	if err := c.claimBridge(); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return c, err
	}

	pki := filepath.Join(dir, "pki")
	ca, err := newCA("porter-testcluster-ca " + c.Node)
	if err != nil {
		return c, err
	}
	nodeIP := net.ParseIP(c.NodeIP())
	loop := net.ParseIP("127.0.0.1")
	type leaf struct {
		name, cn string
		orgs     []string
		server   bool
		dns      []string
		ips      []net.IP
	}
	leaves := []leaf{
		{"apiserver", "kube-apiserver", nil, true,
			[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
			[]net.IP{loop, nodeIP, net.ParseIP("10.96.0.1")}},
		{"admin", "porter-admin", []string{"system:masters"}, false, nil, nil},
		{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}, false, nil, nil},
		{"kubelet-client", "system:node:" + c.Node, []string{"system:nodes"}, false, nil, nil},
		{"kubelet", c.Node, nil, true, []string{c.Node, "localhost"}, []net.IP{nodeIP, loop}},
	}
	pairs := map[string]*keyPair{}
	for _, l := range leaves {
		kp, err := ca.issue(l.cn, l.orgs, l.server, l.dns, l.ips)
		if err != nil {
			return c, err
		}
		if err := kp.write(pki, l.name); err != nil {
			return c, err
		}
		pairs[l.name] = kp
	}
	if err := ca.write(pki, "ca"); err != nil {
		return c, err
	}
	if err := writeServiceAccountKeys(pki); err != nil {
		return c, err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", c.APIPort)
	if err := writeKubeconfig(c.kubeconfig(), "porter-"+c.Node, server, ca.certPEM, pairs["admin"]); err != nil {
		return c, err
	}
	if err := writeKubeconfig(filepath.Join(dir, "kubelet.kubeconfig"), "porter-"+c.Node, server, ca.certPEM, pairs["kubelet-client"]); err != nil {
		return c, err
	}
	files := map[string]string{
		"containerd/config.toml":       c.containerdConfig(),
		"cni/net.d/10-porter.conflist": c.cniConfig(),
		"kubelet/config.yaml":          c.kubeletConfig(),
	}
	for _, registry := range plainHTTPRegistries() {
		if err := os.MkdirAll(filepath.Join(dir, "containerd/certs.d", registry), 0o755); err != nil {
			return c, err
		}
		files["containerd/certs.d/"+registry+"/hosts.toml"] = registryHosts(registry)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return c, err
		}
	}
	return c, writePauseArchive(filepath.Join(dir, "pause.tar"))
}

// freePorts returns n ports on 127.0.0.1 that nothing listens on and no NAT
// rule forwards: podman publishes a pod's hostPort as a DNAT rule and holds
// no socket, so such a port looks free but its connections go to the pod.
func freePorts(n int) ([]int, error) {
	claimed := forwardedPorts()
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			return nil, errors.New("no port on 127.0.0.1 that no NAT rule forwards")
		}
		l, err := listenAnywhereInRange.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l) // held open, so a claimed port is not offered again
		if port := l.Addr().(*net.TCPAddr).Port; !claimed[port] {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// listenAnywhereInRange listens without SO_REUSEADDR, which Go sets and with
// which the kernel offers the lower half of the ephemeral range first: a
// rule claiming that half (host_ports_unclaimed.sh) would leave no port.
var listenAnywhereInRange = net.ListenConfig{Control: func(_, _ string, conn syscall.RawConn) error {
	var err error
	if controlErr := conn.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 0)
	}); controlErr != nil {
		return controlErr
	}
	return err
}}

// forwardedPorts reads the ports named by --dport(s) in iptables' nat table.
func forwardedPorts() map[int]bool {
	claimed := map[int]bool{}
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S").Output()
	if err != nil {
		return claimed
	}
	for _, match := range regexp.MustCompile(`--dports? ([0-9,:]+)`).FindAllStringSubmatch(string(out), -1) {
		for _, item := range strings.Split(match[1], ",") {
			first, last, isRange := strings.Cut(item, ":")
			from, _ := strconv.Atoi(first)
			to := from
			if isRange {
				to, _ = strconv.Atoi(last)
			}
			for port := from; port > 0 && port <= to && port <= 65535; port++ {
				claimed[port] = true
			}
		}
	}
	return claimed
}

// claimBridge picks a subnet index whose bridge does not exist yet and creates
// the bridge with the node address, under a host-wide lock so that clusters
// started at the same time get different ones.
func (c *cluster) claimBridge() error {
	if err := os.MkdirAll("/run/porter-testcluster", 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile("/run/porter-testcluster/bridge.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	used := map[string]bool{}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		used[i.Name] = true
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 244 {
					used[fmt.Sprintf("index%d", ip4[2])] = true
				}
			}
		}
	}
	for i := 1; i < 255; i++ {
		name := fmt.Sprintf("porterkc%d", i)
		if used[name] || used[fmt.Sprintf("index%d", i)] {
			continue
		}
		c.Index, c.Bridge = i, name
		for _, cmd := range [][]string{
			{"link", "add", name, "type", "bridge"},
			{"addr", "add", c.NodeIP() + "/24", "dev", name},
			{"link", "set", name, "up"},
		} {
			if out, err := exec.Command("ip", cmd...).CombinedOutput(); err != nil {
				exec.Command("ip", "link", "del", name).Run()
				return fmt.Errorf("ip %s: %v: %s", strings.Join(cmd, " "), err, out)
			}
		}
		return nil
	}
	return errors.New("no free 10.244.x.0/24 subnet left (stale porterkcN bridges? `ip link del porterkcN`)")
}

func (c *cluster) spawn(name string, argv ...string) error {
	logFile, err := os.OpenFile(filepath.Join(c.dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), "CONTAINERD_ADDRESS=") // never reach a system containerd
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return os.WriteFile(c.pidFile(name), []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

func (c *cluster) start(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	self, _ = filepath.EvalSymlinks(self)
	d := c.dir
	pki := filepath.Join(d, "pki")
	if err := c.spawn("etcd", self, "etcd", filepath.Join(d, "etcd"), strconv.Itoa(c.EtcdPort), strconv.Itoa(c.EtcdPeer)); err != nil {
		return err
	}
	containerd, err := exec.LookPath("containerd")
	if err != nil {
		return errors.New("containerd is not installed (scripts/setup installs it)")
	}
	if err := c.spawn("containerd", containerd, "--config", filepath.Join(d, "containerd/config.toml")); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "etcd", func() bool { return dialOK(fmt.Sprintf("127.0.0.1:%d", c.EtcdPort)) }); err != nil {
		return err
	}
	if err := c.spawn("apiserver", self, "apiserver",
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(c.EtcdPort),
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(c.APIPort),
		"--advertise-address="+c.NodeIP(),
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(d, "run"),
		"--tls-cert-file="+pki+"/apiserver.crt",
		"--tls-private-key-file="+pki+"/apiserver.key",
		"--client-ca-file="+pki+"/ca.crt",
		"--service-account-key-file="+pki+"/sa.pub",
		"--service-account-signing-key-file="+pki+"/sa.key",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--kubelet-client-certificate="+pki+"/apiserver-kubelet-client.crt",
		"--kubelet-client-key="+pki+"/apiserver-kubelet-client.key",
		"--kubelet-certificate-authority="+pki+"/ca.crt",
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false",
		"--event-ttl=30m",
	); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "containerd", func() bool { return dialOK("unix:" + c.containerdSock()) }); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "ctr", "--address", c.containerdSock(), "--namespace", "k8s.io",
		"images", "import", filepath.Join(d, "pause.tar")).CombinedOutput(); err != nil {
		return fmt.Errorf("import pause image: %v: %s", err, out)
	}
	cs, err := c.client()
	if err != nil {
		return err
	}
	if err := c.waitFor(ctx, "apiserver /readyz", func() bool {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && strings.TrimSpace(string(body)) == "ok"
	}); err != nil {
		return err
	}
	kc := c.kubeconfig()
	if err := c.spawn("controller-manager", self, "controller-manager",
		"--kubeconfig="+kc,
		"--authentication-kubeconfig="+kc,
		"--authorization-kubeconfig="+kc,
		"--secure-port=0",
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--controllers=*",
		"--service-account-private-key-file="+pki+"/sa.key",
		"--root-ca-file="+pki+"/ca.crt",
		"--cluster-signing-cert-file="+pki+"/ca.crt",
		"--cluster-signing-key-file="+pki+"/ca.key",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--profiling=false",
	); err != nil {
		return err
	}
	if err := c.spawn("scheduler", self, "scheduler",
		"--kubeconfig="+kc,
		"--authentication-kubeconfig="+kc,
		"--authorization-kubeconfig="+kc,
		"--secure-port=0",
		"--leader-elect=false",
		"--profiling=false",
	); err != nil {
		return err
	}
	return c.spawn("kubelet", self, "kubelet",
		"--config="+filepath.Join(d, "kubelet/config.yaml"),
		"--kubeconfig="+filepath.Join(d, "kubelet.kubeconfig"),
		"--hostname-override="+c.Node,
		"--node-ip="+c.NodeIP(),
		"--root-dir="+filepath.Join(d, "kubelet/root"),
		"--cert-dir="+filepath.Join(d, "kubelet/root/pki"),
		"--volume-plugin-dir="+filepath.Join(d, "kubelet/volume-plugins"),
	)
}

func dialOK(addr string) bool {
	network := "tcp"
	if strings.HasPrefix(addr, "unix:") {
		network, addr = "unix", strings.TrimPrefix(addr, "unix:")
	}
	conn, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// waitFor polls ok until it holds, the deadline passes or a component died.
func (c *cluster) waitFor(ctx context.Context, what string, ok func() bool) error {
	for {
		if ok() {
			return nil
		}
		for _, n := range components {
			if pid := c.pid(n); pid != 0 && !alive(pid) {
				return fmt.Errorf("%s exited while waiting for %s (see %s)", n, what, filepath.Join(c.dir, "logs", n+".log"))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s", what)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *cluster) client() (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig())
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 5 * time.Second
	return kubernetes.NewForConfig(cfg)
}

// waitReady: /readyz ok, the default ServiceAccount exists, the node is Ready.
func (c *cluster) waitReady(ctx context.Context) error {
	cs, err := c.client()
	if err != nil {
		return err
	}
	if err := c.waitFor(ctx, "apiserver /readyz", func() bool {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && strings.TrimSpace(string(body)) == "ok"
	}); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "the default ServiceAccount", func() bool {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	}); err != nil {
		return err
	}
	return c.waitFor(ctx, "node "+c.Node+" Ready", func() bool {
		n, err := cs.CoreV1().Nodes().Get(ctx, c.Node, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				for _, t := range n.Spec.Taints {
					if t.Effect == corev1.TaintEffectNoSchedule {
						return false
					}
				}
				return true
			}
		}
		return false
	})
}

func (c *cluster) dumpLogs() {
	for _, n := range components {
		data, err := os.ReadFile(filepath.Join(c.dir, "logs", n+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(os.Stderr, "---- %s (last lines of %s)\n%s\n", n, filepath.Join(c.dir, "logs", n+".log"), strings.Join(lines, "\n"))
	}
}

func runStatus(args []string) int {
	dir, err := absDir(args)
	if err != nil {
		logf("status: %v", err)
		return 2
	}
	c, err := loadCluster(dir)
	if err != nil {
		fmt.Println("down")
		return 1
	}
	code := 0
	for _, n := range components {
		pid := c.pid(n)
		state := "running"
		if pid == 0 || !alive(pid) {
			state, code = "stopped", 1
		}
		fmt.Printf("%-20s pid %-8d %s\n", n, pid, state)
	}
	fmt.Printf("node %s %s, apiserver https://127.0.0.1:%d, kubeconfig %s\n", c.Node, c.NodeIP(), c.APIPort, c.kubeconfig())
	return code
}
