package message

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/smsbot/smsbot/bot/telegramtest"
)

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// htmlMarkup finds what would show as code in a plain text: a tag or an
// entity ("<orderId>" in a command's description is fine).
var htmlMarkup = regexp.MustCompile(`</?(b|i|u|s|code|pre|a)\b|&(lt|gt|amp|quot|#\d+);`)

// catalogue reads one locale file: each message id with its forms ("other"
// for a plain message).
func catalogue(t *testing.T, tag string) map[string]map[string]string {
	t.Helper()
	raw, err := fs.ReadFile(localeFiles, "locales/"+tag+".toml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s.toml: %v", tag, err)
	}
	out := make(map[string]map[string]string, len(doc))
	for id, v := range doc {
		switch v := v.(type) {
		case string:
			out[id] = map[string]string{"other": v}
		case map[string]any:
			forms := make(map[string]string)
			for form, text := range v {
				s, ok := text.(string)
				if !ok {
					t.Fatalf("%s.toml: %s.%s is not a string", tag, id, form)
				}
				forms[form] = s
			}
			out[id] = forms
		default:
			t.Fatalf("%s.toml: %s is neither a string nor a plural table", tag, id)
		}
	}
	return out
}

func placeholders(s string) []string {
	set := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// isPlain reports whether message id is plain text (a button, a toast, a
// command description), not HTML.
func isPlain(id string) bool {
	return strings.HasPrefix(id, "Button") || strings.HasPrefix(id, "Toast") || strings.HasPrefix(id, "Command") || id == "NotYourCard"
}

// TestCatalogues checks every language against English: the same messages,
// the same placeholders, the plural forms of the language, HTML Telegram
// takes, no markup in plain texts.
func TestCatalogues(t *testing.T) {
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, s := range supported {
		tags = append(tags, s.tag)
	}
	for _, f := range files {
		if tag := strings.TrimSuffix(filepath.Base(f), ".toml"); !slices.Contains(tags, tag) {
			t.Errorf("%s is not in supported: add it there", f)
		}
	}
	en := catalogue(t, "en")
	for _, s := range supported {
		cat := catalogue(t, s.tag)
		for id := range en {
			if _, ok := cat[id]; !ok {
				t.Errorf("%s: message %s is missing", s.tag, id)
			}
		}
		for id, forms := range cat {
			enForms, ok := en[id]
			if !ok {
				t.Errorf("%s: message %s is not in en.toml", s.tag, id)
				continue
			}
			var want []string
			for _, text := range enForms {
				want = append(want, placeholders(text)...)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			isPlural := len(enForms) > 1
			if isPlural {
				if got := slices.Sorted(maps.Keys(forms)); !slices.Equal(got, slices.Sorted(slices.Values(s.plurals))) {
					t.Errorf("%s: plural %s has forms %v, want %v", s.tag, id, got, s.plurals)
				}
			} else if len(forms) != 1 {
				t.Errorf("%s: %s is a plural table, English has a plain message", s.tag, id)
			}
			for form, text := range forms {
				if got := placeholders(text); !slices.Equal(got, want) {
					t.Errorf("%s: %s (%s) has placeholders %v, want %v", s.tag, id, form, got, want)
				}
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %s (%s) is empty", s.tag, id, form)
				}
				sample := placeholder.ReplaceAllString(text, "1")
				if isPlain(id) {
					if htmlMarkup.MatchString(sample) {
						t.Errorf("%s: %s is plain text but holds markup: %q", s.tag, id, text)
					}
				} else if err := telegramtest.ValidateHTML(sample); err != nil {
					t.Errorf("%s: %s (%s): Telegram would refuse it: %v", s.tag, id, form, err)
				}
			}
		}
	}
}

// TestEveryMessageIDIsInTheCatalogue finds the ids the code renders (the
// Text constants and the literals given to t and n) and checks English has
// each: a typo would otherwise show as "⚠️ id".
func TestEveryMessageIDIsInTheCatalogue(t *testing.T) {
	en := catalogue(t, "en")
	fset := token.NewFileSet()
	pkgFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	literal := regexp.MustCompile(`\b(?:l\.[tn]|line)\("(\w+)"`)
	for _, name := range pkgFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Text" {
					for _, v := range vs.Values {
						if lit, ok := v.(*ast.BasicLit); ok {
							used[strings.Trim(lit.Value, `"`)] = true
						}
					}
				}
			}
			return true
		})
	}
	if len(used) < 100 {
		t.Fatalf("found only %d message ids in the code: the scan is broken", len(used))
	}
	for id := range used {
		if _, ok := en[id]; !ok {
			t.Errorf("the code renders %s, which en.toml lacks", id)
		}
	}
	for id := range en {
		if !used[id] {
			t.Errorf("en.toml has %s, which the code never renders", id)
		}
	}
}

func TestMatch(t *testing.T) {
	for code, want := range map[string]string{
		"en": "en", "en-US": "en", "ru": "ru", "ru-RU": "ru", "RU": "ru", "zh": "zh", "zh-hans": "zh", "zh-CN": "zh",
		"zh-sg": "zh", "zh_Hans_CN": "zh", "zh-hant": "zh", "zh-Hant-TW": "zh", "zh-tw": "zh", "zh-hk": "zh", "zh-mo": "zh",
		"de": "", "": "", "uk": "",
	} {
		got := ""
		if l := Match(code); l != nil {
			got = l.Tag
		}
		if got != want {
			t.Errorf("Match(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestRussianPlurals(t *testing.T) {
	ru := ByTag("ru")
	for n, want := range map[int]string{1: "1 заказ", 2: "2 заказа", 5: "5 заказов", 11: "11 заказов", 21: "21 заказ", 22: "22 заказа", 25: "25 заказов"} {
		if got := ru.n("WatchListTitle", n, nil); !strings.Contains(got, want) {
			t.Errorf("%d watched orders: %q, want it to say %q", n, got, want)
		}
	}
}
