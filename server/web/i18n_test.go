package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// Every language has every key, with as many arguments, and no empty text.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	verbs := regexp.MustCompile(`%(\[\d+\])?[sdv]`)
	for _, a := range lang.All {
		for _, b := range lang.All {
			for key, text := range catalogues[a] {
				other, ok := catalogues[b][key]
				switch {
				case !ok:
					t.Errorf("%q is in messages/%s.json, not in messages/%s.json", key, a, b)
				case strings.TrimSpace(text) == "":
					t.Errorf("%q is empty in messages/%s.json", key, a)
				case len(verbs.FindAllString(text, -1)) != len(verbs.FindAllString(other, -1)):
					t.Errorf("%q takes different arguments in %s and %s", key, a, b)
				}
			}
		}
	}
}

// goFiles parses the package's Go files, tests aside.
func goFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// usedKeys are the catalogue keys the templates and the Go code name: the
// first argument of every t call in a template, and every string literal
// of the package's Go files that looks like a key.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	call := regexp.MustCompile(`\{\{[^}]*\bt "([^"]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(templateFS, path)
		for _, m := range call.FindAllStringSubmatch(string(raw), -1) {
			used[m[1]] = path
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	looksLikeKey := regexp.MustCompile(`^(title|label|button|nav|code|error|notice|frame|camera|site|outcome|question)\.[A-Za-z0-9._-]+$`)
	fset, files := goFiles(t)
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && looksLikeKey.MatchString(s) {
					used[s] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	// The keys made from data: the sites', the outcomes' and the questions'.
	for _, site := range []string{"enrol", "desk"} {
		used["site."+site+".name"], used["site."+site+".start"] = "newSite", "newSite"
	}
	for _, code := range account.Codes() {
		used["outcome."+string(code)] = "account.Codes"
	}
	for _, q := range account.QuestionList() {
		used[fmt.Sprintf("question.%d", q.ID)] = "account.QuestionList"
	}
	return used
}

// keyPlaces are the string literals of the package's Go files that must
// be catalogue keys, whatever they look like: the first argument of say,
// a page's Title, a code form's Label and Button, and a page's own words
// for an outcome (map[account.Code]string values keyed by account.Code…).
func keyPlaces(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset, files := goFiles(t)
	literal := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, _ := strconv.Unquote(lit.Value)
			out[s] = fset.Position(lit.Pos()).String()
		}
	}
	named := func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.Ident:
			return e.Name
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok && x.Name == "account" && strings.HasPrefix(e.Sel.Name, "Code") {
				return "Code"
			}
			return e.Sel.Name
		}
		return ""
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "say" && len(n.Args) > 0 {
					literal(n.Args[0])
				}
			case *ast.KeyValueExpr:
				switch named(n.Key) {
				case "Title", "Label", "Button", "Code":
					literal(n.Value)
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if named(lhs) == "Title" && i < len(n.Rhs) {
						literal(n.Rhs[i])
					}
				}
			}
			return true
		})
	}
	return out
}

// Every key the pages use is in every catalogue, and every catalogue key
// is used.
func TestEveryKeyUsedIsTranslated(t *testing.T) {
	used := usedKeys(t)
	places := keyPlaces(t)
	if len(places) < 40 {
		t.Errorf("only %d keys found where keys must be: the check misses some", len(places))
	}
	for key, where := range places {
		used[key] = where
	}
	for key, where := range used {
		for _, l := range lang.All {
			if _, ok := catalogues[l][key]; !ok {
				t.Errorf("%s uses %q, which messages/%s.json lacks", where, key, l)
			}
		}
	}
	for key := range catalogues[lang.English] {
		if _, ok := used[key]; !ok {
			t.Errorf("%q is in the catalogues but no page uses it", key)
		}
	}
}

// Every outcome of the rules has an error status and words for the user
// in every language, and only those do.
func TestEveryOutcomeHasAMessage(t *testing.T) {
	codes := map[string]bool{"too_soon.dated": true, "held.open": true, "held.until": true}
	for _, code := range account.Codes() {
		codes[string(code)] = true
		if status := outcomeStatus[code]; status < http.StatusBadRequest {
			t.Errorf("outcome %q: HTTP status %d, want an error's", code, status)
		}
		for _, l := range lang.All {
			if catalogues[l]["outcome."+string(code)] == "" {
				t.Errorf("outcome %q has no words in messages/%s.json", code, l)
			}
		}
	}
	if len(outcomeStatus) != len(account.Codes()) {
		t.Errorf("%d statuses for %d outcomes", len(outcomeStatus), len(account.Codes()))
	}
	for _, l := range lang.All {
		for key := range catalogues[l] {
			if code, ok := strings.CutPrefix(key, "outcome."); ok && !codes[code] {
				t.Errorf("messages/%s.json has words for %q, which is no outcome of the rules", l, code)
			}
		}
	}
}

// Every catalogue key is a dotted identifier (outcome.invalid_login), never
// a sentence: the words may change, the keys may not.
func TestCatalogueKeysAreIdentifiers(t *testing.T) {
	identifier := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	for _, l := range lang.All {
		for key := range catalogues[l] {
			if strings.Contains(key, " ") || !identifier.MatchString(key) {
				t.Errorf("messages/%s.json: the key %q is not a dotted identifier", l, key)
			}
		}
	}
}

// literalText finds the words a template writes itself, not through the
// catalogue: text between tags, and the attributes a reader sees (alt,
// title, placeholder, aria-label). The product's name may stand as is.
func literalText(t *testing.T, name, src string) []string {
	t.Helper()
	builtins := map[string]any{}
	for _, f := range []string{"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "print", "printf", "println", "html", "js", "urlquery", "slice", "call"} {
		builtins[f] = fmt.Sprint // any non-nil value declares the name
	}
	trees, err := parse.Parse(name, src, "{{", "}}", funcsFor(lang.English), builtins)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		default:
			b.WriteString("\x00") // an action: its words come from the catalogue
		}
	}
	for _, tree := range trees {
		walk(tree.Root)
		b.WriteString("\x00")
	}
	html := b.String()
	var found []string
	letters := regexp.MustCompile(`\pL`)
	attr := regexp.MustCompile(`\b(alt|title|placeholder|aria-label)="([^"]*)"`)
	for _, tag := range regexp.MustCompile(`<[^>]*>`).FindAllString(html, -1) {
		for _, m := range attr.FindAllStringSubmatch(tag, -1) {
			if letters.MatchString(m[2]) {
				found = append(found, m[0])
			}
		}
	}
	outside := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, "\x00")
	for _, chunk := range strings.Split(outside, "\x00") {
		chunk = strings.TrimSpace(strings.ReplaceAll(chunk, "softtoken", ""))
		if letters.MatchString(chunk) {
			found = append(found, chunk)
		}
	}
	return found
}

// The templates write no words of their own: every word a reader sees
// comes from the catalogue, so it exists in every language.
func TestTemplatesHoldNoLiteralText(t *testing.T) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := fs.ReadFile(templateFS, "templates/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range literalText(t, e.Name(), string(raw)) {
			t.Errorf("templates/%s writes %q itself: put it in the catalogues and use {{t \"key\"}}", e.Name(), text)
		}
	}
	// The checker itself finds a forgotten word, in text and in an
	// attribute.
	for _, src := range []string{`<p>{{t "nav.back"}} Forgotten</p>`, `<img alt="Forgotten" src="x">`} {
		if got := literalText(t, "probe", src); len(got) != 1 {
			t.Errorf("the checker found %q in %s", got, src)
		}
	}
}

// The pages' scripts write no words of their own: they take them from
// the page (data-* attributes the template fills from the catalogue).
func TestScriptsHoldNoLiteralText(t *testing.T) {
	shown := regexp.MustCompile(`(textContent|innerText|innerHTML|alert\()\s*=?[^;]*["'\x60]`)
	// say("name") takes the page's words; a comparison with a name is no
	// words either.
	allowed := regexp.MustCompile(`say\("[a-z]+"\)|=== "[A-Za-z]+"`)
	files, _ := filepath.Glob("static/*.js")
	if len(files) == 0 {
		t.Fatal("no scripts found")
	}
	if !shown.MatchString(allowed.ReplaceAllString(`status.textContent = "Starting the camera…";`, "")) {
		t.Error("the checker misses a string of a script's own")
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if shown.MatchString(allowed.ReplaceAllString(line, "")) {
				t.Errorf("%s:%d shows a string of its own: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}
