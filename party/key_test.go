package party

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"

	"truce/ledger"
)

// encode is the 32-byte encoding of the point with coordinate y and the
// given sign bit of x (y need not be reduced).
func encode(y *big.Int, sign byte) []byte {
	be := y.FillBytes(make([]byte, 32))
	k := make([]byte, 32)
	for i := range k {
		k[i] = be[31-i]
	}
	k[31] |= sign << 7
	return k
}

func TestKeys(t *testing.T) {
	for range 200 {
		pub, _, _ := ed25519.GenerateKey(nil)
		if err := validKey("k", base64.StdEncoding.EncodeToString(pub)); err != nil {
			t.Fatalf("generated key %x refused: %v", pub, err)
		}
	}
	p := curveP
	// The y of the order-8 points: y² = (-1 ± √(1+d)) / d.
	var order8 []*big.Int
	root := new(big.Int).ModSqrt(new(big.Int).Add(curveD, big.NewInt(1)), p)
	for _, r := range []*big.Int{root, new(big.Int).Sub(p, root)} {
		y2 := new(big.Int).Sub(r, big.NewInt(1))
		y2.Mul(y2, new(big.Int).ModInverse(curveD, p))
		y2.Mod(y2, p)
		if y := new(big.Int).ModSqrt(y2, p); y != nil {
			order8 = append(order8, y, new(big.Int).Sub(p, y))
		}
	}
	if len(order8) != 2 {
		t.Fatalf("found %d y of order-8 points, want 2 (±y)", len(order8))
	}
	if got := encode(order8[0], 0); got[0] != 0x26 && got[0] != 0xc7 {
		t.Fatalf("order-8 point %x is not libsodium's", got)
	}
	weak := map[string][]byte{
		"identity":           encode(big.NewInt(1), 0),
		"order 2":            encode(new(big.Int).Sub(p, big.NewInt(1)), 0),
		"order 4":            encode(big.NewInt(0), 0),
		"order 4, negative":  encode(big.NewInt(0), 1),
		"order 8":            encode(order8[0], 0),
		"order 8, negative":  encode(order8[1], 1),
		"identity, y = p+1":  encode(new(big.Int).Add(p, big.NewInt(1)), 0),
		"y = p":              encode(p, 0),
		"identity, -0":       encode(big.NewInt(1), 1),
		"all ones":           []byte(strings.Repeat("\xff", 32)),
		"not on the curve 2": encode(big.NewInt(2), 0),
	}
	for name, k := range weak {
		err := validKey("k", base64.StdEncoding.EncodeToString(k))
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != "k" {
			t.Errorf("%s (%x) accepted: %v", name, k, err)
		}
	}
	// Why: under the identity key, R = identity and S = 0 verify for any
	// message, so no signature would bind its member.
	forged := append(encode(big.NewInt(1), 0), make([]byte, 32)...)
	if !ed25519.Verify(weak["identity"], []byte("anything at all"), forged) {
		t.Log("crypto/ed25519 refuses the identity key's forgery; the check stays for other verifiers")
	}
	// One key, one spelling: the stray bits of the last character, line
	// breaks and missing padding are refused.
	pub, _, _ := ed25519.GenerateKey(nil)
	good := base64.StdEncoding.EncodeToString(pub)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	stray := good[:42] + string(alphabet[strings.IndexByte(alphabet, good[42])^1]) + "="
	for _, k := range []string{stray, good[:20] + "\n" + good[20:], strings.TrimRight(good, "="), " " + good, ""} {
		if err := validKey("k", k); err == nil {
			t.Errorf("key spelled %q accepted", k)
		}
	}
}
