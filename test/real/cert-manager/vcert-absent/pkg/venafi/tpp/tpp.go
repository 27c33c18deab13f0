// Package tpp holds the TPP connector names cert-manager uses.
package tpp

import (
	"github.com/Venafi/vcert/v5/pkg/certificate"
	"github.com/Venafi/vcert/v5/pkg/endpoint"
)

type Connector struct{ endpoint.Absent }

type ErrCertNotFound struct{}

func (*ErrCertNotFound) Error() string { return "certificate not found" }

type OauthGetRefreshTokenResponse struct{ Access_token string } //nolint:revive // vcert's name

type OauthVerifyTokenResponse struct{}

func (*Connector) ResetCertificate(*certificate.Request, bool) error { return endpoint.ErrAbsent }

func (*Connector) VerifyAccessToken(*endpoint.Authentication) (OauthVerifyTokenResponse, error) {
	return OauthVerifyTokenResponse{}, endpoint.ErrAbsent
}

func (*Connector) GetRefreshToken(*endpoint.Authentication) (OauthGetRefreshTokenResponse, error) {
	return OauthGetRefreshTokenResponse{}, endpoint.ErrAbsent
}
