package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
)

// scanCmd is `softtoken scan [--yes] FILE`: it shows the token in the QR
// code of an image file, and with --yes adds it.
func scanCmd(env Env, args []string) error {
	var yes bool
	rest, err := flags(env, "scan", args, 1, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "add the token found")
	})
	if err != nil {
		return err
	}
	text, err := scan.File(rest[0])
	if err != nil {
		return err
	}
	t, err := scan.Token(text)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Found a token: %s (%s)\n", describe(t), kind(t.Params))
	if !yes {
		_, err := fmt.Fprintf(env.Stdout, "Nothing added: run softtoken scan --yes %s to add it.\n", rest[0])
		return err
	}
	e, err := env.Store.Add(t)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "Added slot %d: %s\n", e.Slot, e.Token.Label)
	return err
}

// describe says whose token it is and who issued it.
func describe(t token.Token) string {
	parts := []string{"account " + t.Account}
	if t.Issuer != "" {
		parts = append(parts, "issuer "+t.Issuer)
	}
	return strings.Join(parts, ", ")
}
