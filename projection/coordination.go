package projection

import (
	"fmt"
	"time"

	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
	"truce/party"
)

// CoordinationTx is what the fold needs for the hotline and the movement
// register. Getters return nil and no error when the record does not exist.
type CoordinationTx interface {
	Thread(id string) (*hotline.Thread, error)
	PutThread(th *hotline.Thread) error
	Restriction(id string) (*movement.Restriction, error)
	PutRestriction(r *movement.Restriction) error
	// PutRecordEvidence records that a record other than an incident (a
	// hotline thread) carries the evidence file sha, so that the file is
	// kept and its readers are known.
	PutRecordEvidence(sha, record string) error
}

// coordination folds the hotline's and the register's statements; ok is
// false for any other type.
func coordination(tx Tx, s *ledger.Signed, author *party.Member, kind party.Kind) (subject string, ok bool, err error) {
	by := hotline.Actor{Member: author, Kind: kind}
	seq, t := s.Seq, s.Statement.Time
	switch s.Statement.Type {
	case hotline.TypeOpen:
		p, err := decode[hotline.OpenThread](s)
		if err != nil {
			return "", true, err
		}
		var to *party.Party
		if p.To != hotline.CentreSide && ledger.IDPattern.MatchString(p.To) {
			if to, err = tx.Party(p.To); err != nil {
				return "", true, err
			}
		}
		th, err := hotline.New(seq, t, by, p, to)
		if err != nil {
			return "", true, ledger.Within("payload", err)
		}
		for i, id := range th.Incidents {
			if err := incidentExists(tx, id, fmt.Sprintf("payload.incidents[%d]", i)); err != nil {
				return "", true, err
			}
		}
		return th.ID, true, putThread(tx, th, p.Evidence)
	case hotline.TypeMessage:
		p, err := decode[hotline.Say](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := th.Post(seq, t, by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return th.ID, true, putThread(tx, th, p.Evidence)
	case hotline.TypeAck:
		p, err := decode[hotline.Ack](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := th.Acknowledge(seq, t, by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return th.ID, true, tx.PutThread(th)
	case hotline.TypeLink:
		p, err := decode[hotline.Link](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := incidentExists(tx, p.Incident, "payload.incident"); err != nil {
			return "", true, err
		}
		if err := th.LinkIncident(seq, t, by, p.Incident); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return th.ID, true, tx.PutThread(th)
	case hotline.TypeResolve:
		p, err := decode[hotline.Resolve](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := th.Close(seq, t, by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return th.ID, true, tx.PutThread(th)
	case hotline.TypeEscalate:
		p, err := decode[hotline.Escalate](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := th.Escalate(seq, t, by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return th.ID, true, tx.PutThread(th)
	case hotline.TypeUsed:
		p, err := decode[hotline.Used](s)
		if err != nil {
			return "", true, err
		}
		th, err := loadThread(tx, p.Thread, by)
		if err != nil {
			return "", true, err
		}
		if err := th.CheckUse(by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		inc, err := load(tx, p.Incident, "payload.incident")
		if err != nil {
			return "", true, err
		}
		use := incident.MechanismUse{Thread: th.ID, Note: p.Note}
		if err := inc.UsedMechanism(seq, t, incident.Actor{Member: author, Kind: kind}, hotline.TypeUsed, use); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		if err := tx.PutIncident(inc); err != nil {
			return "", true, err
		}
		// Using a thread for an incident links the two.
		if err := th.LinkIncident(seq, t, by, inc.ID); err == nil {
			if err := tx.PutThread(th); err != nil {
				return "", true, err
			}
		}
		return inc.ID, true, nil
	case movement.TypeRecord:
		p, err := decode[movement.Record](s)
		if err != nil {
			return "", true, err
		}
		var actor *party.Party
		if p.Actor != movement.UnknownActor && ledger.IDPattern.MatchString(p.Actor) {
			if actor, err = tx.Party(p.Actor); err != nil {
				return "", true, err
			}
		}
		// Monitors' movement is restricted by a party to the conflict.
		if actor != nil && actor.Kind != party.Belligerent {
			return "", true, ledger.Invalid("payload.actor", "%s is a %s; the restricting actor is a belligerent party or %q", actor.ID, actor.Kind, movement.UnknownActor)
		}
		r, err := movement.New(seq, t, by, p, actor)
		if err != nil {
			return "", true, ledger.Within("payload", err)
		}
		if err := threadResolves(tx, r.Thread, r.Ended); err != nil {
			return "", true, err
		}
		if r.Incident != "" {
			if err := incidentExists(tx, r.Incident, "payload.incident"); err != nil {
				return "", true, err
			}
		}
		return r.ID, true, tx.PutRestriction(r)
	case movement.TypeEnd:
		p, err := decode[movement.End](s)
		if err != nil {
			return "", true, err
		}
		r, err := tx.Restriction(p.Restriction)
		if err != nil {
			return "", true, err
		}
		if r == nil {
			return "", true, ledger.NotFound("no restriction %q (field payload.restriction)", p.Restriction)
		}
		if err := r.Finish(seq, t, by, p); err != nil {
			return "", true, ledger.Within("payload", err)
		}
		if err := threadResolves(tx, p.Thread, r.Ended); err != nil {
			return "", true, err
		}
		return r.ID, true, tx.PutRestriction(r)
	}
	return "", false, nil
}

// loadThread loads a thread by may see; one it may not see is not found,
// as the API answers.
func loadThread(tx Tx, id string, by hotline.Actor) (*hotline.Thread, error) {
	th, err := tx.Thread(id)
	if err != nil {
		return nil, err
	}
	if th == nil || !th.CanRead(by.Member, by.Kind) {
		return nil, ledger.NotFound("no hotline thread %q (field payload.thread)", id)
	}
	return th, nil
}

// threadResolves checks the thread named as having resolved a
// restriction: it exists, and was opened by the time the restriction
// ended (ended, if known).
func threadResolves(tx Tx, id string, ended *time.Time) error {
	if id == "" {
		return nil
	}
	th, err := tx.Thread(id)
	if err != nil || th == nil {
		return firstErr(err, ledger.Invalid("payload.thread", "no hotline thread %q", id))
	}
	if ended != nil && th.Opened.Truncate(time.Second).After(*ended) { // times are given to the second
		return ledger.Invalid("payload.thread", "thread %s was opened at %s, after the restriction ended (%s): it cannot have resolved it",
			id, th.Opened.UTC().Format(time.RFC3339), ended.UTC().Format(time.RFC3339))
	}
	return nil
}

func putThread(tx Tx, th *hotline.Thread, evidence []incident.Evidence) error {
	for _, e := range evidence {
		if err := tx.PutRecordEvidence(e.SHA256, th.ID); err != nil {
			return err
		}
	}
	return tx.PutThread(th)
}

// incidentExists refuses a reference to an incident that is not recorded,
// naming the field.
func incidentExists(tx Tx, id, field string) error {
	inc, err := tx.Incident(id)
	if err != nil || inc == nil {
		return firstErr(err, ledger.Invalid(field, "no incident %q", id))
	}
	return nil
}
