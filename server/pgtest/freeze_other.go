//go:build !unix

package pgtest

import "testing"

// Freeze needs Unix signals: elsewhere it fails the test.
func (c *Cluster) Freeze(t testing.TB) { t.Helper(); t.Fatal("pgtest: Freeze needs a Unix system") }

// Thaw needs Unix signals: elsewhere it fails the test.
func (c *Cluster) Thaw(t testing.TB) { t.Helper(); t.Fatal("pgtest: Thaw needs a Unix system") }
