package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"

	"github.com/kelseyhightower/envconfig"

	"github.com/smsbot/smsbot/smsapi"
)

// This file is the `smsbot check-api` command: it compares SMSOnline's real
// answers with what smsapi assumes (smsapi.Client.Check) and prints a line
// per field and per assumption.

// mainCheckAPI is `smsbot check-api`; it returns the exit code: 0 when every
// line matched, 1 when one differed or a call failed, 2 for bad settings.
func mainCheckAPI() int {
	cfg, err := loadCheckConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot check-api: "+err.Error())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	matched, err := runCheckAPI(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot check-api: "+err.Error())
		return 1
	}
	if !matched {
		return 1
	}
	return 0
}

// checkConfig is the configuration of `smsbot check-api`: the SMSOnline the
// bot uses and the account to read.
type checkConfig struct {
	SMSOnlineAPIURL string `envconfig:"SMSONLINE_API_URL"`
	UserID          string `envconfig:"SMSONLINE_USER_ID"`
	APIKey          string `envconfig:"SMSONLINE_API_KEY"`
}

// loadCheckConfig reads check-api's variables; a blank one counts as unset.
// Its errors never quote the key.
func loadCheckConfig() (checkConfig, error) {
	cfg := checkConfig{SMSOnlineAPIURL: defaultConfig().SMSOnlineAPIURL}
	unsetEmpty(envKeys(reflect.TypeFor[checkConfig]()))
	if err := envconfig.Process("", &cfg); err != nil {
		return cfg, err // only strings: cannot fail to parse, and no value is quoted
	}
	if err := checkURL(cfg.SMSOnlineAPIURL); err != nil {
		return cfg, fmt.Errorf("SMSONLINE_API_URL: %w", err)
	}
	if cfg.UserID == "" || cfg.APIKey == "" {
		return cfg, errors.New("set SMSONLINE_USER_ID and SMSONLINE_API_KEY to the account to check")
	}
	if err := (smsapi.Credentials{UserID: cfg.UserID, APIKey: cfg.APIKey}).Validate(); err != nil {
		return cfg, fmt.Errorf("SMSONLINE_USER_ID or SMSONLINE_API_KEY: %w", err)
	}
	return cfg, nil
}

// runCheckAPI runs the check against cfg's SMSOnline and writes its report
// to w; it reports whether every line matched.
func runCheckAPI(ctx context.Context, cfg checkConfig, w io.Writer) (bool, error) {
	api, err := smsapi.New(cfg.SMSOnlineAPIURL, smsapi.WithUserAgent("smsbot check-api"))
	if err != nil {
		return false, fmt.Errorf("SMSONLINE_API_URL: %w", err)
	}
	fmt.Fprintf(w, "checking %s for user id REDACTED (GET only)\n", cfg.SMSOnlineAPIURL)
	rep, err := api.Check(ctx, smsapi.Credentials{UserID: cfg.UserID, APIKey: cfg.APIKey})
	for _, l := range rep.Lines {
		fmt.Fprintln(w, checkLineText(l))
	}
	if err != nil {
		// smsapi's errors hold no key; the user id may be in a URL.
		return false, fmt.Errorf("can't finish the check: %s", strings.ReplaceAll(err.Error(), cfg.UserID, "REDACTED"))
	}
	differed := 0
	for _, l := range rep.Lines {
		if !l.Matched() {
			differed++
		}
	}
	if differed > 0 {
		fmt.Fprintf(w, "%d of %d lines differ: see smsapi/assumptions.go and README \"API assumptions\"\n", differed, len(rep.Lines))
		return false, nil
	}
	fmt.Fprintf(w, "all %d lines matched\n", len(rep.Lines))
	return true, nil
}

// checkLineText is one line of the report, such as
// "matched   balance: balance" or
// "DIFFERS   get order: status [assumption]: unknown_status "on hold"".
func checkLineText(l smsapi.CheckLine) string {
	var b strings.Builder
	switch {
	case l.Skipped != "":
		b.WriteString("skipped   ")
	case l.Matched():
		b.WriteString("matched   ")
	default:
		b.WriteString("DIFFERS   ")
	}
	fmt.Fprintf(&b, "%s: %s", l.Call, l.Subject)
	if l.Guessed {
		b.WriteString(" [assumption]")
	}
	switch {
	case l.Skipped != "":
		b.WriteString(" (" + l.Skipped + ")")
	case l.Diff != nil:
		b.WriteString(": " + l.Diff.What)
		if l.Diff.Value != "" {
			fmt.Fprintf(&b, " %q", l.Diff.Value)
		}
	}
	return b.String()
}
