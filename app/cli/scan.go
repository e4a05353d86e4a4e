package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
)

// scanCmd is `softtoken scan [--yes] FILE` and `softtoken scan [--yes]
// --screen`: it shows the token in the QR code of an image file or on the
// screen, and with --yes adds it.
func scanCmd(env Env, args []string) error {
	var yes, screen bool
	rest, err := flags(env, "scan", args, 0, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "add the token found")
		fs.BoolVar(&screen, "screen", false, "scan the screen (all monitors) instead of a file")
	})
	if err != nil {
		return err
	}
	var text, again string
	switch {
	case screen && len(rest) == 0:
		text, err = scan.Screen()
		again = "--screen"
	case !screen && len(rest) == 1:
		text, err = scan.File(rest[0])
		again = rest[0]
	default:
		return usagef("scan: give an image FILE or --screen")
	}
	if err != nil {
		return err
	}
	t, err := scan.Token(text)
	if err != nil {
		return err
	}
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
