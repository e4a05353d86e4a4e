package gui

import (
	"context"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// BeginFunc starts an enrolment; enrolclient.Client.Begin in the app.
type BeginFunc func(context.Context, enrolclient.Params) (*enrolclient.Enrolment, error)

// prefEnrolURL remembers the last enrol URL that worked (unless the
// policy sets it).
const prefEnrolURL = policy.PrefEnrolURL

// AddForm is the Add dialog's content, as the guide shows it (section
// 4.2.1): enrol URL, user name, password, passcode; then, if the server
// asks, two security questions. Errors appear under the field they
// concern. Each step of the enrolment (enrolclient's Begin, then Answer
// and Confirm) runs in the background with a progress bar and reports back
// with fyne.Do, so the form's state is the Fyne thread's alone; Cancel
// really cancels; nothing is stored unless the server confirmed.
type AddForm struct {
	URL, UserID, Password, Passcode *widget.Entry
	Question1, Question2            *widget.Select
	Answer1, Answer2                *widget.Entry
	EnrolButton, CancelButton       *widget.Button
	// Errors under each field, and one for the whole form.
	URLError, UserIDError, PasswordError, PasscodeError, AnswersError, FormError *widget.Label
	// URLNote says, under URL, that the organisation set the enrol URL
	// (policy EnrolURL): URL is then fixed.
	URLNote *widget.Label

	Content fyne.CanvasObject

	begin     BeginFunc
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
	// fixedURL is the enrol URL the policy sets, if any; refused says a
	// scanned One Swipe code is for another server, so nothing is sent.
	fixedURL string
	refused  bool

	busy bool
	// cancel cancels a running Begin; enrolment is the enrolment under
	// way once Begin succeeded, until it ends.
	cancel    context.CancelFunc
	enrolment *enrolclient.Enrolment
	steps     atomic.Int32
}

// NewAddForm builds the form. url is the effective enrol URL
// (Window.Effective): the last that worked or the default, which the user
// may change, or the policy's, which is fixed. onDone runs after a
// confirmed enrolment, onClose when the dialog should close.
func NewAddForm(begin BeginFunc, prefs fyne.Preferences, url policy.Value[string], onDone func(enrolclient.Result), onClose func()) *AddForm {
	f := &AddForm{begin: begin, prefs: prefs, onDone: onDone, onClose: onClose}
	f.urlField(url)
	f.UserID = widget.NewEntry()
	f.UserID.SetPlaceHolder(T("add.userid.placeholder"))
	f.Password = widget.NewPasswordEntry()
	f.Passcode = widget.NewEntry()
	f.Passcode.SetPlaceHolder(T("add.passcode.placeholder"))
	f.Question1, f.Question2 = widget.NewSelect(nil, nil), widget.NewSelect(nil, nil)
	f.Question1.PlaceHolder, f.Question2.PlaceHolder = T("add.choose"), T("add.choose")
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
	grid = append(grid, widget.NewLabel(T("add.url")), container.NewVBox(f.URL, f.URLNote, f.URLError))
	grid = append(grid, row(T("add.userid"), f.UserID, f.UserIDError)...)
	f.secretRows = append(row(T("add.password"), f.Password, f.PasswordError), row(T("add.passcode"), f.Passcode, f.PasscodeError)...)
	grid = append(grid, f.secretRows...)
	f.oneNote = widget.NewLabel("")
	f.oneNote.Wrapping = fyne.TextWrapWord
	f.oneNote.Hide()
	f.fields = container.NewVBox(f.oneNote, container.New(layout.NewFormLayout(), grid...))
	intro := widget.NewLabel(T("add.questions.intro"))
	intro.Wrapping = fyne.TextWrapWord
	f.questions = container.NewVBox(intro,
		container.New(layout.NewFormLayout(),
			widget.NewLabel(T("add.question1")), f.Question1, widget.NewLabel(T("add.answer")), f.Answer1,
			widget.NewLabel(T("add.question2")), f.Question2, widget.NewLabel(T("add.answer")), f.Answer2),
		f.AnswersError)
	f.questions.Hide()
	f.progress = widget.NewProgressBarInfinite()
	f.progress.Stop()
	f.progress.Hide()
	f.EnrolButton = widget.NewButton(T("add.enrol"), f.submit)
	f.EnrolButton.Importance = widget.HighImportance
	f.CancelButton = widget.NewButton(T("Cancel"), f.Cancel)
	f.Content = container.NewVBox(f.fields, f.questions, f.FormError, f.progress,
		container.NewHBox(layout.NewSpacer(), f.CancelButton, f.EnrolButton))
	for _, e := range []*widget.Entry{f.URL, f.UserID, f.Password, f.Passcode, f.Answer1, f.Answer2} {
		e.OnSubmitted = func(string) { f.submit() }
	}
	return f
}

// urlField builds the enrol URL's field, filled with url: disabled, with
// a note under it, when the policy sets it.
func (f *AddForm) urlField(url policy.Value[string]) {
	f.URL = widget.NewEntry()
	f.URL.SetPlaceHolder(T("add.url.placeholder"))
	f.URL.SetText(url.Value)
	f.URLNote = widget.NewLabel(T("policy.fixed"))
	f.URLNote.Wrapping = fyne.TextWrapWord
	f.URLNote.Hide()
	if url.Fixed() {
		f.fixedURL = url.Value
		f.URL.Disable()
		f.URLNote.Show()
	}
}

// Asking reports that the form shows the security questions.
func (f *AddForm) Asking() bool { return f.questions.Visible() }

// Steps counts the background steps (Begin; Answer and Confirm) whose
// outcome the form shows. The steps run off the Fyne thread, so tests
// wait for this count before they look at the form.
func (f *AddForm) Steps() int { return int(f.steps.Load()) }

// Cancel stops a running Begin, abandons the enrolment under way (a
// running Confirm still finishes, and its token is shown), and closes the
// dialog.
func (f *AddForm) Cancel() {
	if f.cancel != nil {
		f.cancel()
	}
	if f.enrolment != nil {
		f.enrolment.Close()
	}
	f.onClose()
}

// submit is the Enrol (or Continue) button: Begin in the background.
func (f *AddForm) submit() {
	switch {
	case f.busy || f.refused:
		return
	case f.enrolment != nil:
		f.sendAnswers()
		return
	}
	f.clearErrors()
	p := enrolclient.Params{URL: f.URL.Text, UserID: f.UserID.Text, Password: f.Password.Text, Passcode: f.Passcode.Text, OneSwipe: f.oneSwipe}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.setBusy(true)
	go func() {
		e, err := f.begin(ctx, p)
		fyne.Do(func() { f.begun(ctx, e, err) })
	}()
}

// begun shows Begin's outcome: the questions to answer, or straight on to
// Confirm.
func (f *AddForm) begun(ctx context.Context, e *enrolclient.Enrolment, err error) {
	if err == nil && ctx.Err() != nil { // Cancel came as Begin succeeded
		e.Close()
		err = &enrolclient.Error{Kind: enrolclient.KindCancelled, Msg: "enrolment cancelled", Err: ctx.Err()}
	}
	f.cancel()
	f.cancel = nil
	if err != nil {
		f.finish(enrolclient.Result{}, err)
		return
	}
	f.enrolment = e
	if qs := e.Questions(); qs != nil {
		defer f.steps.Add(1)
		f.setBusy(false)
		f.showQuestions(qs)
		return
	}
	f.complete(nil)
}

// complete sends the answers, if any, and confirms, in the background.
func (f *AddForm) complete(answers map[int]string) {
	e := f.enrolment
	f.setBusy(true)
	go func() {
		var res enrolclient.Result
		var err error
		if answers != nil {
			err = e.Answer(context.Background(), answers)
		}
		if err == nil {
			res, err = e.Confirm(context.Background())
		}
		fyne.Do(func() { f.finish(res, err) })
	}()
}

// finish shows the outcome of the last step: refused answers under the
// questions, to be answered again; otherwise the enrolment is over, and
// the form shows its fields again, with the error if any.
func (f *AddForm) finish(res enrolclient.Result, err error) {
	defer f.steps.Add(1)
	f.setBusy(false)
	if enrolclient.KindOf(err) == enrolclient.KindBadAnswers {
		f.AnswersError.SetText(enrolMessage(err, f.URL.Text))
		f.AnswersError.Show()
		return
	}
	if f.enrolment != nil {
		f.enrolment.Close()
		f.enrolment = nil
	}
	f.questions.Hide()
	f.fields.Show()
	f.EnrolButton.SetText(T("add.enrol"))
	if err == nil {
		if clean, _, uerr := enrolclient.URLs(f.URL.Text); uerr == nil && f.fixedURL == "" {
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
	label.SetText(enrolMessage(err, f.URL.Text))
	label.Show()
}

// showQuestions shows the server's questions, in two lists, instead of
// the fields.
func (f *AddForm) showQuestions(qs []enrolclient.Question) {
	f.ids = map[string]int{}
	var texts []string
	for _, q := range qs {
		f.ids[q.Text] = q.ID
		texts = append(texts, q.Text)
	}
	f.Question1.SetOptions(texts)
	f.Question2.SetOptions(texts)
	f.AnswersError.Hide()
	f.fields.Hide()
	f.questions.Show()
	f.EnrolButton.SetText(T("add.continue"))
}

// sendAnswers is the Continue button: it checks the choices, then answers
// and confirms.
func (f *AddForm) sendAnswers() {
	q1, q2 := f.Question1.Selected, f.Question2.Selected
	switch {
	case q1 == "" || q2 == "":
		f.AnswersError.SetText(T("add.twoquestions"))
	case q1 == q2:
		f.AnswersError.SetText(T("add.different"))
	case strings.TrimSpace(f.Answer1.Text) == "" || strings.TrimSpace(f.Answer2.Text) == "":
		f.AnswersError.SetText(T("add.answerboth"))
	default:
		f.AnswersError.Hide()
		f.complete(map[int]string{f.ids[q1]: f.Answer1.Text, f.ids[q2]: f.Answer2.Text})
		return
	}
	f.AnswersError.Show()
}

// UseOneSwipe turns the form into the enrolment of a scanned One Swipe
// code: the enrol URL and user ID come from the code and cannot be edited,
// and no password or passcode is asked (the code proves the user). A
// code for another server than the one the policy sets is refused.
func (f *AddForm) UseOneSwipe(e oneswipe.Enrolment) {
	if clean, _, _ := enrolclient.URLs(e.EnrolURL); f.fixedURL != "" && clean != f.fixedURL {
		f.refused = true
		f.EnrolButton.Disable()
		f.FormError.SetText(T("add.oneswipe.otherserver", args{"URL": e.EnrolURL, "Fixed": f.fixedURL}))
		f.FormError.Show()
		return
	}
	f.oneSwipe = e.Code
	f.URL.SetText(e.EnrolURL)
	f.UserID.SetText(e.UserID)
	f.URL.Disable()
	f.UserID.Disable()
	for _, o := range append(f.secretRows, f.Password, f.Passcode) {
		o.Hide()
	}
	f.oneNote.SetText(T("add.oneswipe", args{"Time": e.Expires.Local().Format("15:04")}))
	f.oneNote.Show()
}

func (f *AddForm) setBusy(busy bool) {
	f.busy = busy
	for _, w := range []fyne.Disableable{f.URL, f.UserID, f.Password, f.Passcode, f.Question1, f.Question2, f.Answer1, f.Answer2, f.EnrolButton} {
		if !busy && (f.oneSwipe != "" && (w == f.URL || w == f.UserID) || f.fixedURL != "" && w == f.URL) {
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
