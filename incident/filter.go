package incident

import (
	"time"

	"truce/geo"
)

// Filter selects incidents for listing. Zero fields do not filter.
type Filter struct {
	From, To time.Time // observed interval overlaps [From, To]
	BBox     *geo.BBox // bounding box intersects
	Types    []Type
	Statuses []Status
	Party    string // reporting party
	Actor    string // alleged actor
	Event    string
	// Agreement and Term: incidents whose evaluation names the term.
	Agreement, Term string
	PublishedOnly   bool
	Before          uint64 // cursor: only incidents reported before this ledger index
	Limit           int
}

// Page is one page of a listing, newest first. Next is the cursor for the
// following page, 0 when there is none.
type Page struct {
	Items []*Incident `json:"items"`
	Next  uint64      `json:"next,omitempty"`
}

// Cluster is a cell of incidents on a map: how many, where on average, and
// — when they agree — their type and status. A cell of one names it.
type Cluster struct {
	Count  int     `json:"count"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	ID     string  `json:"id,omitempty"`
	Type   Type    `json:"type,omitempty"`
	Status Status  `json:"status,omitempty"`
}
