package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/app/autotype"
)

// maxTypeDelay bounds type's --delay: a script that waits longer should
// sleep itself.
const maxTypeDelay = time.Minute

// typeCode types a token's passcode into the window that has the focus
// (`softtoken type [--delay D] [--enter] NAME`): for scripts, and for
// the keyboard shortcuts of a desktop where softtoken cannot grab keys
// itself (Wayland). --delay waits before typing, for the window to take
// the focus; --enter presses Enter after the code.
func typeCode(ctx context.Context, env Env, args []string) error {
	var delay time.Duration
	var enter bool
	rest, err := flags(env, "type", args, 1, 1, func(fs *flag.FlagSet) {
		fs.DurationVar(&delay, "delay", 0, "wait this long before typing (up to 1m)")
		fs.BoolVar(&enter, "enter", false, "press Enter after the passcode")
	})
	if err != nil {
		return err
	}
	if delay < 0 || delay > maxTypeDelay {
		return usagef("type: --delay is 0 to 1m")
	}
	if env.Settings != nil {
		if s, _ := env.Settings(); !s.AutoType.Value {
			return errors.New("typing passcodes is turned off by your organisation's policy (AutoType)")
		}
	}
	if env.Typer == nil {
		return autotype.ErrNoDisplay
	}
	e, err := find(env, rest[0])
	if err != nil {
		return err
	}
	typer, err := env.Typer()
	if err != nil {
		return err
	}
	defer typer.Close()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(delay):
	}
	// The code is chosen after the wait, so that it has its time left.
	code, err := autotype.Passcode(env.Store, e, env.Now())
	if err != nil {
		return err
	}
	if enter {
		code += "\n"
	}
	if err := typer.Type(ctx, code, autotype.DefaultDelay); err != nil {
		return fmt.Errorf("type the passcode of %s: %w", e.Name(), err)
	}
	return nil
}
