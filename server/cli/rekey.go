package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/seal"
)

// rekey moves the database to a new master key (`rekey`): the new key
// (read from --new-master-key, or made there when the file is missing),
// one transaction that re-seals every seed and links the audit chain
// again (account.Service.Rekey), then the swap of the key files: the old
// key is kept as KEYFILE.old, for the backups made under it, and the new
// one renamed over KEYFILE, so that KEYFILE always holds a whole key.
// Every server must be stopped first: a server still running holds the
// old key and can no longer open the seeds.
func rekey(ctx context.Context, env Env, args []string) error {
	var c common
	var newFile string
	fs := newFlags(env, "rekey", &c)
	fs.StringVar(&newFile, "new-master-key", "", "the new master key file, made when missing (default: the master key file + .new)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	storage, err := c.storage(env)
	if err != nil {
		return err
	}
	keyFile, oldCopy, err := keyFiles(storage)
	if err != nil {
		return err
	}
	if newFile == "" && keyFile == "" {
		return usagef("rekey: the master key is in %s: give --new-master-key NEWFILE for the new one", seal.KeyEnv)
	}
	newFile = or(newFile, keyFile+".new")
	newSealer, newChain, err := newMasterKey(storage, newFile)
	if err != nil {
		return err
	}
	acct, err := server.OpenAccounts(ctx, storage, account.Config{Now: env.Now, Logger: env.Logger})
	if err != nil {
		return err
	}
	n, err := acct.Rekey(ctx, account.Admin, newSealer, newChain)
	acct.Close()
	if err != nil {
		return fmt.Errorf("%w (nothing changed: the old master key still works)", err)
	}
	text := fmt.Sprintf("Re-sealed %d seeds under the new master key in %s.", n, newFile)
	if keyFile != "" {
		if err := swapKeys(keyFile, oldCopy, newFile); err != nil {
			return err
		}
		text = fmt.Sprintf("Re-sealed %d seeds under a new master key, now in %s; the old key is in %s, for the backups made before: "+
			"keep it with them, apart from the database, and nowhere else.", n, keyFile, oldCopy)
	} else {
		text += fmt.Sprintf(" Put its content in %s before the servers start again.", seal.KeyEnv)
	}
	return c.report(env, map[string]any{"resealed": n, "master_key": or(keyFile, newFile), "old_master_key": oldCopy}, text)
}

// keyFiles names the master key file of storage and where its old key
// will be kept, and checks that the key file exists and the old copy
// does not, before anything changes. With the key in the environment
// there is no file: both are "".
func keyFiles(s server.Storage) (keyFile, oldCopy string, err error) {
	if s.MasterKey != "" {
		return "", "", nil // the key is in the environment: no file to swap
	}
	if keyFile, err = s.KeyPath(); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(keyFile); err != nil {
		return "", "", fmt.Errorf("rekey: the master key file: %w", err)
	}
	oldCopy = keyFile + ".old"
	if _, err := os.Lstat(oldCopy); !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("rekey: %s exists, from an earlier rekey: move it away (with the backups it opens) first", oldCopy)
	}
	return keyFile, oldCopy, nil
}

// newMasterKey reads (or makes) the new master key in newFile and returns
// its sealer and audit chain; it must differ from the current key.
func newMasterKey(s server.Storage, newFile string) (*seal.Sealer, *auditchain.Chain, error) {
	key, err := seal.LoadKey(newFile, "")
	if err != nil {
		return nil, nil, fmt.Errorf("rekey: the new master key: %w", err)
	}
	current, err := seal.LoadKey(or(s.MasterKeyFile, s.DB+".key"), s.MasterKey)
	if err != nil {
		return nil, nil, fmt.Errorf("rekey: the current master key: %w", err)
	}
	if bytes.Equal(key, current) {
		return nil, nil, fmt.Errorf("rekey: %s holds the current master key: give a new one", newFile)
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, nil, err
	}
	auditKey, err := server.AuditKey(key)
	if err != nil {
		return nil, nil, err
	}
	return sealer, auditchain.New(auditKey), nil
}

// swapKeys keeps the old key as oldCopy (a second name of the same file)
// and renames the new key over keyFile: at every moment keyFile holds a
// whole key, the old one until the rename, then the new one.
func swapKeys(keyFile, oldCopy, newFile string) error {
	if err := os.Link(keyFile, oldCopy); err != nil {
		return fmt.Errorf("rekey: the seeds are sealed under the key in %s now, but keeping the old key as %s failed (%w): "+
			"copy %s to %s, then move %s to %s, by hand", newFile, oldCopy, err, keyFile, oldCopy, newFile, keyFile)
	}
	if err := os.Rename(newFile, keyFile); err != nil {
		return fmt.Errorf("rekey: the seeds are sealed under the key in %s now, but moving it to %s failed (%w): move it by hand",
			newFile, keyFile, err)
	}
	return nil
}
