package message

import (
	"embed"
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Every word the bot says comes from one catalogue per language, a TOML
// file in locales/ (go-i18n's format), embedded in the binary. English is
// the fallback. To add a language, add locales/<tag>.toml with every
// message of en.toml and a line to supported below; TestCatalogues checks
// that the file has every message with the same placeholders and the
// plural forms of its language, and the render tests run for it too.

//go:embed locales/*.toml
var localeFiles embed.FS

// Lang renders the bot's texts in one language.
type Lang struct {
	Tag  string // "en", "ru" or "zh": what /language and the store use
	Name string // the language's name in itself, for the /language buttons
	loc  *i18n.Localizer
	// thousands groups the digits of dollars ("$1,000.00", in Russian
	// "$1 000.00" with a narrow no-break space): CLDR number data, like the
	// plural categories, rather than a sentence to translate.
	thousands string
}

// supported are the languages, the fallback first, each with the CLDR
// plural categories its catalogue must give every plural message.
var supported = []struct {
	tag, name string
	plurals   []string
	thousands string
}{
	{"en", "English", []string{"one", "other"}, ","},
	{"ru", "Русский", []string{"one", "few", "many", "other"}, "\u202f"},
	{"zh", "中文", []string{"other"}, ","},
}

var (
	languages = loadLanguages()
	// English is the fallback language.
	English = languages[0]
)

func loadLanguages() []*Lang {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	out := make([]*Lang, 0, len(supported))
	for _, s := range supported {
		if _, err := bundle.LoadMessageFileFS(localeFiles, path.Join("locales", s.tag+".toml")); err != nil {
			panic(fmt.Sprintf("message: catalogue %s: %v", s.tag, err)) // embedded: a broken file fails every test
		}
		out = append(out, &Lang{Tag: s.tag, Name: s.name, loc: i18n.NewLocalizer(bundle, s.tag), thousands: s.thousands})
	}
	return out
}

// Languages returns the supported languages, English first.
func Languages() []*Lang { return append([]*Lang(nil), languages...) }

// ByTag returns the language with tag ("en", "ru", "zh"), or nil.
func ByTag(tag string) *Lang {
	for _, l := range languages {
		if l.Tag == tag {
			return l
		}
	}
	return nil
}

// Match returns the language for a Telegram language_code (an IETF tag such
// as "ru", "en-US", "zh-hans"), or nil when none is supported. Every
// Chinese ("zh-hant", "zh-tw", "zh-hk" too) gets the Simplified Chinese
// catalogue: a reader of Traditional characters reads it far better than
// English.
func Match(code string) *Lang {
	code = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "_", "-"))
	primary, _, _ := strings.Cut(code, "-")
	return ByTag(primary)
}

// For is the language to speak to a user in: the one they chose (a tag,
// "" for none), else the one their Telegram app sends (seen, a
// language_code) when the bot speaks it, else fallback (nil for English).
func For(chosen, seen string, fallback *Lang) *Lang {
	if l := ByTag(chosen); l != nil {
		return l
	}
	if l := Match(seen); l != nil {
		return l
	}
	if fallback == nil {
		return English
	}
	return fallback
}

// args is the data of a message's placeholders.
type args = map[string]any

// T renders a message without placeholders.
func (l *Lang) T(id Text) string { return l.render(string(id), nil, nil) }

// t renders message id with its placeholders.
func (l *Lang) t(id string, data args) string { return l.render(id, data, nil) }

// n renders a plural message for count; the count is its {{.Count}}.
func (l *Lang) n(id string, count int, data args) string {
	if data == nil {
		data = args{}
	}
	data["Count"] = count
	return l.render(id, data, count)
}

func (l *Lang) render(id string, data args, count any) string {
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		if l != English {
			return English.render(id, data, count)
		}
		return "⚠️ " + id // TestCatalogues keeps this from happening
	}
	return s
}
