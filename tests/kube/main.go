// Command porter-testcluster is a multi-call binary that runs a throwaway
// Kubernetes cluster for Porter's tests: embedded etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, a kubelet on a private containerd,
// and kubectl. See README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage: porter-testcluster up DIR | down DIR | status DIR
       porter-testcluster kubectl ARGS...   (or call it through a symlink named kubectl)
internal: etcd DIR | apiserver | controller-manager | scheduler | kubelet ARGS...`)
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name != "kubectl" {
		if len(args) == 0 {
			usage()
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	os.Exit(dispatch(name, args))
}

func dispatch(name string, args []string) int {
	switch name {
	case "kubectl":
		return runKubectl(args)
	case "apiserver", "kube-apiserver":
		return runAPIServer(args)
	case "controller-manager", "kube-controller-manager":
		return runControllerManager(args)
	case "scheduler", "kube-scheduler":
		return runScheduler(args)
	case "kubelet":
		return runKubelet(args)
	case "etcd":
		return runEtcd(args)
	case "up":
		return runUp(args)
	case "down":
		return runDown(args)
	case "status":
		return runStatus(args)
	}
	usage()
	return 2
}
