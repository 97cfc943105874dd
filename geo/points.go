package geo

import (
	"math"
	"sort"
)

// Points indexes sites (power plants, reactors) for radius queries. Sites
// are kept in bands of latitude, each sorted by longitude, so that a query
// reads a few runs found by binary search, whatever its radius.
type Points struct {
	pos   []Position
	vec   []vec3
	start []int32   // band b holds entries start[b] to start[b+1]
	lon   []float64 // entries' longitudes, sorted within a band
	idx   []int32   // entries' indices into pos
}

const pointBand = 0.25 // degrees of latitude, about 28 km

// NewPoints indexes ps. Positions are expected valid (see Geometry.Validate);
// the i passed back by queries is an index into ps.
func NewPoints(ps []Position) *Points {
	s := &Points{pos: append([]Position(nil), ps...), vec: make([]vec3, len(ps))}
	nb := int(180/pointBand) + 1
	s.start = make([]int32, nb+1)
	for i, p := range ps {
		s.vec[i] = toVec(p)
		s.start[band(p[1])+1]++
	}
	for b := 1; b <= nb; b++ {
		s.start[b] += s.start[b-1]
	}
	order := make([]int32, len(ps))
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(x, y int) bool {
		a, b := ps[order[x]], ps[order[y]]
		if ba, bb := band(a[1]), band(b[1]); ba != bb {
			return ba < bb
		}
		return a[0] < b[0]
	})
	s.idx = order
	s.lon = make([]float64, len(ps))
	for k, i := range order {
		s.lon[k] = ps[i][0]
	}
	return s
}

func band(lat float64) int {
	return min(int(180/pointBand), max(0, int((lat+90)/pointBand)))
}

// Len returns the number of indexed points.
func (s *Points) Len() int { return len(s.pos) }

// Within calls fn for every indexed point within radius metres of p, with
// its index and distance, in an unspecified but repeatable order.
func (s *Points) Within(p Position, radius float64, fn func(i int, metres float64)) {
	if !(radius >= 0) {
		return
	}
	pv := toVec(p)
	s.candidates(BBox{p[0], p[1], p[0], p[1]}, radius, func(i int) {
		if d := Distance(p, s.pos[i]); d <= radius {
			fn(i, d)
		}
	}, pv, true)
}

// WithinShape calls fn, in index order, for every indexed point within radius
// metres of the shape, with its distance to the shape (0 inside its
// polygons).
func (s *Points) WithinShape(sh Shape, radius float64, fn func(i int, metres float64)) {
	if !(radius >= 0) || sh.typ == "" {
		return
	}
	var hits []int
	s.candidates(sh.box, radius, func(i int) { hits = append(hits, i) }, vec3{}, false)
	sort.Ints(hits)
	for _, i := range hits {
		if d := sh.distanceTo(s.pos[i], s.vec[i]); d <= radius {
			fn(i, d)
		}
	}
}

// candidates calls fn for every point that may be within radius metres of
// box: every one whose latitude and longitude are near enough, and, when
// point is set (box is the point pv), whose chord to pv is short enough.
func (s *Points) candidates(box BBox, radius float64, fn func(i int), pv vec3, point bool) {
	th := radius / rMin // the angle no point within radius exceeds
	if th >= math.Pi {
		for i := range s.pos {
			fn(i)
		}
		return
	}
	thDeg := th / deg
	south, north := box[1]-thDeg, box[3]+thDeg
	lonSpans := [][2]float64{{-180, 180}}
	if poleward := math.Max(math.Abs(south), math.Abs(north)); poleward < 90 {
		// The widest longitude a cap of radius th reaches, at the box's most
		// poleward latitude.
		if sinTh, cosLat := math.Sin(th), math.Cos(poleward*deg); sinTh < cosLat {
			dl := math.Asin(sinTh/cosLat)/deg*(1+1e-9) + 1e-12
			lonSpans = splitLon(box[0]-dl, box[2]+dl)
		}
	}
	maxC2 := 2 * math.Sin(math.Min(th, math.Pi)/2)
	maxC2 = maxC2*maxC2*(1+1e-9) + 1e-18
	for b := band(south); b <= band(north); b++ {
		lo, hi := int(s.start[b]), int(s.start[b+1])
		lons := s.lon[lo:hi]
		for _, span := range lonSpans {
			for k := lo + sort.SearchFloat64s(lons, span[0]); k < hi && s.lon[k] <= span[1]; k++ {
				i := int(s.idx[k])
				lat := s.pos[i][1]
				if lat < south || lat > north {
					continue
				}
				if point {
					if d := s.vec[i].sub(pv); d.dot(d) > maxC2 {
						continue
					}
				}
				fn(i)
			}
		}
	}
}

// splitLon returns the longitude interval [w, e], which may run past ±180,
// as intervals within [-180, 180].
func splitLon(w, e float64) [][2]float64 {
	switch {
	case e-w >= 360:
		return [][2]float64{{-180, 180}}
	case w < -180:
		return [][2]float64{{w + 360, 180}, {-180, e}}
	case e > 180:
		return [][2]float64{{w, 180}, {-180, e - 360}}
	}
	return [][2]float64{{w, e}}
}
