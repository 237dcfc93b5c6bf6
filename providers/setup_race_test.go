package providers

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
)

// twoMethods connects with either of two methods whose inputs name the
// run, so that a test can tell which run wrote the secret and which the
// metadata.
type twoMethods struct{ fakeProvider }

func (*twoMethods) Methods() []Method {
	inputs := []Input{{Key: "run", Label: "Run"}, {Key: "secret", Label: "Secret", Secret: true}}
	return []Method{{ID: "client-secret", Name: "Secret", Inputs: inputs}, {ID: "private-key-jwt", Name: "Key", Inputs: inputs}}
}

func (*twoMethods) Connect(_ context.Context, m Method, in Inputs, _ flows.Interaction) (Connection, flows.Secret, error) {
	return Connection{Tenant: "acme.us.auth0.com", Settings: map[string]string{"run": in.Get("run")}}, in.Secret, nil
}

// TestConcurrentSetupsKeepSecretAndMetadataTogether races 50 pairs of
// setups of one connection, a client secret against a private key JWT,
// through the encrypted file store on real files: afterwards the stored
// secret and the recorded metadata always come from the same run.
func TestConcurrentSetupsKeepSecretAndMetadataTogether(t *testing.T) {
	dir := t.TempDir()
	store, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "age-identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := catalog.Default()
	m := &Manager{Catalog: cat, Providers: []Provider{&twoMethods{}}, Config: Config{Dir: dir},
		Store: func(flows.StoreKind) (flows.Store, error) { return store, nil }, StoreKind: flows.StoreFile}
	k := flows.Key{Provider: "auth0", Name: "default"}
	for i := range 50 {
		var wg sync.WaitGroup
		for _, method := range []string{"client-secret", "private-key-jwt"} {
			run := fmt.Sprintf("%02d-%s", i, method)
			plan, err := m.Plan(SetupRequest{Provider: "auth0", Name: k.Name, Method: method, Inputs: Inputs{
				Values: map[string]string{"run": run}, Secret: flows.NewSecret(map[string]string{"secret": run})}})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{}); err != nil {
					t.Errorf("Setup(%s) = %v", run, err)
				}
			}()
		}
		wg.Wait()
		f, err := m.Config.Load()
		if err != nil {
			t.Fatal(err)
		}
		conn, ok := f.Find(k)
		secret, err := store.Load(context.Background(), k)
		if !ok || err != nil {
			t.Fatalf("pair %d: metadata %v, secret %v", i, ok, err)
		}
		if run := conn.Settings["run"]; secret.Get("secret") != run || !strings.HasSuffix(run, conn.Method) {
			t.Errorf("pair %d: metadata from run %s (method %s), secret from run %s", i, run, conn.Method, secret.Get("secret"))
		}
	}
}

// rotating stores a refreshed secret during each verification, as a
// provider whose refresh tokens rotate does.
type rotating struct {
	fakeProvider
	mu   sync.Mutex
	errs []error
}

func (p *rotating) Verify(ctx context.Context, conn Connection, cred Credential, r Reporter) error {
	err := cred.Save(ctx, flows.NewSecret(map[string]string{"secret": "rotated for " + conn.Tenant}))
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
	return p.fakeProvider.Verify(ctx, conn, cred, r)
}

// TestRotatedSecretOfAReplacedConnectionIsNotKept: a verification that
// refreshes the credential of a connection set up again meanwhile does
// not store it over the new setup's secret.
func TestRotatedSecretOfAReplacedConnectionIsNotKept(t *testing.T) {
	p := &rotating{}
	m, store := newManager(t, &p.fakeProvider)
	m.Providers = []Provider{p}
	tick := m.Now()
	m.Now = func() time.Time { tick = tick.Add(time.Second); return tick }
	k := flows.Key{Provider: "auth0", Name: "default"}
	setup := func(domain string) Connection {
		plan, err := m.Plan(request(domain))
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Setup(context.Background(), plan, flows.Interaction{}, nopReporter{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Connection
	}
	first := setup("a.auth0.com")
	if got := store.items[k].Get("secret"); got != "rotated for a.auth0.com" {
		t.Fatalf("after the first setup's verification, the secret is %q", got)
	}
	setup("b.auth0.com")
	m.Verify(context.Background(), first, nopReporter{}) // began before the second setup
	if got := store.items[k].Get("secret"); got != "rotated for b.auth0.com" {
		t.Errorf("a verification of the replaced connection stored %q over the new secret", got)
	}
	if err := p.errs[len(p.errs)-1]; !errors.Is(err, ErrConnectionReplaced) {
		t.Errorf("Save() for the replaced connection = %v, want ErrConnectionReplaced", err)
	}
}
