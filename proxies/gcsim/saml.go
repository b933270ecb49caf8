package gcsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SAML assertions for the SAML2 bearer grant. The grant's assertion form field is the
// standard base64 of the XML of a SAML 2.0 Assertion, or of a SAML 2.0 protocol Response
// holding exactly one (what an identity provider POSTs, as Genesys's example passes it on).
// The simulator accepts an assertion whose Issuer is Org.SAMLIssuer, whose Subject's NameID
// is an active user's email, and whose Conditions NotOnOrAfter has not passed (nor
// NotBefore yet to come).
//
// Modelling choices: signatures are not verified, since the simulator has no identity
// provider's certificate; Conditions NotOnOrAfter is required (RFC 7522 requires an expiry,
// and Conditions is where the grant reads it); the audience restriction and the subject
// confirmation are not checked.

const (
	samlAssertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	samlProtocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
)

// xmlAssertion is the part of a SAML 2.0 Assertion the grant reads.
type xmlAssertion struct {
	XMLName xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
	ID      string   `xml:"ID,attr"`
	Issuer  string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameID  string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject>NameID"`
	Cond    *struct {
		NotBefore    string `xml:"NotBefore,attr"`
		NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
}

// xmlResponse is a SAML 2.0 protocol Response, for its assertions.
type xmlResponse struct {
	XMLName    xml.Name       `xml:"urn:oasis:names:tc:SAML:2.0:protocol Response"`
	Assertions []xmlAssertion `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
}

// assertion is a decoded assertion.
type assertion struct {
	key                     string // the ID, or "sha256:" and the hash of the XML when it has none
	issuer, nameID          string
	notBefore, notOnOrAfter time.Time // notBefore is zero when absent
}

// parseAssertion decodes the assertion form field. Its errors are the descriptions of the
// invalid_grant answer.
func parseAssertion(field string) (assertion, error) {
	raw, err := base64.StdEncoding.DecodeString(field) // skips \r and \n, as IdPs wrap lines
	if err != nil || len(raw) == 0 {
		return assertion{}, errors.New("assertion is not base64")
	}
	root, err := rootElement(raw)
	if err != nil {
		return assertion{}, errors.New("assertion is not XML")
	}
	var x xmlAssertion
	switch root {
	case xml.Name{Space: samlAssertionNS, Local: "Assertion"}:
		if err := xml.Unmarshal(raw, &x); err != nil {
			return assertion{}, errors.New("assertion is not XML")
		}
	case xml.Name{Space: samlProtocolNS, Local: "Response"}:
		var r xmlResponse
		if err := xml.Unmarshal(raw, &r); err != nil {
			return assertion{}, errors.New("assertion is not XML")
		}
		if len(r.Assertions) != 1 {
			return assertion{}, errors.New("the SAML response does not hold exactly one assertion")
		}
		x = r.Assertions[0]
	default:
		return assertion{}, errors.New("not a SAML 2.0 assertion")
	}
	a := assertion{key: x.ID, issuer: strings.TrimSpace(x.Issuer), nameID: strings.TrimSpace(x.NameID)}
	if a.key == "" {
		sum := sha256.Sum256(raw)
		a.key = "sha256:" + hex.EncodeToString(sum[:])
	}
	if a.nameID == "" {
		return assertion{}, errors.New("assertion has no NameID")
	}
	if x.Cond == nil || x.Cond.NotOnOrAfter == "" {
		return assertion{}, errors.New("assertion has no Conditions NotOnOrAfter")
	}
	if a.notOnOrAfter, err = time.Parse(time.RFC3339Nano, x.Cond.NotOnOrAfter); err != nil {
		return assertion{}, fmt.Errorf("assertion NotOnOrAfter %q is not a dateTime", x.Cond.NotOnOrAfter)
	}
	if x.Cond.NotBefore != "" {
		if a.notBefore, err = time.Parse(time.RFC3339Nano, x.Cond.NotBefore); err != nil {
			return assertion{}, fmt.Errorf("assertion NotBefore %q is not a dateTime", x.Cond.NotBefore)
		}
	}
	return a, nil
}

// rootElement returns the name of the document's first element.
func rootElement(raw []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

// check returns why the grant refuses the assertion at now, "" if it does not: an issuer
// other than issuer, NotOnOrAfter passed or NotBefore to come.
func (a assertion) check(issuer string, now time.Time) string {
	switch {
	case a.issuer != issuer:
		return "assertion issuer is not trusted"
	case !now.Before(a.notOnOrAfter):
		return "assertion expired"
	case !a.notBefore.IsZero() && now.Before(a.notBefore):
		return "assertion not yet valid"
	}
	return ""
}

// Assertion returns a minimal unsigned SAML 2.0 Assertion, as XML, that the SAML2 bearer
// grant accepts until notOnOrAfter when issuer is the org's SAMLIssuer and email an active
// user's: Issuer, Subject with NameID email, and Conditions from a minute before now (or
// before notOnOrAfter, if earlier) to notOnOrAfter. Its ID is random, so each call returns
// an assertion that can be used once. The grant wants it in standard base64.
func Assertion(issuer, email string, notOnOrAfter time.Time) string {
	var id [16]byte
	randRead(id[:])
	now := time.Now().UTC()
	notBefore := now.Add(-time.Minute)
	if notOnOrAfter.Before(notBefore) {
		notBefore = notOnOrAfter.Add(-time.Minute)
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
		return b.String()
	}
	return `<saml2:Assertion xmlns:saml2="` + samlAssertionNS + `" ID="_` + hex.EncodeToString(id[:]) +
		`" IssueInstant="` + ts(now) + `" Version="2.0">` +
		`<saml2:Issuer>` + esc(issuer) + `</saml2:Issuer>` +
		`<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">` + esc(email) +
		`</saml2:NameID><saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
		`<saml2:SubjectConfirmationData NotOnOrAfter="` + ts(notOnOrAfter) + `"/></saml2:SubjectConfirmation></saml2:Subject>` +
		`<saml2:Conditions NotBefore="` + ts(notBefore) + `" NotOnOrAfter="` + ts(notOnOrAfter) + `"/>` +
		`</saml2:Assertion>`
}
