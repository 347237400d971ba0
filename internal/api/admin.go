package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/callrec/callrec/internal/store"
)

// Route is a row of the routes table (store.Route).
type Route struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"` // prefix, exact or regex
	Pattern     string `json:"pattern"`
	Destination string `json:"destination"`
	Priority    int    `json:"priority"`
	Enabled     bool   `json:"enabled"`
	Description string `json:"description,omitempty"`
}

// RouteList is the body of GET /api/routes.
type RouteList struct {
	Routes []Route `json:"routes"`
}

// NewRoute is the body of POST /api/routes; Enabled defaults to true.
type NewRoute struct {
	Kind        string `json:"kind,omitempty"`
	Pattern     string `json:"pattern"`
	Destination string `json:"destination"`
	Priority    int    `json:"priority,omitempty"`
	Enabled     *bool  `json:"enabled,omitempty"`
	Description string `json:"description,omitempty"`
}

// User is a SIP digest user as the API shows it: never its HA1.
type User struct {
	Username    string `json:"username"`
	Domain      string `json:"domain"`
	Enabled     bool   `json:"enabled"`
	DisplayName string `json:"display_name,omitempty"`
}

// UserList is the body of GET /api/users.
type UserList struct {
	Users []User `json:"users"`
}

// NewUser is the body of POST /api/users: the password is turned into
// the HA1s the store keeps (as `callrec users add` does) and forgotten.
type NewUser struct {
	Username    string `json:"username"`
	Domain      string `json:"domain"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
	Enabled     *bool  `json:"enabled,omitempty"`
}

func (s *Server) haveStore(w http.ResponseWriter) bool {
	if s.cfg.Store == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node has no database")
		return false
	}
	return true
}

func (s *Server) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, CodeConflict, err.Error())
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	default:
		s.log.Error("database", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
	}
}

func toRoute(r store.Route) Route {
	k := string(r.Kind)
	if k == "" {
		k = string(store.Prefix)
	}
	return Route{ID: r.ID, Kind: k, Pattern: r.Pattern, Destination: r.Destination, Priority: r.Priority,
		Enabled: r.Enabled, Description: r.Description}
}

func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	rs, err := s.cfg.Store.ListRoutes(r.Context())
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := RouteList{Routes: make([]Route, 0, len(rs))}
	for _, rt := range rs {
		out.Routes = append(out.Routes, toRoute(rt))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addRoute(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	var req NewRoute
	if !readJSON(w, r, &req) {
		return
	}
	if req.Pattern == "" || req.Destination == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: a route needs pattern and destination")
		return
	}
	rt := store.Route{Kind: store.MatchKind(req.Kind), Pattern: req.Pattern, Destination: req.Destination,
		Priority: req.Priority, Enabled: req.Enabled == nil || *req.Enabled, Description: req.Description}
	id, err := s.cfg.Store.AddRoute(r.Context(), rt)
	if err != nil {
		s.storeError(w, err)
		return
	}
	rt.ID = id
	writeJSON(w, http.StatusCreated, toRoute(rt))
}

func (s *Server) removeRoute(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: route id "+strconv.Quote(r.PathValue("id"))+" is not a number")
		return
	}
	if err := s.cfg.Store.RemoveRoute(r.Context(), id); err != nil {
		s.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	us, err := s.cfg.Store.ListUsers(r.Context(), r.URL.Query().Get("domain"))
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := UserList{Users: make([]User, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, User{Username: u.Username, Domain: u.Domain, Enabled: u.Enabled, DisplayName: u.DisplayName})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	var req NewUser
	if !readJSON(w, r, &req) {
		return
	}
	if req.Username == "" || req.Domain == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: a user needs username, domain and password")
		return
	}
	u := store.User{Username: req.Username, Domain: req.Domain,
		HA1: store.HA1(req.Username, req.Domain, req.Password), HA1SHA256: store.HA1SHA256(req.Username, req.Domain, req.Password),
		Enabled: req.Enabled == nil || *req.Enabled, DisplayName: req.DisplayName}
	if err := s.cfg.Store.AddUser(r.Context(), u); err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, User{Username: u.Username, Domain: u.Domain, Enabled: u.Enabled, DisplayName: u.DisplayName})
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request) {
	if !s.haveStore(w) {
		return
	}
	if err := s.cfg.Store.RemoveUser(r.Context(), r.PathValue("user"), r.PathValue("domain")); err != nil {
		s.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
