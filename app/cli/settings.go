package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/softtoken/softtoken/app/policy"
)

// settings prints every setting, its effective value and where it came
// from (`softtoken settings [--json]`): policy, user or default. The
// warnings about a bad policy go to standard error, the settings still to
// standard output.
func settings(env Env, args []string) error {
	var asJSON bool
	if _, err := flags(env, "settings", args, 0, 0, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	if env.Settings == nil {
		return fmt.Errorf("settings: not available in this build")
	}
	s, warns := env.Settings()
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "softtoken: warning: %v\n", w)
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	var buf strings.Builder
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SETTING\tVALUE\tFROM")
	for _, row := range settingRows(s) {
		fmt.Fprintf(w, "%s\t%s\t%s\n", row[0], row[1], row[2])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return writeTrimmed(env, buf.String())
}

// settingRows are the table's rows: name, value as text, source.
func settingRows(s policy.Settings) [][3]string {
	text := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	lang := s.Language.Value
	if lang == "" {
		lang = "system"
	}
	onOff := map[bool]string{true: "on", false: "off"}
	return [][3]string{
		{policy.NameEnrolURL, text(s.EnrolURL.Value), string(s.EnrolURL.Source)},
		{policy.NameLanguage, lang, string(s.Language.Source)},
		{policy.NameClipboardClearSeconds, strconv.Itoa(s.ClipboardClearSeconds.Value), string(s.ClipboardClearSeconds.Source)},
		{policy.NameAutoType, onOff[s.AutoType.Value], string(s.AutoType.Source)},
		{"Hotkeys", s.Hotkeys.Value, string(s.Hotkeys.Source)},
		{"HotkeyEnter", onOff[s.HotkeyEnter.Value], string(s.HotkeyEnter.Source)},
		{"StartMinimised", onOff[s.StartMinimised.Value], string(s.StartMinimised.Source)},
	}
}
