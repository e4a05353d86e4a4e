package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// Limits bound the work and memory that requests anyone may send cost the
// pages. Zero fields take DefaultLimits'.
//
// The rates bound what one client address may do. They slow a flood; the
// rules' limits per account (throttle, lockout) are what protect a user.
// Behind a NAT, where many users share an address, set them higher
// (docs/deploy.md).
type Limits struct {
	// SignIns bounds password attempts per client address, and per user
	// ID from one address.
	SignIns ratelimit.Rate
	// Sessions bounds the new sessions a client address starts: each
	// costs memory until it expires.
	Sessions ratelimit.Rate
	// Frames bounds the One Swipe camera frames a client address posts.
	Frames ratelimit.Rate
	// FrameMaxBytes and FrameMaxPixels bound a camera frame posted to the
	// One Swipe reader: the sign-in page sends JPEG frames of at most
	// 1280 pixels on the long side (under 1 megapixel, a few hundred KB);
	// anything larger is refused (413) from its size or its header,
	// before a pixel is decoded.
	FrameMaxBytes  int64
	FrameMaxPixels int64
	// FrameDecodes is how many frames are decoded at once (each takes up
	// to about 40 MB for a moment); a frame that finds them all busy is
	// answered 503 at once, never queued: the page sends the next.
	FrameDecodes int
	// MaxSessions bounds the open sessions of each site (the enrol site,
	// the self-help desk), and MaxSessionsPerAddr those of one client
	// address: a new session takes the place of the oldest session of
	// the busiest address, or of its own address, sessions that have not
	// signed in first (sessions); a visitor finds no room (503, or 429
	// over the address's share) only when every session that could make
	// room has signed in.
	MaxSessions        int
	MaxSessionsPerAddr int
}

// DefaultLimits are the limits `serve` starts with: 10 sign-ins a minute
// (10 at once), 60 new sessions a minute (30 at once), 600 camera frames a
// minute (40 at once: a page scans a few a second), 100 open sessions
// of each site from one address.
var DefaultLimits = Limits{SignIns: ratelimit.Rate{PerMinute: 10, Burst: 10}, Sessions: ratelimit.Rate{PerMinute: 60, Burst: 30},
	Frames: ratelimit.Rate{PerMinute: 600, Burst: 40}, FrameMaxBytes: 1 << 20, FrameMaxPixels: 2_000_000, FrameDecodes: 2, MaxSessions: 100_000,
	MaxSessionsPerAddr: 100}

// DefaultMaxTempDays is the longest a temporary passcode from the
// self-help desk may last when Config.MaxTempDays is zero.
const DefaultMaxTempDays = 7

// withDefaults fills the zero (or negative) fields with DefaultLimits'.
func (l Limits) withDefaults() Limits {
	l.SignIns, l.Sessions, l.Frames = l.SignIns.Or(DefaultLimits.SignIns), l.Sessions.Or(DefaultLimits.Sessions), l.Frames.Or(DefaultLimits.Frames)
	if l.FrameMaxBytes <= 0 {
		l.FrameMaxBytes = DefaultLimits.FrameMaxBytes
	}
	if l.FrameMaxPixels <= 0 {
		l.FrameMaxPixels = DefaultLimits.FrameMaxPixels
	}
	if l.FrameDecodes <= 0 {
		l.FrameDecodes = DefaultLimits.FrameDecodes
	}
	if l.MaxSessions <= 0 {
		l.MaxSessions = DefaultLimits.MaxSessions
	}
	if l.MaxSessionsPerAddr <= 0 {
		l.MaxSessionsPerAddr = DefaultLimits.MaxSessionsPerAddr
	}
	return l
}

// gate lets so many in at once, and turns the rest away at once.
type gate chan struct{}

// enter takes a place, or reports false when there is none.
func (g gate) enter() bool {
	select {
	case g <- struct{}{}:
		return true
	default:
		return false
	}
}

// leave gives back a place enter took.
func (g gate) leave() { <-g }

// frameAnswer is a frame's JSON answer with its HTTP status. Its "error",
// if any, is a catalogue key until the answer is sent in the reader's
// language.
type frameAnswer struct {
	status int
	body   map[string]any
}

func frameError(status int, key string) frameAnswer {
	return frameAnswer{status, map[string]any{"error": key}}
}

// Answers to frames the reader refuses.
var (
	frameTooLarge = frameError(http.StatusRequestEntityTooLarge, "frame.toolarge")
	frameBusy     = frameError(http.StatusServiceUnavailable, "frame.busy")
	frameUnread   = frameError(http.StatusBadRequest, "frame.unread")
	frameFormat   = frameError(http.StatusUnsupportedMediaType, "frame.format")
)

// frameFormats are the formats of the frames the reader takes: the page
// sends JPEG, and tools and tests PNG. Any other is refused from its first
// bytes, whatever decoders a dependency registered with the image package.
const frameFormats = qr.FormatPNG | qr.FormatJPEG

// readFrame reads a posted camera frame within the limits and decodes the
// One Swipe sign-in code in it, if any, with one of the decoder's places:
// the body's size, the picture's format and its header are checked first,
// so that a frame over the limits or in another format is refused before
// it takes a place or a pixel is decoded.
func (h *EnrolSite) readFrame(r *http.Request) (*oneswipe.SignIn, frameAnswer) {
	data, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, frameTooLarge
	case err != nil:
		return nil, frameUnread
	}
	limits := qr.Limits{MaxBytes: h.limits.FrameMaxBytes, MaxPixels: h.limits.FrameMaxPixels, Formats: frameFormats}
	err = qr.CheckImage(data, limits)
	switch {
	case errors.Is(err, qr.ErrTooLarge):
		return nil, frameTooLarge
	case errors.Is(err, qr.ErrFormat):
		return nil, frameFormat
	case err != nil:
		return nil, frameUnread
	}
	if !h.decodes.enter() {
		return nil, frameBusy
	}
	defer h.decodes.leave()
	img, err := qr.ReadImageLimited(bytes.NewReader(data), limits)
	if err != nil {
		return nil, frameUnread
	}
	text, err := qr.Decode(img)
	if err != nil {
		return nil, frameAnswer{http.StatusOK, map[string]any{"found": false}}
	}
	si, err := oneswipe.ParseSignIn(text)
	if err != nil {
		return nil, frameAnswer{http.StatusOK, map[string]any{"found": true,
			"error": "frame.notswipe"}}
	}
	return &si, frameAnswer{http.StatusOK, map[string]any{"found": true, "userid": si.UserID}}
}
