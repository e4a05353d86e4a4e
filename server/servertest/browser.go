package servertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token/qr"
)

// Browser is a cookie-keeping HTTP client of the server's pages that
// remembers the last page's CSRF token, as a browser's form would send it.
type Browser struct {
	t testing.TB
	// Client is the HTTP client, with the browser's cookies.
	Client *http.Client
	base   string
	// CSRF is the CSRF token of the last page.
	CSRF string
}

// NewBrowser is a browser at the site whose pages are under base (the
// server's URL or Helpdesk).
func NewBrowser(t testing.TB, base string) *Browser { return NewBrowserFrom(t, base, "") }

// NewBrowserFrom is NewBrowser on a computer of another address (such as
// 127.0.0.2: every 127.0.0.0/8 address is this machine).
func NewBrowserFrom(t testing.TB, base, localIP string) *Browser {
	t.Helper()
	return NewBrowserVia(t, base, localIP, nil)
}

// NewBrowserVia is NewBrowserFrom whose requests carry extra headers, as
// a reverse proxy adds them (X-Forwarded-For, X-Forwarded-Proto).
func NewBrowserVia(t testing.TB, base, localIP string, h http.Header) *Browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if localIP != "" {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
		tr.DialContext = d.DialContext
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: withHeaders{tr, h}}
	return &Browser{t: t, Client: c, base: base}
}

// withHeaders adds headers to every request.
type withHeaders struct {
	next http.RoundTripper
	h    http.Header
}

func (w withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range w.h {
		r.Header[k] = append(r.Header[k], vs...)
	}
	return w.next.RoundTrip(r)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *Browser) keep(resp *http.Response) (int, string) {
	b.t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.CSRF = string(m[1])
	}
	return resp.StatusCode, string(body)
}

// Get fetches a page (after redirects) and returns its status and body.
func (b *Browser) Get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.Client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.keep(resp)
}

// Post sends a form with the page's CSRF token, unless the form sets one.
func (b *Browser) Post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if _, set := form["csrf"]; !set {
		form.Set("csrf", b.CSRF)
	}
	resp, err := b.Client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.keep(resp)
}

// SignIn opens the enrol site and sends the user ID and password.
func (b *Browser) SignIn(userID, pw string) (int, string) {
	b.t.Helper()
	b.Get("")
	return b.Post("", url.Values{"userid": {userID}, "password": {pw}})
}

// Frame posts a camera frame holding text as a QR code, as the sign-in
// page's script does, and returns the JSON answer with its "status".
func (b *Browser) Frame(text string) map[string]any {
	b.t.Helper()
	img, err := qr.PNG(text, 300)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.PostFrame(img, "image/png")
}

// PostFrame posts data as a camera frame of the given content type with
// the page's CSRF token, and returns the JSON answer with its "status".
func (b *Browser) PostFrame(data []byte, contentType string) map[string]any {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+"oneswipe/read", bytes.NewReader(data))
	req.Header.Set("X-CSRF-Token", b.CSRF)
	req.Header.Set("Content-Type", contentType)
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatalf("frame answer: %v", err)
	}
	out["status"] = float64(resp.StatusCode)
	return out
}

// QR reads the QR code in the picture at path, as a phone's camera would.
func (b *Browser) QR(path string) string {
	b.t.Helper()
	resp, err := b.Client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := qr.ReadImage(resp.Body)
	if err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
	text, err := qr.Decode(img)
	if err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
	return text
}
