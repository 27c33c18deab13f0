// Package vcert is the part of github.com/Venafi/vcert/v5 that cert-manager's Venafi issuer names (see go.mod).
package vcert

import (
	"net/http"

	"github.com/Venafi/vcert/v5/pkg/endpoint"
)

// Config carries the fields cert-manager's Venafi client sets.
type Config struct {
	ConnectorType   endpoint.ConnectorType
	BaseUrl         string
	Zone            string
	LogVerbose      bool
	ConnectionTrust string
	Credentials     *endpoint.Authentication
	Client          *http.Client
}

// NewClient always fails: the Venafi client is not in this build.
func NewClient(*Config, ...bool) (endpoint.Connector, error) { return nil, endpoint.ErrAbsent }
