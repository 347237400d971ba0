package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Route is a route as the API returns it.
type Route struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Pattern     string `json:"pattern"`
	Destination string `json:"destination"`
	Priority    int    `json:"priority"`
	Enabled     bool   `json:"enabled"`
	Description string `json:"description,omitempty"`
}

// User is a SIP user as the API returns it (never its HA1s).
type User struct {
	Username    string `json:"username"`
	Domain      string `json:"domain"`
	Enabled     bool   `json:"enabled"`
	DisplayName string `json:"display_name,omitempty"`
}

// NewUser is a user to add; the server stores the password's HA1s only.
type NewUser struct {
	Username    string `json:"username"`
	Domain      string `json:"domain"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
}

// Routes lists the routes table (GET /api/routes).
func (c *Client) Routes(ctx context.Context) ([]Route, json.RawMessage, error) {
	var out struct {
		Routes []Route `json:"routes"`
	}
	raw, err := c.do(ctx, http.MethodGet, "/api/routes", nil, nil, &out)
	return out.Routes, raw, err
}

// AddRoute adds r (POST /api/routes) and returns it with its id.
func (c *Client) AddRoute(ctx context.Context, r Route) (*Route, error) {
	in := struct {
		Kind        string `json:"kind,omitempty"`
		Pattern     string `json:"pattern"`
		Destination string `json:"destination"`
		Priority    int    `json:"priority,omitempty"`
		Description string `json:"description,omitempty"`
	}{r.Kind, r.Pattern, r.Destination, r.Priority, r.Description}
	var out Route
	_, err := c.do(ctx, http.MethodPost, "/api/routes", nil, in, &out)
	return &out, err
}

// RemoveRoute deletes route id (DELETE /api/routes/{id}).
func (c *Client) RemoveRoute(ctx context.Context, id int64) error {
	_, err := c.do(ctx, http.MethodDelete, "/api/routes/"+strconv.FormatInt(id, 10), nil, nil, nil)
	return err
}

// Users lists SIP users, of one domain when domain is not "" (GET
// /api/users).
func (c *Client) Users(ctx context.Context, domain string) ([]User, json.RawMessage, error) {
	var q url.Values
	if domain != "" {
		q = url.Values{"domain": {domain}}
	}
	var out struct {
		Users []User `json:"users"`
	}
	raw, err := c.do(ctx, http.MethodGet, "/api/users", q, nil, &out)
	return out.Users, raw, err
}

// AddUser adds u (POST /api/users).
func (c *Client) AddUser(ctx context.Context, u NewUser) error {
	_, err := c.do(ctx, http.MethodPost, "/api/users", nil, u, nil)
	return err
}

// RemoveUser deletes user@domain (DELETE /api/users/{domain}/{user}).
func (c *Client) RemoveUser(ctx context.Context, user, domain string) error {
	_, err := c.do(ctx, http.MethodDelete, "/api/users/"+url.PathEscape(domain)+"/"+url.PathEscape(user), nil, nil, nil)
	return err
}
