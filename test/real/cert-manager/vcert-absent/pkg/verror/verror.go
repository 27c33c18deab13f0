// Package verror holds the vcert error cert-manager tests for.
package verror

import "errors"

// ServerUnavailableError is never returned here; cert-manager only compares against it.
var ServerUnavailableError = errors.New("server unavailable")
