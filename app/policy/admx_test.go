package policy_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/softtoken/softtoken/app/policy"
)

// admx is what the test reads of docs/policy/softtoken.admx.
type admx struct {
	Policies []struct {
		Name      string `xml:"name,attr"`
		Key       string `xml:"key,attr"`
		ValueName string `xml:"valueName,attr"`
		Elements  struct {
			Text []struct {
				ValueName string `xml:"valueName,attr"`
			} `xml:"text"`
			Decimal []struct {
				ValueName string `xml:"valueName,attr"`
				Min       string `xml:"minValue,attr"`
				Max       string `xml:"maxValue,attr"`
			} `xml:"decimal"`
			Enum []struct {
				ValueName string   `xml:"valueName,attr"`
				Values    []string `xml:"item>value>string"`
			} `xml:"enum"`
		} `xml:"elements"`
	} `xml:"policies>policy"`
}

// adml is what the test reads of a language's softtoken.adml.
type adml struct {
	Strings []struct {
		ID string `xml:"id,attr"`
	} `xml:"resources>stringTable>string"`
	Presentations []struct {
		ID string `xml:"id,attr"`
	} `xml:"resources>presentationTable>presentation"`
}

func readXML(t *testing.T, path string, v any) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}

// TestADMX: the Group Policy template defines every policy the code reads,
// each under policy.Key, with the code's bounds and values, and nothing
// else; every string and presentation it names is in the English and the
// Italian ADML.
func TestADMX(t *testing.T) {
	const dir = "../../docs/policy"
	var def admx
	data := readXML(t, filepath.Join(dir, "softtoken.admx"), &def)
	var names []string
	for _, p := range def.Policies {
		if p.Key != policy.Key {
			t.Errorf("%s: key %q, want %q", p.Name, p.Key, policy.Key)
		}
		values := []string{p.ValueName}
		for _, e := range p.Elements.Text {
			values = append(values, e.ValueName)
		}
		for _, e := range p.Elements.Decimal {
			values = append(values, e.ValueName)
			if e.Min != strconv.Itoa(policy.MinClipboardSeconds) || e.Max != strconv.Itoa(policy.MaxClipboardSeconds) {
				t.Errorf("%s: bounds %s to %s", p.Name, e.Min, e.Max)
			}
		}
		for _, e := range p.Elements.Enum {
			values = append(values, e.ValueName)
			if !slices.Equal(e.Values, policy.Languages) {
				t.Errorf("%s: values %q, want %q", p.Name, e.Values, policy.Languages)
			}
		}
		values = slices.DeleteFunc(values, func(s string) bool { return s == "" })
		if len(values) != 1 || values[0] != p.Name {
			t.Errorf("policy %s writes the values %q, want only %s", p.Name, values, p.Name)
		}
		names = append(names, values...)
	}
	if !slices.Equal(names, policy.Names) {
		t.Errorf("the template defines %q, the code reads %q", names, policy.Names)
	}
	refs := func(kind string) []string {
		var ids []string
		for _, m := range regexp.MustCompile(`\$\(`+kind+`\.([A-Za-z0-9_]+)\)`).FindAllStringSubmatch(string(data), -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	for _, lang := range []string{"en-US", "it-IT"} {
		var res adml
		readXML(t, filepath.Join(dir, lang, "softtoken.adml"), &res)
		check := func(kind string, have []string) {
			for _, id := range refs(kind) {
				if !slices.Contains(have, id) {
					t.Errorf("%s: no %s %q", lang, kind, id)
				}
			}
			if len(have) != len(slices.Compact(slices.Sorted(slices.Values(have)))) {
				t.Errorf("%s: a %s id twice", lang, kind)
			}
		}
		var strs, pres []string
		for _, s := range res.Strings {
			strs = append(strs, s.ID)
		}
		for _, p := range res.Presentations {
			pres = append(pres, p.ID)
		}
		check("string", strs)
		check("presentation", pres)
		if len(strs) != len(slices.Compact(slices.Sorted(slices.Values(refs("string"))))) {
			t.Errorf("%s: %d strings, the template uses %d", lang, len(strs), len(refs("string")))
		}
	}
}
