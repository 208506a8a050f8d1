package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
)

// keyCommand is `cinch key`: API keys for `cinch serve` (SPEC §6, §7).
func (a *app) keyCommand() *cobra.Command {
	return group("key", "Manage API keys for cinch serve",
		`  cinch key create
  cinch key create --tenant acme_corp --read-only --expires 30d
  cinch key list
  cinch key revoke 1f2e3d4c5b6a7980`,
		a.keyCreateCommand(), a.keyListCommand(), a.keyRevokeCommand())
}

// keyExpiry parses --expires: a Go duration (90m, 12h) or whole days (30d).
func keyExpiry(s string) (time.Duration, error) {
	bad := cinch.Errorf(cinch.ErrInvalidInput, "invalid --expires %q", s).WithHint("give a positive duration such as 90m, 24h or 30d")
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 36500 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

func (a *app) keyCreateCommand() *cobra.Command {
	var (
		tenant   string
		readOnly bool
		expires  string
	)
	c := &cobra.Command{
		Use:   "create",
		Short: "Create an API key (shown once; only its hash is stored)",
		Long: `create makes a random API key for cinch serve and prints it once, alone on
the last line of the output; only a hash of it is stored (.cinchdb/keys.db).

A key reaches everything unless limited: --database and --branch (the global
flags, or their environment variables) limit it to one database or branch;
--tenant limits it to one tenant of the active (or given) database and branch,
and such a key can never list, create or delete tenants, change the schema or
merge. --read-only keys cannot write, and --expires makes a key stop working
after a while.`,
		Example: `  cinch key create
  cinch key create --tenant acme_corp
  cinch key create --database main --branch main --read-only --expires 720h
  cinch key create --format json`,
		Args: noArgs(),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) (err error) {
			spec := apikey.Spec{
				Database: a.flagOrEnv(a.database, EnvDatabase),
				Branch:   a.flagOrEnv(a.branch, EnvBranch),
				Tenant:   tenant,
				ReadOnly: readOnly,
			}
			if tenant != "" {
				if err := cinch.ValidateTenantName(tenant); err != nil {
					return err
				}
				// A tenant key is pinned to one database and branch.
				if spec.Database, spec.Branch, err = a.scope(ctx); err != nil {
					return err
				}
			}
			if expires != "" {
				d, err := keyExpiry(expires)
				if err != nil {
					return err
				}
				spec.Expires = time.Now().Add(d)
			}
			ks := apikey.ForProject(p)
			defer ks.Close()
			id, secret, err := ks.Create(ctx, spec)
			if err != nil {
				return err
			}
			if a.format == FormatJSON {
				return writeJSON(a.stdout, map[string]string{"id": id, "key": secret})
			}
			fmt.Fprintf(a.stdout, "Created API key %s (%s).\n", id, keyScopeText(spec.Database, spec.Branch, spec.Tenant, spec.ReadOnly, expiresText(spec.Expires)))
			fmt.Fprintln(a.stdout, "Store it now: it is shown only this once.")
			_, err = fmt.Fprintln(a.stdout, secret)
			return err
		}}),
	}
	c.Flags().StringVar(&tenant, "tenant", "", "limit the key to this tenant (of the active or given database and branch)")
	c.Flags().BoolVar(&readOnly, "read-only", false, "the key can only read")
	c.Flags().StringVar(&expires, "expires", "", "the key stops working after this long (e.g. 90m, 24h, 30d)")
	return c
}

func expiresText(t time.Time) string {
	if t.IsZero() {
		return "never expires"
	}
	return "expires " + t.UTC().Format(time.RFC3339)
}

func keyScopeText(database, branch, tenant string, readOnly bool, expiry string) string {
	var parts []string
	switch {
	case tenant != "":
		parts = append(parts, fmt.Sprintf("tenant %s of %s/%s", tenant, orAny(database), orAny(branch)))
	case database != "" || branch != "":
		parts = append(parts, fmt.Sprintf("database %s, branch %s", orAny(database), orAny(branch)))
	default:
		parts = append(parts, "all databases")
	}
	if readOnly {
		parts = append(parts, "read-only")
	} else {
		parts = append(parts, "read-write")
	}
	return strings.Join(append(parts, expiry), ", ")
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func (a *app) keyListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List API keys (never their secrets)",
		Example: "  cinch key list\n  cinch key list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			ks := apikey.ForProject(p)
			defer ks.Close()
			keys, err := ks.List(ctx)
			if err != nil {
				return err
			}
			return emitList(a, keys, []string{"id", "database", "branch", "tenant", "access", "expires", "state", "created_at"}, func(k apikey.Key) []string {
				exp, state := "never", "active"
				if k.ExpiresAt != nil {
					exp = timeText(*k.ExpiresAt)
					if !time.Now().Before(*k.ExpiresAt) {
						state = "expired"
					}
				}
				if k.RevokedAt != nil {
					state = "revoked"
				}
				access := "read-write"
				if k.ReadOnly {
					access = "read-only"
				}
				return []string{k.ID, orAny(k.Database), orAny(k.Branch), orAny(k.Tenant), access, exp, state, timeText(k.CreatedAt)}
			})
		}}),
	}
}

func (a *app) keyRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke an API key: requests with it fail from now on",
		Example: "  cinch key revoke 1f2e3d4c5b6a7980",
		Args:    exactArgs(1),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			ks := apikey.ForProject(p)
			defer ks.Close()
			if err := ks.Revoke(ctx, args[0]); err != nil {
				return err
			}
			return a.done(map[string]any{"id": args[0], "revoked": true}, "Revoked API key %s.", args[0])
		}}),
	}
}
