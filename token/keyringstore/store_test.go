package keyringstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// backends are the keyrings every store test runs against: memory always,
// and the real OS keyring (under `make test`, gnome-keyring in a private
// D-Bus session). SOFTTOKEN_REQUIRE_KEYRING=1 turns a missing keyring into a
// failure, so that CI cannot pass without testing the real thing.
func backends(t *testing.T) map[string]keyringstore.Backend {
	t.Helper()
	m := map[string]keyringstore.Backend{"memory": &keyringstore.MemoryBackend{}}
	if err := probeKeyring(); err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_KEYRING") == "1" {
			t.Fatalf("the real keyring is required but unusable: %v", err)
		}
		t.Logf("real keyring not tested: %v", err)
	} else {
		m["os"] = keyringstore.OSKeyring{}
	}
	return m
}

var probeOnce = sync.OnceValue(func() error {
	service := testService()
	k := keyringstore.OSKeyring{}
	if err := k.Set(service, "probe", "x"); err != nil {
		return err
	}
	return k.Delete(service, "probe")
})

func probeKeyring() error { return probeOnce() }

func testService() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "softtoken-test-" + hex.EncodeToString(b)
}

// newStore returns a store on backend under a fresh service name, which it
// empties when the test ends.
func newStore(t *testing.T, backend keyringstore.Backend) *keyringstore.Store {
	t.Helper()
	s, err := keyringstore.New(keyringstore.Config{
		Service: testService(), Backend: backend,
		LockPath: filepath.Join(t.TempDir(), "lock"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wipe(t, s, backend) })
	return s
}

func wipe(t *testing.T, s *keyringstore.Store, backend keyringstore.Backend) {
	t.Helper()
	entries, _ := s.List()
	for _, e := range entries {
		_ = s.Delete(e.ID)
	}
	_ = backend.Delete(s.Service(), "index")
}

func testToken(label string) token.Token {
	secret := make(token.Secret, 20)
	_, _ = rand.Read(secret)
	return token.Token{
		Label: label, Issuer: "secureauth.example.com", Account: label,
		EnrolURL: "https://secureauth.example.com/secenrol/", Serial: "ST-" + label,
		Secret: secret, Params: token.DefaultParams(),
	}
}

func labels(t *testing.T, s *keyringstore.Store) []string {
	t.Helper()
	entries, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for i, e := range entries {
		if e.Slot != i+1 {
			t.Errorf("entry %d has slot %d", i, e.Slot)
		}
		if e.Err != nil {
			out = append(out, "!"+e.Err.Error())
			continue
		}
		out = append(out, e.Token.Label)
	}
	return out
}

func TestStoreLifecycle(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, backend)
			if got := labels(t, s); len(got) != 0 {
				t.Fatalf("new store lists %v", got)
			}
			a, b, c := testToken("alice"), testToken("bob"), testToken("carol")
			for _, tok := range []token.Token{a, b, c} {
				if _, err := s.Add(tok); err != nil {
					t.Fatal(err)
				}
			}
			entries, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(entries[1].Token, b) {
				t.Errorf("stored token differs:\ngot  %#v %+v\nwant %#v %+v", entries[1].Token, entries[1].Token.Params, b, b.Params)
			}
			if string(entries[1].Token.Secret) != string(b.Secret) {
				t.Error("secret changed in the keyring")
			}
			if err := s.Rename(entries[1].ID, "bob at work"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(entries[0].ID); err != nil {
				t.Fatal(err)
			}
			if got, want := labels(t, s), []string{"bob at work", "carol"}; !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if err := s.Rename(entries[1].ID, "carol"); !errors.Is(err, token.ErrDuplicateLabel) {
				t.Errorf("rename onto another token's name: got %v", err)
			}
			if _, err := s.Add(testToken("carol")); !errors.Is(err, token.ErrDuplicateLabel) {
				t.Errorf("add with a taken name: got %v", err)
			}
			if err := s.Rename(entries[1].ID, " "); err == nil {
				t.Error("rename to a blank name succeeded")
			}
			if err := s.Delete(entries[0].ID); !errors.Is(err, token.ErrNotFound) {
				t.Errorf("delete twice: got %v", err)
			}
			if err := s.Rename("0123456789abcdef", "x"); !errors.Is(err, token.ErrNotFound) {
				t.Errorf("rename unknown: got %v", err)
			}
		})
	}
}

func TestSeventhTokenRefused(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, backend)
			for i := 1; i <= token.MaxTokens; i++ {
				if _, err := s.Add(testToken(fmt.Sprintf("user%d", i))); err != nil {
					t.Fatalf("token %d: %v", i, err)
				}
			}
			before, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			index, _ := backend.Get(s.Service(), "index")
			_, err = s.Add(testToken("user7"))
			if !errors.Is(err, token.ErrFull) {
				t.Fatalf("seventh token: got %v, want ErrFull", err)
			}
			if !strings.Contains(err.Error(), "delete one") {
				t.Errorf("the message does not say what to do: %v", err)
			}
			after, _ := s.List()
			indexAfter, _ := backend.Get(s.Service(), "index")
			if !reflect.DeepEqual(before, after) || index != indexAfter {
				t.Error("a refused seventh token changed the store")
			}
			if m, ok := backend.(*keyringstore.MemoryBackend); ok && m.Len() != 1+token.MaxTokens {
				t.Errorf("the backend holds %d entries, want %d", m.Len(), 1+token.MaxTokens)
			}
		})
	}
}

func TestNextHOTPCode(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, backend)
			h := testToken("counter")
			h.Secret = token.Secret("12345678901234567890")
			h.Params = token.Params{Type: token.HOTP, Algorithm: token.SHA1, Digits: 6, Counter: 0}
			e, err := s.Add(h)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"755224", "287082", "359152"} { // RFC 4226 Appendix D
				got, err := s.NextHOTPCode(e.ID)
				if err != nil || got != want {
					t.Fatalf("got %q, %v; want %s", got, err, want)
				}
			}
			entries, _ := s.List()
			if entries[0].Token.Counter != 3 {
				t.Errorf("counter stored as %d, want 3", entries[0].Token.Counter)
			}
			totp, _ := s.Add(testToken("time"))
			if _, err := s.NextHOTPCode(totp.ID); err == nil || !strings.Contains(err.Error(), "time-based") {
				t.Errorf("NextHOTPCode on a TOTP token: got %v", err)
			}
			// The counter's last value gives its code once; the counter
			// never wraps to 0, which would show old codes again.
			last := h
			last.Label, last.Counter = "last", math.MaxUint64-1
			e, err = s.Add(last)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.NextHOTPCode(e.ID); err != nil {
				t.Fatalf("the code before the last: %v", err)
			}
			if _, err := s.NextHOTPCode(e.ID); err == nil || !strings.Contains(err.Error(), "enrol") {
				t.Errorf("a counter at its end: got %v, want a refusal that says to enrol again", err)
			}
			entries, _ = s.List()
			if got := entries[len(entries)-1].Token; got.Label != "last" || got.Counter != math.MaxUint64 {
				t.Errorf("after the refusal: %q at counter %d", got.Label, got.Counter)
			}
		})
	}
}

// Entries that softtoken cannot read are listed, never dropped; a damaged
// index stops every change.
func TestDamagedEntries(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, backend)
			var ids []string
			for _, l := range []string{"one", "two", "three", "four"} {
				e, err := s.Add(testToken(l))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, e.ID)
			}
			must(t, backend.Set(s.Service(), "token:"+ids[1], "not json"))
			must(t, backend.Set(s.Service(), "token:"+ids[2], `{"format":"softtoken-token/9"}`))
			must(t, backend.Delete(s.Service(), "token:"+ids[3]))
			got := labels(t, s)
			for i, want := range []string{"one", "not written by softtoken", "newer version", "missing"} {
				if !strings.Contains(got[i], want) {
					t.Errorf("slot %d: got %q, want it to mention %q", i+1, got[i], want)
				}
			}
			// An unreadable entry can be deleted, and another token added.
			must(t, s.Delete(ids[1]))
			if _, err := s.Add(testToken("five")); err != nil {
				t.Fatal(err)
			}

			for _, raw := range []string{"garbage", `{"format":"softtoken-index/2","tokens":[]}`, `{"format":"softtoken-index/1","tokens":["../etc"]}`} {
				must(t, backend.Set(s.Service(), "index", raw))
				var ie *keyringstore.IndexError
				if _, err := s.List(); !errors.As(err, &ie) {
					t.Errorf("index %q: List got %v, want an IndexError", raw, err)
				}
				if _, err := s.Add(testToken("six")); !errors.As(err, &ie) {
					t.Errorf("index %q: Add got %v, want an IndexError", raw, err)
				}
				if after, _ := backend.Get(s.Service(), "index"); after != raw {
					t.Errorf("a damaged index was overwritten with %q", after)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Two writers in one process, each with its own store and lock file
// descriptor, never lose each other's tokens.
func TestConcurrentWriters(t *testing.T) {
	backend := &keyringstore.MemoryBackend{}
	cfg := keyringstore.Config{Service: testService(), Backend: backend, LockPath: filepath.Join(t.TempDir(), "lock")}
	var wg sync.WaitGroup
	errs := make(chan error, token.MaxTokens)
	for i := range token.MaxTokens {
		wg.Go(func() {
			s, err := keyringstore.New(cfg)
			if err == nil {
				_, err = s.Add(testToken(fmt.Sprintf("user%d", i)))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	s, _ := keyringstore.New(cfg)
	if got := labels(t, s); len(got) != token.MaxTokens {
		t.Errorf("after %d concurrent adds the store lists %v", token.MaxTokens, got)
	}
}

func TestLockTimeout(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "lock")
	cfg := keyringstore.Config{Service: testService(), Backend: &keyringstore.MemoryBackend{}, LockPath: lock, LockTimeout: 100 * time.Millisecond}
	s, _ := keyringstore.New(cfg)
	holder := lockFile(t, lock)
	defer holder()
	start := time.Now()
	if _, err := s.Add(testToken("x")); !errors.Is(err, keyringstore.ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the lock timeout was not honoured")
	}
}

func TestReplace(t *testing.T) {
	s := newStore(t, &keyringstore.MemoryBackend{})
	mk := func(label, secret string) token.Token {
		return token.Token{Label: label, Secret: token.Secret(secret), Params: token.DefaultParams()}
	}
	for _, l := range []string{"a", "b", "c"} {
		if _, err := s.Add(mk(l, "old secret "+l)); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := s.List()
	got, err := s.Replace(entries[1].ID, mk("ignored", "new secret b"))
	if err != nil || got.Slot != 2 || got.ID != entries[1].ID || got.Token.Label != "b" {
		t.Fatalf("Replace = %+v, %v", got, err)
	}
	after, _ := s.List()
	if len(after) != 3 || string(after[1].Token.Secret) != "new secret b" || after[1].Token.Label != "b" || string(after[2].Token.Secret) != "old secret c" {
		t.Errorf("after Replace: %v", after)
	}
	if _, err := s.Replace("nope", mk("x", "y")); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Replace of an unknown ID: %v", err)
	}
	bad := mk("x", "z")
	bad.Digits = 7
	if _, err := s.Replace(entries[0].ID, bad); err == nil {
		t.Error("Replace stored an invalid token")
	}
	if again, _ := s.List(); string(again[0].Token.Secret) != "old secret a" {
		t.Error("a refused Replace changed the token")
	}
}
