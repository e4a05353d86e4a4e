package gui

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/softtoken/softtoken/app/policy"
)

// The languages the app speaks, as Fyne locales, and the preference that
// picks one.
const (
	// English is the language of the catalogue's fallback.
	English = "en"
	// Italian is for the traders of Borsa Italiana.
	Italian = "it"
	// PrefLanguage is the language chosen in Settings: English, Italian,
	// or "" (the default) to follow the system's language.
	PrefLanguage = policy.PrefLanguage
)

// Languages lists the languages there are translation files for, English
// first.
var Languages = []string{English, Italian}

//go:embed translations/*.json
var translations embed.FS

// Catalogue reads a language's translation file: key to text, a text being
// a Go template ({{.Name}}). Fyne's plural entries ({"other": …}) give
// their "other" form.
func Catalogue(language string) (map[string]string, error) {
	data, err := translations.ReadFile("translations/" + language + ".json")
	if err != nil {
		return nil, fmt.Errorf("read the %s translations: %w", language, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("read the %s translations: %w", language, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var plural struct{ Other string }
			if err := json.Unmarshal(v, &plural); err != nil {
				return nil, fmt.Errorf("read the %s translations: key %q: %w", language, k, err)
			}
			s = plural.Other
		}
		out[k] = s
	}
	return out, nil
}

// english is the fallback text of every key, for a system language with
// no translation file.
var english = mustCatalogue(English)

func mustCatalogue(language string) map[string]string {
	c, err := Catalogue(language)
	if err != nil {
		panic(err) // the files are embedded: only a broken build gets here
	}
	return c
}

// current is the language SetLanguage chose.
var current = English

// SetLanguage makes the app speak choice (English or Italian), or, for "",
// the system's language when there is a translation file for it and
// English otherwise. Text already on screen keeps its language: the
// window rebuilds itself (see [Window.Relabel]).
//
// Fyne's lang package picks the system's language from the environment
// (LANGUAGE, LC_ALL, LANG on Linux; the user's locale on Windows), and the
// app cannot tell it otherwise. So a chosen language is also registered
// under the system's language and English, the fallback, whichever Fyne
// picks: Fyne's own words (Cancel, Yes, OK) follow too.
func SetLanguage(choice string) {
	system, _, _ := strings.Cut(lang.SystemLocale().LanguageString(), "-")
	if choice != English && choice != Italian {
		choice = English
		if system == Italian {
			choice = Italian
		}
	}
	for _, l := range Languages {
		register(l, l)
	}
	if choice == Italian {
		register(Italian, English)
	}
	if system != choice && system != English && system != "" {
		register(choice, system)
	}
	current = choice
}

// Language is the language the app speaks now.
func Language() string { return current }

func register(language, as string) {
	data, err := translations.ReadFile("translations/" + language + ".json")
	if err == nil {
		err = lang.AddTranslationsForLocale(data, fyne.Locale(as))
	}
	if err != nil {
		fyne.LogError("cannot load the "+language+" translations", err)
	}
}

// T is the text of key in the app's language, with data (a map or a
// struct) filled into its template: T("copied", map[string]any{"Name": n}).
func T(key string, data ...any) string {
	fallback, ok := english[key]
	if !ok {
		fallback = key // a key missing from en.json: TestCatalogues fails
	}
	return lang.X(key, fallback, data...)
}
