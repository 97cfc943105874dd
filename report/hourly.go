package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
)

// Hourly is a digest of what changed in an hour, for the delegations
// reporting to their capitals: counts by statement type and the records
// each change touched, from the ledger itself.
type Hourly struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Audience string    `json:"audience"`
	// Statements counts the hour's statements by type.
	Statements []Count `json:"statements"`
	// Reported: incidents reported; Findings and Published: workflow steps
	// that ended a verification; Threads: hotline threads opened or
	// resolved; Restrictions: recorded or ended; Issued: reports issued.
	Reported     []DigestLine `json:"reported"`
	Findings     []DigestLine `json:"findings"`
	Published    []DigestLine `json:"published"`
	Threads      []DigestLine `json:"threads,omitempty"`
	Restrictions []DigestLine `json:"restrictions,omitempty"`
	Issued       []DigestLine `json:"issued"`
}

// DigestLine is one change: the statement, and the record it is about.
type DigestLine struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	Subject string    `json:"subject"`
	Party   string    `json:"party"`
	At      time.Time `json:"at"`
	// What: the incident's type, a finding's outcome, a thread's kind.
	What string `json:"what,omitempty"`
}

// BuildHourly digests the statements of [to-1h, to). published tells
// whether an incident is published now: the public digest names only
// those, and counts nothing else.
func BuildHourly(to time.Time, audience string, sts []*ledger.Signed, published func(id string) bool) *Hourly {
	from := to.Add(-time.Hour)
	h := &Hourly{From: from.UTC(), To: to.UTC(), Audience: audience, Statements: []Count{}, Reported: []DigestLine{},
		Findings: []DigestLine{}, Published: []DigestLine{}, Issued: []DigestLine{}}
	counts := map[string]*Count{}
	for _, s := range sts {
		st := s.Statement
		if st.Time.Before(from) || !st.Time.Before(to) {
			continue
		}
		line := DigestLine{Seq: s.Seq, Type: st.Type, Party: st.Party, At: st.Time.UTC()}
		var p struct {
			Incident string `json:"incident"`
			Thread   string `json:"thread"`
			Type     string `json:"type"`
			Outcome  string `json:"outcome"`
			Kind     string `json:"kind"`
			Audience string `json:"audience"`
		}
		json.Unmarshal(st.Payload, &p)
		var list *[]DigestLine
		switch st.Type {
		case incident.TypeReport:
			line.Subject, line.What, list = incident.IDFor(s.Seq), p.Type, &h.Reported
		case incident.TypeFinding:
			line.Subject, line.What, list = p.Incident, p.Outcome, &h.Findings
		case incident.TypePublish:
			line.Subject, list = p.Incident, &h.Published
		case hotline.TypeOpen:
			line.Subject, line.What, list = hotline.IDFor(s.Seq), p.Kind, &h.Threads
		case hotline.TypeResolve:
			line.Subject, list = p.Thread, &h.Threads
		case movement.TypeRecord:
			line.Subject, list = movement.IDFor(s.Seq), &h.Restrictions
		case TypeIssue:
			line.Subject, line.What, list = IDFor(s.Seq), p.Kind, &h.Issued
			if p.Audience != Public && audience == Public {
				list = nil
			}
		}
		if audience == Public {
			// The public hear of published incidents and public reports.
			switch {
			case st.Type == incident.TypePublish && published(p.Incident):
			case st.Type == TypeIssue && list != nil:
			default:
				continue
			}
		}
		if list != nil {
			*list = append(*list, line)
		}
		c := counts[st.Type]
		if c == nil {
			c = &Count{Key: st.Type}
			counts[st.Type] = c
		}
		c.Count++
	}
	for _, c := range counts {
		h.Statements = append(h.Statements, *c)
	}
	slices.SortFunc(h.Statements, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	return h
}
