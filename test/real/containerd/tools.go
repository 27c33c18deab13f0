//go:build tools

// Package tools names the commands test/real/parts/70-node.sh builds (the container runtime the real node's
// kubelet talks to), so that `go mod tidy` keeps their modules.
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
