package incident

import (
	"time"

	"truce/geo"
)

// Filter selects incidents for listing. Zero fields do not filter.
type Filter struct {
	From, To      time.Time // observed interval overlaps [From, To]
	BBox          *geo.BBox // bounding box intersects
	Types         []Type
	Statuses      []Status
	Party         string // reporting party
	Actor         string // alleged actor
	Event         string
	PublishedOnly bool
	Before        uint64 // cursor: only incidents reported before this ledger index
	Limit         int
}

// Page is one page of a listing, newest first. Next is the cursor for the
// following page, 0 when there is none.
type Page struct {
	Items []*Incident `json:"items"`
	Next  uint64      `json:"next,omitempty"`
}
