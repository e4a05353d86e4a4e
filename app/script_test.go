package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/softtoken/softtoken/internal/scripttest"
	"github.com/softtoken/softtoken/token/qr"
)

// TestMain lets the scripts run this package's main as softtoken.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"softtoken": main})
}

// TestScripts runs the command line's scripts in testdata/script: the
// commands and failures that need no keyring and no display (help,
// version, usage errors, malformed URIs, enrol URLs refused before the
// network, scanning a QR code file without adding it).
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", map[string]scripttest.Cmd{"qrcode": qrcodeCmd}, func(env *testscript.Env) error {
		// Fyne reads the language from here (the Makefile sets it too);
		// a command that reached a keyring by mistake would reach a
		// service of no user's tokens.
		env.Setenv("LANGUAGE", "en_US")
		env.Setenv("SOFTTOKEN_KEYRING_SERVICE", "softtoken-testscript")
		return nil
	})
}

// qrcodeCmd is the script command `qrcode FILE TEXT`: it draws TEXT as a
// QR code into the PNG image FILE.
func qrcodeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: qrcode FILE TEXT")
	}
	png, err := qr.PNG(args[1], 256)
	if err != nil {
		ts.Fatalf("qrcode: %v", err)
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), png, 0o600); err != nil {
		ts.Fatalf("qrcode: %v", err)
	}
}
