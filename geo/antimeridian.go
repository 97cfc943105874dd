package geo

import (
	"fmt"
	"math"

	"truce/ledger"
)

// checkAntimeridian refuses a line or ring (ps, named path) with a segment
// whose ends differ by more than 180° of longitude. Edges are straight in
// longitude and latitude (RFC 7946 §3.1.1), so such a segment runs the
// long way round, though it was most likely meant to cross the
// antimeridian; the distance index would take it as the short great-circle
// arc. Rather than guess, the geometry is refused, with the advice RFC 7946
// §3.1.9 gives: cut it in two at ±180°. The error names the segment's
// second position.
func checkAntimeridian(ps []Position, path string) error {
	for j := 1; j < len(ps); j++ {
		a, b := ps[j-1][0], ps[j][0]
		if math.Abs(b-a) > 180 {
			return ledger.Invalid(fmt.Sprintf("%s[%d]", path, j),
				"the segment from longitude %g to %g crosses the antimeridian uncut: cut the geometry in two at ±180° (RFC 7946 §3.1.9), each part on one side", a, b)
		}
	}
	return nil
}
