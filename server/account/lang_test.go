package account_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// A user's language: English unless given, only a language the server
// speaks, changed by an administrator or by the user themselves (which is
// no change of credentials), and their text messages follow it.
func TestUserLanguage(t *testing.T) { onEach(t, testUserLanguage) }

func testUserLanguage(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	langOf := func(userID string) string {
		t.Helper()
		v, err := f.svc.User(ctx, account.CommandLine, userID)
		if err != nil {
			t.Fatal(err)
		}
		return v.Lang
	}
	if got := langOf("alice"); got != "en" {
		t.Errorf("a user made without a language: %q", got)
	}
	_, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "bob", Password: []byte("correct horse"), Lang: "fr"})
	if !errors.Is(err, account.ErrNotAllowed) || !errors.Is(err, lang.ErrUnknown) {
		t.Errorf("a user in French: %v", err)
	}
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "carla", Password: []byte("correct horse"), Lang: "it"}); err != nil ||
		langOf("carla") != "it" {
		t.Errorf("a user in Italian: %v, %q", err, langOf("carla"))
	}
	de, it := "de", "it"
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("carla"), account.Profile{Lang: &de}); !errors.Is(err, lang.ErrUnknown) || langOf("carla") != "it" {
		t.Errorf("an update to German: %v, %q", err, langOf("carla"))
	}
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{Lang: &it}); err != nil || langOf("alice") != "it" {
		t.Errorf("an update to Italian: %v, %q", err, langOf("alice"))
	}

	// The user's own choice keeps their grant, and their SMS follow it.
	g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetLanguage(ctx, admin, g, lang.English); err != nil || langOf("alice") != "en" {
		t.Errorf("the user's own choice of English: %v, %q", err, langOf("alice"))
	}
	if err := f.svc.SetLanguage(ctx, admin, g, lang.Italian); err != nil || langOf("alice") != "it" {
		t.Errorf("the user's own choice of Italian: %v, %q", err, langOf("alice"))
	}
	if _, err := f.svc.SendPhoneCode(ctx, admin, g, "+39 333 1234567"); err != nil {
		t.Fatalf("the grant after a choice of language: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(f.outbox, "*.txt"))
	if len(files) != 1 {
		t.Fatalf("the SMS outbox: %v", files)
	}
	if raw, _ := os.ReadFile(files[0]); !strings.Contains(string(raw), "Codice softtoken per confermare questo numero") {
		t.Errorf("the SMS of a user in Italian:\n%s", raw)
	}
	if err := f.svc.SetLanguage(ctx, admin, g, "fr"); !errors.Is(err, lang.ErrUnknown) {
		t.Errorf("the user's own choice of French: %v", err)
	}
	// A grant that no longer holds changes nothing.
	if _, err := f.svc.Reset(ctx, admin, account.ByAdmin("alice"), []byte("new password")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetLanguage(ctx, admin, g, lang.English); !errors.Is(err, account.ErrSignedOut) || langOf("alice") != "it" {
		t.Errorf("a choice with a grant from before a reset: %v, %q", err, langOf("alice"))
	}
}
