package pac

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// FetchTimeout bounds the download of a script.
const FetchTimeout = 10 * time.Second

// ErrFetch wraps the errors of a script that cannot be fetched.
var ErrFetch = errors.New("cannot fetch the automatic configuration script")

// Fetch gets the script at rawURL: http://, https:// (fetched directly,
// never through a proxy, as Windows does, with the system's certificate
// roots) or file:// (file:///etc/proxy.pac, file:///C:/proxy.pac,
// file://server/share/proxy.pac on Windows). It fails past
// MaxScriptBytes or FetchTimeout.
func Fetch(ctx context.Context, rawURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "file" && u.Host == "") {
		return "", fmt.Errorf("%w: %q is not a URL", ErrFetch, rawURL)
	}
	var b []byte
	switch u.Scheme {
	case "http", "https":
		b, err = fetchHTTP(ctx, u)
	case "file":
		b, err = readFile(u)
	default:
		return "", fmt.Errorf("%w: %s:// URLs are not supported (http, https or file)", ErrFetch, u.Scheme)
	}
	if err != nil {
		return "", fmt.Errorf("%w from %s: %v", ErrFetch, Redacted(u), err)
	}
	return string(b), nil
}

// Redacted is a script URL as a message may show it: without a user
// and password, query or fragment.
func Redacted(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.Fragment = nil, "", ""
	return r.String()
}

// noProxy is the client of script downloads: a script is fetched
// directly, and it may not redirect to another scheme.
var noProxy = &http.Client{
	Transport: &http.Transport{Proxy: nil, TLSHandshakeTimeout: FetchTimeout, ResponseHeaderTimeout: FetchTimeout},
	Timeout:   FetchTimeout,
}

func fetchHTTP(ctx context.Context, u *url.URL) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := noProxy.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no answer within %s", FetchTimeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, by Fetch
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	return readLimited(resp.Body)
}

// readLimited reads at most MaxScriptBytes, and fails beyond.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxScriptBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxScriptBytes {
		return nil, fmt.Errorf("it is larger than %d bytes", MaxScriptBytes)
	}
	return b, nil
}

func readFile(u *url.URL) ([]byte, error) {
	f, err := os.Open(filePath(u, runtime.GOOS))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f)
}

// filePath is the file a file:// URL names on goos.
func filePath(u *url.URL, goos string) string {
	p := u.Path
	if u.Opaque != "" {
		p = u.Opaque // file:C:/proxy.pac
	}
	if goos != "windows" {
		return p
	}
	host := u.Host
	if host == "localhost" {
		host = ""
	}
	if host != "" {
		return `\\` + host + strings.ReplaceAll(p, "/", `\`) // a share: \\server\share\proxy.pac
	}
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // /C:/proxy.pac
	}
	return strings.ReplaceAll(p, "/", `\`)
}
