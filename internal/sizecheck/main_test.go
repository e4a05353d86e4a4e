package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write makes a file of the given content in dir, folders included.
func write(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// function is a Go function named name whose body holds lines lines.
func function(name string, lines int) string {
	return "func " + name + "() {\n" + strings.Repeat("\t_ = 1\n", lines-2) + "}\n"
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // what each reported line holds, in order; none when clean
	}{
		{"clean", map[string]string{"a.go": "package a\n\n" + function("f", 5)}, nil},
		{"a function at the limit", map[string]string{"a.go": "package a\n\n" + function("f", 6)}, nil},
		{"a function over it", map[string]string{"a.go": "package a\n\n" + function("f", 7)},
			[]string{"a.go:3: func f: 7 lines (most 6)"}},
		{"a method names its type", map[string]string{"a.go": "package a\n\ntype T struct{}\n\nfunc (t *T) m() {\n" + strings.Repeat("\t_ = 1\n", 6) + "}\n"},
			[]string{"func T.m: 8 lines"}},
		{"a file over the limit", map[string]string{"b/big.go": "package b\n" + strings.Repeat("\n", 20)},
			[]string{"big.go: 21 lines (most 20)"}},
		{"tests and testdata are not shipped", map[string]string{
			"a_test.go":       "package a\n" + strings.Repeat("\n", 30) + function("f", 9),
			"testdata/big.go": "package x\n" + strings.Repeat("\n", 30),
			".hidden/big.go":  "package x\n" + strings.Repeat("\n", 30),
			"a.go":            "package a\n",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"-max-lines", "20", "-max-func", "6", dir}, &out)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(tt.want) == 0 {
				if err != nil || out.Len() != 0 {
					t.Fatalf("run = %v, printed %q; want clean", err, out.String())
				}
				return
			}
			if !errors.Is(err, errTooBig) {
				t.Errorf("run = %v, want errTooBig", err)
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("printed %q, want %d lines", out.String(), len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want it to hold %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestParseErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad.go", "package a\nfunc {\n")
	err := run(context.Background(), []string{dir}, new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "bad.go") {
		t.Fatalf("run = %v, want an error naming bad.go", err)
	}
}
