package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token"
)

// scanCmd is `softtoken scan [--yes] FILE|--screen|--clipboard`: it shows
// the token or One Swipe enrolment code in the QR code of an image file,
// on the screen or on the clipboard, and with --yes adds or enrols it.
func scanCmd(ctx context.Context, env Env, args []string) error {
	var yes, screen, clip bool
	rest, err := flags(env, "scan", args, 0, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "add the token found")
		fs.BoolVar(&screen, "screen", false, "scan the screen (all monitors) instead of a file")
		fs.BoolVar(&clip, "clipboard", false, "scan the image on the clipboard instead of a file")
	})
	if err != nil {
		return err
	}
	var text, again string
	switch {
	case screen && !clip && len(rest) == 0:
		text, err = scan.Screen()
		again = "--screen"
	case clip && !screen && len(rest) == 0:
		text, err = scan.Clipboard()
		again = "--clipboard"
	case !screen && !clip && len(rest) == 1:
		text, err = scan.File(rest[0])
		again = rest[0]
	default:
		return usagef("scan: give an image FILE, --screen or --clipboard")
	}
	if err != nil {
		return err
	}
	found, err := scan.Classify(text, env.Now())
	if err != nil {
		return err
	}
	if e := found.Enrolment; e != nil {
		fmt.Fprintf(env.Stdout, "Found a One Swipe enrolment code: account %s, server %s, valid until %s\n",
			e.UserID, e.EnrolURL, e.Expires.Local().Format("15:04:05"))
		if !yes {
			_, err := fmt.Fprintf(env.Stdout, "Nothing enrolled: run softtoken scan --yes %s to enrol.\n", again)
			return err
		}
		in := &input{env: env, r: bufio.NewReader(env.Stdin)}
		return runEnrol(ctx, env, in, enrolclient.Params{URL: e.EnrolURL, UserID: e.UserID, OneSwipe: e.Code})
	}
	t := *found.Token
	fmt.Fprintf(env.Stdout, "Found a token: %s (%s)\n", describe(t), kind(t.Params))
	if !yes {
		_, err := fmt.Fprintf(env.Stdout, "Nothing added: run softtoken scan --yes %s to add it.\n", again)
		return err
	}
	return addToken(env, t)
}

// describe says whose token it is and who issued it.
func describe(t token.Token) string {
	parts := []string{"account " + t.Account}
	if t.Issuer != "" {
		parts = append(parts, "issuer "+t.Issuer)
	}
	return strings.Join(parts, ", ")
}
