// Package util holds the one vcert util name cert-manager uses.
package util

// IssuerHint names the issuer type a Venafi request is meant for.
type IssuerHint string

// IssuerHintAllIssuers is the hint cert-manager sends.
const IssuerHintAllIssuers IssuerHint = ""
