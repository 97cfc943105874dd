package incident

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"truce/geo"
)

// MapRow is what a map needs of an incident.
type MapRow struct {
	Seq         uint64
	Lon, Lat    float64 // centre of the bounding box
	From, Until int64   // observed, in Unix milliseconds, for the map's time filter and replay
	Type        Type
	Status      Status
	Party       string
	Actor       string // the alleged actor's party ID; "" unknown
}

// MapIndex holds every incident's position, type, status and reporting
// party in memory, compactly, so that a map's viewport is clustered without
// reading the database: at a million incidents the table scan took seconds.
// It is a read model like any projection, kept current from the ledger.
type MapIndex struct {
	applied atomic.Uint64 // ledger statements below this index are reflected
	mu      sync.RWMutex
	pts     []mapPoint // sorted by seq: reports arrive in ledger order
	parties []string   // party IDs by index, reporting parties and alleged actors alike
	partyIx map[string]uint16
}

type mapPoint struct {
	lon, lat    float32
	seq         uint64
	from, until int64
	typ         uint8
	status      uint8
	party       uint16
	actor       uint16
}

// NewMapIndex makes an empty index.
func NewMapIndex() *MapIndex {
	return &MapIndex{partyIx: map[string]uint16{}}
}

// Applied is the ledger size the index reflects.
func (m *MapIndex) Applied() uint64 { return m.applied.Load() }

// SetApplied records that statements below n are reflected.
func (m *MapIndex) SetApplied(n uint64) {
	for {
		old := m.applied.Load()
		if n <= old || m.applied.CompareAndSwap(old, n) {
			return
		}
	}
}

// Put adds or updates rows.
func (m *MapIndex) Put(rows ...MapRow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	intern := func(id string) uint16 {
		i, ok := m.partyIx[id]
		if !ok {
			i = uint16(len(m.parties))
			m.parties = append(m.parties, id)
			m.partyIx[id] = i
		}
		return i
	}
	for _, r := range rows {
		p := mapPoint{lon: float32(r.Lon), lat: float32(r.Lat), seq: r.Seq, from: r.From, until: r.Until,
			typ: uint8(slices.Index(Types, r.Type)), status: uint8(slices.Index(Statuses, r.Status)), party: intern(r.Party),
			actor: intern(r.Actor)}
		i, found := slices.BinarySearchFunc(m.pts, r.Seq, func(p mapPoint, seq uint64) int { return cmp.Compare(p.seq, seq) })
		switch {
		case found:
			m.pts[i] = p
		case i == len(m.pts):
			m.pts = append(m.pts, p)
		default:
			m.pts = slices.Insert(m.pts, i, p)
		}
	}
}

// Observed lists the incidents observed (their From) in [from, to), in
// ledger order, only the published ones if publishedOnly: what the daily
// report counts, without reading a document.
func (m *MapIndex) Observed(from, to time.Time, publishedOnly bool) []MapRow {
	a, b := from.UnixMilli(), to.UnixMilli()
	pub := uint8(slices.Index(Statuses, Published))
	m.mu.RLock()
	defer m.mu.RUnlock()
	in := func(p *mapPoint) bool { return p.from >= a && p.from < b && (!publishedOnly || p.status == pub) }
	n := 0
	for i := range m.pts {
		if in(&m.pts[i]) {
			n++
		}
	}
	out := make([]MapRow, 0, n)
	for i := range m.pts {
		p := &m.pts[i]
		if !in(p) {
			continue
		}
		out = append(out, MapRow{Seq: p.seq, Lon: float64(p.lon), Lat: float64(p.lat), From: p.from, Until: p.until,
			Type: Types[p.typ], Status: Statuses[p.status], Party: m.parties[p.party], Actor: m.parties[p.actor]})
	}
	return out
}

// Serves reports whether the index can answer f: it knows position,
// observed time, type, status and reporting party, not actors, events or
// terms.
func (m *MapIndex) Serves(f Filter) bool {
	return f.Actor == "" && f.Event == "" && f.Term == ""
}

// Clusters groups the incidents matching f on a grid of cell degrees, as
// the store's Clusters does.
func (m *MapIndex) Clusters(f Filter, cell float64) []Cluster {
	box := geo.BBox{-180, -90, 180, 90}
	if f.BBox != nil {
		box = *f.BBox
	}
	types := uint16(0)
	for _, t := range f.Types {
		types |= 1 << slices.Index(Types, t)
	}
	statuses := uint16(0)
	for _, s := range f.Statuses {
		statuses |= 1 << slices.Index(Statuses, s)
	}
	if f.PublishedOnly {
		statuses = 1 << slices.Index(Statuses, Published)
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, Published) {
			return []Cluster{}
		}
	}
	// The cells are counted in a dense array over the box's part of the
	// grid when it is small, as it is for any screen (some 16 cells per
	// 256 pixels): a map per point cost more than the whole scan.
	x0, y0 := math.Floor((box[0]+180)/cell), math.Floor((box[1]+90)/cell)
	nx, ny := math.Floor((box[2]+180)/cell)-x0+1, math.Floor((box[3]+90)/cell)-y0+1
	var dense []cellAcc
	var sparse map[[2]int32]*cellAcc // for boxes too large for the array
	if nx*ny <= maxDenseCells {
		dense = make([]cellAcc, int(nx)*int(ny))
	} else {
		sparse = map[[2]int32]*cellAcc{}
	}
	// The time window as the store applies it: observed until at or after
	// From, and from at or before To.
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = f.From.UnixMilli()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMilli()
	}
	m.mu.RLock()
	party, hasParty := m.partyIx[f.Party]
	if f.Party != "" && !hasParty {
		m.mu.RUnlock()
		return []Cluster{}
	}
	for i := range m.pts {
		p := &m.pts[i]
		lon, lat := float64(p.lon), float64(p.lat)
		if lon < box[0] || lon > box[2] || lat < box[1] || lat > box[3] ||
			types != 0 && types&(1<<p.typ) == 0 || statuses != 0 && statuses&(1<<p.status) == 0 ||
			f.Party != "" && p.party != party || p.until < from || p.from > to {
			continue
		}
		x, y := math.Floor((lon+180)/cell), math.Floor((lat+90)/cell)
		var a *cellAcc
		if dense != nil {
			// Clamped against rounding: the box's edges lie in its first and last cells.
			ix, iy := min(max(int(x-x0), 0), int(nx)-1), min(max(int(y-y0), 0), int(ny)-1)
			a = &dense[iy*int(nx)+ix]
		} else {
			k := [2]int32{int32(x), int32(y)}
			if a = sparse[k]; a == nil {
				a = &cellAcc{}
				sparse[k] = a
			}
		}
		a.add(p, lon, lat)
	}
	m.mu.RUnlock()
	out := []Cluster{}
	emit := func(a *cellAcc) {
		if a.n == 0 {
			return
		}
		c := Cluster{Count: a.n, Lon: a.lon / float64(a.n), Lat: a.lat / float64(a.n)}
		if a.n == 1 {
			c.ID = IDFor(a.seq)
		}
		if !a.mixedT {
			c.Type = Types[a.typ]
		}
		if !a.mixedS {
			c.Status = Statuses[a.status]
		}
		out = append(out, c)
	}
	for i := range dense {
		emit(&dense[i])
	}
	for _, a := range sparse {
		emit(a)
	}
	return out
}

// maxDenseCells bounds the dense array of a Clusters call (about 3 MiB).
const maxDenseCells = 1 << 16

// cellAcc sums one grid cell's incidents.
type cellAcc struct {
	n              int
	lon, lat       float64
	seq            uint64
	typ, status    uint8
	mixedT, mixedS bool
}

func (a *cellAcc) add(p *mapPoint, lon, lat float64) {
	if a.n == 0 {
		a.seq, a.typ, a.status = p.seq, p.typ, p.status
	}
	a.n++
	a.lon += lon
	a.lat += lat
	a.seq = min(a.seq, p.seq)
	a.mixedT = a.mixedT || a.typ != p.typ
	a.mixedS = a.mixedS || a.status != p.status
}
