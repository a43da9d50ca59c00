package mse

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Initiate runs the initiator (A) side over rw. skey is the torrent's
// infohash; provide is the set of methods offered; ia is the initial
// payload (usually the BEP 3 handshake; may be empty). All randomness comes
// from rnd. It returns the stream to use from now on and the method B chose.
func Initiate(rw io.ReadWriter, rnd io.Reader, skey []byte, provide Method, ia []byte) (*Stream, Method, error) {
	if provide&(Plaintext|RC4) == 0 {
		return nil, 0, fmt.Errorf("mse: crypto_provide %#x offers neither plaintext nor rc4", uint32(provide))
	}
	if len(ia) > maxIA {
		return nil, 0, fmt.Errorf("mse: initial payload of %d bytes exceeds %d", len(ia), maxIA)
	}
	x, ya, err := keyPair(rnd)
	if err != nil {
		return nil, 0, err
	}
	padA, err := padding(rnd)
	if err != nil {
		return nil, 0, err
	}
	if _, err := rw.Write(append(ya, padA...)); err != nil {
		return nil, 0, fmt.Errorf("mse: sending Ya: %w", err)
	}

	hr := &handshakeReader{r: rw}
	yb, err := hr.next(pubLen)
	if err != nil {
		return nil, 0, fmt.Errorf("mse: reading Yb: %w", err)
	}
	s, err := secret(yb, x)
	if err != nil {
		return nil, 0, err
	}

	// Third flight: the sync hash, the obfuscated skey, then the encrypted
	// VC, crypto_provide, empty PadC and IA.
	req1 := hash([]byte("req1"), s)
	req2 := SKeyHash(skey)
	req3 := hash([]byte("req3"), s)
	msg := make([]byte, 0, 40+8+4+2+2+len(ia))
	msg = append(msg, req1[:]...)
	for i := range req2 {
		msg = append(msg, req2[i]^req3[i])
	}
	enc := newCipher("keyA", s, skey)
	plain := make([]byte, 0, 16+len(ia))
	plain = append(plain, vc[:]...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(provide))
	plain = binary.BigEndian.AppendUint16(plain, 0) // len(PadC)
	plain = binary.BigEndian.AppendUint16(plain, uint16(len(ia)))
	plain = append(plain, ia...)
	start := len(msg)
	msg = append(msg, plain...)
	enc.XORKeyStream(msg[start:], msg[start:])
	if _, err := rw.Write(msg); err != nil {
		return nil, 0, fmt.Errorf("mse: sending crypto_provide: %w", err)
	}

	// B's answer starts, after PadB, with ENCRYPT(VC).
	dec := newCipher("keyB", s, skey)
	var encVC [8]byte
	dec.XORKeyStream(encVC[:], vc[:])
	if err := hr.syncOn(encVC[:], maxPad); err != nil {
		return nil, 0, fmt.Errorf("mse: waiting for B's VC: %w", err)
	}
	hdr, err := hr.next(6)
	if err != nil {
		return nil, 0, fmt.Errorf("mse: reading crypto_select: %w", err)
	}
	dec.XORKeyStream(hdr, hdr)
	selected := Method(binary.BigEndian.Uint32(hdr))
	padD := int(binary.BigEndian.Uint16(hdr[4:]))
	if padD > maxPad {
		return nil, 0, fmt.Errorf("mse: len(PadD) %d exceeds %d", padD, maxPad)
	}
	if selected != Plaintext && selected != RC4 || selected&provide == 0 {
		return nil, 0, fmt.Errorf("mse: receiver selected %v, not one of the offered %#x", selected, uint32(provide))
	}
	pad, err := hr.next(padD)
	if err != nil {
		return nil, 0, fmt.Errorf("mse: reading PadD: %w", err)
	}
	dec.XORKeyStream(pad, pad)
	return newStream(hr, rw, selected, enc, dec), selected, nil
}

// Received is the outcome of a receiver handshake.
type Received struct {
	Stream *Stream
	Method Method
	// SKey is the skey (infohash) the lookup returned.
	SKey []byte
}

// Receive runs the receiver (B) side over rw. lookup maps the initiator's
// HASH('req2', SKEY) (see SKeyHash) to the skey of a served torrent. choose
// picks one method from the initiator's crypto_provide (0 refuses). The
// initial payload, if any, is the first thing read from the returned stream.
func Receive(rw io.ReadWriter, rnd io.Reader, lookup func(skeyHash [20]byte) ([]byte, bool), choose func(provided Method) Method) (*Received, error) {
	hr := &handshakeReader{r: rw}
	ya, err := hr.next(pubLen)
	if err != nil {
		return nil, fmt.Errorf("mse: reading Ya: %w", err)
	}
	y, yb, err := keyPair(rnd)
	if err != nil {
		return nil, err
	}
	s, err := secret(ya, y)
	if err != nil {
		return nil, err
	}
	padB, err := padding(rnd)
	if err != nil {
		return nil, err
	}
	if _, err := rw.Write(append(yb, padB...)); err != nil {
		return nil, fmt.Errorf("mse: sending Yb: %w", err)
	}

	req1 := hash([]byte("req1"), s)
	if err := hr.syncOn(req1[:], maxPad); err != nil {
		return nil, fmt.Errorf("mse: waiting for HASH('req1', S): %w", err)
	}
	obf, err := hr.next(20)
	if err != nil {
		return nil, fmt.Errorf("mse: reading skey hash: %w", err)
	}
	req3 := hash([]byte("req3"), s)
	var skeyHash [20]byte
	for i := range skeyHash {
		skeyHash[i] = obf[i] ^ req3[i]
	}
	skey, ok := lookup(skeyHash)
	if !ok {
		return nil, ErrNoSKey
	}

	dec := newCipher("keyA", s, skey)
	hdr, err := hr.next(14)
	if err != nil {
		return nil, fmt.Errorf("mse: reading crypto_provide: %w", err)
	}
	dec.XORKeyStream(hdr, hdr)
	if subtle.ConstantTimeCompare(hdr[:8], vc[:]) != 1 {
		return nil, errors.New("mse: initiator's VC is not zero (wrong skey or corrupt stream)")
	}
	provided := Method(binary.BigEndian.Uint32(hdr[8:]))
	padC := int(binary.BigEndian.Uint16(hdr[12:]))
	if padC > maxPad {
		return nil, fmt.Errorf("mse: len(PadC) %d exceeds %d", padC, maxPad)
	}
	rest, err := hr.next(padC + 2)
	if err != nil {
		return nil, fmt.Errorf("mse: reading PadC: %w", err)
	}
	dec.XORKeyStream(rest, rest)
	iaLen := int(binary.BigEndian.Uint16(rest[padC:]))
	ia, err := hr.next(iaLen)
	if err != nil {
		return nil, fmt.Errorf("mse: reading initial payload: %w", err)
	}
	dec.XORKeyStream(ia, ia)

	chosen := choose(provided)
	if chosen != Plaintext && chosen != RC4 || chosen&provided == 0 {
		return nil, fmt.Errorf("mse: no acceptable method in the initiator's crypto_provide %#x", uint32(provided))
	}
	enc := newCipher("keyB", s, skey)
	ans := make([]byte, 0, 14)
	ans = append(ans, vc[:]...)
	ans = binary.BigEndian.AppendUint32(ans, uint32(chosen))
	ans = binary.BigEndian.AppendUint16(ans, 0) // len(PadD)
	enc.XORKeyStream(ans, ans)
	if _, err := rw.Write(ans); err != nil {
		return nil, fmt.Errorf("mse: sending crypto_select: %w", err)
	}
	// IA arrives decrypted; the stream returns it before anything else.
	st := newStream(hr, rw, chosen, enc, dec)
	st.ia = ia
	return &Received{Stream: st, Method: chosen, SKey: skey}, nil
}
