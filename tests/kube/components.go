package main

import (
	"context"
	"os"

	_ "time/tzdata" // CronJob time zones

	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

// The upstream main functions, one per component, each run in a process of its own.

func runAPIServer(args []string) int {
	c := apiserver.NewAPIServerCommand()
	c.SetArgs(args)
	return cli.Run(c)
}

func runControllerManager(args []string) int {
	c := controllermanager.NewControllerManagerCommand()
	c.SetArgs(args)
	return cli.Run(c)
}

func runScheduler(args []string) int {
	c := scheduler.NewSchedulerCommand()
	c.SetArgs(args)
	return cli.Run(c)
}

func runKubelet(args []string) int {
	c := kubelet.NewKubeletCommand(context.Background())
	c.SetArgs(args)
	return cli.Run(c)
}

func runKubectl(args []string) int {
	// kubectl reads os.Args itself (plugins, verbosity); present it as plain "kubectl ARGS".
	os.Args = append([]string{"kubectl"}, args...)
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	c := kubectlcmd.NewDefaultKubectlCommand()
	c.SetArgs(args)
	if err := cli.RunNoErrOutput(c); err != nil {
		kubectlutil.CheckErr(err)
	}
	return 0
}
