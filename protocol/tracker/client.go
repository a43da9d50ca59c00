package tracker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// AnnounceTimeout bounds one announce: dial, request and response.
const AnnounceTimeout = 15 * time.Second

// maxAnnounceResponse bounds the body Announce reads. 200 peers in
// non-compact form take well under 64 KiB.
const maxAnnounceResponse = 1 << 20

// Announce sends one announce to an http:// tracker and returns its answer.
// A tracker "failure reason" comes back as an error that quotes it.
// Redirects are not followed; https and udp trackers are not supported.
func Announce(e env.Env, announceURL string, req AnnounceRequest) (AnnounceResponse, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce URL %q: %v", announceURL, err)
	}
	if u.Scheme != "http" {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce URL %q: scheme %q not supported (only http)", announceURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce URL %q has no host", announceURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	target += "?" + announceQueryString(u.RawQuery, req)

	body, err := httpGet(e, host, u.Host, target)
	if err != nil {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce to %s: %w", u.Host, err)
	}
	resp, err := decodeAnnounce(body)
	if err != nil {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce to %s: %w", u.Host, err)
	}
	return resp, nil
}

// announceQueryString builds the announce query, after any query the
// announce URL already carries (private trackers put a passkey there).
func announceQueryString(existing string, req AnnounceRequest) string {
	var b strings.Builder
	if existing != "" {
		b.WriteString(existing)
		b.WriteByte('&')
	}
	// info_hash and peer_id are raw bytes: escape every byte outside the
	// unreserved set, since trackers do not all read '+' as a space.
	b.WriteString(ParamInfoHash + "=" + escapeBytes(req.InfoHash[:]))
	b.WriteString("&" + ParamPeerID + "=" + escapeBytes(req.PeerID[:]))
	v := url.Values{}
	v.Set(ParamPort, strconv.Itoa(int(req.Port)))
	v.Set(ParamUploaded, strconv.FormatInt(req.Uploaded, 10))
	v.Set(ParamDownloaded, strconv.FormatInt(req.Downloaded, 10))
	v.Set(ParamLeft, strconv.FormatInt(req.Left, 10))
	v.Set(ParamCompact, "1")
	if req.Event != EventNone {
		v.Set(ParamEvent, req.Event)
	}
	if req.NumWant > 0 {
		v.Set(ParamNumWant, strconv.Itoa(req.NumWant))
	}
	if req.Key != "" {
		v.Set(ParamKey, req.Key)
	}
	for k, vals := range req.Extra {
		v[k] = append(v[k], vals...)
	}
	b.WriteByte('&')
	b.WriteString(v.Encode()) // sorted by key: the request is deterministic
	return b.String()
}

// httpGet sends one GET over a fresh connection and returns the 200 body.
// dialAddr is host:port; hostHeader is what the URL named.
func httpGet(e env.Env, dialAddr, hostHeader, target string) ([]byte, error) {
	c, err := e.Dial("tcp", dialAddr, AnnounceTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(e.Now().Add(AnnounceTimeout)); err != nil {
		return nil, err
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bttls\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n", target, hostHeader)
	if _, err := c.Write(req.Bytes()); err != nil {
		return nil, fmt.Errorf("sending request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnnounceResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if len(body) > maxAnnounceResponse {
		return nil, fmt.Errorf("response body exceeds %d bytes", maxAnnounceResponse)
	}
	if resp.StatusCode != http.StatusOK {
		// Some trackers send a bencoded failure with a 4xx: prefer its text.
		var fe *FailureError
		if _, err := decodeAnnounce(body); errors.As(err, &fe) {
			return nil, err
		}
		return nil, fmt.Errorf("HTTP status %q: %s", resp.Status, snippet(body))
	}
	return body, nil
}

// snippet quotes the start of a body for an error message.
func snippet(b []byte) string {
	const max = 80
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
