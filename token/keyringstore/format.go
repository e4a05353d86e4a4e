package keyringstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/softtoken/softtoken/token"
)

// The keyring holds, under one service name, an index entry and one entry
// per token:
//
//	index          {"format":"softtoken-index/1","tokens":[ID...],"pending":[ID...]}
//	token:ID       {"format":"softtoken-token/1","label":...,"secret":BASE32,...}
//
// The index alone says which tokens exist and in what order; "pending" lists
// token entries that may exist but are not (or no longer) part of the set and
// are to be removed. See docs/storage.md for why.
const (
	indexKey     = "index"
	tokenKeyPre  = "token:"
	indexFormat  = "softtoken-index/1"
	tokenFormat  = "softtoken-token/1"
	formatPrefix = "softtoken-"
	// maxEntryBytes is the smallest per-entry limit of the supported
	// keyrings: the Windows Credential Manager's 2560 bytes. The token
	// package's limits keep every valid token within it.
	maxEntryBytes = 2560
	// MaxServiceBytes bounds the keyring service name, part of every
	// entry's target name on Windows (SERVICE:token:ID): go-keyring refuses
	// a service of 512 bytes, Wine's Credential Manager a target name over
	// 255 characters (Windows allows 32767).
	MaxServiceBytes = 128
)

var idPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

type index struct {
	Format  string   `json:"format"`
	Tokens  []string `json:"tokens"`
	Pending []string `json:"pending,omitempty"`
}

type item struct {
	Format    string `json:"format"`
	Label     string `json:"label"`
	Issuer    string `json:"issuer,omitempty"`
	Account   string `json:"account,omitempty"`
	EnrolURL  string `json:"enrol_url,omitempty"`
	Serial    string `json:"serial,omitempty"`
	Type      string `json:"type"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period,omitempty"`
	Counter   uint64 `json:"counter,omitempty"`
	Secret    string `json:"secret"`
}

// errForeign and errNewer explain entries this version cannot read.
var (
	errForeign = errors.New("it was not written by softtoken")
	errNewer   = errors.New("it was written by a newer version of softtoken: update softtoken to use it")
)

func checkFormat(got, want string) error {
	switch {
	case got == want:
		return nil
	case strings.HasPrefix(got, formatPrefix) && strings.HasPrefix(want, strings.SplitN(got, "/", 2)[0]+"/"):
		return errNewer
	}
	return errForeign
}

func decodeIndex(s string) (index, error) {
	var idx index
	if err := json.Unmarshal([]byte(s), &idx); err != nil {
		return index{}, errForeign
	}
	if err := checkFormat(idx.Format, indexFormat); err != nil {
		return index{}, err
	}
	if len(idx.Pending) == 0 {
		idx.Pending = nil // "pending" is omitted when empty
	}
	if len(idx.Tokens) > token.MaxTokens {
		return index{}, fmt.Errorf("it lists %d tokens, more than %d", len(idx.Tokens), token.MaxTokens)
	}
	seen := map[string]bool{}
	for _, id := range append(append([]string(nil), idx.Tokens...), idx.Pending...) {
		if !idPattern.MatchString(id) {
			return index{}, errors.New("it names a token entry with a malformed ID")
		}
		if seen[id] {
			return index{}, errors.New("it names a token entry twice")
		}
		seen[id] = true
	}
	return idx, nil
}

func encodeIndex(idx index) (string, error) {
	idx.Format = indexFormat
	b, err := json.Marshal(idx)
	if err != nil {
		return "", fmt.Errorf("encode index: %w", err)
	}
	return string(b), nil
}

func decodeItem(s string) (token.Token, error) {
	var it item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		return token.Token{}, errForeign
	}
	if err := checkFormat(it.Format, tokenFormat); err != nil {
		return token.Token{}, err
	}
	secret, err := token.ParseSecret(it.Secret)
	if err != nil {
		return token.Token{}, fmt.Errorf("its secret is damaged: %w", err)
	}
	t := token.Token{
		Label: it.Label, Issuer: it.Issuer, Account: it.Account,
		EnrolURL: it.EnrolURL, Serial: it.Serial, Secret: secret,
		Params: token.Params{
			Type: token.Type(it.Type), Algorithm: token.Algorithm(it.Algorithm),
			Digits: it.Digits, Period: it.Period, Counter: it.Counter,
		},
	}
	if err := t.ValidateStored(); err != nil {
		return token.Token{}, fmt.Errorf("it is damaged: %w", err)
	}
	return t, nil
}

func encodeItem(t token.Token) (string, error) {
	// No HTML escaping: "<" would take six bytes ("\u003c") of the
	// entry's 2560, and nothing here is HTML.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(item{
		Format: tokenFormat, Label: t.Label, Issuer: t.Issuer, Account: t.Account,
		EnrolURL: t.EnrolURL, Serial: t.Serial,
		Type: string(t.Type), Algorithm: string(t.Algorithm),
		Digits: t.Digits, Period: t.Period, Counter: t.Counter,
		Secret: t.Secret.Base32(),
	})
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > maxEntryBytes {
		return "", fmt.Errorf("the token's details are too long to store (%d bytes, at most %d): use a shorter name", len(b), maxEntryBytes)
	}
	return string(b), nil
}
