package gui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// EnrolFunc enrols a token; enrolclient.Client.Enrol in the app.
type EnrolFunc func(context.Context, enrolclient.Params) (enrolclient.Result, error)

// prefEnrolURL remembers the last enrol URL that worked.
const prefEnrolURL = "enrolURL"

// AddForm is the Add dialog's content, as the guide shows it (section
// 4.2.1): enrol URL, user name, password, passcode; then, if the server
// asks, two security questions. Errors appear under the field they
// concern. Enrolment runs in the background with a progress bar; Cancel
// really cancels it; nothing is stored unless the server confirmed.
type AddForm struct {
	URL, UserID, Password, Passcode *widget.Entry
	Question1, Question2            *widget.Select
	Answer1, Answer2                *widget.Entry
	EnrolButton, CancelButton       *widget.Button
	// Errors under each field, and one for the whole form.
	URLError, UserIDError, PasswordError, PasscodeError, AnswersError, FormError *widget.Label

	Content fyne.CanvasObject

	enrol     EnrolFunc
	prefs     fyne.Preferences
	onDone    func(enrolclient.Result)
	onClose   func()
	progress  *widget.ProgressBarInfinite
	questions *fyne.Container
	fields    *fyne.Container
	ids       map[string]int
	// secretRows are the password and passcode rows, hidden for One Swipe.
	secretRows []fyne.CanvasObject
	oneSwipe   string
	oneNote    *widget.Label

	busy, asking atomic.Bool
	runs         atomic.Int32
	mu           sync.Mutex
	cancel       context.CancelFunc
	answers      chan map[int]string
}

// NewAddForm builds the form. defaultURL pre-fills the enrol URL when no
// enrolment has succeeded yet; onDone runs after a confirmed enrolment,
// onClose when the dialog should close.
func NewAddForm(enrol EnrolFunc, prefs fyne.Preferences, defaultURL string, onDone func(enrolclient.Result), onClose func()) *AddForm {
	f := &AddForm{enrol: enrol, prefs: prefs, onDone: onDone, onClose: onClose}
	f.URL = widget.NewEntry()
	f.URL.SetPlaceHolder("https://secureauth.example.com/secenrol/")
	f.URL.SetText(prefs.StringWithFallback(prefEnrolURL, defaultURL))
	f.UserID = widget.NewEntry()
	f.UserID.SetPlaceHolder("as in your welcome mail")
	f.Password = widget.NewPasswordEntry()
	f.Passcode = widget.NewEntry()
	f.Passcode.SetPlaceHolder("6 digits")
	f.Question1, f.Question2 = widget.NewSelect(nil, nil), widget.NewSelect(nil, nil)
	f.Answer1, f.Answer2 = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	errLabel := func() *widget.Label {
		l := widget.NewLabel("")
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		l.Hide()
		return l
	}
	f.URLError, f.UserIDError, f.PasswordError, f.PasscodeError, f.AnswersError, f.FormError =
		errLabel(), errLabel(), errLabel(), errLabel(), errLabel(), errLabel()
	row := func(label string, in fyne.CanvasObject, errLabel *widget.Label) []fyne.CanvasObject {
		return []fyne.CanvasObject{widget.NewLabel(label), container.NewVBox(in, errLabel)}
	}
	var grid []fyne.CanvasObject
	grid = append(grid, row("Enrol URL", f.URL, f.URLError)...)
	grid = append(grid, row("Username", f.UserID, f.UserIDError)...)
	f.secretRows = append(row("Password", f.Password, f.PasswordError), row("Passcode", f.Passcode, f.PasscodeError)...)
	grid = append(grid, f.secretRows...)
	f.oneNote = widget.NewLabel("")
	f.oneNote.Wrapping = fyne.TextWrapWord
	f.oneNote.Hide()
	f.fields = container.NewVBox(f.oneNote, container.New(layout.NewFormLayout(), grid...))
	intro := widget.NewLabel("Choose two security questions. The self-help desk asks one of them when you need a temporary passcode.")
	intro.Wrapping = fyne.TextWrapWord
	f.questions = container.NewVBox(intro,
		container.New(layout.NewFormLayout(),
			widget.NewLabel("Question 1"), f.Question1, widget.NewLabel("Answer"), f.Answer1,
			widget.NewLabel("Question 2"), f.Question2, widget.NewLabel("Answer"), f.Answer2),
		f.AnswersError)
	f.questions.Hide()
	f.progress = widget.NewProgressBarInfinite()
	f.progress.Stop()
	f.progress.Hide()
	f.EnrolButton = widget.NewButton("Enrol", f.submit)
	f.EnrolButton.Importance = widget.HighImportance
	f.CancelButton = widget.NewButton("Cancel", f.Cancel)
	f.Content = container.NewVBox(f.fields, f.questions, f.FormError, f.progress,
		container.NewHBox(layout.NewSpacer(), f.CancelButton, f.EnrolButton))
	for _, e := range []*widget.Entry{f.URL, f.UserID, f.Password, f.Passcode, f.Answer1, f.Answer2} {
		e.OnSubmitted = func(string) { f.submit() }
	}
	return f
}

// Busy reports that an enrolment is running.
func (f *AddForm) Busy() bool { return f.busy.Load() }

// Asking reports that the form waits for the security questions.
func (f *AddForm) Asking() bool { return f.asking.Load() }

// Runs counts the enrolments that have finished, well or not, once the
// form shows their outcome.
func (f *AddForm) Runs() int { return int(f.runs.Load()) }

// Cancel stops a running enrolment, or closes the dialog.
func (f *AddForm) Cancel() {
	f.mu.Lock()
	cancel := f.cancel
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	f.onClose()
}

func (f *AddForm) submit() {
	if f.Asking() {
		f.sendAnswers()
		return
	}
	if f.Busy() {
		return
	}
	f.clearErrors()
	p := enrolclient.Params{URL: f.URL.Text, UserID: f.UserID.Text, Password: f.Password.Text, Passcode: f.Passcode.Text,
		OneSwipe: f.oneSwipe, Answer: f.ask}
	ctx, cancel := context.WithCancel(context.Background())
	f.mu.Lock()
	f.cancel, f.answers = cancel, make(chan map[int]string, 1)
	f.mu.Unlock()
	f.setBusy(true)
	go func() {
		res, err := f.enrol(ctx, p)
		cancel()
		fyne.Do(func() { f.finish(p.URL, res, err) })
	}()
}

func (f *AddForm) finish(url string, res enrolclient.Result, err error) {
	defer f.runs.Add(1)
	f.mu.Lock()
	f.cancel = nil
	f.mu.Unlock()
	f.asking.Store(false)
	f.questions.Hide()
	f.fields.Show()
	f.EnrolButton.SetText("Enrol")
	f.setBusy(false)
	if err == nil {
		if clean, _, uerr := enrolclient.URLs(url); uerr == nil {
			f.prefs.SetString(prefEnrolURL, clean)
		}
		f.onDone(res)
		return
	}
	if enrolclient.KindOf(err) == enrolclient.KindCancelled {
		return
	}
	label := map[string]*widget.Label{"url": f.URLError, "userid": f.UserIDError, "password": f.PasswordError,
		"passcode": f.PasscodeError, "answers": f.FormError, "oneswipe": f.FormError}[enrolclient.FieldOf(err)]
	if label == nil {
		label = f.FormError
	}
	label.SetText(sentence(err.Error()))
	label.Show()
}

// ask is the Questioner: it shows the questions and waits for the user.
func (f *AddForm) ask(ctx context.Context, qs []wire.Question, problem string) (map[int]string, error) {
	fyne.Do(func() { f.showQuestions(qs, problem) })
	f.mu.Lock()
	ch := f.answers
	f.mu.Unlock()
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *AddForm) showQuestions(qs []wire.Question, problem string) {
	sort.Slice(qs, func(i, j int) bool { return qs[i].ID < qs[j].ID })
	f.ids = map[string]int{}
	var texts []string
	for _, q := range qs {
		f.ids[q.Text] = q.ID
		texts = append(texts, q.Text)
	}
	f.Question1.SetOptions(texts)
	f.Question2.SetOptions(texts)
	f.AnswersError.Hide()
	if problem != "" {
		f.AnswersError.SetText(sentence(problem))
		f.AnswersError.Show()
	}
	f.fields.Hide()
	f.questions.Show()
	f.EnrolButton.SetText("Continue")
	f.setBusy(false)
	f.asking.Store(true)
}

func (f *AddForm) sendAnswers() {
	q1, q2 := f.Question1.Selected, f.Question2.Selected
	switch {
	case q1 == "" || q2 == "":
		f.AnswersError.SetText("Choose two questions.")
	case q1 == q2:
		f.AnswersError.SetText("Choose two different questions.")
	case strings.TrimSpace(f.Answer1.Text) == "" || strings.TrimSpace(f.Answer2.Text) == "":
		f.AnswersError.SetText("Answer both questions.")
	default:
		f.asking.Store(false)
		f.AnswersError.Hide()
		f.setBusy(true)
		f.answers <- map[int]string{f.ids[q1]: f.Answer1.Text, f.ids[q2]: f.Answer2.Text}
		return
	}
	f.AnswersError.Show()
}

// UseOneSwipe turns the form into the enrolment of a scanned One Swipe
// code: the enrol URL and user ID come from the code and cannot be edited,
// and no password or passcode is asked (the code proves the user).
func (f *AddForm) UseOneSwipe(e oneswipe.Enrolment) {
	f.oneSwipe = e.Code
	f.URL.SetText(e.EnrolURL)
	f.UserID.SetText(e.UserID)
	f.URL.Disable()
	f.UserID.Disable()
	for _, o := range append(f.secretRows, f.Password, f.Passcode) {
		o.Hide()
	}
	f.oneNote.SetText(fmt.Sprintf("Enrolling with the One Swipe code you scanned (valid until %s): no password or passcode needed.",
		e.Expires.Local().Format("15:04")))
	f.oneNote.Show()
}

func (f *AddForm) setBusy(busy bool) {
	defer f.busy.Store(busy)
	for _, w := range []fyne.Disableable{f.URL, f.UserID, f.Password, f.Passcode, f.Question1, f.Question2, f.Answer1, f.Answer2, f.EnrolButton} {
		if !busy && f.oneSwipe != "" && (w == f.URL || w == f.UserID) {
			continue
		}
		if busy {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if busy {
		f.progress.Show()
		f.progress.Start()
	} else {
		f.progress.Stop()
		f.progress.Hide()
	}
}

func (f *AddForm) clearErrors() {
	for _, l := range []*widget.Label{f.URLError, f.UserIDError, f.PasswordError, f.PasscodeError, f.AnswersError, f.FormError} {
		l.SetText("")
		l.Hide()
	}
}

// sentence capitalises an error message for display.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
