//go:build tools

// Package tools names the command test/real/parts/20-helm.sh builds, so that `go mod tidy` keeps its module.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
