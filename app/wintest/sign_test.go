//go:build wine

package wintest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Signing as make package does with SIGN_CERT and SIGN_KEY (its recipe,
// through make sign-windows), on copies of the packaged .exe and MSI,
// with a throwaway self-signed code-signing certificate: osslsigncode
// verifies both signatures against that certificate (and finds none on
// the unsigned files), and the signed MSI still installs and removes
// under Wine. Wine checks no signature: whether Windows trusts the
// bank's certificate is not shown here.
func TestSigning(t *testing.T) {
	dir := t.TempDir()
	cert, key := codeSigningCert(t, dir)
	for _, src := range []string{exe, msiPath(t)} {
		file := filepath.Join(dir, filepath.Base(src))
		copyFile(t, src, file)
		if out, err := verifySignature(file, cert); err == nil {
			t.Errorf("%s verifies before it is signed:\n%s", filepath.Base(file), out)
		}
		cmd := exec.Command("make", "--no-print-directory", "-C", "../..", "sign-windows",
			"SIGN_FILE="+file, "SIGN_CERT="+cert, "SIGN_KEY="+key)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make sign-windows %s: %v\n%s", filepath.Base(file), err, out)
		}
		if out, err := verifySignature(file, cert); err != nil || !strings.Contains(out, "Signature verification: ok") {
			t.Errorf("the signed %s does not verify: %v\n%s", filepath.Base(file), err, out)
		}
		if strings.HasSuffix(file, ".msi") {
			msiexec(t, "/i", winPath(file), "/qn")
			checkInstalled(t, fyneVersion(t), false)
			msiexec(t, "/x", winPath(file), "/qn")
			if entries := uninstallEntries(t); len(entries) != 0 {
				t.Errorf("after msiexec /x of the signed MSI, uninstall entries are left: %v", entries)
			}
		}
	}
}

// verifySignature is osslsigncode's verification of file's Authenticode
// signature against the certificate ca.
func verifySignature(file, ca string) (string, error) {
	out, err := exec.Command("osslsigncode", "verify", "-CAfile", ca, "-in", file).CombinedOutput()
	return string(out), err
}

// codeSigningCert writes a self-signed code-signing certificate and its
// key (PEM) into dir, valid for an hour.
func codeSigningCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "softtoken test signer"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, b := range map[string]*pem.Block{cert: {Type: "CERTIFICATE", Bytes: der}, key: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
