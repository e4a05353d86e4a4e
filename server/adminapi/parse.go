package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// MaxBody bounds a request's body: the largest, a new user, is a few
// hundred bytes.
const MaxBody = 64 << 10

// Bounds of the query filters.
const (
	// MaxFilter bounds a text filter (firm, q, user).
	MaxFilter = 256
	// DefaultAuditLimit is how many of the newest audit records a request
	// without limit reads; MaxAuditLimit is the most one may ask for.
	DefaultAuditLimit = 1000
	MaxAuditLimit     = 10000
)

// readBody reads r's body, at most MaxBody bytes, into v (see parseBody).
func readBody(r *http.Request, v any, required bool) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return badRequest("the body could not be read")
	}
	if len(raw) > MaxBody {
		return badRequest("the body is over %d bytes", MaxBody)
	}
	return parseBody(r.Header.Get("Content-Type"), raw, v, required)
}

// parseBody decodes body, of type contentType, into v: one JSON object
// of v's fields and no other (an unknown field is refused, rather than
// ignored: a misspelt "override_30_days" must not pass unseen). An empty
// body is the empty object unless required.
func parseBody(contentType string, body []byte, v any, required bool) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		if required {
			return badRequest("a JSON object is needed as the body")
		}
		return nil
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return badRequest("the body must be JSON (Content-Type: application/json)")
	}
	if body[0] != '{' {
		return badRequest("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not the JSON this endpoint takes: %v", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return badRequest("the body must be one JSON object")
	}
	return nil
}

// params checks that q has only the parameters known, each at most once,
// none longer than MaxFilter.
func params(q url.Values, known ...string) error {
	for k, vs := range q {
		switch {
		case !slices.Contains(known, k):
			return badRequest("unknown query parameter %q (this endpoint takes %v)", printable(k), known)
		case len(vs) > 1:
			return badRequest("query parameter %s given more than once", k)
		case len(vs[0]) > MaxFilter:
			return badRequest("query parameter %s is over %d bytes", k, MaxFilter)
		}
	}
	return nil
}

// boolParam reads the parameter name, "true" or "false" (absent: false).
func boolParam(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badRequest("query parameter %s is true or false", name)
}

// userFilter reads the filters of GET /users.
func userFilter(q url.Values) (account.UserFilter, error) {
	var f account.UserFilter
	if err := params(q, "locked", "unenrolled", "disabled", "firm", "q"); err != nil {
		return f, err
	}
	for _, b := range []struct {
		name string
		v    *bool
	}{{"locked", &f.Locked}, {"unenrolled", &f.Unenrolled}, {"disabled", &f.Disabled}} {
		var err error
		if *b.v, err = boolParam(q, b.name); err != nil {
			return f, err
		}
	}
	f.Firm, f.Query = q.Get("firm"), q.Get("q")
	return f, nil
}

// codeWord is what an outcome code looks like.
var codeWord = regexp.MustCompile(`^[a-z_]{1,40}$`)

// auditFilter reads the filters of GET /audit.
func auditFilter(q url.Values) (account.AuditFilter, error) {
	f := account.AuditFilter{Limit: DefaultAuditLimit}
	if err := params(q, "user", "since", "outcome", "limit"); err != nil {
		return f, err
	}
	f.UserID = q.Get("user")
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return f, badRequest("since is a time in RFC 3339 (2026-12-01T00:00:00Z)")
		}
		f.Since = t
	}
	if o := q.Get("outcome"); o != "" {
		if !codeWord.MatchString(o) {
			return f, badRequest("outcome is a code such as ok or not_allowed")
		}
		f.Outcome = account.Code(o)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxAuditLimit {
			return f, badRequest("limit is a number from 1 to %d", MaxAuditLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// printable is s cut short, with anything not printable ASCII as '?', for
// an error message that repeats the client's words.
func printable(s string) string {
	b := []byte(s)
	if len(b) > 40 {
		b = append(b[:40:40], "..."...)
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
