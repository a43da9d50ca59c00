package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"
)

// PeerCertificate completes a TLS handshake with addr (no SNI, no
// verification, as a prober) and returns the leaf certificate.
func PeerCertificate(addr string) (*x509.Certificate, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("probe: dial %s: %w", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("probe: handshake with %s: %w", addr, err)
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, fmt.Errorf("probe: %s sent no certificate", addr)
	}
	return certs[0], nil
}

// CertFingerprints lists what would let a prober recognise the software
// that made these certificates, each taken from a different server process
// started at started[i]: a subject, issuer or SAN shared by two processes;
// a serial with fewer than 64 random bits (CA/B Forum baseline) or shared;
// a validity not a whole number of days or unlike any public CA's (more
// than 398 days); a NotBefore equal to the process start (to the second),
// which dates the process; an unusual key type.
func CertFingerprints(certs []*x509.Certificate, started []time.Time) []string {
	var issues []string
	seen := map[string]int{}
	for i, c := range certs {
		vals := []string{"subject " + c.Subject.String(), "serial " + c.SerialNumber.String(), fmt.Sprint("SAN ", c.DNSNames)}
		if c.Issuer.String() != c.Subject.String() { // self-signed: the subject check covers it
			vals = append(vals, "issuer "+c.Issuer.String())
		}
		for _, v := range vals {
			if j, ok := seen[v]; ok {
				issues = append(issues, fmt.Sprintf("certificates %d and %d share %s", j, i, v))
			}
			seen[v] = i
		}
		if c.SerialNumber.BitLen() < 64 {
			issues = append(issues, fmt.Sprintf("certificate %d: serial %s has %d bits (< 64)", i, c.SerialNumber, c.SerialNumber.BitLen()))
		}
		life := c.NotAfter.Sub(c.NotBefore)
		if life%(24*time.Hour) != 0 || life > 398*24*time.Hour {
			issues = append(issues, fmt.Sprintf("certificate %d: validity %v is not whole days ≤ 398", i, life))
		}
		if i < len(started) && c.NotBefore.Sub(started[i]).Abs() < 2*time.Second {
			issues = append(issues, fmt.Sprintf("certificate %d: NotBefore %v is the process start", i, c.NotBefore))
		}
		if c.PublicKeyAlgorithm != x509.ECDSA && c.PublicKeyAlgorithm != x509.RSA {
			issues = append(issues, fmt.Sprintf("certificate %d: key type %v is unusual on the web", i, c.PublicKeyAlgorithm))
		}
		if c.Subject.CommonName == "" || len(c.DNSNames) == 0 {
			issues = append(issues, fmt.Sprintf("certificate %d: no CN or no DNS SAN, unlike a web server's", i))
		}
	}
	return issues
}
