package account

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/store"
)

// Every code the audit records is one word of its own, and every word the
// audit recorded before the codes translates to one of them.
func TestAuditCodesAreWordsOfTheirOwn(t *testing.T) {
	codes := AuditCodes()
	for i, c := range codes {
		if c == "" || strings.ContainsAny(string(c), " .:") || strings.ToLower(string(c)) != string(c) {
			t.Errorf("code %q is not a lower-case word", c)
		}
		if slices.Contains(codes[i+1:], c) {
			t.Errorf("code %q twice", c)
		}
	}
	for word, c := range legacyOutcomes {
		if !slices.Contains(codes, c) {
			t.Errorf("the old word %q translates to %q, not a code the audit records", word, c)
		}
		if slices.Contains(codes, Code(word)) && Code(word) != c {
			t.Errorf("the old word %q is the code %q too, but translates to %q: a code must read as itself", word, word, c)
		}
	}
}

// An old word takes its code wherever it stands (a node of the version
// before writes words after the mark); a code is itself.
func TestAuditEventTranslatesOldWordsOnly(t *testing.T) {
	tests := []struct {
		seq     int64
		outcome string
		want    Code
	}{
		{1, "OK", CodeOK},
		{1, "account locked", CodeLocked},
		{1, "ok", CodeOK},
		{5, "invalid_login", CodeInvalidLogin},
		{5, "OK", CodeOK},
		{5, "locked", CodeLocked},
	}
	for _, tt := range tests {
		if got := auditEvent(store.AuditEvent{ID: tt.seq, Outcome: tt.outcome}, 5).Code; got != tt.want {
			t.Errorf("record %d of %q: code %q, want %q", tt.seq, tt.outcome, got, tt.want)
		}
	}
}

// No audit record is written with a word for its outcome: every call of
// Record (anywhere in the server) and of event passes one of account's
// Code constants, a variable or outcome(err), never a string literal or
// another package's constant, which would compile (a Code is a string)
// and write a word the audit's readers do not know.
func TestAuditOutcomesAreNeverLiterals(t *testing.T) {
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			at := map[string]int{"Record": 4, "event": 3}[name]
			if at == 0 || len(call.Args) != at+2 {
				return true
			}
			calls++
			switch arg := call.Args[at].(type) {
			case *ast.BasicLit:
				t.Errorf("%s: %s writes the outcome %s, a word: use a Code", fset.Position(arg.Pos()), name, arg.Value)
			case *ast.SelectorExpr:
				if x, ok := arg.X.(*ast.Ident); !ok || x.Name != "account" {
					t.Errorf("%s: %s writes the outcome %s, not a Code of account's", fset.Position(arg.Pos()), name, arg.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 30 {
		t.Errorf("only %d calls of Record and event found: the check misses some", calls)
	}
}
