package incident

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"truce/geo"
)

// MapRow is what a map needs of an incident.
type MapRow struct {
	Seq      uint64
	Lon, Lat float64 // centre of the bounding box
	Type     Type
	Status   Status
	Party    string
}

// MapIndex holds every incident's position, type, status and reporting
// party in memory, compactly, so that a map's viewport is clustered without
// reading the database: at a million incidents the table scan took seconds.
// It is a read model like any projection, kept current from the ledger.
type MapIndex struct {
	applied atomic.Uint64 // ledger statements below this index are reflected
	mu      sync.RWMutex
	pts     []mapPoint // sorted by seq: reports arrive in ledger order
	parties []string   // party IDs by index
	partyIx map[string]uint16
}

type mapPoint struct {
	lon, lat float32
	seq      uint64
	typ      uint8
	status   uint8
	party    uint16
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
	for _, r := range rows {
		pi, ok := m.partyIx[r.Party]
		if !ok {
			pi = uint16(len(m.parties))
			m.parties = append(m.parties, r.Party)
			m.partyIx[r.Party] = pi
		}
		p := mapPoint{lon: float32(r.Lon), lat: float32(r.Lat), seq: r.Seq,
			typ: uint8(slices.Index(Types, r.Type)), status: uint8(slices.Index(Statuses, r.Status)), party: pi}
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

// Serves reports whether the index can answer f: it knows position, type,
// status and reporting party, not times, actors or events.
func (m *MapIndex) Serves(f Filter) bool {
	return f.From.IsZero() && f.To.IsZero() && f.Actor == "" && f.Event == "" && f.Term == ""
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
	type key struct{ x, y int32 }
	type acc struct {
		n              int
		lon, lat       float64
		seq            uint64
		typ, status    uint8
		mixedT, mixedS bool
	}
	cells := map[key]*acc{}
	m.mu.RLock()
	party, hasParty := m.partyIx[f.Party]
	if f.Party != "" && !hasParty {
		m.mu.RUnlock()
		return []Cluster{}
	}
	for _, p := range m.pts {
		lon, lat := float64(p.lon), float64(p.lat)
		if lon < box[0] || lon > box[2] || lat < box[1] || lat > box[3] ||
			types != 0 && types&(1<<p.typ) == 0 || statuses != 0 && statuses&(1<<p.status) == 0 ||
			f.Party != "" && p.party != party {
			continue
		}
		k := key{int32(math.Floor((lon + 180) / cell)), int32(math.Floor((lat + 90) / cell))}
		a := cells[k]
		if a == nil {
			a = &acc{seq: p.seq, typ: p.typ, status: p.status}
			cells[k] = a
		}
		a.n++
		a.lon += lon
		a.lat += lat
		a.seq = min(a.seq, p.seq)
		a.mixedT = a.mixedT || a.typ != p.typ
		a.mixedS = a.mixedS || a.status != p.status
	}
	m.mu.RUnlock()
	out := make([]Cluster, 0, len(cells))
	for _, a := range cells {
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
	return out
}
