package message

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestNativeRules checks what a machine can of how a native speaker writes,
// on the texts as TestRenderAll renders them (the scenes): each rule is a
// subtest, TestNativeRules/<rule>/<tag>, and each failure names the
// language, the scene and the words, so a fix starts from the catalogue
// line or the code that made them.
func TestNativeRules(t *testing.T) {
	rules := []struct {
		name  string
		check func(l *Lang, sc scene) []string
		only  string // a language tag, "" for every language
	}{
		{"zh-full-width-punctuation", zhPunctuation, "zh"},
		{"zh-no-space-after-unit", zhUnitSpacing, "zh"},
		{"button-width", buttonWidth, ""},
		{"glossary", glossaryCheck, ""},
		{"raw-api-words", rawAPIWords, ""},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for _, l := range languages {
				if r.only != "" && l.Tag != r.only {
					continue
				}
				t.Run(l.Tag, func(t *testing.T) {
					// A problem made by shared code (a card line) shows in many
					// scenes: it is reported once, with the scenes it is in.
					var order []string
					in := map[string][]string{}
					for _, sc := range renderScenes(l) {
						for _, problem := range r.check(l, sc) {
							if len(in[problem]) == 0 {
								order = append(order, problem)
							}
							in[problem] = append(in[problem], sc.name)
						}
					}
					for _, problem := range order {
						t.Errorf("%s %s: %s", l.Tag, sceneList(in[problem]), problem)
					}
				})
			}
		})
	}
	t.Run("zh-one-form-of-you", zhOneFormOfYou)
}

// sceneList names scenes, the first three and how many more.
func sceneList(names []string) string {
	names = slices.Compact(names)
	if len(names) > 3 {
		return fmt.Sprintf("%s (+%d more)", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// The kinds of a text's runes for the rules.
const (
	prose   = iota // the catalogue's words
	hidden         // markup
	value          // one of sceneValues: shown as □ in a problem
	literal        // money, a URL, a command, <code>
)

// visibleKinds is a text as the user reads it, rune by rune (tags
// dropped), with the kind of each rune: the catalogue's words, or a value
// (a service name, an order id, an SMS), money, a URL, a command example or
// <code>. The rules leave all but the words alone: "Google, YouTube" keeps
// its comma, "/buy 20046875 0.50" its spaces.
func visibleKinds(text string, plain bool) (runes []rune, kinds []byte) {
	kind := make([]byte, len(text))
	mark := func(re *regexp.Regexp, k byte) {
		for _, m := range re.FindAllStringIndex(text, -1) {
			for i := m[0]; i < m[1]; i++ {
				kind[i] = k
			}
		}
	}
	mark(exemptPattern, literal)
	if !plain {
		mark(codeSpan, literal)
	}
	mark(valuePattern, value)
	if !plain {
		mark(htmlTag, hidden)
	}
	for i, r := range text {
		if kind[i] != hidden {
			runes = append(runes, r)
			kinds = append(kinds, kind[i])
		}
	}
	return runes, kinds
}

var (
	// exemptPattern finds what is not prose: entities, URLs, money, and
	// commands with their arguments ("/order &lt;orderId&gt;", "/topup 5").
	exemptPattern = regexp.MustCompile(`&(?:lt|gt|amp|quot|#\d+);|https?://\S+|-?\$[\d,]+(?:\.\d+)?|/[a-z_]+(?: (?:&lt;\w+&gt;|<\w+>|[\d.]+|[A-Z0-9]{4,}))*`)
	codeSpan      = regexp.MustCompile(`(?s)<code>.*?</code>`)
	// valuePattern finds the scenes' values, as HTML or plain text, the
	// longest first so that a long name is not cut at a short one.
	valuePattern = func() *regexp.Regexp {
		var alts []string
		for _, v := range sceneValues {
			alts = append(alts, regexp.QuoteMeta(Escape(v)), regexp.QuoteMeta(v))
		}
		slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
		return regexp.MustCompile(strings.Join(alts, "|"))
	}()
)

// scenePart is a text of a scene a rule reads: its message or one of its
// button labels.
type scenePart struct {
	where, text string
	plain       bool
}

// sceneParts are the message of sc and each of its button labels.
func sceneParts(sc scene) []scenePart {
	parts := []scenePart{{"text", sc.text, sc.plain}}
	if sc.kb != nil {
		for _, row := range sc.kb.InlineKeyboard {
			for _, b := range row {
				parts = append(parts, scenePart{"button", b.Text, true}) // labels are plain text
			}
		}
	}
	return parts
}

// zhPunctuation: Chinese prose takes full-width punctuation. A half-width
// : , ; ? ! ( ) is wrong when the nearest character on either side (spaces
// skipped, same line) is Chinese ("服务: WhatsApp"); a half-width bracket is
// wrong anywhere on a line of Chinese prose, whatever it encloses ("订单
// 20046875 (WhatsApp) 已过期", "SAVE10 (10%, crypto)"): GB/T 15834 writes
// （） around Latin words in Chinese text too.
func zhPunctuation(_ *Lang, sc scene) []string {
	var problems []string
	for _, part := range sceneParts(sc) {
		runes, kinds := visibleKinds(part.text, part.plain)
		exempt := make([]bool, len(runes))
		for i, k := range kinds {
			exempt[i] = k != prose
		}
		lineHasHan := map[int]bool{}
		line := 0
		lineOf := make([]int, len(runes))
		for i, r := range runes {
			lineOf[i] = line
			if r == '\n' {
				line++
			} else if !exempt[i] && unicode.Is(unicode.Han, r) {
				lineHasHan[line] = true
			}
		}
		for i, r := range runes {
			if exempt[i] || !strings.ContainsRune(":,;?!()", r) {
				continue
			}
			bracket := (r == '(' || r == ')') && lineHasHan[lineOf[i]]
			if !bracket && !chineseNeighbour(runes, exempt, i, -1) && !chineseNeighbour(runes, exempt, i, +1) {
				continue
			}
			problems = append(problems, fmt.Sprintf("half-width %q in Chinese (%s): %q", r, part.where, excerpt(runes, kinds, i, 6)))
		}
	}
	return problems
}

// chineseNeighbour reports whether the nearest rune from i in direction
// dir, spaces skipped and within the line, is Chinese prose: a Han
// character or CJK punctuation.
func chineseNeighbour(runes []rune, exempt []bool, i, dir int) bool {
	for j := i + dir; j >= 0 && j < len(runes); j += dir {
		switch r := runes[j]; {
		case r == ' ':
			continue
		case r == '\n' || exempt[j]:
			return false
		default:
			return unicode.Is(unicode.Han, r) || 0x3000 <= r && r <= 0x303f || 0xff00 <= r && r <= 0xffef
		}
	}
	return false
}

// excerpt is the line around runes[i], at most n runes of prose on each
// side, each value shown as □.
func excerpt(runes []rune, kinds []byte, i, n int) string {
	var before, after []rune
	for j, seen := i-1, 0; j >= 0 && seen < n && runes[j] != '\n'; j-- {
		if kinds[j] != value {
			before, seen = append(before, runes[j]), seen+1
		} else if j+1 == i || kinds[j+1] != value {
			before = append(before, '□')
		}
	}
	slices.Reverse(before)
	for j, seen := i+1, 0; j < len(runes) && seen < n && runes[j] != '\n'; j++ {
		if kinds[j] != value {
			after, seen = append(after, runes[j]), seen+1
		} else if j == i+1 || kinds[j-1] != value {
			after = append(after, '□')
		}
	}
	return strings.TrimSpace(string(before) + string(runes[i]) + string(after))
}

// Chinese units after a number: a duration's (秒, 分钟, 小时, 天) and the
// measure words the texts count with.
const zhUnits = `秒|分钟|小时|天|个|条|笔|次`

var (
	// spaceAfterUnit: "3 秒 后", "1 小时 内": a space between a number's
	// unit and the Chinese that follows splits one phrase in two.
	spaceAfterUnit = regexp.MustCompile(`\d[  ]?(?:` + zhUnits + `)[  ]+\p{Han}`)
	// numberInProse: a number with its unit after Chinese, with the spaces
	// on each side of the digits.
	numberInProse = regexp.MustCompile(`\p{Han}([  ]?)\d+([  ]?)(?:` + zhUnits + `)`)
)

// zhUnitSpacing: no space between a number's unit and the Chinese that
// follows it ("3 秒后", not "3 秒 后"), and a number spaced alike on both
// sides of its digits: "请在 3 秒后" or "请在3秒后", not "请在3 秒后" nor
// "请在 3秒后" (a duration's inner space is the Seconds/Minutes/Hours
// message's, the outer one the sentence's).
func zhUnitSpacing(_ *Lang, sc scene) []string {
	text := formatScene(sc)
	var problems []string
	for _, m := range spaceAfterUnit.FindAllString(text, -1) {
		problems = append(problems, fmt.Sprintf("space after the unit: %q", m))
	}
	for _, m := range numberInProse.FindAllStringSubmatch(text, -1) {
		if m[1] != m[2] {
			problems = append(problems, fmt.Sprintf("number spaced on one side only: %q", m[0]))
		}
	}
	return problems
}

// TestNativeRulesCatch pins what the rules take and what they refuse, on
// texts written for it: a rule that passes everything would pass the
// catalogues too.
func TestNativeRulesCatch(t *testing.T) {
	zh := ByTag("zh")
	tests := []struct {
		check func(*Lang, scene) []string
		text  string
		want  int // problems found
	}{
		{zhPunctuation, "服务：WhatsApp", 0},
		{zhPunctuation, "服务: WhatsApp", 1},
		{zhPunctuation, "设置其他上限：<code>/buy 20046875 0.50</code>", 0},
		{zhPunctuation, "订单 <code>20046875</code>（WhatsApp）已过期", 0},
		{zhPunctuation, "订单 <code>20046875</code> (WhatsApp) 已过期", 2},
		{zhPunctuation, "服务：Google, YouTube, Gmail and other Google services", 0},
		{zhPunctuation, "请发送 $1.00 到 $1,000.00 之间的金额", 0},
		{zhPunctuation, "你好, 世界", 1},
		{zhUnitSpacing, "请在 3 秒后再试", 0},
		{zhUnitSpacing, "请在3秒后再试", 0},
		{zhUnitSpacing, "请在 3 秒 后再试", 1},
		{zhUnitSpacing, "请在3 秒后再试", 1},
		{zhUnitSpacing, "剩余 1 小时 5 分钟", 0},
	}
	for _, tt := range tests {
		if got := tt.check(zh, scene{name: "test", text: tt.text}); len(got) != tt.want {
			t.Errorf("%q: %d problems %q, want %d", tt.text, len(got), got, tt.want)
		}
	}
	for label, want := range map[string]float64{"💳 Оплатить картой": 18, "↩️ 退款": 6, "📨 再要一条短信": 12} {
		if got := labelWidth(label); got != want {
			t.Errorf("labelWidth(%q) = %g, want %g", label, got, want)
		}
	}
}
