package gui_test

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/token"
)

// fyneKeys are Fyne's own words that the catalogues translate, so that
// Fyne's dialogs, menus and file picker follow the app's language; the
// app's code need not use them.
var fyneKeys = []string{"Advanced", "Cancel", "Confirm", "Copy", "Create Folder", "Cut", "Enter filename", "Error",
	"Favourites", "File", "Folder", "New Folder", "No", "OK", "Open", "Paste", "Quit", "Redo", "Save", "Select all",
	"Show Hidden Files", "Undo", "Yes", "file.name", "file.parent"}

var (
	placeholder       = regexp.MustCompile(`\{\{\.(\w+)\}\}`)
	slotPrefix        = regexp.MustCompile(`^[1-6]  `)
	quotedPlaceholder = regexp.MustCompile(`\\\{\\\{\\\.\w+\\\}\\\}`) // after regexp.QuoteMeta
)

// codeKeys reads the app's code: the keys it passes to gui.T as literals,
// and all its string literals (keys in tables among them): a key not
// among those is used nowhere.
func codeKeys(t *testing.T) (tKeys, literals map[string]bool) {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	app, _ := filepath.Glob("../*.go")
	tKeys, literals = map[string]bool{}, map[string]bool{}
	for _, name := range append(files, app...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == gotoken.STRING {
					s, _ := strconv.Unquote(n.Value)
					literals[s] = true
				}
			case *ast.CallExpr:
				fn, ok := n.Fun.(*ast.Ident)
				if sel, isSel := n.Fun.(*ast.SelectorExpr); isSel {
					fn, ok = sel.Sel, true
				}
				if lit, isLit := firstArg(n).(*ast.BasicLit); ok && isLit && fn.Name == "T" {
					key, _ := strconv.Unquote(lit.Value)
					tKeys[key] = true
				}
			}
			return true
		})
	}
	if len(tKeys) < 50 {
		t.Fatalf("found only %d keys in the code: is the scan broken?", len(tKeys))
	}
	return tKeys, literals
}

func firstArg(c *ast.CallExpr) ast.Expr {
	if len(c.Args) == 0 {
		return nil
	}
	return c.Args[0]
}

// TestCatalogues: both languages have the same keys with the same
// placeholders, every key the code uses is in them, and every key in them
// is used (by the code, or by Fyne).
func TestCatalogues(t *testing.T) {
	cats := map[string]map[string]string{}
	for _, l := range gui.Languages {
		c, err := gui.Catalogue(l)
		if err != nil {
			t.Fatal(err)
		}
		cats[l] = c
	}
	en := cats[gui.English]
	for l, c := range cats {
		for k, v := range en {
			tr, ok := c[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q", l, k)
			case strings.TrimSpace(tr) == "":
				t.Errorf("%s.json: %q is empty", l, k)
			case !slices.Equal(names(v), names(tr)):
				t.Errorf("%s.json: %q has placeholders %v, English has %v", l, k, names(tr), names(v))
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which en.json lacks", l, k)
			}
		}
	}
	tKeys, used := codeKeys(t)
	for k := range tKeys {
		if _, ok := en[k]; !ok {
			t.Errorf("the code uses %q, which en.json lacks", k)
		}
	}
	for k := range en {
		if !used[k] && !slices.Contains(fyneKeys, k) {
			t.Errorf("en.json has %q, which nothing uses", k)
		}
	}
}

func names(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSetLanguage: the app follows the system's language (LANGUAGE here,
// as Fyne reads it) unless Settings chose one; Fyne's own words follow.
func TestSetLanguage(t *testing.T) {
	test.NewTempApp(t)
	tests := []struct {
		system, choice string
		want           string
		add, cancel    string
	}{
		{"en_US", "", gui.English, "Add", "Cancel"},
		{"it_IT", "", gui.Italian, "Aggiungi", "Annulla"},
		{"it", "", gui.Italian, "Aggiungi", "Annulla"},
		{"fr_FR", "", gui.English, "Add", "Cancel"},
		{"en_US", gui.Italian, gui.Italian, "Aggiungi", "Annulla"},
		{"it_IT", gui.English, gui.English, "Add", "Cancel"},
		{"fr_FR", gui.Italian, gui.Italian, "Aggiungi", "Annulla"},
		{"en_US", "", gui.English, "Add", "Cancel"}, // back again
	}
	t.Cleanup(func() { gui.SetLanguage(gui.English) })
	for _, tc := range tests {
		t.Setenv("LANGUAGE", tc.system)
		gui.SetLanguage(tc.choice)
		if got := gui.Language(); got != tc.want {
			t.Errorf("system %s, choice %q: speaks %q, want %q", tc.system, tc.choice, got, tc.want)
		}
		if got := gui.T("window.add"); got != tc.add {
			t.Errorf("system %s, choice %q: Add is %q, want %q", tc.system, tc.choice, got, tc.add)
		}
		if got := lang.L("Cancel"); got != tc.cancel {
			t.Errorf("system %s, choice %q: Fyne's Cancel is %q, want %q", tc.system, tc.choice, got, tc.cancel)
		}
	}
}

// translationCheck tells the texts on screen that are not Italian: English
// texts of the catalogue, and texts from no catalogue at all. Data (token
// names, user IDs, URLs, server texts) is allowed, as are texts with no
// letters (digits, "•••").
type translationCheck struct {
	it, en []*regexp.Regexp
	data   []string
}

func newTranslationCheck(t *testing.T) *translationCheck {
	t.Helper()
	c := &translationCheck{data: []string{"softtoken"}}
	for _, l := range gui.Languages {
		cat, err := gui.Catalogue(l)
		if err != nil {
			t.Fatal(err)
		}
		var res []*regexp.Regexp
		for _, v := range slices.Sorted(maps.Values(cat)) {
			for _, line := range strings.Split(v, "\n") {
				if !strings.ContainsFunc(placeholder.ReplaceAllString(line, ""), unicode.IsLetter) {
					continue // "{{.Detail}}" would match any text
				}
				pat := quotedPlaceholder.ReplaceAllString(regexp.QuoteMeta(line), "(.*)")
				res = append(res, regexp.MustCompile("^"+pat+"$"))
			}
		}
		if l == gui.Italian {
			c.it = res
		} else {
			c.en = res
		}
	}
	return c
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(s) })
}

// problems lists what is wrong with the texts on c's canvas.
func (c *translationCheck) problems(cv fyne.Canvas) []string {
	var out []string
	for _, text := range visibleTexts(cv) {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			line = slotPrefix.ReplaceAllString(line, "") // a row's name: "1  alice"
			if line == "" || matchesAny(c.it, line) {
				continue
			}
			rest := line
			data := slices.Clone(c.data)
			slices.SortFunc(data, func(a, b string) int { return len(b) - len(a) }) // "x" after "Rex"
			for _, d := range data {
				rest = strings.ReplaceAll(rest, d, "")
			}
			if !strings.ContainsFunc(rest, unicode.IsLetter) {
				continue
			}
			if matchesAny(c.en, line) {
				out = append(out, "English: "+strconv.Quote(line))
			} else {
				out = append(out, "not in the catalogue: "+strconv.Quote(line))
			}
		}
	}
	return out
}

// visibleTexts are the texts a user sees on cv: the window's content and
// its overlays (dialogs, menus), hidden objects left out.
func visibleTexts(cv fyne.Canvas) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.RichText:
			out = append(out, x.String())
		case *canvas.Text:
			out = append(out, x.Text)
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(cv.Content())
	for _, o := range cv.Overlays().List() {
		walk(o)
	}
	return out
}

// TestTranslationCheckCatchesForgottenStrings: the check finds a string
// left in English and one missing from the catalogues, in a window and in
// a dialog, and passes the same window in Italian.
func TestTranslationCheckCatchesForgottenStrings(t *testing.T) {
	italian(t)
	f := newFixture(t, "alice (bank.example)")
	check := newTranslationCheck(t)
	check.data = append(check.data, "alice (bank.example)")
	if p := check.problems(f.w.Win.Canvas()); len(p) != 0 {
		t.Fatalf("the Italian window: %q", p)
	}
	f.w.Status.SetText("Delete token") // English, from the catalogue
	f.w.Inform("Hello", "Nessun passcode")
	got := check.problems(f.w.Win.Canvas())
	want := []string{`English: "Delete token"`, `not in the catalogue: "Hello"`}
	if !slices.Equal(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}

// italian makes the app speak Italian for the test, as a system in
// Italian does, and English again after it.
func italian(t *testing.T) {
	t.Helper()
	t.Setenv("LANGUAGE", "it_IT")
	t.Cleanup(func() { gui.SetLanguage(gui.English) })
	gui.SetLanguage("")
}

func newLabel(s string) fyne.CanvasObject { return widget.NewLabel(s) }

// TestSettingsLanguage: choosing Italiano in Settings turns the window,
// its rows and the tray menu to Italian at once, and it stays chosen.
func TestSettingsLanguage(t *testing.T) {
	t.Setenv("LANGUAGE", "en_US")
	t.Cleanup(func() { gui.SetLanguage(gui.English) })
	a, store := memApp(t)
	if _, err := store.Add(rfcToken("alice")); err != nil {
		t.Fatal(err)
	}
	var tray *fyne.Menu
	w := gui.New(a, gui.Config{Store: store, OnChange: func(entries []token.Entry) {
		tray = gui.TrayMenu(entries, func(int) {}, func() {})
	}})
	if w.AddButton.Text != "Add" || tray.Items[0].Label != "Copy passcode: alice" {
		t.Fatalf("in English: %q, tray %q", w.AddButton.Text, tray.Items[0].Label)
	}
	test.Tap(w.SettingsButton)
	var choice *widget.Select
	var save *widget.Button
	for _, o := range test.LaidOutObjects(w.Win.Canvas().Overlays().Top()) {
		switch x := o.(type) {
		case *widget.Select:
			if slices.Contains(x.Options, "English") { // the language's, not the hotkeys'
				choice = x
			}
		case *widget.Button:
			if x.Text == "Save" {
				save = x
			}
		}
	}
	if choice == nil || save == nil {
		t.Fatal("no language choice or Save button in Settings")
	}
	if got := strings.Join(choice.Options, ", "); got != "As the system, English, Italiano" || choice.SelectedIndex() != 0 {
		t.Errorf("choices %q, chosen %d", got, choice.SelectedIndex())
	}
	choice.SetSelected("Italiano")
	test.Tap(save)
	if w.AddButton.Text != "Aggiungi" || w.Rows()[0].Copy.Text != "Copia" || tray.Items[0].Label != "Copia passcode: alice" {
		t.Errorf("after choosing Italiano: %q, %q, tray %q", w.AddButton.Text, w.Rows()[0].Copy.Text, tray.Items[0].Label)
	}
	if got := a.Preferences().String(gui.PrefLanguage); got != gui.Italian {
		t.Errorf("preference %q", got)
	}
	if again := gui.NewSettings(a.Preferences(), "", policy.Policy{}); again.Language.Selected != "Italiano" {
		t.Errorf("Settings shows %q", again.Language.Selected)
	}
}
