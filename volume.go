package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// This file decides at start whether the database will outlive the
// container the bot runs in: a DATABASE_PATH outside the volume works until
// the next `docker rm`, which then silently loses every account, watch and
// undelivered code, and the key file with them.

// hostProbe is how the bot looks at the machine it runs on; tests point it
// at fixtures.
type hostProbe struct {
	containerMarkers []string            // any of these existing means the bot runs in a container
	mountInfo        string              // this process's mount table, in /proc/<pid>/mountinfo format
	realPath         func(string) string // resolves symlinks, as existingPath does
	uid, gid         int                 // the user and group the bot runs as
}

// systemHost is the real host: Docker's and Podman's marker files, the
// kernel's mount table and the file system.
func systemHost() hostProbe {
	return hostProbe{
		containerMarkers: []string{"/.dockerenv", "/run/.containerenv"},
		mountInfo:        "/proc/self/mountinfo",
		realPath:         existingPath,
		uid:              os.Getuid(),
		gid:              os.Getgid(),
	}
}

// logDatabasePlace logs the absolute path of the database and, in a
// container, warns when its folder is not on a volume that a new container
// would get again.
func logDatabasePlace(logger *slog.Logger, dbPath string, host hostProbe) {
	logger.Info("using database", "path", dbPath)
	if !host.inContainer() {
		return
	}
	problem, err := volumeProblem(host.realPath(filepath.Dir(dbPath)), host.mountInfo)
	if err != nil {
		logger.Debug("can't tell whether the database is on a volume", "err", err)
		return
	}
	if problem != "" {
		logger.Warn("the database is not on a volume and will be lost with the container; "+
			"mount a named volume on its folder (docker run -v smsbot-data:/data) or set DATABASE_PATH to a file on one",
			"database", dbPath, "reason", problem)
	}
}

// explainUnwritable turns a failure to start because the database's folder
// could not be written, in a container, into one line with the
// container's fix. Outside a container, and for any other failure, err is
// returned as it is. The usual cause is a bind mount (-v ./data:/data)
// owned by the host's user while the image runs as uid 65532, where the
// store's own hint (set DATABASE_PATH or BOT_ENCRYPTION_KEY) leads only to
// the next permission error.
func explainUnwritable(err error, dbPath string, host hostProbe) error {
	var pe *fs.PathError
	if err == nil || !errors.As(err, &pe) || !host.inContainer() {
		return err
	}
	dir := host.realPath(filepath.Dir(dbPath))
	at, onRoot := dir, true
	if mounts, err := readMountInfo(host.mountInfo); err == nil {
		if m, ok := mountOf(dir, mounts); ok && m.point != "/" {
			at, onRoot = m.point, false
		}
	}
	switch {
	case errors.Is(pe.Err, syscall.EROFS) && onRoot:
		return &unwritableError{err: err, msg: fmt.Sprintf("can't write in %s: the container's file system is read-only (docker run --read-only) "+
			"and %s is not on a volume; mount one on /data (docker run -v smsbot-data:/data) and keep DATABASE_PATH under /data", dir, dir)}
	case errors.Is(pe.Err, syscall.EROFS):
		return &unwritableError{err: err, msg: fmt.Sprintf("can't write in %s: the volume at %s is mounted read-only (:ro); "+
			"mount it writable, without :ro (docker run -v smsbot-data:%s)", dir, at, at)}
	case errors.Is(pe.Err, fs.ErrPermission):
		return &unwritableError{err: err, msg: fmt.Sprintf("can't write in %s: permission denied for uid %d, the user the bot runs as "+
			"(a bind mount owned by another user?); on the host, give the folder mounted at %s to that user "+
			"(chown %d:%d ./data), or run the container as the folder's owner (docker run --user <uid>:<gid>)",
			dir, host.uid, at, host.uid, host.gid)}
	}
	return err
}

// unwritableError is what explainUnwritable says, with the store's error
// kept for errors.Is and errors.As.
type unwritableError struct {
	msg string
	err error
}

func (e *unwritableError) Error() string { return e.msg }
func (e *unwritableError) Unwrap() error { return e.err }

func (h hostProbe) inContainer() bool {
	for _, marker := range h.containerMarkers {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}

// anonymousVolume matches the source of a volume Docker or Podman named
// itself (64 hex digits): what a VOLUME line of the image gets when the
// admin mounts nothing there. A new container gets a new, empty one.
var anonymousVolume = regexp.MustCompile(`/volumes/[0-9a-f]{64}/_data$`)

// volumeProblem says why data in the folder dir (absolute, symlinks
// resolved) would be lost with the container, or "" when it would not: the
// folder lies on the mount with the longest mount point that contains it,
// and only a mount other than the container's root file system, holding
// files on disk, outlives the container.
func volumeProblem(dir, mountInfo string) (string, error) {
	mounts, err := readMountInfo(mountInfo)
	if err != nil {
		return "", err
	}
	m, ok := mountOf(dir, mounts)
	switch {
	case !ok:
		return "", fmt.Errorf("no mount in %s holds %s", mountInfo, dir)
	case m.point == "/":
		return "its folder " + dir + " is in the container's own file system, which is removed with the container (docker rm, an upgrade)", nil
	case m.fsType == "tmpfs" || m.fsType == "ramfs":
		return "its folder " + dir + " is on " + m.fsType + " at " + m.point + ", which is emptied when the container stops", nil
	case anonymousVolume.MatchString(m.root):
		return "its folder " + dir + " is on an anonymous volume at " + m.point + ", which a new container (an upgrade) does not get", nil
	}
	return "", nil
}

// mount is one line of a mountinfo table: which part (root) of which file
// system is mounted where.
type mount struct {
	root, point, fsType string
}

// readMountInfo reads the mount table in the file path.
func readMountInfo(path string) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts, err := parseMountInfo(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return mounts, nil
}

// parseMountInfo reads the format of proc(5)'s /proc/<pid>/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
//
// Fields 4 and 5 are the root and the mount point, then optional fields up
// to "-", then the file system type.
func parseMountInfo(r io.Reader) ([]mount, error) {
	var mounts []mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			continue // not a mount line; the kernel writes none such
		}
		mounts = append(mounts, mount{root: unescapeMountField(fields[3]), point: unescapeMountField(fields[4]), fsType: fields[sep+1]})
	}
	return mounts, sc.Err()
}

// unescapeMountField undoes the kernel's octal escapes (\040 for a space,
// \011 tab, \012 newline, \134 backslash) in a mountinfo path.
func unescapeMountField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountOf finds the mount that holds path: the one with the longest mount
// point containing it, and of those the last, which covers the earlier ones.
func mountOf(path string, mounts []mount) (mount, bool) {
	var best mount
	found := false
	for _, m := range mounts {
		if within(path, m.point) && (!found || len(m.point) >= len(best.point)) {
			best, found = m, true
		}
	}
	return best, found
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	return dir == "/" || path == dir || strings.HasPrefix(path, dir+"/")
}

// existingPath resolves the symlinks in the part of path that exists (the
// database's folder may be created only later), so that a link into a
// volume counts as the volume.
func existingPath(path string) string {
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest)
		}
		if !errors.Is(err, fs.ErrNotExist) || p == filepath.Dir(p) {
			return path
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
