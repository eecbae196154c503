//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"slices"
	"time"
)

// A tls13Client is the load generator of the handshake row: a minimal TLS
// 1.3 client that makes one full handshake per connection, as a server
// sees it, with less work of its own than crypto/tls does. It offers exactly one
// configuration (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519; ECDSA P-256 or
// RSA-PSS signatures), and it verifies what any client verifies: the
// server's CertificateVerify signature with the leaf certificate's key and
// the server's Finished. Like InsecureSkipVerify, it does not validate the
// certificate chain. It keeps no sessions: every handshake is full.
//
// Its X25519 key share is made once and offered in every handshake; the
// server still makes its own ephemeral key and computes the shared secret
// each time. A tls13Client makes one connection at a time: each goroutine
// of the generator has its own, with its buffers.
type tls13Client struct {
	dialer  net.Dialer
	timeout time.Duration // per connection, handshake to close
	key     *ecdh.PrivateKey
	hello   []byte // the ClientHello record; random refreshed per handshake
	random  []byte // hello's random

	conn       net.Conn
	in         []byte // received bytes, in[r:w] not yet parsed
	r, w       int
	hs         []byte // decrypted handshake bytes not yet parsed
	hsBuf      []byte // hs's storage when it is empty
	out        []byte // records to send
	signed     []byte // the content a CertificateVerify signs
	transcript hash.Hash
	th         [sha256.Size]byte // a transcript hash
	kdf        hkdfSHA256
	s          secrets
	dec        *trafficKeys // the server's keys; nil before ServerHello
	serverKeys trafficKeys  // handshake, then application
	clientKeys trafficKeys  // handshake
	appKeys    trafficKeys  // application
}

// secrets are one handshake's secrets (RFC 8446 §7.1), kept in the
// client to spare allocations.
type secrets struct {
	handshake, clientHS, serverHS, derived, master, clientAP, serverAP, finished [sha256.Size]byte
	finishedMsg                                                                  [4 + sha256.Size]byte
}

// TLS 1.3 wire values (RFC 8446).
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23

	msgServerHello         = 2
	msgEncryptedExtensions = 8
	msgCertificate         = 11
	msgCertificateVerify   = 15
	msgFinished            = 20

	extSupportedGroups   = 10
	extSignatureAlgs     = 13
	extSupportedVersions = 43
	extPSKModes          = 45
	extKeyShare          = 51

	sigECDSAP256SHA256  = 0x0403
	sigRSAPSSRSAESHA256 = 0x0804
	sigRSAPKCS1SHA256   = 0x0401

	alertCloseNotify  = 0
	alertUserCanceled = 90

	versionTLS13     = 0x0304
	suiteAES128GCM   = 0x1301
	groupX25519      = 0x001d
	maxCiphertext    = 1<<14 + 256 // RFC 8446 §5.2
	maxHandshakeSize = 1 << 16     // larger messages are refused
)

// certVerifyContext prefixes what a server's CertificateVerify signs
// (RFC 8446 §4.4.3).
var certVerifyContext = append(bytes.Repeat([]byte{' '}, 64), "TLS 1.3, server CertificateVerify\x00"...)

// helloRetryRandom is the random of a HelloRetryRequest (RFC 8446 §4.1.3).
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// The parts of the key schedule without a PSK that do not depend on the
// handshake (RFC 8446 §7.1): SHA-256 of nothing, and the salt of the
// handshake secret, Derive-Secret(HKDF-Extract(0, 0), "derived", "").
var (
	emptyHash     = sha256.Sum256(nil)
	zeroSecret    = make([]byte, sha256.Size)
	handshakeSalt = func() []byte {
		h := newHKDF()
		early := h.extract(nil, zeroSecret, zeroSecret)
		return h.expandLabel(nil, early, "derived", emptyHash[:], sha256.Size)
	}()
)

// newTLS13Client returns a client with a fresh X25519 key share and
// buffers, whose connections each end within timeout.
func newTLS13Client(timeout time.Duration) (*tls13Client, error) {
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &tls13Client{
		dialer:     net.Dialer{KeepAlive: -1}, // four setsockopt calls fewer per connection
		timeout:    timeout,
		key:        key,
		in:         make([]byte, 2*(5+maxCiphertext)),
		hsBuf:      make([]byte, 0, 8<<10),
		out:        make([]byte, 0, 512),
		signed:     make([]byte, 0, len(certVerifyContext)+sha256.Size),
		transcript: sha256.New(),
		kdf:        *newHKDF(),
	}
	c.hello, c.random = clientHello(key.PublicKey().Bytes())
	return c, nil
}

// clientHello returns the ClientHello record offering share, and the slice
// of it that holds the random.
func clientHello(share []byte) (record, random []byte) {
	ext := []byte{
		0, extSupportedVersions, 0, 3, 2, versionTLS13 >> 8, versionTLS13 & 0xff,
		0, extSupportedGroups, 0, 4, 0, 2, 0, groupX25519,
		0, extSignatureAlgs, 0, 8, 0, 6,
		sigECDSAP256SHA256 >> 8, sigECDSAP256SHA256 & 0xff,
		sigRSAPSSRSAESHA256 >> 8, sigRSAPSSRSAESHA256 & 0xff,
		sigRSAPKCS1SHA256 >> 8, sigRSAPKCS1SHA256 & 0xff,
		// psk_dhe_ke, as real clients send: without it a Go server
		// sends no session tickets (OpenSSL sends its two either way),
		// though this client never uses one.
		0, extPSKModes, 0, 2, 1, 1,
		0, extKeyShare, 0, byte(6 + len(share)), 0, byte(4 + len(share)), 0, groupX25519, 0, byte(len(share)),
	}
	ext = append(ext, share...)
	body := []byte{3, 3} // legacy_version TLS 1.2
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)                                            // legacy_session_id: empty
	body = append(body, 0, 2, suiteAES128GCM>>8, suiteAES128GCM&0xff) // cipher_suites
	body = append(body, 1, 0)                                         // legacy_compression_methods: null
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	n := 4 + len(body)
	record = []byte{recordHandshake, 3, 1, byte(n >> 8), byte(n), 1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	record = append(record, body...)
	return record, record[5+4+2 : 5+4+2+32]
}

// shortTLS connects to addr, makes a full handshake, sends the payload and
// close_notify, and reads until the server closes.
func (c *tls13Client) shortTLS(ctx context.Context, addr string) error {
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	conn.SetDeadline(time.Now().Add(c.timeout))
	c.conn, c.r, c.w, c.hs, c.dec = conn, 0, 0, nil, nil
	err = c.exchange()
	c.conn, c.dec = nil, nil
	switch {
	case err != nil && ctx.Err() != nil:
		return context.Cause(ctx)
	case err != nil:
		return fmt.Errorf("lean TLS client: %w", err)
	}
	return nil
}

// exchange runs one connection on c.conn.
func (c *tls13Client) exchange() error {
	rand.Read(c.random)
	c.transcript.Reset()
	c.transcript.Write(c.hello[5:])
	if _, err := c.conn.Write(c.hello); err != nil {
		return fmt.Errorf("sending ClientHello: %w", err)
	}

	msg, err := c.readMessage(msgServerHello, "ServerHello")
	if err != nil {
		return err
	}
	share, err := parseServerHello(msg)
	if err != nil {
		return err
	}
	if len(c.hs) > 0 {
		return errors.New("handshake data after ServerHello in the same record")
	}
	c.transcript.Write(msg)
	peer, err := ecdh.X25519().NewPublicKey(share)
	if err != nil {
		return fmt.Errorf("server's key share: %w", err)
	}
	shared, err := c.key.ECDH(peer)
	if err != nil {
		return fmt.Errorf("X25519: %w", err)
	}
	h, ks := &c.kdf, &c.s
	h.extract(ks.handshake[:0], handshakeSalt, shared)
	th := c.transcript.Sum(c.th[:0])
	h.expandLabel(ks.clientHS[:0], ks.handshake[:], "c hs traffic", th, sha256.Size)
	h.expandLabel(ks.serverHS[:0], ks.handshake[:], "s hs traffic", th, sha256.Size)
	if err := c.setKeys(&c.serverKeys, ks.serverHS[:]); err != nil {
		return err
	}
	c.dec = &c.serverKeys

	if msg, err = c.readMessage(msgEncryptedExtensions, "EncryptedExtensions"); err != nil {
		return err
	}
	c.transcript.Write(msg)

	if msg, err = c.readMessage(msgCertificate, "Certificate"); err != nil {
		return err
	}
	pub, err := leafKey(msg)
	if err != nil {
		return err
	}
	c.transcript.Write(msg)

	if msg, err = c.readMessage(msgCertificateVerify, "CertificateVerify"); err != nil {
		return err
	}
	if err := c.verifySignature(pub, msg, c.transcript.Sum(c.th[:0])); err != nil {
		return err
	}
	c.transcript.Write(msg)

	if msg, err = c.readMessage(msgFinished, "Finished"); err != nil {
		return err
	}
	if !hmac.Equal(msg[4:], c.finishedMAC(ks.serverHS[:], c.transcript.Sum(c.th[:0]))) {
		return errors.New("server's Finished does not match the handshake")
	}
	c.transcript.Write(msg)
	if len(c.hs) > 0 {
		return errors.New("handshake data after the server's Finished in the same record")
	}

	th = c.transcript.Sum(c.th[:0])
	h.expandLabel(ks.derived[:0], ks.handshake[:], "derived", emptyHash[:], sha256.Size)
	h.extract(ks.master[:0], ks.derived[:], zeroSecret)
	h.expandLabel(ks.clientAP[:0], ks.master[:], "c ap traffic", th, sha256.Size)
	h.expandLabel(ks.serverAP[:0], ks.master[:], "s ap traffic", th, sha256.Size)
	if err := c.setKeys(&c.clientKeys, ks.clientHS[:]); err != nil {
		return err
	}
	if err := c.setKeys(&c.appKeys, ks.clientAP[:]); err != nil {
		return err
	}
	if err := c.setKeys(&c.serverKeys, ks.serverAP[:]); err != nil {
		return err
	}
	ks.finishedMsg = [4 + sha256.Size]byte{msgFinished, 0, 0, sha256.Size}
	copy(ks.finishedMsg[4:], c.finishedMAC(ks.clientHS[:], th))
	// One write each, as crypto/tls does, so that the server reads them
	// as it would from the client the row used before.
	if err := c.send(&c.clientKeys, recordHandshake, ks.finishedMsg[:], "Finished"); err != nil {
		return err
	}
	if err := c.send(&c.appKeys, recordApplicationData, []byte(payload), "the payload"); err != nil {
		return err
	}
	if err := c.send(&c.appKeys, recordAlert, []byte{1, alertCloseNotify}, "close_notify"); err != nil {
		return err
	}
	return c.drain()
}

// send writes one record sealed with k.
func (c *tls13Client) send(k *trafficKeys, typ byte, data []byte, what string) error {
	c.out = k.seal(c.out[:0], typ, data)
	if _, err := c.conn.Write(c.out); err != nil {
		return fmt.Errorf("sending %s: %w", what, err)
	}
	return nil
}

// drain reads what the server sends after its Finished until it closes:
// session tickets, data and close_notify are dropped, any other alert is
// an error.
func (c *tls13Client) drain() error {
	for {
		hdr, body, err := c.readRecord()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("waiting for the server to close: %w", err)
		}
		if hdr[0] != recordApplicationData {
			return fmt.Errorf("waiting for the server to close: unexpected record type %d", hdr[0])
		}
		typ, plain, err := c.dec.open(hdr, body)
		if err != nil {
			return fmt.Errorf("waiting for the server to close: %w", err)
		}
		if typ == recordAlert {
			if len(plain) != 2 {
				return errors.New("waiting for the server to close: malformed alert")
			}
			if plain[1] != alertCloseNotify && plain[1] != alertUserCanceled {
				return fmt.Errorf("waiting for the server to close: server sent alert: %w", tls.AlertError(plain[1]))
			}
		}
	}
}

// readMessage returns the next handshake message, header included, which
// must be of type typ; it stays valid until the next call.
func (c *tls13Client) readMessage(typ byte, name string) ([]byte, error) {
	msg, err := c.nextMessage()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if msg[0] != typ {
		return nil, fmt.Errorf("reading %s: got handshake message type %d", name, msg[0])
	}
	return msg, nil
}

// nextMessage reassembles the next handshake message from records,
// decrypting them once c.dec is set.
func (c *tls13Client) nextMessage() ([]byte, error) {
	for {
		if len(c.hs) >= 4 {
			n := 4 + (int(c.hs[1])<<16 | int(c.hs[2])<<8 | int(c.hs[3]))
			if n > maxHandshakeSize {
				return nil, fmt.Errorf("handshake message of %d bytes", n)
			}
			if len(c.hs) >= n {
				msg := c.hs[:n:n]
				c.hs = c.hs[n:]
				return msg, nil
			}
		}
		hdr, body, err := c.readRecord()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		typ := hdr[0]
		if typ == recordChangeCipherSpec {
			if len(body) != 1 || body[0] != 1 {
				return nil, errors.New("malformed ChangeCipherSpec")
			}
			continue // middlebox compatibility (RFC 8446 §5): ignored
		}
		if c.dec != nil {
			if typ != recordApplicationData {
				return nil, fmt.Errorf("unencrypted record of type %d after ServerHello", typ)
			}
			if typ, body, err = c.dec.open(hdr, body); err != nil {
				return nil, err
			}
		} else if typ == recordApplicationData {
			return nil, errors.New("encrypted record before ServerHello")
		}
		switch typ {
		case recordAlert:
			if len(body) != 2 {
				return nil, errors.New("malformed alert")
			}
			return nil, fmt.Errorf("server sent alert: %w", tls.AlertError(body[1]))
		case recordHandshake:
			if len(body) == 0 {
				return nil, errors.New("empty handshake record")
			}
			if len(c.hs) == 0 {
				c.hs = c.hsBuf[:0]
			}
			c.hs = append(c.hs, body...)
			if cap(c.hs) > cap(c.hsBuf) {
				c.hsBuf = c.hs[:0]
			}
		default:
			return nil, fmt.Errorf("unexpected record type %d", typ)
		}
	}
}

// readRecord returns the next record's header and body, which stay valid
// until the next call. It returns io.EOF if the server closes between
// records.
func (c *tls13Client) readRecord() (hdr, body []byte, err error) {
	if err := c.fill(5); err != nil {
		return nil, nil, err
	}
	h := c.in[c.r : c.r+5]
	if h[1] != 3 {
		return nil, nil, fmt.Errorf("not a TLS record: % x", h)
	}
	n := int(binary.BigEndian.Uint16(h[3:]))
	if n > maxCiphertext {
		return nil, nil, fmt.Errorf("record of %d bytes", n)
	}
	if err := c.fill(5 + n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	hdr, body = c.in[c.r:c.r+5], c.in[c.r+5:c.r+5+n]
	c.r += 5 + n
	return hdr, body, nil
}

// fill reads until c.in holds n unparsed bytes. It returns io.EOF if the
// server closed with none.
func (c *tls13Client) fill(n int) error {
	if c.w-c.r >= n {
		return nil
	}
	if c.r+n > len(c.in) {
		c.w = copy(c.in, c.in[c.r:c.w])
		c.r = 0
	}
	for {
		m, err := c.conn.Read(c.in[c.w:])
		c.w += m
		switch {
		case c.w-c.r >= n:
			return nil
		case err == io.EOF && c.w > c.r:
			return io.ErrUnexpectedEOF
		case err != nil:
			return err
		}
	}
}

// parseServerHello checks that a ServerHello picked what the ClientHello
// offered and returns the server's X25519 share.
func parseServerHello(msg []byte) ([]byte, error) {
	p := parser{b: msg[4:]}
	version := p.u16()
	random := p.bytes(32)
	sessionID := p.vec8()
	suite := p.u16()
	compression := p.u8()
	exts := parser{b: p.vec16()}
	if !p.done() {
		return nil, errors.New("malformed ServerHello")
	}
	switch {
	case bytes.Equal(random, helloRetryRandom):
		return nil, errors.New("server sent a HelloRetryRequest")
	case version != 0x0303 || len(sessionID) != 0 || compression != 0:
		return nil, errors.New("ServerHello does not answer the ClientHello")
	case suite != suiteAES128GCM:
		return nil, fmt.Errorf("server chose cipher suite %#04x", suite)
	}
	var chosen uint16
	var share []byte
	for !exts.bad && len(exts.b) > 0 {
		typ, data := exts.u16(), parser{b: exts.vec16()}
		switch typ {
		case extSupportedVersions:
			chosen = data.u16()
		case extKeyShare:
			if group := data.u16(); group != groupX25519 {
				return nil, fmt.Errorf("server chose group %#04x", group)
			}
			share = data.vec16()
		default:
			continue
		}
		if !data.done() {
			return nil, errors.New("malformed ServerHello extension")
		}
	}
	switch {
	case exts.bad:
		return nil, errors.New("malformed ServerHello extensions")
	case chosen != versionTLS13:
		return nil, fmt.Errorf("server did not choose TLS 1.3 (supported_versions %#04x)", chosen)
	case len(share) != 32:
		return nil, errors.New("ServerHello without an X25519 key share")
	}
	return share, nil
}

// leafKey returns the public key of the first certificate of a
// Certificate message.
func leafKey(msg []byte) (crypto.PublicKey, error) {
	p := parser{b: msg[4:]}
	reqContext := p.vec8()
	list := parser{b: p.vec24()}
	if !p.done() || len(reqContext) != 0 {
		return nil, errors.New("malformed Certificate")
	}
	leaf := list.vec24()
	list.vec16() // the leaf's extensions
	if list.bad || len(leaf) == 0 {
		return nil, errors.New("server sent no certificate")
	}
	cert, err := x509.ParseCertificate(leaf)
	if err != nil {
		return nil, fmt.Errorf("server's certificate: %w", err)
	}
	return cert.PublicKey, nil
}

// verifySignature checks a CertificateVerify message against pub and the
// transcript hash th up to the Certificate.
func (c *tls13Client) verifySignature(pub crypto.PublicKey, msg, th []byte) error {
	p := parser{b: msg[4:]}
	alg := p.u16()
	sig := p.vec16()
	if !p.done() {
		return errors.New("malformed CertificateVerify")
	}
	c.signed = append(append(c.signed[:0], certVerifyContext...), th...)
	digest := sha256.Sum256(c.signed)
	ok := false
	switch alg {
	case sigECDSAP256SHA256:
		key, isECDSA := pub.(*ecdsa.PublicKey)
		if !isECDSA || key.Curve != elliptic.P256() {
			return errors.New("ecdsa_secp256r1_sha256 CertificateVerify with a certificate key that is not P-256")
		}
		ok = ecdsa.VerifyASN1(key, digest[:], sig)
	case sigRSAPSSRSAESHA256:
		key, isRSA := pub.(*rsa.PublicKey)
		if !isRSA {
			return errors.New("rsa_pss_rsae_sha256 CertificateVerify with a certificate key that is not RSA")
		}
		ok = rsa.VerifyPSS(key, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case sigRSAPKCS1SHA256:
		return errors.New("rsa_pkcs1_sha256 CertificateVerify, which TLS 1.3 forbids (RFC 8446 §4.4.3)")
	default:
		return fmt.Errorf("CertificateVerify with signature scheme %#04x, which was not offered", alg)
	}
	if !ok {
		return errors.New("server's CertificateVerify signature does not verify with its certificate's key")
	}
	return nil
}

// trafficKeys are the AEAD and IV of one direction and key phase, and the
// record sequence number (RFC 8446 §5.3).
type trafficKeys struct {
	aead cipher.AEAD
	iv   [12]byte
	seq  uint64
}

// setKeys sets k to the AES-128-GCM key and IV of a traffic secret, and
// its sequence number to zero.
func (c *tls13Client) setKeys(k *trafficKeys, secret []byte) error {
	var key [16]byte
	block, err := aes.NewCipher(c.kdf.expandLabel(key[:0], secret, "key", nil, len(key)))
	if err != nil {
		return err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return err
	}
	c.kdf.expandLabel(k.iv[:0], secret, "iv", nil, len(k.iv))
	k.seq = 0
	return nil
}

// nonce returns the next record's nonce and advances the sequence number.
func (k *trafficKeys) nonce() [12]byte {
	n := k.iv
	for i := range 8 {
		n[4+i] ^= byte(k.seq >> (56 - 8*i))
	}
	k.seq++
	return n
}

// seal appends to out a record carrying data of content type typ.
func (k *trafficKeys) seal(out []byte, typ byte, data []byte) []byte {
	n := len(data) + 1 + k.aead.Overhead()
	out = slices.Grow(out, 5+n)
	hdr := len(out)
	out = append(out, recordApplicationData, 3, 3, byte(n>>8), byte(n))
	start := len(out)
	out = append(append(out, data...), typ)
	nonce := k.nonce()
	return k.aead.Seal(out[:start], nonce[:], out[start:], out[hdr:start])
}

// open decrypts a record in place and returns its content type and data.
func (k *trafficKeys) open(hdr, body []byte) (byte, []byte, error) {
	nonce := k.nonce()
	plain, err := k.aead.Open(body[:0], nonce[:], body, hdr)
	if err != nil {
		return 0, nil, errors.New("record does not decrypt (bad record MAC)")
	}
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, errors.New("record without a content type")
	}
	return plain[i], plain[:i], nil
}

// finishedMAC returns the verify_data of a Finished message from the side
// whose handshake traffic secret is secret, over the transcript hash th;
// it is valid until the next use of c.kdf.
func (c *tls13Client) finishedMAC(secret, th []byte) []byte {
	key := c.kdf.expandLabel(c.s.finished[:0], secret, "finished", nil, sha256.Size)
	return c.kdf.mac(c.kdf.out[:0], key, th)
}

// An hkdfSHA256 computes HMAC-SHA256 (RFC 2104), HKDF-Extract (RFC 5869) and
// HKDF-Expand-Label (RFC 8446 §7.1) with two reused SHA-256 digests.
type hkdfSHA256 struct {
	inner, outer hash.Hash
	pad          [sha256.BlockSize]byte
	sum, out     [sha256.Size]byte
	info         []byte
}

func newHKDF() *hkdfSHA256 {
	return &hkdfSHA256{inner: sha256.New(), outer: sha256.New(), info: make([]byte, 0, 64)}
}

// mac appends to dst the HMAC-SHA256 of the concatenated parts under key,
// which is at most a block long (ours are 32 bytes).
func (h *hkdfSHA256) mac(dst, key []byte, parts ...[]byte) []byte {
	if len(key) > len(h.pad) {
		panic("HMAC key longer than a block")
	}
	for i := range h.pad {
		h.pad[i] = 0x36
	}
	for i, b := range key {
		h.pad[i] ^= b
	}
	h.inner.Reset()
	h.inner.Write(h.pad[:])
	for _, p := range parts {
		h.inner.Write(p)
	}
	for i := range h.pad {
		h.pad[i] ^= 0x36 ^ 0x5c
	}
	h.outer.Reset()
	h.outer.Write(h.pad[:])
	h.outer.Write(h.inner.Sum(h.sum[:0]))
	return h.outer.Sum(dst)
}

// extract appends HKDF-Extract(salt, secret) to dst.
func (h *hkdfSHA256) extract(dst, salt, secret []byte) []byte {
	return h.mac(dst, salt, secret)
}

// expandLabel appends HKDF-Expand-Label(secret, label, context, n) to dst
// for n ≤ 32, which is one HMAC block of output.
func (h *hkdfSHA256) expandLabel(dst, secret []byte, label string, context []byte, n int) []byte {
	h.info = append(h.info[:0], byte(n>>8), byte(n), byte(len("tls13 ")+len(label)))
	h.info = append(h.info, "tls13 "...)
	h.info = append(h.info, label...)
	h.info = append(h.info, byte(len(context)))
	h.info = append(h.info, context...)
	h.info = append(h.info, 1)
	return append(dst, h.mac(h.out[:0], secret, h.info)[:n]...)
}

// A parser reads TLS presentation-language fields; a short read sets bad
// and yields zeros from then on.
type parser struct {
	b   []byte
	bad bool
}

func (p *parser) bytes(n int) []byte {
	if p.bad || len(p.b) < n {
		p.bad = true
		return nil
	}
	v := p.b[:n:n]
	p.b = p.b[n:]
	return v
}

func (p *parser) u8() byte {
	if b := p.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (p *parser) u16() uint16 {
	if b := p.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (p *parser) u24() int {
	if b := p.bytes(3); b != nil {
		return int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	}
	return 0
}

func (p *parser) vec8() []byte  { return p.bytes(int(p.u8())) }
func (p *parser) vec16() []byte { return p.bytes(int(p.u16())) }
func (p *parser) vec24() []byte { return p.bytes(p.u24()) }

// done reports whether p read all of its bytes without a short read.
func (p *parser) done() bool { return !p.bad && len(p.b) == 0 }
