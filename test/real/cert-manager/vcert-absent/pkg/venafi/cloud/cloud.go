// Package cloud holds the connector name cert-manager uses.
package cloud

import "github.com/Venafi/vcert/v5/pkg/endpoint"

type Connector struct{ endpoint.Absent }
