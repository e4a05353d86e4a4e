// Package scan finds QR codes on the screen, in image files, on the
// clipboard and in webcam frames, and says what they hold for the desktop
// app: a token to add (an otpauth:// URI), a One Swipe enrolment code to
// enrol with (token/oneswipe), or something that is neither. "No QR code
// found" (token/qr's ErrNoCode) and "this QR code is not a token" are
// different answers, because the user's next step differs (aim better, or
// scan another code).
package scan

import (
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// ErrNotToken is the answer for a QR code that holds something else.
var ErrNotToken = errors.New("this QR code is not a token: scan the code your administrator or service gave you for an authenticator")

// ErrSignInCode is the answer for a One Swipe sign-in code, which the app
// shows rather than reads.
var ErrSignInCode = errors.New("this is a One Swipe sign-in code: it is for the webcam of the enrol page, not for this app")

// ErrNoClipboardImage is the answer when the clipboard holds no picture.
var ErrNoClipboardImage = errors.New("the clipboard holds no picture: copy the QR code's image first (for instance right-click it and choose Copy image)")

// ErrNoClipboard is the answer when this desktop's clipboard cannot be read.
var ErrNoClipboard = errors.New("the clipboard cannot be read on this desktop: save the picture to a file and open it instead")

// ErrNoCode is the answer for an image without a readable QR code.
var ErrNoCode = qr.ErrNoCode

// Found is what a QR code holds that the app can use: exactly one of
// Token and Enrolment is set.
type Found struct {
	// Token is a token to add, from an otpauth:// URI.
	Token *token.Token
	// Enrolment is a One Swipe enrolment code: enrol with the server.
	Enrolment *oneswipe.Enrolment
}

// Classify says what a scanned text is: ErrNotToken for text the app cannot
// use, and an error saying what is wrong (wrapping token.URIError or
// oneswipe.Error) for a token or One Swipe code that is malformed or, at
// now, expired.
func Classify(text string, now time.Time) (Found, error) {
	t, err := token.ParseURI(text)
	if err == nil {
		return Found{Token: &t}, nil
	}
	if !errors.Is(err, token.ErrNotOTPAuth) {
		return Found{}, fmt.Errorf("this QR code holds a token that cannot be used: %w", err)
	}
	v, err := oneswipe.Parse(text)
	if errors.Is(err, oneswipe.ErrNotOneSwipe) {
		return Found{}, ErrNotToken
	}
	if err != nil {
		return Found{}, fmt.Errorf("this One Swipe code cannot be used: %w", err)
	}
	e, ok := v.(oneswipe.Enrolment)
	if !ok {
		return Found{}, ErrSignInCode
	}
	if !now.Before(e.Expires) {
		return Found{}, fmt.Errorf("this One Swipe code expired at %s: sign in to the enrol page again for a new one", e.Expires.Local().Format("15:04"))
	}
	return Found{Enrolment: &e}, nil
}

// File reads the image file at path and decodes the QR code in it.
func File(path string) (string, error) { return qr.File(path) }
