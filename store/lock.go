package store

import (
	"fmt"
	"os"
)

// LockFilePath is the file whose advisory lock tells processes using the
// database at dbPath apart: the bot holds it exclusively for as long as it
// runs (OpenExclusive), so that a second bot on the same file refuses to
// start, and RotateKey needs it exclusively too; any other Store holds it
// shared. The file is empty and never removed (removing a lock file races
// with the next process that opens it).
func LockFilePath(dbPath string) string {
	return dbPath + ".lock"
}

// instanceLock is an open lock file and the lock held on it. The kernel
// drops the lock when the process ends, also on SIGKILL, so a crash never
// leaves a stale lock behind.
type instanceLock struct {
	f *os.File
}

// lockInstance opens the lock file of dbPath and takes a shared or an
// exclusive lock on it without waiting: ErrInUse when another holder
// excludes it (any holder, for an exclusive lock).
func lockInstance(dbPath string, exclusive bool) (*instanceLock, error) {
	f, err := os.OpenFile(LockFilePath(dbPath), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	l := &instanceLock{f: f}
	if err := l.lock(exclusive); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// exclusive turns the lock into an exclusive one without waiting (a no-op
// when it is exclusive already): ErrInUse when another process (or another
// Store in this one) holds the lock. On failure the shared lock is taken
// again.
func (l *instanceLock) exclusive() error {
	err := l.lock(true)
	if err == nil {
		return nil
	}
	// Converting a flock is not atomic: a failed upgrade may have dropped
	// the shared lock, so take it back.
	if serr := l.lock(false); serr != nil {
		return fmt.Errorf("%w (and the shared lock was lost: %v)", err, serr)
	}
	return err
}

// release drops the lock by closing the file.
func (l *instanceLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
