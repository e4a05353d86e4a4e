//go:build !screenshots

package screenshots

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the repository, from this package's folder.
const root = "../../.."

// producers are the calls that make a picture, by folder: make
// screenshots runs this package's tests (shoot), and server/web's and
// server/console's browser tests (browsertest.Screenshot). The name is
// always the third argument.
var producers = []struct{ dir, pkg, fun string }{
	{"app/internal/screenshots", "", "shoot"},
	{"server/web", "browsertest", "Screenshot"},
	{"server/console", "browsertest", "Screenshot"},
}

// pictureRef is how the documents show or link a picture.
var pictureRef = regexp.MustCompile(`screenshots/([A-Za-z0-9_.-]+\.png)`)

// madeNames reads the names of the pictures make screenshots makes from
// the producers' Go sources (tagged files included: go/parser ignores
// build tags). A name that is not a string literal, or a name made twice
// (the picture would depend on the tests' order), is an error.
func madeNames(t *testing.T) map[string]bool {
	t.Helper()
	made := map[string]bool{}
	fset := token.NewFileSet()
	for _, p := range producers {
		files, err := filepath.Glob(filepath.Join(root, p.dir, "*_test.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no test files in %s: %v", p.dir, err)
		}
		for _, path := range files {
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !calls(call, p.pkg, p.fun) {
					return true
				}
				if len(call.Args) != 3 {
					t.Errorf("%s: %s with %d arguments", fset.Position(call.Pos()), p.fun, len(call.Args))
					return true
				}
				lit, ok := call.Args[2].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: the picture's name must be a string literal, for this test to know it", fset.Position(call.Pos()))
					return true
				}
				name, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
				}
				if made[name+".png"] {
					t.Errorf("%s: %s.png is made twice: which one lands in docs depends on the tests' order", fset.Position(call.Pos()), name)
				}
				made[name+".png"] = true
				return true
			})
		}
	}
	if len(made) == 0 {
		t.Fatal("found no picture producers: the producers' calls were renamed?")
	}
	return made
}

// calls reports whether call is fun() (pkg "") or pkg.fun().
func calls(call *ast.CallExpr, pkg, fun string) bool {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return pkg == "" && f.Name == fun
	case *ast.SelectorExpr:
		x, ok := f.X.(*ast.Ident)
		return ok && x.Name == pkg && f.Sel.Name == fun
	}
	return false
}

// problems compares the documents (path → text) with the pictures made
// and the files in docs/screenshots: a picture shown that is not made, or
// not in the folder, and a file in the folder that is not made (stale).
func problems(docs map[string]string, made map[string]bool, files []string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(docs)) {
		for _, m := range pictureRef.FindAllStringSubmatch(docs[p], -1) {
			name := m[1]
			if !made[name] {
				out = append(out, fmt.Sprintf("%s shows %s, which make screenshots does not make", p, name))
			} else if !slices.Contains(files, name) {
				out = append(out, fmt.Sprintf("%s shows %s, which is not in docs/screenshots: run make screenshots", p, name))
			}
		}
	}
	for _, f := range files {
		if !made[f] {
			out = append(out, fmt.Sprintf("docs/screenshots/%s is not made by make screenshots: a stale picture", f))
		}
	}
	return out
}

// TestDocsShowOnlyMadePictures fails when README.md or docs/*.md shows a
// picture that make screenshots does not make or that is missing from
// docs/screenshots, and when docs/screenshots holds a picture the command
// no longer makes.
func TestDocsShowOnlyMadePictures(t *testing.T) {
	made := madeNames(t)
	docs := map[string]string{}
	paths, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, p := range append(paths, filepath.Join(root, "README.md")) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		docs[rel] = string(b)
	}
	if len(docs) < 2 {
		t.Fatalf("found only %d documents", len(docs))
	}
	entries, err := os.ReadDir(filepath.Join(root, "docs", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	for _, p := range problems(docs, made, files) {
		t.Error(p)
	}
}

// The check itself: each kind of mismatch is found, and a match is not
// one.
func TestProblems(t *testing.T) {
	made := map[string]bool{"three-tokens.png": true, "web-home.png": true}
	tests := []struct {
		name  string
		docs  map[string]string
		files []string
		want  []string
	}{
		{"all made and present", map[string]string{"README.md": "![x](docs/screenshots/three-tokens.png)", "docs/web.md": "[s](screenshots/web-home.png)"},
			[]string{"three-tokens.png", "web-home.png"}, nil},
		{"a picture nobody makes", map[string]string{"docs/window.md": "![x](screenshots/three-tokens.png) ![y](screenshots/nobody.png)"},
			[]string{"three-tokens.png", "web-home.png"}, []string{"docs/window.md shows nobody.png, which make screenshots does not make"}},
		{"made but not in the folder", map[string]string{"README.md": "![x](docs/screenshots/web-home.png)"},
			[]string{"three-tokens.png"}, []string{"README.md shows web-home.png, which is not in docs/screenshots: run make screenshots"}},
		{"a stale file", map[string]string{}, []string{"three-tokens.png", "web-home.png", "tray-menu.png"},
			[]string{"docs/screenshots/tray-menu.png is not made by make screenshots: a stale picture"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(tc.docs, made, tc.files)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
