package gui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// The One Swipe dialog shows a QR code with the user ID and the passcode
// of now, and a new one when the passcode changes.
func TestShowOneSwipe(t *testing.T) {
	f := newFixture(t, "third-party")
	enrolled := rfcToken("trader (2fa.example.com)")
	enrolled.Account, enrolled.Issuer, enrolled.EnrolURL, enrolled.Serial = "trader", "2fa.example.com", "https://2fa.example.com/secenrol/", "ST0123456789"
	if _, err := f.store.Add(enrolled); err != nil {
		t.Fatal(err)
	}
	f.w.Reload()
	rows := f.w.Rows()
	if rows[0].Swipe.Visible() || !rows[1].Swipe.Visible() {
		t.Fatalf("Swipe shown for the third-party token (%v) or hidden for the enrolled one (%v)", rows[0].Swipe.Visible(), rows[1].Swipe.Visible())
	}
	test.Tap(rows[1].Swipe)
	v := f.w.Swipe
	if v == nil {
		t.Fatal("no One Swipe dialog")
	}
	check := func(at time.Time) string {
		t.Helper()
		want, _ := enrolled.Code(at)
		got, err := qr.Decode(v.Image.Image)
		if err != nil {
			t.Fatalf("the dialog's QR code: %v", err)
		}
		si, err := oneswipe.ParseSignIn(got)
		if err != nil || si != (oneswipe.SignIn{UserID: "trader", Passcode: want, Serial: "ST0123456789"}) || got != v.Payload {
			t.Fatalf("the QR code holds %#v (%v), want the passcode of %s", si, err, at)
		}
		return got
	}
	first := check(f.now)
	f.now = f.now.Add(30 * time.Second)
	f.w.Refresh()
	if check(f.now) == first {
		t.Error("the code did not change with the passcode")
	}
	// Deleting the token closes the dialog.
	if err := f.store.Delete(rows[1].Entry.ID); err != nil {
		t.Fatal(err)
	}
	f.w.Reload()
	if f.w.Swipe != nil {
		t.Error("the One Swipe dialog of a deleted token stays open")
	}
}
