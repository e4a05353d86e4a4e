package adminapi_test

import (
	"encoding/json"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/adminapi"
)

// doc is the part of an OpenAPI document the tests read.
type doc struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Parameters  []parameter                  `json:"parameters"`
	RequestBody *struct{ Content bodyTypes } `json:"requestBody"`
	Responses   map[string]json.RawMessage   `json:"responses"`
}

type bodyTypes map[string]struct {
	Schema schema `json:"schema"`
}

type parameter struct {
	Name, In string
	Schema   schema
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       string            `json:"type"`
	Format     string            `json:"format"`
	Properties map[string]schema `json:"properties"`
}

// openAPI parses the embedded document.
func openAPI(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(adminapi.OpenAPI, &d); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi is %q", d.OpenAPI)
	}
	return d
}

// methods are the HTTP methods an OpenAPI path item names.
func (d doc) methods(path string) []string {
	var out []string
	for k := range d.Paths[path] {
		out = append(out, strings.ToUpper(k))
	}
	slices.Sort(out)
	return out
}

// Every route the API serves is in the document with its methods, and
// every path and method the document names is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := openAPI(t)
	routes := adminapi.Routes()
	for path, methods := range routes {
		slices.Sort(methods)
		if got := d.methods(path); !slices.Equal(got, methods) {
			t.Errorf("%s: the document names %v, the API serves %v", path, got, methods)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(d.Paths)) {
		if _, ok := routes[path]; !ok {
			t.Errorf("the document names %s, which the API does not serve", path)
		}
	}
}

// Every documented path, method and query parameter is served over HTTP
// (none answers not_found, method_not_allowed or an unknown parameter),
// and the bodies' fields are the documented ones both ways.
func TestOpenAPIIsServed(t *testing.T) {
	d := openAPI(t)
	f := start(t)
	key := f.key("reader", account.RoleAuditor)
	for _, path := range slices.Sorted(maps.Keys(d.Paths)) {
		for _, m := range d.methods(path) {
			op := d.Paths[path][strings.ToLower(m)]
			q := url.Values{}
			for _, p := range op.Parameters {
				if p.In == "query" {
					q.Set(p.Name, sample(p.Schema))
				}
			}
			target := strings.ReplaceAll(path, "{id}", "nobody") + "?" + q.Encode()
			body := ""
			if op.RequestBody != nil {
				body = "{}"
			}
			got := f.call(m, target, key, body)
			if got.status == 405 || got.code() == "not_found" || got.code() == "bad_request" {
				t.Errorf("%s %s: %d %s", m, target, got.status, got.raw)
			}
			if _, ok := op.Responses["401"]; !ok && path != "/api/v1/openapi.json" {
				t.Errorf("%s %s documents no 401", m, path)
			}
			checkBody(t, d, m+" "+path, op)
		}
	}
}

// sample is a valid value of a query parameter of schema s.
func sample(s schema) string {
	switch {
	case s.Type == "integer":
		return "1"
	case s.Format == "date-time":
		return "2026-01-01T00:00:00Z"
	}
	return map[string]string{"string": "true"}[s.Type]
}

// checkBody checks that the body the operation documents has the fields
// the handler decodes, no more and no fewer.
func checkBody(t *testing.T, d doc, name string, op operation) {
	t.Helper()
	body, decoded := adminapi.Bodies[name]
	var documented []string
	if op.RequestBody != nil {
		s := op.RequestBody.Content["application/json"].Schema
		if s.Ref != "" {
			s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		}
		documented = slices.Sorted(maps.Keys(s.Properties))
	}
	var fields []string
	if decoded {
		for f := range reflect.TypeOf(body).Fields() {
			fields = append(fields, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		slices.Sort(fields)
	}
	if !slices.Equal(documented, fields) {
		t.Errorf("%s: the document's body has %v, the handler's %v", name, documented, fields)
	}
}

// Every $ref of the document names a part of it.
func TestOpenAPIRefsResolve(t *testing.T) {
	var root any
	if err := json.Unmarshal(adminapi.OpenAPI, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && resolve(root, ref) == nil {
				t.Errorf("$ref %s names nothing", ref)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(root)
}

// resolve is the part of root that the local reference ref names (nil:
// none).
func resolve(root any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	v := root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := v.(map[string]any)
		v = m[part]
	}
	return v
}
