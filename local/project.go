package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/gofrs/flock"
	"github.com/pelletier/go-toml/v2"
)

// Defaults for Config.
const (
	// DefaultMaxOpenTenants bounds the open tenant handles per process. Each
	// open tenant holds up to 1+ReadersPerTenant connections of ~3 file
	// descriptors and ~320 KiB each (ConnMemory), so 128 keeps a process well
	// under the usual descriptor limits however many tenants are registered.
	DefaultMaxOpenTenants = 128
	// DefaultMaxOpenMemory bounds the memory of the open tenant connections
	// per process (Config.MaxOpenMemory): 16 MiB is ~50 connections.
	DefaultMaxOpenMemory = 16 << 20
	// ConnMemory is what one open tenant connection is counted for against
	// Config.MaxOpenMemory: measured on linux/amd64 with the driver
	// (ncruces/go-sqlite3, one WebAssembly instance per connection: its
	// data, stack, lookaside and a few cached pages), ~300–340 KiB after a
	// write and a read on a small tenant.
	ConnMemory              = 320 << 10
	DefaultReadersPerTenant = 2
	DefaultBusyTimeout      = 10 * time.Second
)

// Config configures Open. Only Dir is required.
type Config struct {
	Dir              string // the project folder (holding .cinchdb)
	MaxOpenTenants   int    // open tenant handles kept; DefaultMaxOpenTenants if 0
	ReadersPerTenant int    // reader connections per open tenant; DefaultReadersPerTenant if 0
	// MaxOpenMemory bounds the open tenant connections by memory as well as
	// MaxOpenTenants bounds their handles: each connection counts ConnMemory
	// bytes. Over it, idle readers are closed first (they reopen on demand),
	// then the least recently used idle handles. DefaultMaxOpenMemory if 0.
	MaxOpenMemory int64
	BusyTimeout   time.Duration // wait for other writers; DefaultBusyTimeout if 0
	Logger        *slog.Logger  // nil: discard
	Now           func() time.Time
	StrictTenant  StrictTenant // data operations without a tenant: see StrictTenant (default: config.toml's strict_tenant)
	// Owner, when set, is asked before any tenant file is opened through
	// the handle pool and told when the handle closes (cluster mode:
	// package cluster makes this node the tenant's owner; see owner.go).
	Owner Owner
	// WaitForRollout makes every schema change wait until every
	// materialized tenant has it, as cinch.WaitForRollout does for one call.
	WaitForRollout bool
	// DeferOpenCatchUp makes a schema change that does not wait for its
	// rollout return at its commit point without first migrating the
	// tenants open in this process: each catches up on its next use (the
	// pool checks the schema generation on every acquire). Cluster nodes
	// set it: there every open tenant is owned, and migrating it is a
	// commit appended to its log (a quorum's fsync), so migrating a
	// node's hundreds of owned tenants before answering made a schema
	// change ten times slower than on one server.
	DeferOpenCatchUp bool
}

// Settings is what config.toml holds.
type Settings struct {
	ActiveDatabase string `toml:"active_database"`
	ActiveBranch   string `toml:"active_branch"`
	StrictTenant   bool   `toml:"strict_tenant"` // data operations need an explicit tenant (see Config.StrictTenant)
}

// Init creates a project in dir (creating dir if needed) with one database
// (name, or "main" when empty) holding branch main and tenant main.
// ErrProjectExists if dir already holds a project.
func Init(ctx context.Context, dir, database string) error {
	if database == "" {
		database = cinch.DefaultDatabase
	}
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return err
	}
	root := stateDir(dir)
	if exists(root) {
		abs, _ := filepath.Abs(dir)
		return &cinch.Error{Err: cinch.ErrProjectExists, Message: fmt.Sprintf("a cinch project already exists in %s", abs),
			Hint: "use it as it is, or remove its .cinchdb folder to start over"}
	}
	if err := os.MkdirAll(databasesDir(root), 0o755); err != nil {
		return err
	}
	if err := writeSettings(root, Settings{ActiveDatabase: database, ActiveBranch: cinch.DefaultBranch}); err != nil {
		return err
	}
	p, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	return p.CreateDatabase(ctx, database)
}

// FindProject walks up from start to the first folder holding .cinchdb.
// ErrNoProject if there is none.
func FindProject(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(stateDir(dir)); err == nil && fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", &cinch.Error{Err: cinch.ErrNoProject, Message: "No CinchDB project found",
				Hint: "create a project first, or start from a folder inside one"}
		}
		dir = parent
	}
}

// Project is an open project. It is safe for concurrent use, and other
// processes may use the same project at the same time.
type Project struct {
	dir  string
	root string
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	gen  *generation
	pool *pool
	// The project lock (database create/delete, publishing a new database
	// or branch, settings): lockMu for this process's goroutines, which
	// one *flock.Flock does not exclude from each other (its Lock returns
	// at once when the same object already holds the lock), lock for other
	// processes. Take both with lockProject.
	lockMu sync.Mutex
	lock   *flock.Flock

	keys keyCache // derived encryption keys

	mu       sync.Mutex
	branches map[[2]string]*branch
	closed   bool
}

// Open opens the project at cfg.Dir.
func Open(ctx context.Context, cfg Config) (*Project, error) {
	root := stateDir(cfg.Dir)
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, &cinch.Error{Err: cinch.ErrNoProject, Message: "No CinchDB project found", Hint: "create a project there first"}
	}
	if cfg.MaxOpenTenants <= 0 {
		cfg.MaxOpenTenants = DefaultMaxOpenTenants
	}
	if cfg.ReadersPerTenant <= 0 {
		cfg.ReadersPerTenant = DefaultReadersPerTenant
	}
	if cfg.MaxOpenMemory <= 0 {
		cfg.MaxOpenMemory = DefaultMaxOpenMemory
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = DefaultBusyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	gen, err := openGeneration(generationFile(root))
	if err != nil {
		return nil, err
	}
	p := &Project{dir: cfg.Dir, root: root, cfg: cfg, log: cfg.Logger, now: cfg.Now, gen: gen,
		lock: flock.New(projectLockFile(root)), branches: map[[2]string]*branch{}}
	p.pool = newPool(p, cfg.MaxOpenTenants, cfg.ReadersPerTenant)
	p.pool.maxConns = max(cfg.MaxOpenMemory/ConnMemory, 2)
	p.pool.seenGen = gen.load()
	return p, nil
}

// Close closes every open tenant. A second call returns nil.
func (p *Project) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.pool.closeAll()
	p.dropBranches()
	return p.gen.close()
}

// Settle waits until the work the project does in the background after
// a call returns is done: checkpoints of the tenants its pool evicted
// (started at once, without the quiet period they otherwise wait for),
// closes of retired handles, spare tenant files being made. Nothing needs
// it for correctness; a benchmark calls it so that what it times next
// does not share the disk with this work.
func (p *Project) Settle(ctx context.Context) error {
	p.mu.Lock()
	bs := make([]*branch, 0, len(p.branches))
	for _, b := range p.branches {
		bs = append(bs, b)
	}
	p.mu.Unlock()
	p.pool.closes.drain()
	p.pool.ckpt.drain()
	for _, b := range bs {
		b.spares.wg.Wait()
	}
	return ctx.Err()
}

// Connect returns a handle on target. Names are validated here; existence
// is checked on first use. An empty tenant is main, unless the project is
// strict (StrictTenant): then the handle serves branch-level work only.
func (p *Project) Connect(target cinch.Target) (*DB, error) {
	if target.Database == "" {
		target.Database = cinch.DefaultDatabase
	}
	if target.Branch == "" {
		target.Branch = cinch.DefaultBranch
	}
	implicitTenant := target.Tenant == ""
	if implicitTenant {
		target.Tenant = cinch.DefaultTenant
	}
	if err := target.Validate(); err != nil {
		return nil, err
	}
	return p.connected(&DB{p: p, target: target}, implicitTenant)
}

// Handle is Connect for code that works on any cinch.DB (a server): a
// handle on target that opens encrypted tenants with key ("" for none).
func (p *Project) Handle(target cinch.Target, key string) (cinch.DB, error) {
	d, err := p.Connect(target)
	if err != nil {
		return nil, err
	}
	return d.WithKey(key), nil
}

// Dir returns the project folder.
func (p *Project) Dir() string { return p.dir }

// StateDir returns the project's state folder (Dir/.cinchdb).
func (p *Project) StateDir() string { return p.root }

// Now returns the time on the project's clock (Config.Now).
func (p *Project) Now() time.Time { return p.now() }

// BusyTimeout is how long the project waits for other writers.
func (p *Project) BusyTimeout() time.Duration { return p.cfg.BusyTimeout }

// OpenTenantHandles is the number of tenant handles open in this process.
func (p *Project) OpenTenantHandles() int { return p.pool.openCount() }

// OpenTenantConns is the number of tenant connections (writers and
// readers) open in this process, the figure Config.MaxOpenMemory bounds.
func (p *Project) OpenTenantConns() int { return int(p.pool.conns.Load()) }

// DeleteExpiredKV removes the expired KV keys of every served tenant it can
// open without a key, and returns how many (cinch serve runs it on a timer;
// see kv.go).
func (p *Project) DeleteExpiredKV(ctx context.Context) (int64, error) { return deleteExpiredKV(ctx, p) }

// RolloutInProgress reports whether a branch has a multi-step operation in
// flight (its journal exists), in this process or another.
func (p *Project) RolloutInProgress(database, branch string) bool {
	if cinch.ValidateDatabaseName(database) != nil || cinch.ValidateBranchName(branch) != nil {
		return false
	}
	return exists(journalFile(p.branchDir(database, branch)))
}

// Settings returns the active database and branch from config.toml.
func (p *Project) Settings() (Settings, error) {
	s := Settings{ActiveDatabase: cinch.DefaultDatabase, ActiveBranch: cinch.DefaultBranch}
	data, err := os.ReadFile(configFile(p.root))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return s, nil
		}
		return s, err
	}
	if err := toml.Unmarshal(data, &s); err != nil {
		return s, &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("%s: %v", configFile(p.root), err),
			Hint: "fix the file, or set the active database and branch again"}
	}
	return s, nil
}

// SetActive records the active database and branch in config.toml.
func (p *Project) SetActive(database, branch string) error {
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return err
	}
	if err := cinch.ValidateBranchName(branch); err != nil {
		return err
	}
	if !exists(p.branchDir(database, branch)) {
		if !exists(p.dbDir(database)) {
			return notFoundDatabase(database)
		}
		return notFoundBranch(branch)
	}
	unlock, err := p.lockProject()
	if err != nil {
		return err
	}
	defer unlock()
	return p.rewriteSettings(func(s *Settings) { s.ActiveDatabase, s.ActiveBranch = database, branch })
}

func writeSettings(root string, s Settings) error {
	data, err := toml.Marshal(s)
	if err != nil {
		return err
	}
	head := "# cinch project settings: the active database and branch (cinch db switch, cinch branch switch), strict_tenant (cinch config set).\n"
	return writeFileAtomic(configFile(root), append([]byte(head), data...))
}

// Databases lists the databases.
func (p *Project) Databases(ctx context.Context) ([]cinch.DatabaseInfo, error) {
	entries, err := os.ReadDir(databasesDir(p.root))
	if err != nil {
		return nil, err
	}
	out := []cinch.DatabaseInfo{}
	for _, e := range entries {
		if !e.IsDir() || cinch.ValidateDatabaseName(e.Name()) != nil {
			continue
		}
		info, err := p.DatabaseInfo(ctx, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// CreateDatabase creates a database with branch main and tenant main. It is
// built in a staging folder and published complete (see staging.go): of
// two racing creates of one name, in this process or another, exactly one
// wins and the other gets ErrDatabaseExists.
func (p *Project) CreateDatabase(ctx context.Context, name string) (err error) {
	if err := cinch.ValidateDatabaseName(name); err != nil {
		return err
	}
	defer func() { err = diskFull(err, p.root, fmt.Sprintf("database %q", name)) }()
	final := p.dbDir(name)
	taken := func() error { return cinch.Exists(cinch.ErrDatabaseExists, "database", name) }
	if exists(final) {
		return taken()
	}
	st, err := stage(final)
	if err != nil {
		return err
	}
	if err := p.buildDatabase(ctx, st.dir, name); err != nil {
		st.abort()
		return err
	}
	err = st.publish(p, taken, func() error { return fmt.Errorf("%w: %s vanished", cinch.ErrInternal, filepath.Dir(final)) })
	if err != nil {
		st.abort()
		return err
	}
	st.release()
	return nil
}

// buildDatabase lays out a new database in dir: branch main with an empty
// history, a registry holding tenant main, and tenant main's file.
func (p *Project) buildDatabase(ctx context.Context, dir, name string) error {
	dir = branchDir(dir, cinch.DefaultBranch)
	if err := os.MkdirAll(tenantsDir(dir), 0o755); err != nil {
		return err
	}
	meta := Metadata{Name: cinch.DefaultBranch, Database: name, CreatedAt: p.now().UTC().Truncate(time.Millisecond)}
	if err := writeJSON(metadataFile(dir), meta); err != nil {
		return err
	}
	if err := writeJSON(changesFile(dir), []cinch.Change{}); err != nil {
		return err
	}
	reg, err := openRegistry(ctx, registryFile(dir), p.cfg.BusyTimeout)
	if err != nil {
		return err
	}
	err = reg.insert(ctx, tenantRow{Name: cinch.DefaultTenant, CreatedAt: p.now()})
	reg.close()
	if err != nil {
		return err
	}
	// Tenant main gets its (empty) file right away, as the seed shows.
	mainDB, err := sqlite.Open(ctx, tenantFile(dir, cinch.DefaultTenant), p.connOptions())
	if err != nil {
		return err
	}
	return mainDB.Close()
}

// DatabaseInfo describes one database.
func (p *Project) DatabaseInfo(ctx context.Context, name string) (cinch.DatabaseInfo, error) {
	if err := cinch.ValidateDatabaseName(name); err != nil {
		return cinch.DatabaseInfo{}, err
	}
	entries, err := os.ReadDir(branchesDir(p.dbDir(name)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cinch.DatabaseInfo{}, notFoundDatabase(name)
		}
		return cinch.DatabaseInfo{}, err
	}
	info := cinch.DatabaseInfo{Name: name, Branches: []string{}}
	for _, e := range entries {
		if e.IsDir() && cinch.ValidateBranchName(e.Name()) == nil {
			info.Branches = append(info.Branches, e.Name())
		}
	}
	sort.Strings(info.Branches)
	return info, nil
}

// DeleteDatabase removes a database and all its files. The database the
// project's config marks active cannot be deleted (ErrProtected).
func (p *Project) DeleteDatabase(ctx context.Context, name string) error {
	if _, err := p.DatabaseInfo(ctx, name); err != nil {
		return err
	}
	s, err := p.Settings()
	if err != nil {
		return err
	}
	if s.ActiveDatabase == name {
		return &cinch.Error{Err: cinch.ErrProtected, Message: fmt.Sprintf("database %q is the active database", name),
			Hint: "switch to another database first"}
	}
	// Rename out of the way first (atomic), then remove at leisure; a
	// kill in between leaves the trash folder for the sweep (staging.go).
	trash, err := trashName(p.dbDir(name))
	if err != nil {
		return err
	}
	held, err := holdStaging(filepath.Dir(trash))
	if err != nil {
		return err
	}
	defer held.Unlock()
	unlock, err := p.lockProject()
	if err != nil {
		return err
	}
	if err := os.Rename(p.dbDir(name), trash); err != nil {
		unlock()
		if errors.Is(err, fs.ErrNotExist) {
			return notFoundDatabase(name)
		}
		return err
	}
	p.gen.bump()
	p.pool.closeAll()
	p.dropBranches()
	unlock()
	return os.RemoveAll(trash)
}

// Branches lists the branches of a database.
func (p *Project) Branches(ctx context.Context, database string) ([]cinch.BranchInfo, error) {
	info, err := p.DatabaseInfo(ctx, database)
	if err != nil {
		return nil, err
	}
	out := make([]cinch.BranchInfo, 0, len(info.Branches))
	for _, name := range info.Branches {
		bi, err := p.BranchInfo(ctx, database, name)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(err, cinch.ErrBranchNotFound):
			continue // deleted meanwhile
		default:
			// One branch that cannot be read (a broken changes.json) does
			// not hide the others: it is listed with what can be read and
			// its error, which names the file and says what to do.
			bi = p.unreadableBranch(database, name, err)
		}
		out = append(out, bi)
	}
	return out, nil
}

// unreadableBranch is the list entry of a branch BranchInfo failed on: its
// name, its parent and creation time if metadata.json reads, and the error.
func (p *Project) unreadableBranch(database, name string, err error) cinch.BranchInfo {
	bi := cinch.BranchInfo{Name: name, Database: database, Error: err.Error()}
	var m Metadata
	if readJSON(metadataFile(p.branchDir(database, name)), &m) == nil {
		bi.Parent, bi.CreatedAt = m.Parent, m.CreatedAt
	}
	return bi
}

// BranchInfo describes one branch.
func (p *Project) BranchInfo(ctx context.Context, database, name string) (cinch.BranchInfo, error) {
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return cinch.BranchInfo{}, err
	}
	if err := cinch.ValidateBranchName(name); err != nil {
		return cinch.BranchInfo{}, err
	}
	b, err := p.branch(ctx, database, name)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	m, err := b.metadata()
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	n, err := b.reg.count(ctx)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	changes, _, err := b.state(ctx)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	behind, err := behindCount(ctx, b)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	return cinch.BranchInfo{Name: name, Database: database, Parent: m.Parent, CreatedAt: m.CreatedAt, Changes: len(changes), Tenants: n, Behind: behind}, nil
}

// branch returns the loaded state of a branch.
func (p *Project) branch(ctx context.Context, database, name string) (*branch, error) {
	key := [2]string{database, name}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, cinch.Errorf(cinch.ErrInternal, "project is closed")
	}
	b := p.branches[key]
	p.mu.Unlock()
	if b != nil {
		return b, nil
	}
	dir := p.branchDir(database, name)
	if !exists(dir) {
		if !exists(p.dbDir(database)) {
			return nil, notFoundDatabase(database)
		}
		return nil, notFoundBranch(name)
	}
	reg, err := openRegistry(ctx, registryFile(dir), p.cfg.BusyTimeout)
	if err != nil {
		return nil, err
	}
	nb := &branch{p: p, database: database, name: name, dir: dir, reg: reg, flock: flock.New(branchLockFile(dir))}
	if err := nb.refresh(ctx); err != nil {
		nb.close()
		return nil, err
	}
	// A process that crashed mid-operation left a journal: finish it now,
	// before this process serves anything from the branch, unless another
	// process holds the lock (it is doing that work, or will on its next
	// structural call).
	if exists(nb.journalPath()) {
		if unlock, err := nb.tryLock(ctx); err == nil {
			unlock()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.branches[key]; b != nil { // lost a race: use the first
		nb.close()
		return b, nil
	}
	p.branches[key] = nb
	return nb, nil
}

// dropStaleBranches forgets branches whose registry file is no longer the
// one this process opened (the database or branch was deleted, maybe
// recreated, by another process). Users of a dropped branch in flight get
// a clear error, never a closed connection.
func (p *Project) dropStaleBranches() {
	p.mu.Lock()
	var stale []*branch
	for k, b := range p.branches {
		sig, err := statSig(registryFile(b.dir))
		if err != nil || sig.ino != b.reg.sig.ino {
			stale = append(stale, b)
			delete(p.branches, k)
		}
	}
	p.mu.Unlock()
	for _, b := range stale {
		b.close()
	}
}

// dropBranches forgets all cached branch state.
func (p *Project) dropBranches() {
	p.mu.Lock()
	old := p.branches
	p.branches = map[[2]string]*branch{}
	p.mu.Unlock()
	for _, b := range old {
		b.close()
	}
}

// forgetBranch drops one branch's cached state (branch delete).
func (p *Project) forgetBranch(database, name string) {
	p.mu.Lock()
	b := p.branches[[2]string{database, name}]
	delete(p.branches, [2]string{database, name})
	p.mu.Unlock()
	if b != nil {
		b.close()
	}
}

// lockProject takes the project lock, in this process and across processes.
func (p *Project) lockProject() (unlock func(), err error) {
	p.lockMu.Lock()
	if err := p.lock.Lock(); err != nil {
		p.lockMu.Unlock()
		return nil, fmt.Errorf("%w: lock %s: %v", cinch.ErrInternal, p.lock.Path(), err)
	}
	return func() {
		p.lock.Unlock()
		p.lockMu.Unlock()
	}, nil
}

func (p *Project) connOptions() sqlite.Options {
	return sqlite.Options{BusyTimeout: p.cfg.BusyTimeout}
}

// tenantKey returns the derived key for an encrypted tenant row, or nil
// for a plain one. A key given for a plain tenant is ignored, so
// CINCHDB_TENANT_KEY can stay set across a mixed fleet.
func (p *Project) tenantKey(r tenantRow, key string) ([]byte, error) {
	if !r.Encrypted {
		return nil, nil
	}
	if key == "" {
		return nil, errNoKey(r.Name)
	}
	return p.keys.derive(r.Salt, key), nil
}

// do runs fn, which uses c, with sqlite.Conn.Do: a driver panic becomes
// fn's error (wrapping ErrInvalidInput) and closes c, and is logged.
func (p *Project) do(c *sqlite.Conn, tenant string, fn func() error) error {
	err := c.Do(fn)
	var dp *sqlite.DriverPanic
	if errors.As(err, &dp) {
		p.cfg.Logger.Warn("the SQLite driver panicked on a statement; its connection is closed",
			"tenant", tenant, "panic", fmt.Sprint(dp.Value), "stack", string(dp.Stack))
	}
	return err
}

func (p *Project) dbDir(database string) string { return databaseDir(p.root, database) }

func (p *Project) branchDir(database, branch string) string {
	return branchDir(p.dbDir(database), branch)
}

// connected finishes Connect: on a strict project, a handle connected
// without a tenant remembers why it may not run data operations.
func (p *Project) connected(d *DB, implicitTenant bool) (*DB, error) {
	if !implicitTenant {
		return d, nil
	}
	switch p.cfg.StrictTenant {
	case StrictTenantOn:
		d.strict = "Config.StrictTenant"
	case StrictTenantOff:
	default:
		s, err := p.Settings()
		if err != nil {
			return nil, err
		}
		if s.StrictTenant {
			d.strict = "strict_tenant in " + configName
		}
	}
	return d, nil
}

// SetStrictTenant records strict_tenant in config.toml. When on, handles
// connected without a tenant refuse data operations (unless
// Config.StrictTenant overrides the setting), and the CLI's data commands
// need --tenant.
func (p *Project) SetStrictTenant(on bool) error {
	unlock, err := p.lockProject()
	if err != nil {
		return err
	}
	defer unlock()
	// A file that does not parse is reported, not replaced: it may hold an
	// active database this call knows nothing about.
	if _, err := p.Settings(); err != nil {
		return err
	}
	return p.rewriteSettings(func(s *Settings) { s.StrictTenant = on })
}

// rewriteSettings changes config.toml through fn; the caller holds the
// project lock. Settings fn does not touch are kept. A file that does not
// parse is rewritten from the defaults, which is the documented way out of
// it (set the active database and branch again).
func (p *Project) rewriteSettings(fn func(*Settings)) error {
	s, err := p.Settings()
	if errors.Is(err, cinch.ErrInvalidInput) {
		s, err = Settings{ActiveDatabase: cinch.DefaultDatabase, ActiveBranch: cinch.DefaultBranch}, nil
	}
	if err != nil {
		return err
	}
	fn(&s)
	return writeSettings(p.root, s)
}

// Converge makes one pass over every branch of every database and migrates
// the tenants that are behind their branch's schema (a change returned
// without waiting for them) and that opts.Filter picks, a few at a time
// under each branch's lock. Encrypted tenants are left to their next open
// with their key. A server runs it in the background (RunConverger); a
// cluster node passes a filter of the tenants it owns.
func (p *Project) Converge(ctx context.Context, opts ConvergeOptions) (ConvergeResult, error) {
	return converge(ctx, p, opts)
}

// RunConverger runs Converge passes until ctx is done: one at once, then
// one whenever a schema change is committed (by any process on the
// project; it polls every poll, 1 s if 0) and, while tenants fail to
// migrate, one a minute. It returns when ctx is done; a server runs it on a
// goroutine and cancels ctx when it shuts down.
func (p *Project) RunConverger(ctx context.Context, opts ConvergeOptions, poll time.Duration) {
	if poll <= 0 {
		poll = time.Second
	}
	runConverger(ctx, p, opts, poll, time.Minute)
}

// ConvergeInBackground runs the converger of a server (RunConverger over
// every tenant) until ctx is done: cinch serve's server.BackgroundConverger.
func (p *Project) ConvergeInBackground(ctx context.Context) {
	p.RunConverger(ctx, ConvergeOptions{}, 0)
}

// waitForRollout reports whether a schema change made under ctx waits for
// every tenant (cinch.WaitForRollout, or Config.WaitForRollout), and its
// progress callback.
func (p *Project) waitForRollout(ctx context.Context) (bool, func(done, total int)) {
	wait, progress := cinch.RolloutWait(ctx)
	return wait || p.cfg.WaitForRollout, progress
}

// Catalog returns the project's read-only catalog.
func (p *Project) Catalog() Catalog { return Catalog{p} }

// DropTenantHandle closes this process's handle on a tenant, if open (its
// users finish first). Cluster mode calls it when the node lost the tenant.
func (p *Project) DropTenantHandle(ctx context.Context, database, branch, tenant string) {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return
	}
	p.pool.forget(b, tenant, false)
}

// WarmTenant opens the tenant's handle in the pool (as its first request
// would) and keeps it there: with Config.Owner this makes the process the
// tenant's owner, or fails with the Owner's error (cinch.ErrNotOwner).
func (p *Project) WarmTenant(ctx context.Context, database, branch, tenant string) error {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return err
	}
	h, err := p.pool.acquire(ctx, b, tenant, "")
	if err != nil {
		return err
	}
	p.pool.release(h)
	return nil
}

// TenantRegistered reports whether a branch's registry lists the tenant;
// false, nil when the database or branch does not exist (cluster mode asks
// before applying a registry change, to know whether it creates a tenant).
func (p *Project) TenantRegistered(ctx context.Context, database, branch, tenant string) (bool, error) {
	b, err := p.branch(ctx, database, branch)
	if errors.Is(err, cinch.ErrDatabaseNotFound) || errors.Is(err, cinch.ErrBranchNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, found, err := b.reg.get(ctx, tenant)
	return found, err
}

// TenantFilePath is where a tenant's file is, or would be once written.
func (p *Project) TenantFilePath(ctx context.Context, database, branch, tenant string) (string, error) {
	if err := cinch.ValidateTenantName(tenant); err != nil {
		return "", err
	}
	return tenantFile(p.branchDir(database, branch), tenant), nil
}

// BackupTenant writes a consistent copy of a tenant's file to dst (a new
// file), through the tenant's handle: with Config.Owner the process becomes
// the tenant's owner first. lazy: the tenant has no file and dst is not
// written. Encrypted tenants are refused (their key is not given here).
func (p *Project) BackupTenant(ctx context.Context, database, branch, tenant, dst string) (lazy bool, err error) {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return false, err
	}
	h, err := p.pool.acquire(ctx, b, tenant, "")
	if err != nil {
		return false, err
	}
	defer p.pool.release(h)
	h.initMu.Lock()
	lazy = h.lazy
	h.initMu.Unlock()
	if lazy {
		return true, nil
	}
	if h.dk != nil {
		return false, cinch.Errorf(cinch.ErrNotImplemented, "tenant %q is encrypted: it cannot be copied this way", tenant)
	}
	return false, h.useWriter(func(w *sqlite.Conn) error { return w.BackupToTemp(ctx, dst, nil) })
}

// SnapshotTenant runs fn on the file of a tenant open here, holding its
// writer (no commit runs meanwhile) after a checkpoint that copied every
// frame of its WAL into the file, so the file alone holds every commit:
// cluster mode stores it as the tenant's snapshot. A tenant not open here
// (or lazy) is left alone: nil, fn not run. A checkpoint that could not
// copy every frame (a reader holds an old snapshot of the WAL) is
// cinch.ErrBusy, and fn is not run: try again later. Encrypted tenants are
// refused.
func (p *Project) SnapshotTenant(ctx context.Context, database, branch, tenant string, fn func(path string) error) error {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return err
	}
	key := poolKey{b.database, b.name, tenant}
	p.pool.mu.Lock()
	h := p.pool.m[key]
	if h != nil && !h.dead {
		h.refs++
	} else {
		h = nil
	}
	p.pool.mu.Unlock()
	if h == nil {
		return nil
	}
	defer p.pool.release(h)
	h.initMu.Lock()
	ready, lazy, encrypted := h.ready, h.lazy, h.dk != nil
	h.initMu.Unlock()
	if !ready || lazy {
		return nil
	}
	if encrypted {
		return cinch.Errorf(cinch.ErrNotImplemented, "tenant %q is encrypted", tenant)
	}
	return h.useWriter(func(w *sqlite.Conn) error {
		if complete, err := w.CheckpointPassive(); err != nil {
			return err
		} else if !complete {
			return cinch.Errorf(cinch.ErrBusy, "tenant %q: a reader holds part of its WAL", tenant).WithHint("try again later")
		}
		return fn(h.path)
	})
}

// TenantNames lists a branch's tenants by name (cluster mode splits a fleet
// operation into one request per tenant); archived ones only when asked.
func (p *Project) TenantNames(ctx context.Context, database, branch string, archived bool) ([]string, error) {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return nil, err
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if archived || !r.Archived {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// UndoPrepared reverts a coordinated change another process prepared and
// did not finish (it died): every served tenant of the branch at
// p.Version is brought back, through co. Cluster mode calls it on the node
// that takes the unfinished change over.
func (p *Project) UndoPrepared(ctx context.Context, co Coordinator, prep Prepared) error {
	b, err := p.branch(ctx, prep.Database, prep.Branch)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	names, err := servedNames(ctx, b)
	if err != nil {
		return err
	}
	return undoCoordinated(ctx, b, co, prep, names)
}

// RecordChange appends the change records another process coordinated and
// committed (a change, or a merge's; its tenants already have them) to the
// branch's history here. Recording them again is not an error; a history
// that does not end where they start is (the histories diverged).
func (p *Project) RecordChange(ctx context.Context, prep Prepared) error {
	if len(prep.Changes) == 0 {
		return nil
	}
	b, err := p.branch(ctx, prep.Database, prep.Branch)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	changes, _, err := b.state(ctx)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.ID == prep.Changes[0].ID {
			return nil
		}
	}
	if len(changes)+len(prep.Changes) != prep.Version {
		return fmt.Errorf("%w: branch %q has %d changes here, the coordinated change %s makes version %d",
			cinch.ErrSchemaDrift, b.name, len(changes), prep.Changes[0].ID, prep.Version)
	}
	if err := b.commit(ctx, append(slices.Clone(changes), prep.Changes...)); err != nil {
		return err
	}
	b.p.gen.bumpSchema()
	return nil
}
