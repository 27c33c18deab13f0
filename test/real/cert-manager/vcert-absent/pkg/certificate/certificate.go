// Package certificate holds the vcert request types cert-manager's Venafi client fills in.
package certificate

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"time"

	"github.com/Venafi/vcert/v5/pkg/util"
)

type CustomFieldType int

const (
	CustomFieldPlain CustomFieldType = iota
	CustomFieldOrigin
)

type CustomField struct {
	Type  CustomFieldType
	Name  string
	Value string
}

type ChainOption int

const ChainOptionRootLast ChainOption = 1

type CSrOriginOption int

const UserProvidedCSR CSrOriginOption = 1

type Request struct {
	Subject          pkix.Name
	ValidityDuration *time.Duration
	IssuerHint       util.IssuerHint
	ChainOption      ChainOption
	CustomFields     []CustomField
	FriendlyName     string
	CsrOrigin        CSrOriginOption
	PickupID         string
	Timeout          time.Duration
	csr              []byte
}

type PEMCollection struct {
	Certificate string
	Chain       []string
}

func NewRequest(*x509.Certificate) *Request { return &Request{} }

func (r *Request) SetCSR(csr []byte) error {
	r.csr = csr
	return nil
}
