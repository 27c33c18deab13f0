//go:build tools

// Package tools names the node commands test/real/parts/70-node.sh builds from the same k8s.io/kubernetes release
// as the control plane (test/real/kubernetes), so that `go mod tidy` keeps their modules.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
