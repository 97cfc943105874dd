package projection

import (
	"truce/agreement"
	"truce/ledger"
)

// arrange folds the statements of localized arrangements. An arrangement
// is an agreement (its versions and signatures) with a record of its own;
// what ends its window is an instrument termination, so that the registry
// and the evaluation see it as they see any instrument's end.
func arrange(tx Tx, s *ledger.Signed, by agreement.Actor) (string, error) {
	seq, t := s.Seq, s.Statement.Time
	known := func(id string) bool {
		p, err := tx.Party(id)
		return err == nil && p != nil
	}
	if s.Statement.Type == agreement.TypeArrangementRequest {
		p, err := decode[agreement.RequestArrangement](s)
		if err != nil {
			return "", err
		}
		if v, err := tx.Agreement(p.ID, 0); err != nil || v != nil {
			return "", firstErr(err, ledger.Conflict("%q is already an agreement or arrangement; a new arrangement needs its own ID", p.ID))
		}
		if plan, err := tx.Plan(p.ID); err != nil || plan != nil {
			return "", firstErr(err, ledger.Conflict("%q is a plan; an arrangement needs its own ID", p.ID))
		}
		others, err := openArrangements(tx)
		if err != nil {
			return "", err
		}
		v, rec, err := agreement.RequestFold(by, p, others, seq, t, known)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		if err := tx.PutAgreement(v); err != nil {
			return "", err
		}
		return rec.ID, tx.PutArrangement(rec)
	}
	switch s.Statement.Type {
	case agreement.TypeArrangementRespond:
		p, err := decode[agreement.RespondArrangement](s)
		if err != nil {
			return "", err
		}
		rec, latest, _, err := loadArrangement(tx, p.Arrangement)
		if err != nil {
			return "", err
		}
		if err := agreement.Respond(rec, latest, by, p, seq, t); err != nil {
			return "", ledger.Within("payload", err)
		}
		return rec.ID, tx.PutArrangement(rec)
	case agreement.TypeArrangementCheckIn:
		p, err := decode[agreement.CheckIn](s)
		if err != nil {
			return "", err
		}
		rec, latest, _, err := loadArrangement(tx, p.Arrangement)
		if err != nil {
			return "", err
		}
		if err := agreement.RecordCheckIn(rec, latest, by, p, seq, t); err != nil {
			return "", ledger.Within("payload", err)
		}
		return rec.ID, tx.PutArrangement(rec)
	case agreement.TypeArrangementDeadlineMissed:
		p, err := decode[agreement.DeadlineMissed](s)
		if err != nil {
			return "", err
		}
		rec, latest, inst, err := loadArrangement(tx, p.Arrangement)
		if err != nil {
			return "", err
		}
		if err := agreement.MissDeadline(rec, latest, inst, by, p, seq, t); err != nil {
			return "", ledger.Within("payload", err)
		}
		return rec.ID, tx.PutArrangement(rec)
	case agreement.TypeArrangementClose:
		p, err := decode[agreement.CloseArrangement](s)
		if err != nil {
			return "", err
		}
		rec, _, inst, err := loadArrangement(tx, p.Arrangement)
		if err != nil {
			return "", err
		}
		inst, err = agreement.Close(rec, inst, by, p, seq, t)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		return rec.ID, putBoth(tx, rec, inst)
	}
	p, err := decode[agreement.ChangeArrangement](s)
	if err != nil {
		return "", err
	}
	rec, latest, inst, err := loadArrangement(tx, p.Arrangement)
	if err != nil {
		return "", err
	}
	switch s.Statement.Type {
	case agreement.TypeArrangementWithdraw:
		var versions []*agreement.Version
		if versions, err = allVersions(tx, rec.ID); err != nil {
			return "", err
		}
		inst, err = agreement.Withdraw(rec, versions, inst, by, p, seq, t)
	case agreement.TypeArrangementCut:
		inst, err = agreement.Cut(rec, latest, inst, by, p, seq, t)
	case agreement.TypeArrangementCancel:
		inst, err = agreement.Cancel(rec, inst, by, p, seq, t)
	case agreement.TypeArrangementExtend:
		others, err := openArrangements(tx)
		if err != nil {
			return "", err
		}
		v, err := agreement.Extend(rec, latest, inst, by, p, others, seq, t, known)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		if !latest.Signed {
			latest.Superseded = true
			if err := tx.PutAgreement(latest); err != nil {
				return "", err
			}
		}
		if err := tx.PutAgreement(v); err != nil {
			return "", err
		}
		return rec.ID, tx.PutArrangement(rec)
	default:
		return "", ledger.Invalid("statement.type", "unknown statement type %q", s.Statement.Type)
	}
	if err != nil {
		return "", ledger.Within("payload", err)
	}
	return rec.ID, putBoth(tx, rec, inst)
}

func putBoth(tx Tx, rec *agreement.ArrangementRecord, inst *agreement.Instrument) error {
	if err := tx.PutInstrument(inst); err != nil {
		return err
	}
	return tx.PutArrangement(rec)
}

// loadArrangement reads an arrangement's record, latest version and
// instrument record (nil when none).
func loadArrangement(tx Tx, id string) (*agreement.ArrangementRecord, *agreement.Version, *agreement.Instrument, error) {
	if !ledger.IDPattern.MatchString(id) {
		return nil, nil, nil, ledger.Invalid("payload.arrangement", "must be an arrangement ID")
	}
	rec, err := tx.Arrangement(id)
	if err != nil {
		return nil, nil, nil, err
	}
	if rec == nil {
		return nil, nil, nil, ledger.NotFound("no arrangement %q", id)
	}
	latest, err := tx.Agreement(id, 0)
	if err != nil || latest == nil {
		return nil, nil, nil, firstErr(err, ledger.NotFound("arrangement %q has no version", id))
	}
	inst, err := tx.Instrument(id)
	return rec, latest, inst, err
}

// openArrangements lists the arrangements not closed, for the overlap check.
func openArrangements(tx Tx) ([]agreement.Open, error) {
	recs, err := tx.Arrangements()
	if err != nil {
		return nil, err
	}
	var out []agreement.Open
	for _, rec := range recs {
		if rec.Outcome != nil {
			continue
		}
		_, latest, inst, err := loadArrangement(tx, rec.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, agreement.Open{Version: latest, Inst: inst, Record: rec})
	}
	return out, nil
}
