package cli_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/cli"
)

// The pool's flags and their variables: good values open the database,
// bad ones are a usage error naming the flag, whichever way they came.
func TestPoolFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // "" for success, else a part of the error
	}{
		{"defaults", nil, nil, ""},
		{"all given", []string{"--db-max-conns", "5", "--db-max-idle-conns", "5", "--db-conn-max-lifetime", "30m", "--db-conn-max-idle-time", "10s"}, nil, ""},
		{"fewer conns than the default idle ones", []string{"--db-max-conns", "3"}, nil, ""},
		{"no limit", []string{"--db-max-conns", "0", "--db-max-idle-conns", "50", "--db-conn-max-lifetime", "0", "--db-conn-max-idle-time", "0s"}, nil, ""},
		{"from the environment", nil, map[string]string{"SOFTTOKEN_DB_MAX_CONNS": "8", "SOFTTOKEN_DB_CONN_MAX_LIFETIME": "2h"}, ""},
		{"negative conns", []string{"--db-max-conns", "-1"}, nil, "--db-max-conns is -1"},
		{"not a number", []string{"--db-max-conns", "ten"}, nil, `--db-max-conns "ten" is not a whole number`},
		{"bad variable", nil, map[string]string{"SOFTTOKEN_DB_MAX_IDLE_CONNS": "many"}, `--db-max-idle-conns "many"`},
		{"more idle than open", []string{"--db-max-conns", "4", "--db-max-idle-conns", "5"}, nil, "--db-max-idle-conns 5 is more than --db-max-conns 4"},
		{"negative idle", []string{"--db-max-idle-conns", "-2"}, nil, "--db-max-idle-conns is -2"},
		{"no unit", []string{"--db-conn-max-lifetime", "30"}, nil, `--db-conn-max-lifetime "30" is not a duration`},
		{"negative lifetime", []string{"--db-conn-max-lifetime", "-1m"}, nil, "--db-conn-max-lifetime is -1m0s"},
		{"bad idle time variable", nil, map[string]string{"SOFTTOKEN_DB_CONN_MAX_IDLE_TIME": "-5s"}, "--db-conn-max-idle-time is -5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdmin(t)
			for k, v := range tc.env {
				a.env[k] = v
			}
			_, err := a.run("", append([]string{"migrate"}, tc.args...)...)
			if tc.want == "" {
				if err != nil {
					t.Errorf("migrate %v: %v", tc.args, err)
				}
				return
			}
			var usage *cli.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &usage) {
				t.Errorf("migrate %v: %v, want a usage error with %q", tc.args, err, tc.want)
			}
		})
	}
}
