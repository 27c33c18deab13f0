// Command pause is the real node's sandbox ("pause") image: it holds a pod's namespaces open and does nothing else
// until the runtime stops it. Kubernetes' own pause is C (build/pause in kubernetes/kubernetes) and its image cannot
// be pulled here, so the node runs this static Go stand-in, which behaves the same for the kubelet and containerd:
// it exits 0 on SIGINT or SIGTERM and reaps any child that ends (it is PID 1 when a pod shares its PID namespace).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			// Reap every child that has ended; stop when none is left to reap.
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
