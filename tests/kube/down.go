package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func runDown(args []string) int {
	dir, err := absDir(args)
	if err != nil {
		logf("down: %v", err)
		return 2
	}
	c, err := loadCluster(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0 // never started or already down
		}
		c = &cluster{dir: dir}
	}
	if !c.down() {
		return 1
	}
	return 0
}

// down stops everything up started and removes what it made, except logs/.
// It is safe to run on a half-started or already stopped cluster.
func (c *cluster) down() bool {
	ok := true
	for _, n := range []string{"kubelet", "scheduler", "controller-manager"} {
		ok = c.stop(n) && ok
	}
	c.removePods()
	ok = c.stop("containerd") && ok
	c.killShims()
	c.deleteRuncContainers()
	ok = c.stop("apiserver") && ok
	ok = c.stop("etcd") && ok
	if !unmountUnder(c.dir) {
		ok = false
	}
	if c.Bridge != "" {
		exec.Command("ip", "link", "del", c.Bridge).Run()
	}
	removeLogLinks(c.dir)
	if !otherClusters() {
		removeHostLeftovers()
	}
	if ok {
		for _, sub := range []string{"etcd", "pki", "run", "containerd", "cni", "kubelet", "kubeconfig", "kubelet.kubeconfig", "pause.tar", "cluster.json"} {
			if err := os.RemoveAll(filepath.Join(c.dir, sub)); err != nil {
				logf("down: %v", err)
				ok = false
			}
		}
	} else {
		logf("down: could not stop everything in %s; kept its state (run down again)", c.dir)
	}
	return ok
}

func (c *cluster) pid(name string) int {
	data, err := os.ReadFile(c.pidFile(name))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state ppid pgrp ...
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stop ends the process group of a component: SIGTERM, then SIGKILL after 10 s.
func (c *cluster) stop(name string) bool {
	pid := c.pid(name)
	if pid <= 1 {
		return true
	}
	if !alive(pid) && len(groupMembers(pid)) == 0 {
		os.Remove(c.pidFile(name))
		return true
	}
	syscall.Kill(-pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for len(groupMembers(pid)) > 0 {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			if time.Now().After(deadline.Add(10 * time.Second)) {
				logf("down: %s (process group %d) does not exit", name, pid)
				return false
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Remove(c.pidFile(name))
	return true
}

// removePods stops and removes every pod sandbox through CRI, so that
// containerd tears down their containers, network namespaces and addresses.
func (c *cluster) removePods() {
	if pid := c.pid("containerd"); pid == 0 || !alive(pid) || c.dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.NewClient("unix://"+c.containerdSock(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	resp, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		logf("down: list pods: %v", err)
		return
	}
	for _, s := range resp.Items {
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			logf("down: stop pod %s: %v", s.Metadata.GetName(), err)
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			logf("down: remove pod %s: %v", s.Metadata.GetName(), err)
		}
	}
}

// killShims ends containerd shims left behind (they run in process groups of their own).
func (c *cluster) killShims() {
	sock := c.containerdSock()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for _, a := range args {
			if a == sock {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// deleteRuncContainers force-deletes containers still known to runc under our own runc root.
func (c *cluster) deleteRuncContainers() {
	namespaces, _ := os.ReadDir(c.runcRoot())
	for _, ns := range namespaces {
		root := filepath.Join(c.runcRoot(), ns.Name())
		ids, _ := os.ReadDir(root)
		for _, id := range ids {
			if id.IsDir() {
				exec.Command("runc", "--root", root, "delete", "--force", id.Name()).Run()
			}
		}
	}
}

// unmountUnder detaches every mount point below dir, deepest first.
func unmountUnder(dir string) bool {
	if dir == "" || dir == "/" {
		return true
	}
	var points []string
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if strings.HasPrefix(mp, dir+"/") {
			points = append(points, mp)
		}
	}
	f.Close()
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	ok := true
	for _, mp := range points {
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			logf("down: umount %s: %v", mp, err)
			ok = false
		}
	}
	return ok
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeLogLinks removes the kubelet's /var/log/containers links into dir.
func removeLogLinks(dir string) {
	ents, _ := os.ReadDir("/var/log/containers")
	for _, e := range ents {
		p := filepath.Join("/var/log/containers", e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, dir+"/") {
			os.Remove(p)
		}
	}
}

// otherClusters: another test cluster's bridge exists on this host.
func otherClusters() bool {
	ifs, _ := os.ReadDir("/sys/class/net")
	for _, i := range ifs {
		if strings.HasPrefix(i.Name(), "porterkc") {
			return true
		}
	}
	return false
}

// removeHostLeftovers removes the few host paths that kubelet and containerd
// hard-code (the device-plugin socket, the empty /k8s.io parent cgroups), once
// the last test cluster is down. Non-empty ones (someone else's) stay.
func removeHostLeftovers() {
	os.Remove("/var/lib/kubelet/device-plugins/kubelet.sock")
	os.Remove("/var/lib/kubelet/device-plugins") // only when empty
	os.Remove("/var/lib/kubelet")
	controllers, _ := os.ReadDir("/sys/fs/cgroup")
	for _, ctrl := range controllers {
		syscall.Rmdir(filepath.Join("/sys/fs/cgroup", ctrl.Name(), "k8s.io")) // fails unless empty
	}
}
