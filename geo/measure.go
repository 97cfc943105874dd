// Measuring and indexing for the ceasefire terms. The answers follow PostGIS,
// which the centre's findings are checked against:
//
//   - [Distance] is the geodesic distance on the WGS84 ellipsoid, by
//     Vincenty's inverse formula (error below 0.5 mm; measured against
//     GeographicLib's values in the tests to within 1 mm). Nearly antipodal
//     pairs, where Vincenty's iteration does not converge, are measured as the
//     shortest path through a point of the great circle that separates the two
//     ends, found by minimising over that circle; the tests hold it to
//     1e-9 relative of Vincenty where both apply.
//   - Distances to lines and shapes use PostGIS geography's construction:
//     edges are great-circle arcs on the sphere that takes geodetic latitude
//     as spherical latitude; the nearest point of the nearest edge is found on
//     that sphere and the distance to it is then measured on the ellipsoid with
//     [Distance]. That is what ST_Distance(geography, geography) returns. It
//     exceeds the exact ellipsoidal distance to the same arcs by less than
//     3e-5 relative (0.003%, 3 m in 100 km; largest near the equator, where the
//     ellipsoid is least like the sphere), as the tests check: far inside the
//     0.1% the agreement allows.
//   - Containment ([Area]) is planar in longitude/latitude, as RFC 7946 draws
//     polygon edges and as PostGIS geometry's ST_Contains decides it: a point on
//     the boundary is not contained ([Area.Contains]) but does intersect
//     ([Area.Intersects]). The antimeridian is not treated specially. Whether
//     a point or line lies inside an incident's own polygon (a distance of 0)
//     is decided the same planar way, where PostGIS geography would use the
//     sphere; the two edges part by L²·tan(lat)/8R at most (2 m for a 10 km
//     east-west edge at 48°), so only points that close to an edge can differ.
//
// The indexes ([Lines], [Area], [Points]) are immutable once built, apart from
// caches that fill under atomic pointers, so any number of goroutines may query
// one index concurrently.
package geo

import "math"

// WGS84.
const (
	earthA = 6378137.0
	earthF = 1 / 298.257223563
	earthB = earthA * (1 - earthF)
)

// The sphere that indexes work on takes geodetic latitude as spherical
// latitude. An angle θ on it is between rMin·θ and rMax·θ metres on the
// ellipsoid, because the map's local scale lies between the meridional radius
// of curvature at the equator, a(1-e²), and the radius at the poles, a²/b.
// The margins cover rounding.
var (
	rMin = earthA * (1 - earthF) * (1 - earthF) * (1 - 1e-9)
	rMax = earthA / (1 - earthF) * (1 + 1e-9)
)

const deg = math.Pi / 180

// Distance returns the ellipsoidal (WGS84) distance in metres between a and b.
func Distance(a, b Position) float64 {
	if s, ok := vincenty(a, b); ok {
		return s
	}
	return separatorDistance(a, b)
}

// vincenty is Vincenty's (1975) inverse solution. ok is false when the
// longitude iteration does not converge, which happens only for nearly
// antipodal points.
func vincenty(p1, p2 Position) (float64, bool) {
	l := (p2[0] - p1[0]) * deg
	if l > math.Pi {
		l -= 2 * math.Pi
	} else if l < -math.Pi {
		l += 2 * math.Pi
	}
	sinU1, cosU1 := reducedLatitude(p1[1])
	sinU2, cosU2 := reducedLatitude(p2[1])
	lambda := l
	var sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM float64
	converged := false
	for iter := 0; iter < 200; iter++ {
		sinLambda, cosLambda := math.Sincos(lambda)
		t1 := cosU2 * sinLambda
		t2 := cosU1*sinU2 - sinU1*cosU2*cosLambda
		sinSigma = math.Sqrt(t1*t1 + t2*t2)
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosLambda
		if sinSigma == 0 {
			return 0, cosSigma > 0 // coincident, or antipodal (pole to pole)
		}
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cosSqAlpha = 1 - sinAlpha*sinAlpha
		if cosSqAlpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cosSqAlpha
		} else {
			cos2SigmaM = 0 // both on the equator
		}
		c := earthF / 16 * cosSqAlpha * (4 + earthF*(4-3*cosSqAlpha))
		prev := lambda
		lambda = l + (1-c)*earthF*sinAlpha*(sigma+c*sinSigma*(cos2SigmaM+c*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda) > math.Pi {
			return 0, false
		}
		if math.Abs(lambda-prev) < 1e-12 {
			converged = true
			break
		}
	}
	if !converged {
		return 0, false
	}
	uSq := cosSqAlpha * (earthA*earthA - earthB*earthB) / (earthB * earthB)
	a := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	b := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	c2 := cos2SigmaM * cos2SigmaM
	deltaSigma := b * sinSigma * (cos2SigmaM + b/4*(cosSigma*(-1+2*c2)-b/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*c2)))
	return earthB * a * (sigma - deltaSigma), true
}

func reducedLatitude(lat float64) (sin, cos float64) {
	if math.Abs(lat) == 90 { // tan(±π/2) is finite in floating point; be exact
		return math.Copysign(1, lat), 0
	}
	tanU := (1 - earthF) * math.Tan(lat*deg)
	cos = 1 / math.Sqrt(1+tanU*tanU)
	return tanU * cos, cos
}

// separatorDistance measures pairs Vincenty cannot. Every path from a to b
// crosses the great circle of points equally far (on the sphere) from both,
// so the geodesic distance is the least, over that circle, of the two legs
// through it; each leg is about a quarter of the globe, where Vincenty
// converges.
func separatorDistance(a, b Position) float64 {
	pa, pb := toVec(a), toVec(b)
	n := pa.sub(pb).unit()
	u := n.cross(leastAligned(n)).unit()
	v := n.cross(u)
	f := func(t float64) float64 {
		s, c := math.Sincos(t)
		m := u.scale(c).add(v.scale(s)).position()
		d1, ok1 := vincenty(a, m)
		d2, ok2 := vincenty(m, b)
		if !ok1 || !ok2 {
			return math.Inf(1)
		}
		return d1 + d2
	}
	const steps = 360
	best, bestT := math.Inf(1), 0.0
	for i := range steps {
		t := 2 * math.Pi * float64(i) / steps
		if d := f(t); d < best {
			best, bestT = d, t
		}
	}
	// Golden-section search around the best sample.
	lo, hi := bestT-2*math.Pi/steps, bestT+2*math.Pi/steps
	const g = 0.6180339887498949
	x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for range 80 {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - g*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + g*(hi-lo)
			f2 = f(x2)
		}
	}
	return math.Min(best, math.Min(f1, f2))
}

// vec3 is a point on (or a direction from the centre of) the unit sphere. A
// struct, not an array, so that the compiler keeps it in registers.
type vec3 struct{ x, y, z float64 }

func toVec(p Position) vec3 {
	sinLon, cosLon := math.Sincos(p[0] * deg)
	sinLat, cosLat := math.Sincos(p[1] * deg)
	return vec3{cosLat * cosLon, cosLat * sinLon, sinLat}
}

// position returns v's longitude and latitude; v need not be unit length.
func (v vec3) position() Position {
	return Position{math.Atan2(v.y, v.x) / deg, math.Atan2(v.z, math.Hypot(v.x, v.y)) / deg}
}

func (v vec3) dot(w vec3) float64 { return v.x*w.x + v.y*w.y + v.z*w.z }
func (v vec3) add(w vec3) vec3    { return vec3{v.x + w.x, v.y + w.y, v.z + w.z} }
func (v vec3) sub(w vec3) vec3    { return vec3{v.x - w.x, v.y - w.y, v.z - w.z} }
func (v vec3) scale(k float64) vec3 {
	return vec3{v.x * k, v.y * k, v.z * k}
}
func (v vec3) cross(w vec3) vec3 {
	return vec3{v.y*w.z - v.z*w.y, v.z*w.x - v.x*w.z, v.x*w.y - v.y*w.x}
}
func (v vec3) norm() float64 { return math.Sqrt(v.dot(v)) }
func (v vec3) unit() vec3 {
	if n := v.norm(); n > 0 {
		return v.scale(1 / n)
	}
	return v
}

// leastAligned returns the coordinate axis most nearly perpendicular to v.
func leastAligned(v vec3) vec3 {
	x, y, z := math.Abs(v.x), math.Abs(v.y), math.Abs(v.z)
	switch {
	case x <= y && x <= z:
		return vec3{1, 0, 0}
	case y <= z:
		return vec3{0, 1, 0}
	default:
		return vec3{0, 0, 1}
	}
}

// angle is the angle between two unit vectors, accurate at small angles
// (acos is not).
func angle(v, w vec3) float64 {
	return math.Atan2(v.cross(w).norm(), v.dot(w))
}

// chordAngle converts a squared chord length on the unit sphere to an angle.
func chordAngle(c2 float64) float64 {
	return 2 * math.Asin(math.Min(1, math.Sqrt(c2)/2))
}
