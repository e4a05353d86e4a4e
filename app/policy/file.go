package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// DefaultFile is where Linux and macOS read the policy.
const DefaultFile = "/etc/softtoken/policy.json"

// FileEnv names another policy file than DefaultFile (tests; on Windows
// the registry is read and this is not).
const FileEnv = "SOFTTOKEN_POLICY"

// maxFile bounds the policy file softtoken reads.
const maxFile = 64 << 10

// ReadFile reads the policy file at path: no file is no policy. A file
// that cannot be read or is not a JSON object gives a warning and no
// policy; a bad or unknown value, a warning and the other values.
func ReadFile(path string) (Policy, []error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Policy{}, nil
	case err != nil:
		return Policy{}, []error{&Warning{Where: path, Problem: fmt.Sprintf("cannot be read (%v)", errors.Unwrap(err))}}
	case len(data) > maxFile:
		return Policy{}, []error{&Warning{Where: path, Problem: fmt.Sprintf("is %d bytes, more than a policy file's %d", len(data), maxFile)}}
	}
	return ParseFile(path, data)
}

// ParseFile reads a policy file's content, data; path names it in the
// warnings. Strings are EnrolURL and Language, numbers
// ClipboardClearSeconds and AutoType (AutoType also takes true and false).
func ParseFile(path string, data []byte) (Policy, []error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return Policy{}, []error{&Warning{Where: path, Problem: "is not a JSON object of policies: " + jsonProblem(data, err)}}
	}
	r := raw{where: path, strings: map[string]string{}, ints: map[string]int64{}}
	var warns []error
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := r.add(k, fields[k]); err != nil {
			warns = append(warns, err)
		}
	}
	var p Policy
	return p, append(warns, r.set(&p)...)
}

// add puts the file's value v of policy name into r, or says why not.
func (r raw) add(name string, v json.RawMessage) error {
	bad := func(format string, args ...any) error {
		return &Warning{Where: r.where, Name: name, Problem: fmt.Sprintf(format, args...)}
	}
	switch name {
	case NameEnrolURL, NameLanguage:
		var s string
		if json.Unmarshal(v, &s) != nil {
			return bad("%s is not a string", v)
		}
		r.strings[name] = s
	case NameClipboardClearSeconds, NameAutoType:
		var n int64
		if err := json.Unmarshal(v, &n); err == nil {
			r.ints[name] = n
			return nil
		}
		var b bool
		if name == NameAutoType && json.Unmarshal(v, &b) == nil {
			r.ints[name] = map[bool]int64{false: 0, true: 1}[b]
			return nil
		}
		return bad("%s is not a whole number", v)
	default:
		return bad("is not a policy softtoken knows (it knows %s)", strings.Join(Names, ", "))
	}
	return nil
}

// jsonProblem says what is wrong with data, and at which line when the
// decoder knows.
func jsonProblem(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line := 1 + bytes.Count(data[:min(int(syntax.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}
