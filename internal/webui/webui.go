package webui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Files is the embedded UI, rooted at its index.html.
var Files, _ = fs.Sub(static, "static")

// Mount registers the UI on mux: the index at / and its assets under
// /ui/. It claims no other path, so unknown /api/ paths stay the API's.
func Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", index)
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", assets()))
}

func index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The UI loads nothing from elsewhere; media and fetches are
	// same-origin (blob: for the decoded waveform's download link).
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")
	http.ServeFileFS(w, r, Files, "index.html")
}

func assets() http.Handler {
	fsrv := http.FileServerFS(Files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}
