package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/callrec/callrec/internal/apiclient"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/store"
)

func init() {
	register("routes", "list, add or remove routes in the database (ls | add PATTERN DEST | rm ID)", runRoutes)
	register("users", "list, add or remove SIP users in the database (ls | add USER DOMAIN PASSWORD | rm USER DOMAIN)", runUsers)
	register("trunks", "list, add or remove trunks, the IP allow-list (ls | add NAME CIDR... | rm NAME)", runTrunks)
}

// adminFlags are the flags every database subcommand takes.
type adminFlags struct {
	fs       *flag.FlagSet
	dataDir  *string
	database *string
	asJSON   *bool
	// server and token, when server is set, make routes and users talk
	// to a running callrec serve's HTTP API instead of the database.
	server, token *string
}

func newAdminFlags(name, usage string) *adminFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	a := &adminFlags{fs: fs}
	a.dataDir = fs.String("data-dir", config.Default().Serve.DataDir, "callrec serve's data directory (its SQLite database)")
	a.database = fs.String("database", "", "DSN instead: sqlite:/path or postgres://...")
	a.asJSON = fs.Bool("json", false, "print JSON instead of a table")
	a.server = fs.String("server", os.Getenv("CALLREC_SERVER"), "use callrec serve's HTTP API at this address instead of the database ($CALLREC_SERVER)")
	a.token = fs.String("token", "", "API token with the admin role ($CALLREC_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return a
}

// api returns a client of the HTTP API when --server (or
// $CALLREC_SERVER) names one, else nil.
func (a *adminFlags) api() *apiclient.Client {
	if *a.server == "" {
		return nil
	}
	return &apiclient.Client{Server: *a.server, Token: cmp.Or(*a.token, os.Getenv("CALLREC_TOKEN"))}
}

func (a *adminFlags) open(ctx context.Context) (*store.Store, error) {
	dsn := *a.database
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(*a.dataDir, "callrec.db")
		if err := os.MkdirAll(*a.dataDir, 0o755); err != nil {
			return nil, err
		}
	}
	return store.Open(ctx, dsn)
}

// parse parses flags that may come before or after the action words.
func (a *adminFlags) parse(args []string) ([]string, error) {
	var words []string
	for len(args) > 0 {
		if err := a.fs.Parse(args); err != nil {
			return nil, err
		}
		args = a.fs.Args()
		if len(args) > 0 {
			words = append(words, args[0])
			args = args[1:]
		}
	}
	return words, nil
}

func (a *adminFlags) print(v any, table func(w *tabwriter.Writer)) error {
	if *a.asJSON {
		e := json.NewEncoder(os.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(v)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	table(w)
	return w.Flush()
}

func runRoutes(ctx context.Context, args []string) error {
	a := newAdminFlags("routes", `usage: callrec routes ls
       callrec routes add PATTERN DESTINATION [--kind prefix|exact|regex] [--priority N] [--description TEXT]
       callrec routes rm ID

Routes send calls whose Request-URI user matches PATTERN (a number
prefix by default; "" matches every call) to DESTINATION, a SIP URI;
lower priority first, the next on 408/5xx. callrec serve reads them
from its database (changes apply within 5 s).`)
	kind := a.fs.String("kind", "prefix", "prefix, exact or regex")
	prio := a.fs.Int("priority", 0, "lower is tried first")
	descr := a.fs.String("description", "", "free text")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		a.fs.Usage()
		return fmt.Errorf("routes: missing ls, add or rm")
	}
	if c := a.api(); c != nil {
		return routesAPI(ctx, a, c, words, store.Route{Kind: store.MatchKind(*kind), Priority: *prio, Description: *descr})
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	switch {
	case words[0] == "ls" && len(words) == 1:
		rs, err := s.ListRoutes(ctx)
		if err != nil {
			return err
		}
		rows := make([]apiclient.Route, len(rs))
		for i, r := range rs {
			rows[i] = apiclient.Route{ID: r.ID, Kind: string(r.Kind), Pattern: r.Pattern, Destination: r.Destination,
				Priority: r.Priority, Enabled: r.Enabled, Description: r.Description}
		}
		return a.print(rs, routeTable(rows))
	case words[0] == "add" && len(words) == 3:
		id, err := s.AddRoute(ctx, store.Route{Kind: store.MatchKind(*kind), Pattern: words[1], Destination: words[2],
			Priority: *prio, Enabled: true, Description: *descr})
		if err != nil {
			return err
		}
		fmt.Println(id)
		return nil
	case words[0] == "rm" && len(words) == 2:
		id, err := strconv.ParseInt(words[1], 10, 64)
		if err != nil {
			return fmt.Errorf("routes rm: id %q: %w", words[1], err)
		}
		return s.RemoveRoute(ctx, id)
	}
	a.fs.Usage()
	return fmt.Errorf("routes: bad arguments %q", words)
}

func runUsers(ctx context.Context, args []string) error {
	a := newAdminFlags("users", `usage: callrec users ls [DOMAIN]
       callrec users add USER DOMAIN PASSWORD [--display NAME]
       callrec users rm USER DOMAIN

SIP users for digest authentication; only HA1 = MD5(user:domain:password)
and its SHA-256 counterpart are stored, never the password. DOMAIN is the digest realm: the domain
phones register in (the host of their AOR, e.g. the proxy's address),
or serve.realm when that is set. callrec serve (serve.auth: auto)
challenges REGISTER and calls once a user exists; changes apply within 5 s.`)
	display := a.fs.String("display", "", "display name")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		a.fs.Usage()
		return fmt.Errorf("users: missing ls, add or rm")
	}
	if c := a.api(); c != nil {
		return usersAPI(ctx, a, c, words, *display)
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	switch {
	case words[0] == "ls" && len(words) <= 2:
		domain := ""
		if len(words) == 2 {
			domain = words[1]
		}
		us, err := s.ListUsers(ctx, domain)
		if err != nil {
			return err
		}
		for i := range us {
			us[i].HA1, us[i].HA1SHA256 = "", "" // never print credentials
		}
		rows := make([]apiclient.User, len(us))
		for i, u := range us {
			rows[i] = apiclient.User{Username: u.Username, Domain: u.Domain, Enabled: u.Enabled, DisplayName: u.DisplayName}
		}
		return a.print(us, userTable(rows))
	case words[0] == "add" && len(words) == 4:
		return s.AddUser(ctx, store.User{Username: words[1], Domain: words[2], HA1: store.HA1(words[1], words[2], words[3]),
			HA1SHA256: store.HA1SHA256(words[1], words[2], words[3]),
			Enabled:   true, DisplayName: *display})
	case words[0] == "rm" && len(words) == 3:
		return s.RemoveUser(ctx, words[1], words[2])
	}
	a.fs.Usage()
	return fmt.Errorf("users: bad arguments %q", words)
}

// routeTable prints routes as `callrec routes ls` does, from the database
// or the API.
func routeTable(rs []apiclient.Route) func(w *tabwriter.Writer) {
	return func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tKIND\tPATTERN\tDESTINATION\tPRIORITY\tENABLED\tDESCRIPTION")
		for _, r := range rs {
			fmt.Fprintf(w, "%d\t%s\t%q\t%s\t%d\t%v\t%s\n", r.ID, r.Kind, r.Pattern, r.Destination, r.Priority, r.Enabled, r.Description)
		}
	}
}

// userTable prints users as `callrec users ls` does.
func userTable(us []apiclient.User) func(w *tabwriter.Writer) {
	return func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "USER\tDOMAIN\tENABLED\tDISPLAY NAME")
		for _, u := range us {
			fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", u.Username, u.Domain, u.Enabled, u.DisplayName)
		}
	}
}

// routesAPI is `callrec routes` over the HTTP API.
func routesAPI(ctx context.Context, a *adminFlags, c *apiclient.Client, words []string, r store.Route) error {
	switch {
	case words[0] == "ls" && len(words) == 1:
		rs, raw, err := c.Routes(ctx)
		if err != nil {
			return err
		}
		if *a.asJSON {
			_, err := os.Stdout.Write(append(raw, '\n'))
			return err
		}
		return a.print(rs, routeTable(rs))
	case words[0] == "add" && len(words) == 3:
		got, err := c.AddRoute(ctx, apiclient.Route{Kind: string(r.Kind), Pattern: words[1], Destination: words[2],
			Priority: r.Priority, Description: r.Description})
		if err != nil {
			return err
		}
		fmt.Println(got.ID)
		return nil
	case words[0] == "rm" && len(words) == 2:
		id, err := strconv.ParseInt(words[1], 10, 64)
		if err != nil {
			return fmt.Errorf("routes rm: id %q: %w", words[1], err)
		}
		return c.RemoveRoute(ctx, id)
	}
	a.fs.Usage()
	return fmt.Errorf("routes: bad arguments %q", words)
}

// usersAPI is `callrec users` over the HTTP API.
func usersAPI(ctx context.Context, a *adminFlags, c *apiclient.Client, words []string, display string) error {
	switch {
	case words[0] == "ls" && len(words) <= 2:
		domain := ""
		if len(words) == 2 {
			domain = words[1]
		}
		us, raw, err := c.Users(ctx, domain)
		if err != nil {
			return err
		}
		if *a.asJSON {
			_, err := os.Stdout.Write(append(raw, '\n'))
			return err
		}
		return a.print(us, userTable(us))
	case words[0] == "add" && len(words) == 4:
		return c.AddUser(ctx, apiclient.NewUser{Username: words[1], Domain: words[2], Password: words[3], DisplayName: display})
	case words[0] == "rm" && len(words) == 3:
		return c.RemoveUser(ctx, words[1], words[2])
	}
	a.fs.Usage()
	return fmt.Errorf("users: bad arguments %q", words)
}

func runTrunks(ctx context.Context, args []string) error {
	a := newAdminFlags("trunks", `usage: callrec trunks ls
       callrec trunks add NAME CIDR... [--description TEXT] [--disabled]
       callrec trunks rm NAME

Trunks are peers (carriers, PBXs) that send calls without digest
authentication: callrec serve never challenges a request whose source
address is in a trunk's networks (CIDR, e.g. 203.0.113.0/24; a bare
address is one host). Every other source must authenticate as a user
when serve.auth is on (or auto, with users). Changes apply within 5 s.`)
	descr := a.fs.String("description", "", "free text")
	disabled := a.fs.Bool("disabled", false, "add the trunk disabled (its addresses must authenticate)")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		a.fs.Usage()
		return fmt.Errorf("trunks: missing ls, add or rm")
	}
	if *a.server != "" {
		return fmt.Errorf("trunks: not served by the HTTP API; use --data-dir or --database")
	}
	var nets []netip.Prefix
	if words[0] == "add" && len(words) >= 3 {
		for _, w := range words[2:] {
			p, err := netip.ParsePrefix(w)
			if err != nil {
				ip, aerr := netip.ParseAddr(w)
				if aerr != nil {
					return fmt.Errorf("trunks add: %q is not an address or CIDR network", w)
				}
				p = netip.PrefixFrom(ip, ip.BitLen())
			}
			nets = append(nets, p)
		}
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	switch {
	case words[0] == "ls" && len(words) == 1:
		ts, err := s.ListTrunks(ctx)
		if err != nil {
			return err
		}
		return a.print(ts, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "NAME\tNETWORKS\tENABLED\tDESCRIPTION")
			for _, t := range ts {
				ns := make([]string, len(t.Networks))
				for i, p := range t.Networks {
					ns[i] = p.String()
				}
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", t.Name, strings.Join(ns, ","), t.Enabled, t.Description)
			}
		})
	case words[0] == "add" && len(words) >= 3:
		return s.AddTrunk(ctx, store.Trunk{Name: words[1], Networks: nets, Enabled: !*disabled, Description: *descr})
	case words[0] == "rm" && len(words) == 2:
		return s.RemoveTrunk(ctx, words[1])
	}
	a.fs.Usage()
	return fmt.Errorf("trunks: bad arguments %q", words)
}
