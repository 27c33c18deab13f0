//go:build tools

// Package tools pins the Prometheus server and promtool that test/prometheus runs: test/real/parts/75-prometheus.sh
// builds each command from the module version this go.mod requires. Nothing here is compiled on its own.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
