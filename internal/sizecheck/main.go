// Command sizecheck fails when a shipped Go file (not a test) holds more
// than -max-lines lines or one of its functions more than -max-func lines:
// a file holds one job, and a function reads at a glance (issue 22). It
// walks the folders given (default ".") and skips testdata and hidden
// folders.
//
//	go run ./internal/sizecheck [-max-lines 450] [-max-func 60] [dir ...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sizecheck:", err)
		os.Exit(1)
	}
}

// errTooBig is returned when some file or function is over its limit.
var errTooBig = errors.New("files or functions over the limits")

func run(_ context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("sizecheck", flag.ContinueOnError)
	maxLines := fl.Int("max-lines", 450, "most lines in a shipped Go file")
	maxFunc := fl.Int("max-func", 60, "most lines in a function, from its signature to its closing brace")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dirs := fl.Args()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	var over []string
	for _, dir := range dirs {
		found, err := check(dir, *maxLines, *maxFunc)
		if err != nil {
			return err
		}
		over = append(over, found...)
	}
	for _, o := range over {
		fmt.Fprintln(stdout, o)
	}
	if len(over) > 0 {
		return errTooBig
	}
	return nil
}

// check reports every file and function under dir over the limits.
func check(dir string, maxLines, maxFunc int) ([]string, error) {
	var over []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		if n := fset.File(f.Pos()).LineCount(); n > maxLines {
			over = append(over, fmt.Sprintf("%s: %d lines (most %d)", path, n, maxLines))
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
			if n := end - start + 1; n > maxFunc {
				over = append(over, fmt.Sprintf("%s:%d: func %s: %d lines (most %d)", path, start, funcName(fn), n, maxFunc))
			}
		}
		return nil
	})
	return over, err
}

// funcName is fn's name, with its receiver's type for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
