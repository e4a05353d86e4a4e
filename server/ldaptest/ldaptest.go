// Package ldaptest starts a real OpenLDAP server for tests, from Debian's
// slapd package, in a temporary folder on a free loopback port: a base
// (dc=bank,dc=test), an ou=people of inetOrgPerson users with a password,
// mail, mobile and preferredLanguage, a service account for softtoken to
// bind as, and a groupOfNames of who may use softtoken. Helpers change
// what a test needs (a password, a member, an outage).
//
// A missing slapd fails the test: the Makefile installs it (APT_PACKAGES).
package ldaptest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Slapd is where Debian installs the server.
const Slapd = "/usr/sbin/slapd"

// The directory's fixed names.
const (
	Base     = "dc=bank,dc=test"
	People   = "ou=people," + Base
	Group    = "cn=softtoken,ou=groups," + Base
	BindDN   = "cn=softtoken-service," + Base
	BindPW   = "service-secret"
	rootDN   = "cn=admin," + Base
	rootPW   = "root-secret"
	groupsOU = "ou=groups," + Base
)

// User is a person in ou=people.
type User struct {
	UID, Password, Mail, Mobile, Lang string
	// Member puts the user in the softtoken group.
	Member bool
}

// DN is the user's entry.
func (u User) DN() string { return DN(u.UID) }

// DN is the entry of the user uid.
func DN(uid string) string { return "uid=" + ldap.EscapeDN(uid) + "," + People }

// Server is a running slapd.
type Server struct {
	// URL is ldap://127.0.0.1:PORT.
	URL string
	dir string
	cmd *exec.Cmd
	// exited is closed when slapd has ended.
	exited chan struct{}
}

// Start runs a slapd with users, stopped when the test ends.
func Start(t testing.TB, users ...User) *Server {
	t.Helper()
	if _, err := os.Stat(Slapd); err != nil {
		t.Fatalf("OpenLDAP's slapd is required (apt-get install slapd ldap-utils; make deps installs them): %v", err)
	}
	s := &Server{dir: t.TempDir()}
	conf := filepath.Join(s.dir, "slapd.conf")
	if err := os.MkdirAll(filepath.Join(s.dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(config(s.dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	for try := 0; try < 3; try++ {
		if err = s.run(conf); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(s.Stop)
	s.load(t, users)
	return s
}

// config is the slapd.conf of a server in dir.
func config(dir string) string {
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
database mdb
maxsize 16777216
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
`, dir, Base, rootDN, rootPW)
}

// run starts slapd in the foreground (-d 0) on a free port and waits
// until it answers.
func (s *Server) run(conf string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := "ldap://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(Slapd, "-d", "0", "-f", conf, "-h", url+"/")
	log, err := os.Create(filepath.Join(s.dir, "slapd.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	reapWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("slapd ended: %v\n%s", waitErr, out)
		case <-time.After(20 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
			c.Close()
			s.URL, s.cmd, s.exited = url, cmd, exited
			return nil
		}
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("slapd did not answer within 10 s")
}

// Stop stops the server (a directory outage, for a test); again is a no-op.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// freePort is a loopback TCP port nobody listens on just now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
