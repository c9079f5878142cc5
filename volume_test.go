package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/smsbot/smsbot/store"
)

// Mount tables as a container sees them. The root is the container's
// overlay; a named volume, an anonymous one and a bind mount come from the
// host's disk.
const (
	mountRoot   = "1000 900 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
	mountProc   = "1001 1000 0:52 / /proc rw,nosuid - proc proc rw\n"
	mountShm    = "1002 1000 0:53 / /dev/shm rw,nosuid - tmpfs shm rw,size=65536k\n"
	mountHosts  = "1003 1000 8:1 /var/lib/docker/containers/abc/hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw\n"
	mountNamed  = "1004 1000 8:1 /var/lib/docker/volumes/smsbot-data/_data /data rw,relatime master:2 - ext4 /dev/sda1 rw\n"
	mountAnon   = "1004 1000 8:1 /var/lib/docker/volumes/3f9a1c0e5b7d2a4f6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a/_data /data rw - ext4 /dev/sda1 rw\n"
	mountBind   = "1004 1000 8:1 /srv/smsbot /data rw,relatime - ext4 /dev/sda1 rw\n"
	mountSpaced = "1005 1000 8:1 /srv/my\\040data /my\\040data rw,relatime - ext4 /dev/sda1 rw\n"
	mountNested = "1006 1004 0:60 / /data/cache rw - tmpfs tmpfs rw\n"
)

// TestDatabaseVolumeWarning: the bot always logs the absolute database
// path, and in a container warns when the database's folder is not on a
// mount that a new container gets again.
func TestDatabaseVolumeWarning(t *testing.T) {
	tests := []struct {
		name       string
		marker     string // the container marker file that exists: "", ".dockerenv" (Docker) or ".containerenv" (Podman)
		mountInfo  string // "" for an unreadable mount table
		dbPath     string
		wantReason string // "" for no warning
	}{
		{"outside a container", "", mountRoot, "/home/nonroot/data/bot.db", ""},
		{"named volume", ".dockerenv", mountRoot + mountProc + mountNamed, "/data/bot.db", ""},
		{"bind mount", ".dockerenv", mountRoot + mountBind, "/data/bot.db", ""},
		{"below the volume", ".dockerenv", mountRoot + mountNamed, "/data/sub/bot.db", ""},
		{"relative default under the old working directory", ".dockerenv", mountRoot + mountProc + mountShm + mountHosts + mountNamed,
			"/home/nonroot/data/bot.db", "container's own file system"},
		{"no volume mounted", ".dockerenv", mountRoot + mountProc, "/data/bot.db", "container's own file system"},
		{"a folder that only starts like the volume", ".dockerenv", mountRoot + mountNamed, "/database/bot.db", "container's own file system"},
		{"tmpfs", ".dockerenv", mountRoot + mountShm, "/dev/shm/bot.db", "tmpfs at /dev/shm"},
		{"tmpfs mounted inside the volume", ".dockerenv", mountRoot + mountNamed + mountNested, "/data/cache/bot.db", "tmpfs at /data/cache"},
		{"anonymous volume", ".dockerenv", mountRoot + mountAnon, "/data/bot.db", "anonymous volume at /data"},
		{"a later mount covers an earlier one", ".dockerenv", mountRoot + mountAnon + mountNamed, "/data/bot.db", ""},
		{"escaped mount point", ".dockerenv", mountRoot + mountSpaced, "/my data/bot.db", ""},
		{"podman, no volume", ".containerenv", mountRoot, "/data/bot.db", "container's own file system"},
		{"podman, named volume", ".containerenv", mountRoot + mountNamed, "/data/bot.db", ""},
		{"unreadable mount table", ".dockerenv", "", "/home/nonroot/data/bot.db", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			host := hostProbe{
				containerMarkers: []string{filepath.Join(dir, ".dockerenv"), filepath.Join(dir, ".containerenv")},
				mountInfo:        filepath.Join(dir, "mountinfo"),
				realPath:         func(p string) string { return p }, // the paths are the container's, not this machine's
			}
			if tt.marker != "" {
				if err := os.WriteFile(filepath.Join(dir, tt.marker), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.mountInfo != "" {
				if err := os.WriteFile(host.mountInfo, []byte(tt.mountInfo), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			logDatabasePlace(slog.New(slog.NewTextHandler(&logs, nil)), tt.dbPath, host)

			out := logs.String()
			if !strings.Contains(out, `level=INFO msg="using database" path=`+strconv.Quote(tt.dbPath)) &&
				!strings.Contains(out, `level=INFO msg="using database" path=`+tt.dbPath+"\n") {
				t.Errorf("the database path is not logged:\n%s", out)
			}
			warned := strings.Contains(out, "level=WARN")
			switch {
			case tt.wantReason == "" && warned:
				t.Errorf("unexpected warning:\n%s", out)
			case tt.wantReason != "" && !warned:
				t.Errorf("no warning; want one saying %q:\n%s", tt.wantReason, out)
			case tt.wantReason != "":
				for _, want := range []string{tt.wantReason, "lost with the container", "-v smsbot-data:/data"} {
					if !strings.Contains(out, want) {
						t.Errorf("warning lacks %q:\n%s", want, out)
					}
				}
			}
		})
	}
}

// TestUnwritableVolumeError: in a container, a start that fails because
// the database's folder cannot be written ends with one line that says why
// in container terms and what to do: for a bind mount owned by someone
// else, the uid the bot runs as and the chown that fixes it; for a
// read-only mount, to mount it writable. Other failures, and failures
// outside a container, keep the store's own line.
func TestUnwritableVolumeError(t *testing.T) {
	// What the store returns when it can't create the key file: its own
	// line (whose advice does not help in a container) around the cause.
	storeErr := func(errno syscall.Errno) error {
		return fmt.Errorf("can't use key file /data/bot.db.key: %v; set DATABASE_PATH to a file in a writable folder "+
			"(the key file is kept beside it), or set BOT_ENCRYPTION_KEY: %w", errno,
			&fs.PathError{Op: "createtemp", Path: "/data/.keytmp-*", Err: errno})
	}
	tests := []struct {
		name      string
		container bool
		mountInfo string
		dbPath    string
		err       error
		wants     []string // nil: err comes back unchanged
	}{
		{"bind mount owned by root", true, mountRoot + mountBind, "/data/bot.db", storeErr(syscall.EACCES),
			[]string{"can't write in /data", "permission denied for uid 65532", "folder mounted at /data", "chown 65532:65532 ./data", "docker run --user"}},
		{"operation not permitted", true, mountRoot + mountBind, "/data/bot.db", storeErr(syscall.EPERM),
			[]string{"uid 65532", "chown 65532:65532 ./data"}},
		{"below the volume", true, mountRoot + mountNamed, "/data/sub/bot.db", storeErr(syscall.EACCES),
			[]string{"can't write in /data/sub", "folder mounted at /data", "chown 65532:65532"}},
		{"volume mounted :ro", true, mountRoot + mountBind, "/data/bot.db", storeErr(syscall.EROFS),
			[]string{"can't write in /data", "volume at /data is mounted read-only", "without :ro"}},
		{"read-only container, database off the volume", true, mountRoot + mountNamed, "/var/lib/smsbot/bot.db", storeErr(syscall.EROFS),
			[]string{"can't write in /var/lib/smsbot", "docker run --read-only", "-v smsbot-data:/data"}},
		{"unreadable mount table", true, "", "/data/bot.db", storeErr(syscall.EACCES),
			[]string{"can't write in /data", "uid 65532", "chown 65532:65532 ./data"}},
		{"outside a container", false, mountRoot, "/data/bot.db", storeErr(syscall.EACCES), nil},
		{"disk full", true, mountRoot + mountBind, "/data/bot.db", storeErr(syscall.ENOSPC), nil},
		{"not a file error", true, mountRoot + mountBind, "/data/bot.db", store.ErrWrongKey, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			host := hostProbe{
				containerMarkers: []string{filepath.Join(dir, ".dockerenv")},
				mountInfo:        filepath.Join(dir, "mountinfo"),
				realPath:         func(p string) string { return p },
				uid:              65532,
				gid:              65532,
			}
			if tt.container {
				if err := os.WriteFile(host.containerMarkers[0], nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.mountInfo != "" {
				if err := os.WriteFile(host.mountInfo, []byte(tt.mountInfo), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := explainUnwritable(tt.err, tt.dbPath, host)
			if tt.wants == nil {
				if got != tt.err {
					t.Fatalf("error changed to %q, want %q as it was", got, tt.err)
				}
				return
			}
			msg := got.Error()
			for _, want := range tt.wants {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			for _, bad := range []string{"BOT_ENCRYPTION_KEY", "keytmp", "\n"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error contains %q:\n%s", bad, msg)
				}
			}
			var pe *fs.PathError
			if !errors.As(got, &pe) || !errors.Is(got, pe.Err) {
				t.Errorf("the cause is lost: %#v", got)
			}
		})
	}
}

// TestExistingPathFollowsLinks: a database folder reached through a
// symlink counts where the link points, also before the folder exists.
func TestExistingPathFollowsLinks(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	volume := filepath.Join(dir, "volume")
	if err := os.Mkdir(volume, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(volume, link); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		link:                                 volume,
		filepath.Join(link, "not", "yet"):    filepath.Join(volume, "not", "yet"),
		filepath.Join(dir, "plain", "child"): filepath.Join(dir, "plain", "child"),
	} {
		if got := existingPath(in); got != want {
			t.Errorf("existingPath(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestDockerEnvFileKeepsDataInVolume follows the README: the image built
// from the Dockerfile, run with `--env-file .env` made from .env.example and
// `-v smsbot-data:/data`. Whether the DATABASE_PATH line is as shipped,
// uncommented, empty or deleted, the database, its key file and its lock
// file resolve into the /data volume.
func TestDockerEnvFileKeepsDataInVolume(t *testing.T) {
	image := runtimeStage(t, "Dockerfile")
	if !strings.Contains(image.volumes, "/data") {
		t.Fatalf("the runtime stage declares no /data volume (VOLUME %s)", image.volumes)
	}
	if image.workdir == "" {
		t.Fatal("the runtime stage sets no WORKDIR, so a relative DATABASE_PATH resolves against the base image's " +
			"(/home/nonroot for distroless nonroot), outside the volume")
	}
	example, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]func(line string) string{
		"as shipped":  func(line string) string { return line },
		"uncommented": func(line string) string { return strings.TrimLeft(line, "# ") },
		"empty":       func(line string) string { return "DATABASE_PATH=" },
		"deleted":     func(line string) string { return "" },
	}
	for name, edit := range variants {
		t.Run(name, func(t *testing.T) {
			var envFile strings.Builder
			found := false
			for line := range strings.Lines(string(example)) {
				line = strings.TrimRight(line, "\n")
				if strings.HasPrefix(strings.TrimLeft(line, "# "), "DATABASE_PATH=") {
					found = true
					line = edit(line)
				}
				envFile.WriteString(line + "\n")
			}
			if !found {
				t.Fatal(".env.example has no DATABASE_PATH line")
			}
			// docker run: the image's ENV first, then --env-file on top.
			env := map[string]string{}
			for k, v := range image.env {
				env[k] = v
			}
			for k, v := range parseEnvFile(t, envFile.String()) {
				env[k] = v
			}
			setEnv(t, env)
			cfg, err := loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			db := cfg.DatabasePath
			if !path.IsAbs(db) {
				db = path.Join(image.workdir, db)
			}
			for _, f := range []string{db, store.KeyFilePath(db), store.LockFilePath(db)} {
				if !strings.HasPrefix(f, "/data/") {
					t.Errorf("%s is outside the /data volume (DATABASE_PATH %q, WORKDIR %s)", f, cfg.DatabasePath, image.workdir)
				}
			}
		})
	}
}

// dockerStage is what a Dockerfile stage sets for the container it runs.
type dockerStage struct {
	workdir string
	env     map[string]string
	volumes string
}

// runtimeStage reads the last stage of a Dockerfile: its WORKDIR, ENV and
// VOLUME lines, in the simple forms this project's Dockerfile uses.
func runtimeStage(t *testing.T, file string) dockerStage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var st dockerStage
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		instr, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "FROM":
			st = dockerStage{env: map[string]string{}}
		case "WORKDIR":
			if path.IsAbs(arg) {
				st.workdir = arg
			} else {
				st.workdir = path.Join(st.workdir, arg)
			}
		case "ENV":
			for _, kv := range strings.Fields(arg) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					st.env[k] = strings.Trim(v, `"`)
				}
			}
		case "VOLUME":
			st.volumes += arg
		}
	}
	return st
}

// parseEnvFile reads an env file as `docker run --env-file` does: KEY=value
// lines, the value taken literally; # comments and blank lines skipped.
func parseEnvFile(t *testing.T, text string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimLeft(strings.TrimRight(line, "\r\n"), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env file line %q takes its value from the host; .env.example has none such", line)
		}
		env[k] = v
	}
	return env
}
