package ledger

import (
	"errors"
	"fmt"
)

// The kinds of refusal a statement can meet. The HTTP edge maps them to status
// codes; everything else only wraps them with context.
var (
	// ErrConflict: the statement is well formed but the record's current
	// state does not allow it (an illegal workflow transition, a duplicate).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the author may not make this statement.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the statement refers to a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: no valid credentials or signature.
	ErrUnauthenticated = errors.New("unauthenticated")
)

// FieldError is invalid input, naming the offending field by its JSON path
// (for example "location.coordinates[0][1]"). An empty Field means the whole
// document.
type FieldError struct {
	Field  string
	Reason string
	// Forbidden marks a refusal of who asks rather than of what is asked
	// (403 rather than 422), still naming the field it concerns.
	Forbidden bool
	// Term names the agreement term that decides the refusal
	// ("abu-dhabi-ceasefire/8"), if one does.
	Term string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Invalid returns a *FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Within prefixes the field of a *FieldError with parent, so that nested
// validators can report paths relative to themselves.
func Within(parent string, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	f := parent
	switch {
	case fe.Field == "":
	case len(fe.Field) > 0 && fe.Field[0] == '[':
		f = parent + fe.Field
	case parent == "":
		f = fe.Field
	default:
		f = parent + "." + fe.Field
	}
	return &FieldError{Field: f, Reason: fe.Reason, Forbidden: fe.Forbidden, Term: fe.Term}
}

// ForbiddenField is a refusal of the author (403) that names the field it
// concerns, such as a party accrediting another party's representative.
func ForbiddenField(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...), Forbidden: true}
}

// Is makes a forbidden field error match ErrForbidden.
func (e *FieldError) Is(target error) bool { return e.Forbidden && target == ErrForbidden }

// Conflict, Forbidden and NotFound wrap the sentinel kinds with a reason.
func Conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

func Forbidden(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrForbidden, fmt.Sprintf(format, args...))
}

func NotFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}
