// Command k8s is a multi-call binary holding the components of the local
// Kubernetes control plane used by claude-env's tests: etcd (embedded),
// kube-apiserver, kube-controller-manager, kube-scheduler and kubectl.
//
// The component is chosen by the name the binary is invoked as (argv[0], so a
// symlink named "kubectl" behaves as kubectl) or else by the first argument:
//
//	k8s kube-apiserver --etcd-servers=...
//	k8s kubectl get pods
//
// Each component must run in its own process: kube-apiserver and
// kube-scheduler install process-wide signal handlers.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	// Blank imports of the upstream mains (cmd/kube-apiserver, cmd/kube-scheduler,
	// cmd/kube-controller-manager, cmd/kubectl).
	_ "time/tzdata" // for timeZone support in CronJob

	_ "k8s.io/client-go/plugin/pkg/client/auth"           // kubectl: client auth plugins
	_ "k8s.io/component-base/logs/json/register"          // JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go Prometheus metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric registration
)

var components = map[string]func() int{
	"etcd":                    runEtcd,
	"kube-apiserver":          runAPIServer,
	"kube-controller-manager": runControllerManager,
	"kube-scheduler":          runScheduler,
	"kubectl":                 runKubectl,
}

func usage() {
	names := make([]string, 0, len(components))
	for n := range components {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: %s <component> [flags...]\n  components: %s\n  (or invoke through a symlink named after the component)\n",
		filepath.Base(os.Args[0]), strings.Join(names, ", "))
}

func main() {
	name := filepath.Base(os.Args[0])
	if _, ok := components[name]; !ok {
		if len(os.Args) < 2 {
			usage()
			os.Exit(2)
		}
		name = os.Args[1]
		if name == "-h" || name == "--help" || name == "help" {
			usage()
			os.Exit(0)
		}
		if _, ok := components[name]; !ok {
			fmt.Fprintf(os.Stderr, "unknown component %q\n", name)
			usage()
			os.Exit(2)
		}
		// Make the component see itself as argv[0]; cobra reads os.Args[1:].
		os.Args = append([]string{name}, os.Args[2:]...)
	}
	os.Exit(components[name]())
}
