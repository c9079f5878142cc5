package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// defaultsByKey is defaultConfig (and rotate-key's) by variable, as an
// administrator writes them; "" for a variable without a default value.
func defaultsByKey() map[string]string {
	out := make(map[string]string)
	add := func(v reflect.Value) {
		for i := range v.NumField() {
			key := v.Type().Field(i).Tag.Get("envconfig")
			if _, ok := out[key]; ok {
				continue
			}
			switch f := v.Field(i).Interface().(type) {
			case slog.Level:
				out[key] = strings.ToLower(f.String())
			case time.Duration, float64, int:
				out[key] = fmt.Sprint(f)
			case string:
				out[key] = f
			default: // a list: empty by default
				out[key] = ""
			}
		}
	}
	add(reflect.ValueOf(defaultConfig()))
	add(reflect.ValueOf(rotateConfig{}))
	add(reflect.ValueOf(checkConfig{}))
	return out
}

// TestDocumentedDefaults: README's configuration table and .env.example
// state the defaults the code has, and list every variable.
func TestDocumentedDefaults(t *testing.T) {
	want := defaultsByKey()

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([^|]*) \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		key, cell := m[1], strings.TrimSpace(m[2])
		def, ok := want[key]
		if !ok {
			t.Errorf("README documents %s, which the bot does not read", key)
			continue
		}
		documented[key] = true
		switch {
		case def == "" && !strings.HasPrefix(cell, "("):
			t.Errorf("README: %s defaults to %s; the code has no default value", key, cell)
		case def != "" && cell != "`"+def+"`":
			t.Errorf("README: %s defaults to %s; the code to `%s`", key, cell, def)
		}
	}

	f, err := os.Open(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inExample := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// A commented-out assignment states the default too.
		key, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "#"), "=")
		if _, known := want[key]; !ok || !known {
			continue
		}
		inExample[key] = true
		if key != "TELEGRAM_BOT_TOKEN" && value != want[key] {
			t.Errorf(".env.example: %s=%s; the code's default is %q", key, value, want[key])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for key := range want {
		if !documented[key] {
			t.Errorf("README's configuration table lacks %s", key)
		}
		if !inExample[key] {
			t.Errorf(".env.example lacks %s", key)
		}
	}
}
