package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/softtoken/softtoken/enrolclient"
)

// enrol is `softtoken enrol [--proxy-pac PAC] URL USERID`. Secrets come from the terminal
// without echo, or one per line from standard input when it is not a
// terminal: password, passcode, then, if the server asks for security
// questions, for each of the two the number of the chosen question and
// the answer.
func enrol(ctx context.Context, env Env, args []string) error {
	rest, err := flags(env, "enrol", args, 2, 2, func(fs *flag.FlagSet) {
		fs.StringVar(&env.ProxyPAC, "proxy-pac", env.ProxyPAC, "URL of the proxy auto-configuration script")
	})
	if err != nil {
		return err
	}
	in := &input{env: env, r: bufio.NewReader(env.Stdin)}
	pw, err := in.secret("Password")
	if err != nil {
		return err
	}
	code, err := in.secret("Passcode (from your welcome mail, or the one your old PC shows)")
	if err != nil {
		return err
	}
	return runEnrol(ctx, env, in, enrolclient.Params{URL: rest[0], UserID: rest[1], Password: pw, Passcode: code})
}

// runEnrol enrols with p, asks in for the answers to the security
// questions if the server wants them, and reports the result.
func runEnrol(ctx context.Context, env Env, in *input, p enrolclient.Params) error {
	c := &enrolclient.Client{Store: env.Store, Now: env.Now, ProxyPAC: env.ProxyPAC}
	e, err := c.Begin(ctx, p)
	if err != nil {
		return err
	}
	defer e.Close()
	for qs := e.Questions(); qs != nil; qs = e.Questions() {
		answers, err := in.answer(qs)
		if err != nil {
			return err
		}
		if err := e.Answer(ctx, answers); enrolclient.KindOf(err) == enrolclient.KindBadAnswers {
			fmt.Fprintf(env.Stderr, "softtoken: %s\n", err)
		} else if err != nil {
			return err
		}
	}
	res, err := e.Confirm(ctx)
	if err != nil {
		return err
	}
	if w := res.ClockWarning(); w != "" {
		fmt.Fprintln(env.Stderr, "softtoken: warning: "+w)
	}
	verb := "Enrolled"
	if res.Replaced {
		verb = "Re-enrolled (the old token of this account is deleted, it no longer works)"
	}
	if _, err = fmt.Fprintf(env.Stdout, "%s: slot %d, %s, serial %s\n", verb, res.Entry.Slot, res.Entry.Token.Label, res.Entry.Token.Serial); err != nil {
		return err
	}
	if !res.Waits.IsZero() {
		_, err = fmt.Fprintf(env.Stdout, "The server holds this token until you confirm it with the link it e-mailed to you, or until %s:\n"+
			"until then its passcodes are refused; use your temporary passcode, or your old token.\n", res.Waits.Local().Format("2006-01-02 15:04 MST"))
	}
	return err
}

// input reads what the user types: without echo on a terminal, else one
// line at a time from standard input.
type input struct {
	env Env
	r   *bufio.Reader
}

func (in *input) line(prompt string, secret bool) (string, error) {
	if in.env.Interactive {
		fmt.Fprintf(in.env.Stderr, "%s: ", prompt)
		if secret && in.env.ReadSecret != nil {
			s, err := in.env.ReadSecret()
			fmt.Fprintln(in.env.Stderr)
			return strings.TrimSpace(s), err
		}
	}
	s, err := in.r.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		return "", fmt.Errorf("read %s: standard input ended", strings.ToLower(strings.Fields(prompt)[0]))
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (in *input) secret(prompt string) (string, error) { return in.line(prompt, true) }

// answer lists the server's questions and reads two choices and answers.
func (in *input) answer(qs []enrolclient.Question) (map[int]string, error) {
	w := in.env.Stderr
	fmt.Fprintln(w, "Choose two security questions; the self-help desk will ask one of them:")
	valid := map[int]bool{}
	for _, q := range qs {
		fmt.Fprintf(w, "  %2d  %s\n", q.ID, q.Text)
		valid[q.ID] = true
	}
	answers := map[int]string{}
	for len(answers) < 2 {
		n, err := in.line(fmt.Sprintf("Question %d: its number", len(answers)+1), false)
		if err != nil {
			return nil, err
		}
		id, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || !valid[id] {
			return nil, fmt.Errorf("%q is not one of the question numbers", n)
		}
		if _, dup := answers[id]; dup {
			return nil, errors.New("choose two different questions")
		}
		a, err := in.line("Your answer", true)
		if err != nil {
			return nil, err
		}
		answers[id] = a
	}
	return answers, nil
}
