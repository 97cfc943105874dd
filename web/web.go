// Package web is the centre's console: a page and a little JavaScript over
// the JSON API, embedded in the binary and loading nothing from elsewhere,
// since a centre may be air-gapped. Texts come from the message catalogues.
package web

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strings"

	"truce/i18n"
)

//go:embed static
var static embed.FS

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/static/app.css">
{{if .Map}}<link rel="stylesheet" href="/static/vendor/maplibre-gl.css">
<script src="/static/vendor/maplibre-gl-csp.js"></script>
<script src="/static/vendor/topojson-client.min.js"></script>{{end}}
</head>
<body data-lang="{{.Lang}}">
<header>
  <a href="#/incidents" class="brand">truce</a>
  <nav id="nav"></nav>
  <label for="lang" class="sr-only">{{.LangLabel}}</label>
  <select id="lang">{{range .Langs}}<option value="{{.Code}}"{{if .Selected}} selected{{end}}>{{.Name}}</option>{{end}}</select>
  <span id="who"></span>
</header>
<main id="main" tabindex="-1"></main>
<div id="toast" role="status" aria-live="polite"></div>
<script type="module" src="/static/app.js"></script>
</body>
</html>`))

type lang struct {
	Code, Name string
	Selected   bool
}

// hasMap tells whether the map's third-party code was built in (make
// web-assets); without it the console works without a map.
var hasMap = func() bool {
	_, err := fs.Stat(static, "static/vendor/maplibre-gl-csp.js")
	return err == nil
}()

// Handler serves the console at / and hands everything else to api.
func Handler(api http.Handler) http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	mux.HandleFunc("GET /ui/messages", func(w http.ResponseWriter, r *http.Request) {
		l := i18n.For(r.URL.Query().Get("lang")).Lang
		w.Header().Set("Content-Type", "application/json")
		msgs := i18n.Messages(l, "ui.")
		// The sentences of a possible violation and the names of prohibited
		// actions are shared with the CLI (i18n/violation.go): one wording.
		// So are the words of arrangements: purposes, states, guarantees,
		// outcomes and the sentence of a flag inside a window.
		// And the daily report's headings and warnings, as the page of its own says them.
		for _, prefix := range []string{"violation.", "action.", "arr.", "purpose.", "shape.", "guarantee.", "outcome.", "window.inside", "window.guaranteed_by",
			"sitrep.", "warn.", "alert."} {
			maps.Copy(msgs, i18n.Messages(l, prefix))
		}
		json.NewEncoder(w).Encode(map[string]any{"lang": l, "messages": msgs})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// The first page follows the browser; the switch, remembered in a
		// cookie, overrides it.
		prefs := []string{r.Header.Get("Accept-Language")}
		if c, err := r.Cookie("lang"); err == nil && slices.Contains(i18n.Languages, c.Value) {
			prefs = []string{c.Value}
		}
		p := i18n.For(prefs...)
		var langs []lang
		for _, code := range i18n.Languages {
			langs = append(langs, lang{Code: code, Name: i18n.Printer{Lang: code}.T("ui.lang_name"), Selected: code == p.Lang})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; worker-src 'self' blob:")
		page.Execute(w, map[string]any{"Lang": p.Lang, "Title": p.T("ui.title"), "LangLabel": p.T("ui.language"), "Langs": langs, "Map": hasMap})
	})
	mux.Handle("/", api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/log/") {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// HasMap reports whether the map's assets are built in.
func HasMap() bool { return hasMap }
