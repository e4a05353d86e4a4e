package adminapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

// FuzzRequestParsing feeds the parsers of bodies and query strings what
// a client may send: they never panic, and what they accept is within
// bounds and reads back the same.
func FuzzRequestParsing(f *testing.F) {
	for _, seed := range []struct{ body, query string }{
		{`{"days": 2, "override_30_days": true, "reason": "ticket 1"}`, "locked=true&firm=ACME&q=jo"},
		{`{"userid": "a", "password": "p4ssw0rd-long", "attr": {"k": [1]}, "initial_passcode": true}`, "since=2026-01-01T00:00:00Z&limit=5&outcome=ok&user=x"},
		{`{"phone": "+447700900123"}`, "unenrolled=false&disabled=true"},
		{`{"days": 1}{}`, "limit=0&limit=1"},
		{"{\"days\": 1e400}", "since=2026-13-01T00:00:00Z"},
		{`{"userid": "\u0000", "x": 1}`, "q=%ff%00"},
	} {
		f.Add([]byte(seed.body), seed.query)
	}
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		for _, v := range []any{&newUser{}, &tempRequest{}, &phoneRequest{}, &struct{}{}} {
			if parseBody("application/json", body, v, true) != nil {
				continue
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			raw, err := json.Marshal(v)
			if err != nil || json.Unmarshal(raw, again) != nil || !reflect.DeepEqual(normal(t, v), normal(t, again)) {
				t.Fatalf("%T accepted %q but does not read back: %s", v, body, raw)
			}
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if uf, err := userFilter(q); err == nil && (len(uf.Firm) > MaxFilter || len(uf.Query) > MaxFilter) {
			t.Fatalf("userFilter accepted %q: %+v", query, uf)
		}
		if af, err := auditFilter(q); err == nil && (af.Limit < 1 || af.Limit > MaxAuditLimit || len(af.UserID) > MaxFilter) {
			t.Fatalf("auditFilter accepted %q: %+v", query, af)
		}
	})
}

// normal is v as JSON read into an any, so that a json.RawMessage
// compares by its meaning rather than its spacing; numbers stay as they
// are written (an attribute of 1e400 is no float64).
func normal(t *testing.T, v any) any {
	t.Helper()
	raw, _ := json.Marshal(v)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
