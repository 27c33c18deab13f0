// Package endpoint holds the vcert connector interface and errors cert-manager names.
package endpoint

import (
	"errors"

	"github.com/Venafi/vcert/v5/pkg/certificate"
)

// ErrAbsent is what every call returns.
var ErrAbsent = errors.New("the Venafi issuer is not in this build: github.com/Venafi/vcert/v5 is not served by the Go module proxy")

type ConnectorType int

const (
	ConnectorTypeUndefined ConnectorType = iota
	ConnectorTypeFake
	ConnectorTypeCloud
	ConnectorTypeTPP
	ConnectorTypeFirefly
	ConnectorTypeNGTS
)

type Authentication struct {
	User         string
	Password     string
	APIKey       string
	AccessToken  string
	ClientId     string
	ClientSecret string
	Scope        string
	TokenURL     string
}

type Connector interface {
	GetType() ConnectorType
	Ping() error
	ReadZoneConfiguration() (*ZoneConfiguration, error)
	RequestCertificate(req *certificate.Request) (string, error)
	RetrieveCertificate(req *certificate.Request) (*certificate.PEMCollection, error)
}

type ZoneConfiguration struct{}

func (*ZoneConfiguration) UpdateCertificateRequest(*certificate.Request) {}

func (*ZoneConfiguration) ValidateCertificateRequest(*certificate.Request) error { return ErrAbsent }

type ErrCertificatePending struct{}

func (ErrCertificatePending) Error() string { return "certificate pending" }

type ErrRetrieveCertificateTimeout struct{}

func (ErrRetrieveCertificateTimeout) Error() string { return "retrieve certificate timeout" }

// Absent implements Connector; each connector type embeds it.
type Absent struct{}

func (Absent) GetType() ConnectorType                                  { return ConnectorTypeUndefined }
func (Absent) Ping() error                                             { return ErrAbsent }
func (Absent) ReadZoneConfiguration() (*ZoneConfiguration, error)      { return nil, ErrAbsent }
func (Absent) RequestCertificate(*certificate.Request) (string, error) { return "", ErrAbsent }
func (Absent) RetrieveCertificate(*certificate.Request) (*certificate.PEMCollection, error) {
	return nil, ErrAbsent
}
func (Absent) Authenticate(*Authentication) error { return ErrAbsent }
