package projection

import (
	"truce/alert"
	"truce/ledger"
	"truce/party"
)

// AlertTx is what the fold needs for subscriptions and alerts. Getters
// return nil and no error when the record does not exist.
type AlertTx interface {
	Subscription(id string) (*alert.Subscription, error)
	PutSubscription(s *alert.Subscription) error
	// ActiveSubscriptions counts a member's active subscriptions.
	ActiveSubscriptions(member string) (int, error)
	Alert(id string) (*alert.Alert, error)
	// AlertByKey returns the ID of the alert with key, "" when none.
	AlertByKey(key string) (string, error)
	PutAlert(a *alert.Alert) error
}

// alerts folds the statements of subscriptions and alerts.
func alerts(tx Tx, s *ledger.Signed, author *party.Member, kind party.Kind) (string, error) {
	by := alert.Actor{Member: author, Kind: kind}
	seq, t := s.Seq, s.Statement.Time
	switch s.Statement.Type {
	case alert.TypeSubscribe:
		p, err := decode[alert.Subscribe](s)
		if err != nil {
			return "", err
		}
		n, err := tx.ActiveSubscriptions(author.ID)
		if err != nil {
			return "", err
		}
		sub, err := alert.NewSubscription(seq, t, by, p, n)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		return sub.ID, tx.PutSubscription(sub)
	case alert.TypeUnsubscribe:
		p, err := decode[alert.Unsubscribe](s)
		if err != nil {
			return "", err
		}
		sub, err := loadSubscription(tx, p.Subscription)
		if err != nil {
			return "", err
		}
		if err := sub.End(seq, t, by); err != nil {
			return "", ledger.Within("payload", err)
		}
		return sub.ID, tx.PutSubscription(sub)
	case alert.TypeNotify:
		p, err := decode[alert.Notify](s)
		if err != nil {
			return "", err
		}
		sub, err := loadSubscription(tx, p.Subscription)
		if err != nil {
			return "", err
		}
		a, err := alert.Raise(seq, t, by, sub, p)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		if id, err := tx.AlertByKey(a.Key); err != nil || id != "" {
			return "", firstErr(err, ledger.Conflict("%s was told of %s by alert %s", sub.Member, a.Event, id))
		}
		return a.ID, tx.PutAlert(a)
	case alert.TypeDelivered, alert.TypeFailed:
		var id, outcome, errText string
		var status, attempts int
		if s.Statement.Type == alert.TypeDelivered {
			p, err := decode[alert.Delivered](s)
			if err != nil {
				return "", err
			}
			id, outcome, status, attempts = p.Alert, alert.OutcomeDelivered, p.Status, p.Attempts
		} else {
			p, err := decode[alert.Failed](s)
			if err != nil {
				return "", err
			}
			id, outcome, status, attempts, errText = p.Alert, alert.OutcomeFailed, p.Status, p.Attempts, p.Error
		}
		a, err := loadAlert(tx, id)
		if err != nil {
			return "", err
		}
		if err := a.Deliver(seq, t, by, outcome, status, attempts, errText); err != nil {
			return "", ledger.Within("payload", err)
		}
		return a.ID, tx.PutAlert(a)
	case alert.TypeReceipt:
		p, err := decode[alert.Receipt](s)
		if err != nil {
			return "", err
		}
		a, err := loadAlert(tx, p.Alert)
		if err != nil {
			return "", err
		}
		if err := a.Acknowledge(seq, t, by); err != nil {
			return "", ledger.Within("payload", err)
		}
		return a.ID, tx.PutAlert(a)
	}
	return "", ledger.Invalid("statement.type", "unknown statement type %q", s.Statement.Type)
}

func loadSubscription(tx Tx, id string) (*alert.Subscription, error) {
	sub, err := tx.Subscription(id)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, ledger.NotFound("no subscription %q (field payload.subscription)", id)
	}
	return sub, nil
}

func loadAlert(tx Tx, id string) (*alert.Alert, error) {
	a, err := tx.Alert(id)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, ledger.NotFound("no alert %q (field payload.alert)", id)
	}
	return a, nil
}
