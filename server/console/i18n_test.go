package console

import (
	"io/fs"
	"os"
	"regexp"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/web"
)

// Every language has every word of the console's catalogue, and every
// key the templates, the handlers and the rules' outcomes use is in the
// console's catalogue or the enrol site's.
func TestCatalogues(t *testing.T) {
	for key := range catalogues[lang.English] {
		for _, l := range lang.All {
			if _, ok := catalogues[l][key]; !ok {
				t.Errorf("%s has no %q", l, key)
			}
		}
	}
	keys := usedKeys(t)
	for _, c := range account.Codes() {
		keys["outcome."+string(c)] = true
	}
	for key := range keys {
		for _, l := range lang.All {
			if _, ok := catalogues[l][key]; !ok && !web.HasWords(l, key) {
				t.Errorf("%s: no words for %q", l, key)
			}
		}
	}
}

var osFS = os.DirFS(".")

var keyUse = regexp.MustCompile(`(?:\{\{t|say\(|Title: |\(t) "([a-z0-9_.]+)"`)

// usedKeys are the literal catalogue keys in the templates and the Go
// files of the package, and those the templates make of roles and
// actions.
func usedKeys(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	add := func(text []byte) {
		for _, m := range keyUse.FindAllSubmatch(text, -1) {
			keys[string(m[1])] = true
		}
	}
	for _, name := range append([]string{"layout", "parts"}, pageNames...) {
		raw, err := fs.ReadFile(templateFS, "templates/"+name+".html")
		if err != nil {
			t.Fatal(err)
		}
		add(raw)
	}
	for _, f := range []string{"render.go", "signin.go", "users.go", "actions.go", "audit.go", "console.go"} {
		raw, err := fs.ReadFile(osFS, f)
		if err != nil {
			t.Fatal(err)
		}
		add(raw)
	}
	for _, r := range account.Roles {
		keys["role."+string(r)] = true
	}
	for name, a := range actions {
		if a.destructive {
			keys["confirm."+name] = true
		}
	}
	keys["confirm.temp"] = true
	if len(keys) < 40 {
		t.Fatalf("found only %d keys: the pattern is wrong", len(keys))
	}
	return keys
}
