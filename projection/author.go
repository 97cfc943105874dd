package projection

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"

	"truce/ledger"
	"truce/party"
)

// ErrTampered: a stored projection row is not what the fold wrote (its seal
// is broken). The centre refuses to serve it and raises an alarm.
var ErrTampered = errors.New("a stored record was changed on disk")

// AuthorKey is the key a statement must verify under when the ledger is
// folded again: the operator's, from the opening statement itself, or the
// author's as member reads it at that point of the fold.
func AuthorKey(member func(id string) (*party.Member, error), s *ledger.Signed) (ed25519.PublicKey, error) {
	if s.Statement.Type == party.TypeOpen {
		var o party.Open
		if err := ledger.Decode(s.Statement.Payload, &o); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(o.Key)
	}
	m, err := member(s.Statement.Author)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("unknown author %s", s.Statement.Author)
	}
	return m.Key(), nil
}
