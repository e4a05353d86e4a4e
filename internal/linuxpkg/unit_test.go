//go:build linuxpkg

package linuxpkg

import (
	"bytes"
	"os/exec"
	"os/user"
	"strings"
	"testing"
)

// startUnit starts the unit's ExecStart= as systemd would (short of its
// namespaces and filters, which need systemd itself): as User= and
// Group=, with no capabilities and no new privileges
// (CapabilityBoundingSet= empty, NoNewPrivileges=yes), in
// WorkingDirectory=, with UMask=, and with the environment systemd gives
// a service: its own variables, Environment=, then EnvironmentFile=,
// whose variables win.
func startUnit(t *testing.T, service [][2]string) *unitProcess {
	t.Helper()
	exe := strings.Fields(one(t, service, "ExecStart"))
	if strings.ContainsAny(exe[0][:1], "-@+!:|") {
		t.Fatalf("ExecStart=%s: a prefix the test does not run", exe[0])
	}
	env := unitEnv(t, service)
	args := []string{
		"--reuid=" + one(t, service, "User"), "--regid=" + one(t, service, "Group"), "--init-groups",
		"--no-new-privs", "--bounding-set=-all", "--inh-caps=-all",
		"--", "/bin/sh", "-c", `umask "$0"; exec "$@"`, one(t, service, "UMask"),
	}
	cmd := exec.Command("setpriv", append(args, exe...)...)
	cmd.Env, cmd.Dir = env, one(t, service, "WorkingDirectory")
	return start(t, cmd)
}

// start starts cmd, its output kept for the test's messages, and kills it
// when the test ends if it still runs.
func start(t *testing.T, cmd *exec.Cmd) *unitProcess {
	t.Helper()
	p := &unitProcess{cmd: cmd, log: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// unitEnv is the environment of the unit's process.
func unitEnv(t *testing.T, service [][2]string) []string {
	t.Helper()
	name := one(t, service, "User")
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	state := "/var/lib/" + one(t, service, "StateDirectory")
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"USER=" + name, "LOGNAME=" + name, "HOME=" + u.HomeDir, "SHELL=/usr/sbin/nologin",
		"STATE_DIRECTORY=" + state, "CONFIGURATION_DIRECTORY=/etc/" + one(t, service, "ConfigurationDirectory"),
	}
	for _, v := range values(service, "Environment") {
		if strings.ContainsAny(v, `"'\$%`) {
			t.Fatalf("Environment=%s: quoting or specifiers the test does not read", v)
		}
		env = append(env, strings.Fields(v)...)
	}
	for _, file := range values(service, "EnvironmentFile") {
		for _, kv := range iniSection(t, file, "") {
			env = append(env, kv[0]+"="+unquote(kv[1]))
		}
	}
	return env // exec.Cmd keeps the last of a repeated variable
}

// unquote drops the quotes around an environment file's value.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
