package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"truce/blobs"
	"truce/centre"
	"truce/i18n"
	"truce/ledger"
	"truce/projection"
)

// Problem is an RFC 9457 problem details object. Field names the offending
// input by its JSON path (or query parameter); Errors lists them when there
// are several.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Field    string `json:"field,omitempty"`
	// Term names the agreement term that decides a refusal, such as the
	// monitoring term whose seats are taken ("abu-dhabi-ceasefire/8").
	Term string `json:"term,omitempty"`
}

const problemBase = "https://truce.invalid/problems/"

// titleKeys maps problem titles to their message keys, so that titles
// follow the caller's Accept-Language. Details stay as the centre wrote
// them: they quote the record.
var titleKeys = map[string]string{
	"Invalid input": "problem.invalid_input", "Request body too large": "problem.too_large",
	"Authentication required": "problem.unauthenticated", "Not allowed": "problem.forbidden",
	"Not found": "problem.not_found", "Conflict with the record's state": "problem.conflict",
	"Unsupported media type": "problem.media_type", "No such endpoint": "problem.no_endpoint",
	"Shutting down": "problem.shutting_down", "Internal error": "problem.internal",
}

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if key, ok := titleKeys[p.Title]; ok {
		lang := i18n.For(r.Header.Get("Accept-Language"))
		p.Title = lang.T(key)
		w.Header().Set("Content-Language", lang.Lang)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// badRequest reports input that could not be read at all (syntax, unknown
// fields, bad query parameters).
func badRequest(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Type: problemBase + "invalid-input", Title: "Invalid input", Status: http.StatusBadRequest, Detail: err.Error()}
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		p.Field, p.Detail = fe.Field, fe.Error()
	}
	writeProblem(w, r, p)
}

// fail answers with the problem for err.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, r)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="truce"`)
	}
	writeProblem(w, r, *p)
}

// detail is the error's text without the kind the title already names
// ("forbidden: …" under "Not allowed").
func detail(err, kind error) string {
	return strings.TrimPrefix(err.Error(), kind.Error()+": ")
}

// problemFor maps an error from the centre to a problem.
func problemFor(err error, r *http.Request) *Problem {
	var (
		fe  *ledger.FieldError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe), errors.Is(err, blobs.ErrTooLarge):
		return &Problem{Type: problemBase + "too-large", Title: "Request body too large", Status: http.StatusRequestEntityTooLarge, Detail: err.Error()}
	case errors.As(err, &fe) && fe.Forbidden:
		return &Problem{Type: problemBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden, Detail: fe.Error(), Field: fe.Field, Term: fe.Term}
	case errors.As(err, &fe):
		return &Problem{Type: problemBase + "invalid-input", Title: "Invalid input", Status: http.StatusUnprocessableEntity, Detail: fe.Error(), Field: fe.Field, Term: fe.Term}
	case errors.Is(err, ledger.ErrUnauthenticated):
		return &Problem{Type: problemBase + "unauthenticated", Title: "Authentication required", Status: http.StatusUnauthorized, Detail: detail(err, ledger.ErrUnauthenticated)}
	case errors.Is(err, ledger.ErrForbidden):
		return &Problem{Type: problemBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden, Detail: detail(err, ledger.ErrForbidden)}
	case errors.Is(err, ledger.ErrNotFound):
		return &Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: detail(err, ledger.ErrNotFound)}
	case errors.Is(err, ledger.ErrConflict):
		return &Problem{Type: problemBase + "conflict", Title: "Conflict with the record's state", Status: http.StatusConflict, Detail: detail(err, ledger.ErrConflict)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The client went away or gave up: nothing to report, nothing to log.
		return &Problem{Title: "Request cancelled", Status: 499}
	case errors.Is(err, centre.ErrSecrets):
		return &Problem{Type: problemBase + "secrets", Title: "The centre cannot sign for you", Status: http.StatusServiceUnavailable,
			Detail: err.Error() + "; members who hold their own key can still sign and submit their statements"}
	case errors.Is(err, projection.ErrTampered):
		return &Problem{Type: problemBase + "tampered", Title: "The centre refuses to serve a record changed on disk", Status: http.StatusServiceUnavailable,
			Detail: err.Error() + "; the operator repairs it with truce refold, and truce audit names the change"}
	case errors.Is(err, centre.ErrHalted):
		return &Problem{Type: problemBase + "halted", Title: "The centre takes no writes", Status: http.StatusServiceUnavailable, Detail: detail(err, centre.ErrHalted)}
	case errors.Is(err, ledger.ErrClosed):
		return &Problem{Title: "Shutting down", Status: http.StatusServiceUnavailable}
	default:
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return &Problem{Title: "Internal error", Status: http.StatusInternalServerError}
	}
}

// relabel rewrites the field of a *ledger.FieldError from the fold's view
// ("payload.x") to the request's view: the body of a typed endpoint is the
// payload itself, and the body of /v1/statements holds it under "statement".
func relabel(err error, prefix string) error {
	var fe *ledger.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	f := fe.Field
	if rest, ok := strings.CutPrefix(f, "payload."); ok {
		f = prefix + rest
	} else if f == "payload" {
		f = strings.TrimSuffix(prefix, ".")
	}
	return &ledger.FieldError{Field: f, Reason: fe.Reason, Forbidden: fe.Forbidden, Term: fe.Term}
}
