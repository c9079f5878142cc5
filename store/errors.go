package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// How a failure to open or write the database is told to an operator, and
// how SQLite and the operating system say what went wrong.

// folderError is a failure to create the database's folder.
type folderError struct {
	dir string
	err error
}

func (e *folderError) Error() string { return "create folder " + e.dir + ": " + e.err.Error() }
func (e *folderError) Unwrap() error { return e.err }

// describedError is a failure told to an operator in one line (what is wrong
// and what to do), with the sentinel (if any) and the cause kept for
// errors.Is and errors.As.
type describedError struct {
	msg   string
	kind  error // ErrLocked, ErrInUse, ...; nil if none
	cause error
}

func (e *describedError) Error() string { return e.msg }

func (e *describedError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// describeOpenError turns what went wrong while opening the database at
// path into one line that says what is wrong and what to do about it.
func describeOpenError(path string, err error) error {
	dir := filepath.Dir(path)
	fix := "make the folder " + dir + " writable for the user the bot runs as, or set DATABASE_PATH to a file in a writable folder"
	var ferr *folderError
	switch {
	case errors.Is(err, ErrWrongKey):
		return &describedError{cause: err, msg: fmt.Sprintf("database %s was sealed with a different encryption key: "+
			"start the bot with the BOT_ENCRYPTION_KEY or key file (%s) it was written with", path, KeyFilePath(path))}
	case errors.Is(err, ErrSchemaTooNew):
		return &describedError{cause: err, msg: fmt.Sprintf("database %s: %v; run the newer smsbot, or restore a backup made by this version", path, err)}
	case errors.Is(err, ErrInUse):
		// flock cannot say who holds the lock; these two are the usual holders.
		return &describedError{cause: err, msg: fmt.Sprintf("database %s is in use by another process, which holds its lock file %s "+
			"(another smsbot running on the same DATABASE_PATH, or `smsbot rotate-key`): only one bot can run on a database; "+
			"stop the other one, or wait for rotate-key to finish", path, LockFilePath(path))}
	case isLocked(err):
		return &describedError{kind: ErrLocked, cause: err, msg: fmt.Sprintf("database %s is locked by another process "+
			"(another smsbot, a backup, an sqlite3 shell?); stop that process or wait for it to finish", path)}
	case isDiskFull(err):
		return &describedError{cause: err, msg: fmt.Sprintf("can't write database %s: %s; free some space on the disk that holds %s, then start again",
			path, reason(err), dir)}
	case errors.As(err, &ferr):
		return &describedError{cause: err, msg: fmt.Sprintf("can't create the folder %s for database %s: %s; "+
			"set DATABASE_PATH to a file in a writable folder", ferr.dir, path, reason(err))}
	case isNotADatabase(err):
		return &describedError{cause: err, msg: fmt.Sprintf("%s is not an SQLite database or is damaged (%s); "+
			"restore it from a backup, or set DATABASE_PATH to another file", path, reason(err))}
	case isNotWritable(err):
		return &describedError{cause: err, msg: fmt.Sprintf("can't write database %s: %s; %s", path, reason(err), fix)}
	}
	return &describedError{cause: err, msg: fmt.Sprintf("can't open database %s: %v", path, err)}
}

// errno finds the operating system's error code in err, from an *os.PathError
// or an SQLite error; 0 if there is none.
func errno(err error) syscall.Errno {
	var se sqlite3.Error
	if errors.As(err, &se) && se.SystemErrno != 0 {
		return se.SystemErrno
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return 0
}

// sqliteCode is the primary SQLite result code in err; 0 if none.
func sqliteCode(err error) sqlite3.ErrNo {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func isLocked(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.ErrBusy || c == sqlite3.ErrLocked
}

// isDiskFull covers a full disk, an exhausted quota and a file size limit
// (RLIMIT_FSIZE): in each case nothing more can be written.
func isDiskFull(err error) bool {
	if sqliteCode(err) == sqlite3.ErrFull {
		return true
	}
	switch errno(err) {
	case syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG:
		return true
	}
	return false
}

func isNotADatabase(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.ErrNotADB || c == sqlite3.ErrCorrupt
}

func isNotWritable(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.ErrReadonly, sqlite3.ErrPerm, sqlite3.ErrCantOpen, sqlite3.ErrAuth:
		return true
	}
	switch errno(err) {
	case syscall.EROFS, syscall.EACCES, syscall.EPERM, syscall.ENOTDIR, syscall.EISDIR, syscall.ENOENT:
		return true
	}
	return false
}

// reason says in a few words why a file operation failed.
func reason(err error) string {
	switch errno(err) {
	case syscall.ENOSPC:
		return "no space left on the disk"
	case syscall.EDQUOT:
		return "the disk quota is used up"
	case syscall.EFBIG:
		return "a file size limit was reached"
	case syscall.EROFS:
		return "the file system is read-only"
	case syscall.EACCES, syscall.EPERM:
		return "permission denied"
	case syscall.ENOTDIR:
		return "part of the path is a file, not a folder"
	case syscall.EISDIR:
		return "it is a folder, not a file"
	case syscall.ENOENT:
		return "no such file or folder"
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code.Error() // SQLite's own short text, without the wrapping
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
