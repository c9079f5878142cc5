package telegramtest

import (
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

func TestValidateHTML(t *testing.T) {
	tests := []struct {
		name string
		text string
		err  string // "" when valid, else a part of the error
	}{
		{"plain", "hello world", ""},
		{"bold", "<b>bold</b> <strong>strong</strong>", ""},
		{"all simple tags", "<i>i</i><em>em</em><u>u</u><ins>ins</ins><s>s</s><strike>st</strike><del>d</del>", ""},
		{"spoilers", `<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>`, ""},
		{"link", `<a href="https://example.com/?a=1&amp;b=2">x</a>`, ""},
		{"link with raw & in href", `<a href="https://example.com/?a=1&b=2">x</a>`, ""},
		{"user mention link", `<a href="tg://user?id=123">x</a>`, ""},
		{"raw < in code", "<code>x < y</code>", "Unsupported start tag"},
		{"escaped code", "<code>x &lt; y</code>", ""},
		{"pre", "<pre>block</pre>", ""},
		{"pre code language", `<pre><code class="language-go">fmt.Println()</code></pre>`, ""},
		{"blockquote", "<blockquote>q</blockquote><blockquote expandable>e</blockquote>", ""},
		{"custom emoji", `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, ""},
		{"nested", "<b>bold <i>both</i></b>", ""},
		{"entities", "&lt;&gt;&amp;&quot;&#39;&#x41;&#128512;", ""},
		{"bare >", "a > b", ""},
		{"upper-case tag", "<B>x</b>", ""},
		{"attribute spaces", `<a  href = "x" >y</a >`, ""},
		{"empty end tag", "<b>x</>", ""},
		{"html.EscapeString", html.EscapeString(`<script>alert("x") & 'y'</script>`), ""},

		{"bare <", "a < b", `Unsupported start tag "" at byte offset 2`},
		{"bare < at end", "a <", "Unclosed start tag at byte offset 2"},
		{"less than number", "price <5", "Unclosed start tag at byte offset 6"},
		{"less than number then tag", "price <5 <b>x</b>", `Unsupported start tag "5" at byte offset 6`},
		{"nbsp", "a&nbsp;b", "Unsupported HTML entity at byte offset 1"},
		{"apos", "it&apos;s", "Unsupported HTML entity"},
		{"bare &", "Tom & Jerry", "Unsupported HTML entity at byte offset 4"},
		{"entity without semicolon", "&lt b", "Unsupported HTML entity"},
		{"zero reference", "&#0;", "Unsupported HTML entity"},
		{"surrogate reference", "&#xD800;", "Unsupported HTML entity"},
		{"reference too big", "&#x110000;", "Unsupported HTML entity"},
		{"misnested", "<b>x</i>", `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{"crossed", "<b><i>x</b></i>", "Unmatched end tag"},
		{"unclosed", "<b>x", `Can't find end tag corresponding to start tag "b"`},
		{"stray end tag", "x</b>", "Unexpected end tag at byte offset 1"},
		{"script", "<script>alert(1)</script>", `Unsupported start tag "script" at byte offset 0`},
		{"br", "line<br>line", `Unsupported start tag "br"`},
		{"self-closing br", "line<br/>line", `Unsupported start tag "br/"`},
		{"p", "<p>x</p>", `Unsupported start tag "p"`},
		{"span without class", "<span>x</span>", `Tag "span" must have class "tg-spoiler"`},
		{"span other class", `<span class="red">x</span>`, `Tag "span" must have class "tg-spoiler"`},
		{"attribute without value", "<a href>x</a>", "Expected equal sign"},
		{"unclosed attribute", `<a href="x>y</a>`, "Unclosed start tag"},
		{"bad name token", "<a href=x/y>z</a>", "Unexpected end of name token"},
		{"custom emoji without id", "<tg-emoji>x</tg-emoji>", "Invalid custom emoji identifier"},
		{"unclosed end tag", "<b>x</b", "Unclosed end tag"},
		{"upper-case end tag", "<b>x</B>", "Unmatched end tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateHTML(tt.text)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("ValidateHTML(%q) = %v, want valid", tt.text, err)
			case tt.err != "" && err == nil:
				t.Errorf("ValidateHTML(%q) accepted it, want error containing %q", tt.text, tt.err)
			case tt.err != "" && !strings.Contains(err.Error(), tt.err):
				t.Errorf("ValidateHTML(%q) = %v, want error containing %q", tt.text, err, tt.err)
			}
		})
	}
}

func TestParseHTMLEntities(t *testing.T) {
	tests := []struct {
		text     string
		plain    string
		entities []models.MessageEntity
	}{
		{"<b>a</b>", "a", []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: 0, Length: 1}}},
		{"😀 <i>x</i>", "😀 x", []models.MessageEntity{{Type: models.MessageEntityTypeItalic, Offset: 3, Length: 1}}},
		{"<b>a <i>b</i></b>", "a b", []models.MessageEntity{
			{Type: models.MessageEntityTypeBold, Offset: 0, Length: 3},
			{Type: models.MessageEntityTypeItalic, Offset: 2, Length: 1},
		}},
		{`<pre><code class="language-go">x</code></pre>`, "x", []models.MessageEntity{{Type: models.MessageEntityTypePre, Offset: 0, Length: 1, Language: "go"}}},
		{`<code class="language-go">x</code>`, "x", []models.MessageEntity{{Type: models.MessageEntityTypeCode, Offset: 0, Length: 1}}},
		{"<blockquote expandable>q</blockquote>", "q", []models.MessageEntity{{Type: models.MessageEntityTypeExpandableBlockquote, Offset: 0, Length: 1}}},
		{`<a href="https://x.org">x</a>`, "x", []models.MessageEntity{{Type: models.MessageEntityTypeTextLink, Offset: 0, Length: 1, URL: "https://x.org"}}},
		{"<b></b>x", "x", nil},
		{"&lt;b&gt;", "<b>", nil},
	}
	for _, tt := range tests {
		plain, entities, err := parseHTML(tt.text)
		if err != nil {
			t.Errorf("parseHTML(%q): %v", tt.text, err)
			continue
		}
		if plain != tt.plain || !entitiesEqual(entities, tt.entities) {
			t.Errorf("parseHTML(%q) = %q %+v, want %q %+v", tt.text, plain, entities, tt.plain, tt.entities)
		}
	}
}

// FuzzValidateHTML checks that no input panics the parser, that escaped text
// is always valid, and that entities stay inside the plain text.
func FuzzValidateHTML(f *testing.F) {
	for _, seed := range []string{
		"<b>bold</b> &amp; <i>italic</i>",
		`<pre><code class="language-go">x &lt; y</code></pre>`,
		`<a href="https://example.com/?a=1&b=2">x</a>`,
		"a < b",
		"<b><i>x</b></i>",
		"&#x1F600;&#128512;&nbsp;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		plain, entities, err := parseHTML(text)
		if err != nil {
			if ValidateHTML(text) == nil {
				t.Fatalf("ValidateHTML disagrees with parseHTML on %q", text)
			}
			return
		}
		size := utf16Len(plain)
		for _, e := range entities {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > size {
				t.Fatalf("entity %+v outside plain text of %d units (input %q)", e, size, text)
			}
		}
		if utf8.ValidString(text) {
			if err := ValidateHTML(html.EscapeString(text)); err != nil {
				t.Fatalf("escaped text %q refused: %v", html.EscapeString(text), err)
			}
		}
	})
}
