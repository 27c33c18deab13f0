// Stands in for github.com/Venafi/vcert/v5, which the Go module proxy refuses to serve (403 "not available" for every
// version), so that cert-manager's controller links. Only cert-manager's Venafi issuer calls it; our tests use the
// SelfSigned and CA issuers. Every entry point returns errAbsent, so a Venafi Issuer fails loudly, never silently.
module github.com/Venafi/vcert/v5

go 1.26.0
