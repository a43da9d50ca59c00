package fingerprint

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// IsGREASE reports whether v is a GREASE value (RFC 8701): 0x?a?a with both
// bytes equal. Both fingerprints ignore them.
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func noGREASE(vs []uint16) []uint16 {
	out := make([]uint16, 0, len(vs))
	for _, v := range vs {
		if !IsGREASE(v) {
			out = append(out, v)
		}
	}
	return out
}

func (h *ClientHello) extensionTypes() []uint16 {
	ts := make([]uint16, 0, len(h.Extensions))
	for _, e := range h.Extensions {
		ts = append(ts, e.Type)
	}
	return noGREASE(ts)
}

func joinDec[T uint8 | uint16](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(int(v))
	}
	return strings.Join(s, "-")
}

// JA3String is the JA3 input: SSLVersion,Ciphers,Extensions,Groups,PointFormats
// in decimal, lists dash-joined in wire order, GREASE removed.
func (h *ClientHello) JA3String() string {
	return fmt.Sprintf("%d,%s,%s,%s,%s", h.Version,
		joinDec(noGREASE(h.Ciphers)), joinDec(h.extensionTypes()),
		joinDec(noGREASE(h.SupportedGroups)), joinDec(h.PointFormats))
}

// JA3 is the MD5 of JA3String, in lowercase hex (what tshark's
// tls.handshake.ja3 reports).
func (h *ClientHello) JA3() string {
	sum := md5.Sum([]byte(h.JA3String()))
	return hex.EncodeToString(sum[:])
}

// ja4Version maps a TLS version to JA4's two characters.
func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ja4ALPN is the first and last character of the first ALPN value, "00"
// without ALPN; non-alphanumeric ends are replaced by the first and last
// hex digits of the value.
func (h *ClientHello) ja4ALPN() string {
	if len(h.ALPN) == 0 || h.ALPN[0] == "" {
		return "00"
	}
	a := h.ALPN[0]
	first, last := a[0], a[len(a)-1]
	if isAlnum(first) && isAlnum(last) {
		return string([]byte{first, last})
	}
	x := hex.EncodeToString([]byte(a))
	return string([]byte{x[0], x[len(x)-1]})
}

func hexList(vs []uint16) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%04x", v)
	}
	return strings.Join(s, ",")
}

func hash12(s string) string {
	if s == "" {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

// ja4Parts returns JA4's three sections, b and c before hashing.
func (h *ClientHello) ja4Parts() (a, b, c string) {
	version := h.Version
	if vs := noGREASE(h.SupportedVersions); len(vs) > 0 {
		version = slices.Max(vs)
	}
	sni := "i"
	if h.HasExtension(ExtServerName) {
		sni = "d"
	}
	ciphers := noGREASE(h.Ciphers)
	exts := h.extensionTypes()
	a = fmt.Sprintf("t%s%s%02d%02d%s", ja4Version(version), sni,
		min(len(ciphers), 99), min(len(exts), 99), h.ja4ALPN())

	slices.Sort(ciphers)
	b = hexList(ciphers)

	var rest []uint16
	for _, t := range exts {
		if t != ExtServerName && t != ExtALPN {
			rest = append(rest, t)
		}
	}
	slices.Sort(rest)
	c = hexList(rest)
	if sigs := noGREASE(h.SignatureAlgs); len(sigs) > 0 && c != "" {
		c += "_" + hexList(sigs)
	}
	return a, b, c
}

// JA4 is the FoxIO JA4 fingerprint over TCP, e.g.
// t13d1516h2_8daaf6152771_e5627efa2ab1: protocol and version, SNI present
// (d) or not (i), cipher and extension counts, ALPN; then the truncated
// SHA-256 of the sorted ciphers; then that of the sorted extensions (SNI and
// ALPN left out) and the signature algorithms in wire order.
func (h *ClientHello) JA4() string {
	a, b, c := h.ja4Parts()
	return a + "_" + hash12(b) + "_" + hash12(c)
}

// JA4R is JA4 before hashing ("JA4_r"), for reading what differs.
func (h *ClientHello) JA4R() string {
	a, b, c := h.ja4Parts()
	return a + "_" + b + "_" + c
}
