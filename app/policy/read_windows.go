//go:build windows

package policy

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// Read reads this computer's policy from the registry: each value from
// HKLM\SOFTWARE\Policies\softtoken, else from HKCU's, as Windows applies
// Group Policy. The warnings name each value left out, and why.
func Read() (Policy, []error) {
	var p Policy
	var warns []error
	for _, root := range []struct {
		key  registry.Key
		name string
	}{{registry.LOCAL_MACHINE, `HKLM\` + Key}, {registry.CURRENT_USER, `HKCU\` + Key}} {
		r, err := readKey(root.key, root.name)
		if err != nil {
			warns = append(warns, err)
			continue
		}
		warns = append(warns, r.set(&p)...)
		warns = append(warns, r.warns...)
	}
	return p, warns
}

// keyValues is one key's values, and the warnings about values of the
// wrong type.
type keyValues struct {
	raw
	warns []error
}

// readKey reads the policies under one root; a missing key is no policy.
func readKey(root registry.Key, where string) (keyValues, error) {
	kv := keyValues{raw: raw{where: where, strings: map[string]string{}, ints: map[string]int64{}}}
	k, err := registry.OpenKey(root, Key, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return kv, nil
	}
	if err != nil {
		return kv, &Warning{Where: where, Problem: fmt.Sprintf("cannot be read (%v)", err)}
	}
	defer k.Close()
	for _, v := range []struct{ name, kind string }{
		{NameEnrolURL, "a string (REG_SZ)"}, {NameLanguage, "a string (REG_SZ)"},
		{NameClipboardClearSeconds, "a number (REG_DWORD)"}, {NameAutoType, "a number (REG_DWORD)"},
	} {
		var err error
		if v.name == NameEnrolURL || v.name == NameLanguage {
			kv.strings[v.name], _, err = k.GetStringValue(v.name)
		} else {
			var n uint64
			n, _, err = k.GetIntegerValue(v.name)
			kv.ints[v.name] = int64(min(n, 1<<40)) // a REG_QWORD's huge value stays out of range
		}
		if err != nil {
			delete(kv.strings, v.name)
			delete(kv.ints, v.name)
		}
		if err != nil && !errors.Is(err, registry.ErrNotExist) {
			kv.warns = append(kv.warns, &Warning{Where: where, Name: v.name, Problem: "is not " + v.kind + ": " + err.Error()})
		}
	}
	return kv, nil
}
