package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"

	"github.com/kelseyhightower/envconfig"

	"github.com/smsbot/smsbot/store"
)

// This file is the `smsbot rotate-key` command: it re-seals the stored API
// keys under a new encryption key and puts the key files in order. The bot
// must be stopped; store.RotateKey refuses to run beside it.

// mainRotateKey is `smsbot rotate-key`; it returns the exit code.
func mainRotateKey() int {
	cfg, err := loadRotateConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot rotate-key: "+err.Error())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rotateKey(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "smsbot rotate-key: "+err.Error())
		return 1
	}
	return 0
}

// rotateConfig is the configuration of `smsbot rotate-key`: where the
// database is, the key it is sealed with now, and the new key.
type rotateConfig struct {
	DatabasePath     string `envconfig:"DATABASE_PATH"`
	EncryptionKey    string `envconfig:"BOT_ENCRYPTION_KEY"`
	NewEncryptionKey string `envconfig:"NEW_BOT_ENCRYPTION_KEY"`
}

// loadRotateConfig reads rotate-key's variables; a blank one counts as unset.
func loadRotateConfig() (rotateConfig, error) {
	cfg := rotateConfig{DatabasePath: store.DefaultPath}
	unsetEmpty(envKeys(reflect.TypeFor[rotateConfig]()))
	if err := envconfig.Process("", &cfg); err != nil {
		return cfg, err // only strings: cannot fail to parse, and no value is quoted
	}
	if strings.TrimSpace(cfg.DatabasePath) == "" {
		return cfg, errors.New("DATABASE_PATH is empty")
	}
	return cfg, nil
}

// rotateKey re-seals the database's stored API keys under a new key and
// puts the new key where the bot will look for it, or says where to put
// it. It writes a short summary to stdout and never writes a key anywhere
// but into the key file.
//
// A generated key is written to DATABASE_PATH.key.new before the database
// changes, and moved to DATABASE_PATH.key (the old one to .key.old) after
// the transaction committed; a run cut short between the two is finished
// by running rotate-key again.
func rotateKey(ctx context.Context, cfg rotateConfig, stdout io.Writer) error {
	path := cfg.DatabasePath
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s (DATABASE_PATH); nothing to rotate", path)
	} else if err != nil {
		return err
	}
	oldKey, fromFile, err := currentKey(cfg)
	if errors.Is(err, fs.ErrNotExist) {
		// A run cut short between moving the old key file away and the new
		// one into place leaves no key file, only .key.new (and .key.old).
		return finishInterruptedRotation(ctx, path, stdout, err)
	}
	if err != nil {
		return err
	}
	var newKey []byte
	switch {
	case cfg.NewEncryptionKey != "":
		if newKey, err = store.ParseKey(cfg.NewEncryptionKey); err != nil {
			return fmt.Errorf("NEW_BOT_ENCRYPTION_KEY %w", err)
		}
		if bytes.Equal(newKey, oldKey) {
			return errors.New("NEW_BOT_ENCRYPTION_KEY is the key in use now; give a new one (openssl rand -base64 32)")
		}
	case !fromFile:
		return errors.New("BOT_ENCRYPTION_KEY is set, so the new key must come from NEW_BOT_ENCRYPTION_KEY " +
			"(make one with: openssl rand -base64 32); nothing was changed")
	default:
		if newKey, err = store.GenerateKey(); err != nil {
			return err
		}
	}
	generated := cfg.NewEncryptionKey == ""

	st, err := store.Open(ctx, path, oldKey)
	if errors.Is(err, store.ErrInUse) {
		return errBotRunning(path)
	}
	if errors.Is(err, store.ErrWrongKey) {
		err = fmt.Errorf("the current key (%s) does not open database %s: rotate-key needs the key the bot uses now; nothing was changed",
			keySource(fromFile, path), path)
		if fromFile {
			return finishInterruptedRotation(ctx, path, stdout, err)
		}
	}
	if err != nil {
		return err
	}
	defer st.Close()

	newFile := store.NewKeyFilePath(path)
	if generated {
		// Durable before the transaction: once it commits, this file is the
		// only copy of the key that opens the database.
		if err := store.WriteKeyFile(newFile, newKey); err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
	}
	resealed, skipped, err := st.RotateKey(ctx, newKey)
	if err != nil {
		if generated {
			os.Remove(newFile)
		}
		if errors.Is(err, store.ErrInUse) {
			return errBotRunning(path)
		}
		return fmt.Errorf("%w; nothing was changed", err)
	}

	fmt.Fprintf(stdout, "Re-sealed %d stored API key(s) of %s under the new key.\n", resealed, path)
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d stored API key(s) did not open with the old key and were left as they were; those users must /login again.\n", skipped)
	}
	keyFile, oldFile := store.KeyFilePath(path), store.OldKeyFilePath(path)
	switch {
	case generated:
		if err := store.InstallNewKeyFile(path); err != nil {
			return fmt.Errorf("the database now opens only with the new key, which is in %s, but it could not be moved to %s (%w): "+
				"move it there by hand before starting the bot", newFile, keyFile, err)
		}
		fmt.Fprintf(stdout, "The new key is in %s; the old key file was kept as %s.\n", keyFile, oldFile)
		fmt.Fprintf(stdout, "Next: start the bot as before. Back up %s together with the database, and delete %s "+
			"once the bot runs and you no longer need backups made before this rotation.\n", keyFile, oldFile)
	default:
		if fromFile {
			if err := store.RetireKeyFile(path); err != nil {
				return fmt.Errorf("the database now opens only with NEW_BOT_ENCRYPTION_KEY, but %w", err)
			}
			fmt.Fprintf(stdout, "The key file %s no longer opens the database; it was moved to %s.\n", keyFile, oldFile)
		}
		fmt.Fprintln(stdout, "Next: set BOT_ENCRYPTION_KEY to the value of NEW_BOT_ENCRYPTION_KEY, remove NEW_BOT_ENCRYPTION_KEY, "+
			"then start the bot. It will not start with the old key any more.")
	}
	return nil
}

// errBotRunning is rotate-key's refusal while another process, most likely
// the bot, has the database open.
func errBotRunning(path string) error {
	return fmt.Errorf("database %s is open in another process (it holds %s): stop the bot first, then run rotate-key again; nothing was changed",
		path, store.LockFilePath(path))
}

// currentKey is the key the bot uses today: BOT_ENCRYPTION_KEY, or the key
// file, which rotate-key never creates. A missing key file is an error
// satisfying errors.Is(err, fs.ErrNotExist).
func currentKey(cfg rotateConfig) (key []byte, fromFile bool, err error) {
	if cfg.EncryptionKey != "" {
		key, err := store.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return nil, false, fmt.Errorf("BOT_ENCRYPTION_KEY %w", err)
		}
		return key, false, nil
	}
	key, err = store.ReadKeyFile(store.KeyFilePath(cfg.DatabasePath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, missingKeyFileError{path: store.KeyFilePath(cfg.DatabasePath)}
	}
	return key, true, err
}

// missingKeyFileError is currentKey's error when there is no key file; it
// satisfies errors.Is(err, fs.ErrNotExist).
type missingKeyFileError struct{ path string }

func (e missingKeyFileError) Error() string {
	return "BOT_ENCRYPTION_KEY is not set and there is no key file " + e.path + ": set BOT_ENCRYPTION_KEY to the key the bot uses"
}

func (e missingKeyFileError) Unwrap() error { return fs.ErrNotExist }

// keySource names where the current key came from.
func keySource(fromFile bool, dbPath string) string {
	if fromFile {
		return "key file " + store.KeyFilePath(dbPath)
	}
	return "BOT_ENCRYPTION_KEY"
}

// finishInterruptedRotation handles a database that the key file does not
// open: if a key left in DATABASE_PATH.key.new opens it, an earlier run
// committed and was cut short before moving the key files, so finish that.
func finishInterruptedRotation(ctx context.Context, path string, stdout io.Writer, openErr error) error {
	newFile := store.NewKeyFilePath(path)
	key, err := store.ReadKeyFile(newFile)
	if err != nil {
		return openErr
	}
	st, err := store.Open(ctx, path, key)
	if err != nil {
		return openErr
	}
	st.Close()
	if err := store.InstallNewKeyFile(path); err != nil {
		return fmt.Errorf("finish the interrupted rotation: %w", err)
	}
	fmt.Fprintf(stdout, "Finished an earlier rotate-key that was cut short: the database is sealed with the key now in %s; "+
		"the old key file was kept as %s.\nNext: start the bot as before.\n", store.KeyFilePath(path), store.OldKeyFilePath(path))
	return nil
}
