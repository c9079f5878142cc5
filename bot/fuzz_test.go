package bot

import (
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The fuzz targets below replay their seeds (f.Add and testdata/fuzz) in every
// go test run. To search further, run one at a time, for example:
//
//	go test -run '^$' -fuzz '^FuzzParseCommand$' -fuzztime 60s -parallel 2 ./bot/

// fuzzBot is the bot's own username in the command fuzz target.
const fuzzBot = "SMSBot"

// commandName is what Telegram allows as a command name, after lower-casing.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// FuzzParseCommand feeds any text to parseCommand. It must not panic; a
// command it accepts has a Telegram command name, at most maxCommandArgs
// arguments, none of them empty or holding white space or invisible format
// characters; a command addressed to another bot is refused; and the parse is
// stable: "/name args" written back parses to the same command.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"/order 20046875",
		"/order@SMSBot 20046875",
		"/ORDER@smsbot  1\t2\n3",
		"/order@OtherBot 1",
		"/order@SMSBot@OtherBot 1",
		"/@SMSBot 1",
		"/order@ 1",
		"/help",
		"  /login   42 \n\t key  ",
		"/order\u00a0123",
		"\u3000/start\u2028x",
		"/заказ 1",
		"/../../etc/passwd",
		"/" + strings.Repeat("a", 32),
		"/" + strings.Repeat("a", 33),
		"/order 1 2 3 4 5 6 7 8 9 10",
		"",
		"/",
		"order 1",
	} {
		f.Add(s)
	}
	addLongSeeds(f,
		"/order "+strings.Repeat("x ", 50_000),
		"/order "+strings.Repeat("1\u200b", 50_000),
		strings.Repeat("\u200f", 50_000)+"/order@SMSBot 1",
	)
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := parseCommand(text, fuzzBot)
		anyCmd, anyOK := parseCommand(text, "")
		if ok && (!anyOK || !sameCommand(cmd, anyCmd)) {
			t.Fatalf("parseCommand(%.300q) = %#v with the bot's name but %#v, %v without", text, cmd, anyCmd, anyOK)
		}
		if anyOK && !ok && !strings.Contains(text, "@") {
			t.Fatalf("parseCommand(%.300q) refused a command addressed to nobody", text)
		}
		if !anyOK {
			return
		}
		checkCommand(t, text, anyCmd)

		args := strings.Join(anyCmd.Args, " ")
		if c, ok := parseCommand("/"+anyCmd.Name+" "+args, fuzzBot); !ok || !sameCommand(c, anyCmd) {
			t.Fatalf("parseCommand(%.300q) = %#v, but written back it parses to %#v, %v", text, anyCmd, c, ok)
		}
		if c, ok := parseCommand("/"+anyCmd.Name+"@smsBOT "+args, fuzzBot); !ok || !sameCommand(c, anyCmd) {
			t.Fatalf("parseCommand(%.300q) = %#v, but addressed to us it parses to %#v, %v", text, anyCmd, c, ok)
		}
		if c, ok := parseCommand("/"+anyCmd.Name+"@OtherBot "+args, fuzzBot); ok {
			t.Fatalf("parseCommand(%.300q) = %#v, and addressed to another bot it is still accepted as %#v", text, anyCmd, c)
		}
	})
}

// addLongSeeds adds 100k-character texts as seeds of a go test run. A
// fuzzing run (-fuzz) leaves them out: the fuzzer minimizes every new
// interesting input for up to -fuzzminimizetime (60 s), and at this size
// that stalls it, at 0 execs/s for the whole run.
func addLongSeeds(f *testing.F, texts ...string) {
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		return
	}
	for _, s := range texts {
		f.Add(s)
	}
}

func sameCommand(a, b command) bool {
	return a.Name == b.Name && slices.Equal(a.Args, b.Args)
}

func checkCommand(t *testing.T, text string, cmd command) {
	t.Helper()
	if !commandName.MatchString(cmd.Name) {
		t.Fatalf("parseCommand(%.300q): name %q is not a command name", text, cmd.Name)
	}
	if len(cmd.Args) > maxCommandArgs {
		t.Fatalf("parseCommand(%.300q): %d args, want at most %d", text, len(cmd.Args), maxCommandArgs)
	}
	for _, a := range cmd.Args {
		if a == "" || !utf8.ValidString(a) {
			t.Fatalf("parseCommand(%.300q): arg %q is empty or not UTF-8", text, a)
		}
		for _, r := range a {
			if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("parseCommand(%.300q): arg %q holds %U", text, a, r)
			}
		}
	}
}
