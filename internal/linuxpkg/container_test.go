//go:build linuxpkg

package linuxpkg

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// image is what the test reads of server/Containerfile.
type image struct {
	copies  [][]string // COPY's words, flags first
	env     []string
	user    string
	workdir string
	command []string // ENTRYPOINT then CMD
}

// No container builder runs here, so server/Containerfile's image is laid
// out by hand, as FROM scratch would make it (no base image's files at
// all): its COPY lines from the build context make puts in
// dist/stage/linux/container/, with their owners and modes, into an
// empty root; its ENTRYPOINT and CMD run there (chroot) as its USER, in
// its WORKDIR, with its ENV, and the TLS files it names, mounted as an
// operator would. /readyz answers over TLS; SIGTERM stops it.
func TestContainerfileImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the test lays out an image's files with their owners and runs it in a chroot: run it as root")
	}
	img := readContainerfile(t, "../../server/Containerfile")
	root, ctx := t.TempDir(), filepath.Join(os.Getenv("SOFTTOKEN_LINUXPKG_DIST"), "stage", "linux", "container")
	for _, c := range img.copies {
		copyInto(t, ctx, root, c)
	}
	addr := freeAddr(t)
	env := append(img.env, "SOFTTOKEN_LISTEN="+addr) // as `-e` would, 0.0.0.0:8443 may be taken here
	pool := mountTLS(t, root, env)
	uid, gid, _ := strings.Cut(img.user, ":")
	u, _ := strconv.Atoi(uid)
	g, _ := strconv.Atoi(gid)
	cmd := exec.Command(img.command[0], img.command[1:]...)
	cmd.Env, cmd.Dir = env, img.workdir
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(u), Gid: uint32(g)}}
	p := start(t, cmd)
	waitTLSReady(t, p, "https://"+addr+"/readyz", pool)
	p.checkGODEBUG(t)
	p.stop(t)
	if fi, err := os.Stat(filepath.Join(root, "var/lib/softtoken-server/softtoken.db")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != uint32(u) {
		t.Errorf("the database in the state volume: %v", err)
	}
}

// readContainerfile reads the instructions the test lays out and runs.
func readContainerfile(t *testing.T, path string) image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var img image
	var entry, cmd []string
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(string(b), "\\\n", " ")))
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			continue
		}
		args := strings.TrimSpace(strings.TrimPrefix(sc.Text(), words[0]))
		switch words[0] {
		case "COPY":
			img.copies = append(img.copies, words[1:])
		case "ENV":
			img.env = append(img.env, words[1:]...)
		case "USER":
			img.user = args
		case "WORKDIR":
			img.workdir = args
		case "ENTRYPOINT":
			entry = jsonWords(t, args)
		case "CMD":
			cmd = jsonWords(t, args)
		}
	}
	img.command = append(entry, cmd...)
	if len(img.copies) == 0 || len(img.command) == 0 || !strings.Contains(img.user, ":") || img.workdir == "" {
		t.Fatalf("%s: no COPY, command, USER uid:gid or WORKDIR found: %+v", path, img)
	}
	return img
}

// jsonWords reads an exec-form instruction's JSON array.
func jsonWords(t *testing.T, s string) []string {
	t.Helper()
	var w []string
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return w
}

// copyInto does one COPY [--chown=U:G] [--chmod=M] SRC DST from the
// context into root: a file, or a folder's contents (here: none).
func copyInto(t *testing.T, ctx, root string, words []string) {
	t.Helper()
	uid, gid, mode := 0, 0, os.FileMode(0o755)
	var paths []string
	for _, w := range words {
		switch {
		case strings.HasPrefix(w, "--chown="):
			u, g, _ := strings.Cut(strings.TrimPrefix(w, "--chown="), ":")
			uid, _ = strconv.Atoi(u)
			gid, _ = strconv.Atoi(g)
		case strings.HasPrefix(w, "--chmod="):
			m, err := strconv.ParseUint(strings.TrimPrefix(w, "--chmod="), 8, 32)
			if err != nil {
				t.Fatalf("COPY %v: %v", words, err)
			}
			mode = os.FileMode(m)
		default:
			paths = append(paths, w)
		}
	}
	if len(paths) != 2 {
		t.Fatalf("COPY %v: the test copies one source", words)
	}
	src, dst := filepath.Join(ctx, paths[0]), filepath.Join(root, paths[1])
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatalf("COPY %v: %v (make package makes the context)", words, err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dst)), 0o755); err != nil {
		t.Fatal(err)
	}
	if fi.IsDir() {
		if entries, _ := os.ReadDir(src); len(entries) > 0 {
			t.Fatalf("COPY %v: the test copies empty folders only", words)
		}
		err = os.Mkdir(dst, mode)
	} else {
		err = copyFile(src, dst, mode)
	}
	if err == nil {
		err = os.Chown(dst, uid, gid)
	}
	if err == nil {
		err = os.Chmod(dst, mode)
	}
	if err != nil {
		t.Fatalf("COPY %v: %v", words, err)
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// mountTLS writes a fresh certificate for 127.0.0.1 and its key where the
// image's SOFTTOKEN_TLS_CERT and SOFTTOKEN_TLS_KEY say (readable by
// anyone, as a read-only mount would often be), and returns a pool that
// trusts it.
func mountTLS(t *testing.T, root string, env []string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"SOFTTOKEN_TLS_CERT": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"SOFTTOKEN_TLS_KEY":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for _, kv := range env {
		if name, path, _ := strings.Cut(kv, "="); files[name] != nil {
			dst := filepath.Join(root, path)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, files[name], 0o644); err != nil {
				t.Fatal(err)
			}
			delete(files, name)
		}
	}
	if len(files) > 0 {
		t.Fatalf("the image's ENV does not name these TLS files: %v", files)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// waitTLSReady waits up to a minute for /readyz to answer "ready" over TLS
// with the certificate mounted.
func waitTLSReady(t *testing.T, p *unitProcess, url string, pool *x509.CertPool) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := c.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ready" {
				return
			}
			err = fmt.Errorf("%s %q", resp.Status, body)
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("%s: %v; the server's log:\n%s", url, err, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
