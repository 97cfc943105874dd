package party

import (
	"crypto/ed25519"
	"encoding/base64"
	"math/big"

	"truce/ledger"
)

// validKey checks a member's public key as the ledger records it: 32 bytes
// in padded standard base64, spelled as an encoder spells them, so that a
// key has one spelling and "no key is registered twice" can compare text;
// and the canonical encoding of a point of the curve that is not of small
// order.
//
// A small-order key (the identity, among others) verifies a signature that
// anyone can make, so a member registered with one could later disown its
// statements; and a non-canonical encoding is a second spelling of a point
// whose owner, if it had one, could sign under both. Keys from
// ed25519.GenerateKey are never either.
func validKey(field, b64 string) error {
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(k) != ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(k) != b64 {
		return ledger.Invalid(field, "must be a base64 ed25519 public key of 32 bytes (44 characters, standard alphabet, padded)")
	}
	if why := weakKey(k); why != "" {
		return ledger.Invalid(field, "is not a usable ed25519 public key: %s", why)
	}
	return nil
}

var (
	curveP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// curveD is -121665/121666 mod p, the constant of edwards25519.
	curveD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), curveP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, curveP)
	}()
)

// weakKey says why the 32-byte encoded point k is unusable as a public key,
// or "" when it is not: not canonical (y ≥ p, or x = 0 with its sign bit
// set), not on the curve, or of small order. The eight points of small
// order are those with y = 1 (the identity), y = -1 (order 2), y = 0 (order
// 4), and the four of order 8, whose y solves d·y⁴ + 2y² - 1 = 0 (doubling
// them gives y = 0).
func weakKey(k []byte) string {
	le := make([]byte, 32)
	for i := range le {
		le[i] = k[31-i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7F
	y := new(big.Int).SetBytes(le)
	if y.Cmp(curveP) >= 0 {
		return "not the canonical encoding of a point"
	}
	p := curveP
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, p)
	// x² = (y² - 1) / (d·y² + 1)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, p)
	v := new(big.Int).Mul(curveD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, p)
	x2 := new(big.Int).ModInverse(v, p)
	if x2 == nil {
		return "not a point of the curve"
	}
	x2.Mul(x2, u)
	x2.Mod(x2, p)
	switch {
	case x2.Sign() == 0 && sign == 1:
		return "not the canonical encoding of a point"
	case x2.Sign() != 0 && big.Jacobi(x2, p) != 1:
		return "not a point of the curve"
	}
	// d·y⁴ + 2y² - 1
	q := new(big.Int).Mul(curveD, y2)
	q.Mul(q, y2)
	q.Add(q, new(big.Int).Lsh(y2, 1))
	q.Sub(q, big.NewInt(1))
	q.Mod(q, p)
	if y.Sign() == 0 || u.Sign() == 0 || q.Sign() == 0 { // y = 0; y = ±1; order 8
		return "a point of small order, under which anyone can make a signature that verifies"
	}
	return ""
}
