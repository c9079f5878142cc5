package telegramtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// ValidateHTML reports whether text is valid for parse_mode HTML. The error
// reads like the description Telegram puts after "can't parse entities: ".
//
// The rules are Telegram's: only the tags b, strong, i, em, u, ins, s, strike,
// del, span class="tg-spoiler", tg-spoiler, a href, code (class="language-x"
// inside pre), pre, blockquote (optionally expandable) and tg-emoji emoji-id;
// tags must be closed in order; a '<' always starts a tag. One rule is
// stricter than Telegram: outside attribute values every '&' must start one
// of &lt; &gt; &amp; &quot; &#NN; &#xNN;. Telegram passes an unknown '&...'
// through as text, but a bot that leaves '&' unescaped is a bot that forgot
// to escape, and the next '<' in user data loses the message.
func ValidateHTML(text string) error {
	_, _, err := parseHTML(text)
	return err
}

// htmlTags are the tags Telegram's HTML parse mode knows.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// openTag is a start tag waiting for its end tag.
type openTag struct {
	name     string
	arg      string // href, code language, custom emoji id, "expandable"
	offset   int    // in UTF-16 units of the plain text
	plainPos int    // in bytes of the plain text
}

// parseHTML turns HTML-formatted text into plain text and entities, with
// offsets and lengths in UTF-16 code units as the Bot API counts them.
func parseHTML(text string) (string, []models.MessageEntity, error) {
	var (
		plain    strings.Builder
		offset   int // UTF-16 length of plain so far
		stack    []openTag
		entities []models.MessageEntity
	)
	plain.Grow(len(text))
	for i := 0; i < len(text); {
		switch text[i] {
		case '&':
			r, n, ok := decodeHTMLEntity(text[i:])
			if !ok {
				return "", nil, fmt.Errorf("Unsupported HTML entity at byte offset %d; escape '&' as &amp;", i)
			}
			plain.WriteRune(r)
			offset += utf16.RuneLen(r)
			i += n
		case '<':
			if i+1 < len(text) && text[i+1] == '/' {
				if len(stack) == 0 {
					return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				end, err := parseEndTag(text, i, top.name)
				if err != nil {
					return "", nil, err
				}
				stack = stack[:len(stack)-1]
				if offset > top.offset {
					entities = closeEntity(entities, top, offset, plain.String())
				}
				i = end
				continue
			}
			tag, end, err := parseStartTag(text, i)
			if err != nil {
				return "", nil, err
			}
			tag.offset, tag.plainPos = offset, plain.Len()
			stack = append(stack, tag)
			i = end
		default:
			r, n := utf8.DecodeRuneInString(text[i:])
			plain.WriteString(text[i : i+n])
			if r == utf8.RuneError && n == 1 {
				offset++
			} else {
				offset += utf16.RuneLen(r)
			}
			i += n
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	for k := range entities {
		if entities[k].Type == models.MessageEntityTypeCode {
			entities[k].Language = ""
		}
	}
	// Telegram lists entities by offset, enclosing ones first.
	slices.SortStableFunc(entities, func(a, b models.MessageEntity) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		return b.Length - a.Length
	})
	return plain.String(), entities, nil
}

// parseStartTag parses the start tag at text[begin] ('<') and returns it with
// the position after its '>'.
func parseStartTag(text string, begin int) (openTag, int, error) {
	j := begin + 1
	for j < len(text) && !isHTMLSpace(text[j]) && text[j] != '>' {
		j++
	}
	if j >= len(text) {
		return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
	}
	tag := openTag{name: strings.ToLower(text[begin+1 : j])}
	if !htmlTags[tag.name] {
		return openTag{}, 0, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", tag.name, begin)
	}
	var spanClass string
	hasEmojiID := false
	for {
		for j < len(text) && isHTMLSpace(text[j]) {
			j++
		}
		if j >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		if text[j] == '>' {
			break
		}
		nameStart := j
		for j < len(text) && !isHTMLSpace(text[j]) && text[j] != '=' && text[j] != '>' {
			j++
		}
		attr := strings.ToLower(text[nameStart:j])
		if attr == "" {
			return openTag{}, 0, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag.name, begin)
		}
		for j < len(text) && isHTMLSpace(text[j]) {
			j++
		}
		if j >= len(text) || text[j] != '=' {
			if tag.name == "blockquote" && attr == "expandable" {
				tag.arg = "expandable"
				continue
			}
			return openTag{}, 0, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", tag.name, begin)
		}
		j++
		for j < len(text) && isHTMLSpace(text[j]) {
			j++
		}
		if j >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag \"%s\" at byte offset %d", tag.name, begin)
		}
		var value string
		if q := text[j]; q == '"' || q == '\'' {
			value, j = parseQuotedValue(text, j+1, q)
		} else {
			start := j
			for j < len(text) && (isASCIIAlnum(text[j]) || text[j] == '.' || text[j] == '-') {
				j++
			}
			value = strings.ToLower(text[start:j])
			if j < len(text) && !isHTMLSpace(text[j]) && text[j] != '>' {
				return openTag{}, 0, fmt.Errorf("Unexpected end of name token at byte offset %d", start)
			}
		}
		if j >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		switch {
		case tag.name == "a" && attr == "href":
			tag.arg = value
		case tag.name == "code" && attr == "class":
			if lang, found := strings.CutPrefix(value, "language-"); found {
				tag.arg = lang
			}
		case tag.name == "span" && attr == "class":
			spanClass = value
		case tag.name == "tg-emoji" && attr == "emoji-id":
			tag.arg, hasEmojiID = value, true
		}
	}
	if tag.name == "span" && spanClass != "tg-spoiler" {
		return openTag{}, 0, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
	}
	if tag.name == "tg-emoji" {
		if id, err := strconv.ParseInt(tag.arg, 10, 64); !hasEmojiID || err != nil || id <= 0 {
			return openTag{}, 0, fmt.Errorf("Invalid custom emoji identifier specified at byte offset %d", begin)
		}
	}
	return tag, j + 1, nil
}

// parseQuotedValue reads an attribute value after its opening quote q and
// returns it with the position after the closing quote. Entities are decoded
// leniently here, as Telegram does: "?a=1&b=2" in a link is common and works.
func parseQuotedValue(text string, j int, q byte) (string, int) {
	var value strings.Builder
	for j < len(text) && text[j] != q {
		if text[j] == '&' {
			if r, n, ok := decodeHTMLEntity(text[j:]); ok {
				value.WriteRune(r)
				j += n
				continue
			}
		}
		value.WriteByte(text[j])
		j++
	}
	if j < len(text) {
		j++ // the closing quote
	}
	return value.String(), j
}

// parseEndTag parses the end tag at text[begin] ("</") closing a start tag
// named open, and returns the position after its '>'. "</>" closes any tag.
func parseEndTag(text string, begin int, open string) (int, error) {
	j := begin + 2
	for j < len(text) && !isHTMLSpace(text[j]) && text[j] != '>' {
		j++
	}
	name := text[begin+2 : j]
	for j < len(text) && isHTMLSpace(text[j]) {
		j++
	}
	if j >= len(text) || text[j] != '>' {
		return 0, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
	}
	if name != "" && name != open {
		return 0, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, open, name)
	}
	return j + 1, nil
}

// closeEntity appends the entity a closed, non-empty tag makes. A code with a
// language exactly inside a pre makes that pre a code block in the language.
func closeEntity(entities []models.MessageEntity, tag openTag, offset int, plain string) []models.MessageEntity {
	e := models.MessageEntity{Offset: tag.offset, Length: offset - tag.offset}
	switch tag.name {
	case "b", "strong":
		e.Type = models.MessageEntityTypeBold
	case "i", "em":
		e.Type = models.MessageEntityTypeItalic
	case "u", "ins":
		e.Type = models.MessageEntityTypeUnderline
	case "s", "strike", "del":
		e.Type = models.MessageEntityTypeStrikethrough
	case "span", "tg-spoiler":
		e.Type = models.MessageEntityTypeSpoiler
	case "blockquote":
		e.Type = models.MessageEntityTypeBlockquote
		if tag.arg != "" {
			e.Type = models.MessageEntityTypeExpandableBlockquote
		}
	case "tg-emoji":
		e.Type, e.CustomEmojiID = models.MessageEntityTypeCustomEmoji, tag.arg
	case "a":
		e.Type, e.URL = models.MessageEntityTypeTextLink, tag.arg
		if e.URL == "" {
			e.URL = plain[tag.plainPos:]
		}
	case "code":
		if n := len(entities); n > 0 && tag.arg != "" && entities[n-1].Type == models.MessageEntityTypePre &&
			entities[n-1].Offset == e.Offset && entities[n-1].Length == e.Length {
			entities[n-1].Language = tag.arg
			return entities
		}
		// The language is kept in case a pre closes around this code next;
		// parseHTML drops it from code entities that stay code.
		e.Type, e.Language = models.MessageEntityTypeCode, tag.arg
	case "pre":
		if n := len(entities); n > 0 && entities[n-1].Type == models.MessageEntityTypeCode && entities[n-1].Language != "" &&
			entities[n-1].Offset == e.Offset && entities[n-1].Length == e.Length {
			// <pre><code class="language-x">: the code entity becomes the block.
			entities[n-1].Type = models.MessageEntityTypePre
			return entities
		}
		e.Type = models.MessageEntityTypePre
	}
	return append(entities, e)
}

// decodeHTMLEntity decodes the entity at the start of s ('&'): &lt; &gt;
// &amp; &quot; or a decimal or hexadecimal character reference naming a
// Unicode scalar value. It returns the character and the entity's length.
func decodeHTMLEntity(s string) (rune, int, bool) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 || semi > 12 {
		return 0, 0, false
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1, true
	case "gt":
		return '>', semi + 1, true
	case "amp":
		return '&', semi + 1, true
	case "quot":
		return '"', semi + 1, true
	}
	digits, base := "", 10
	switch {
	case strings.HasPrefix(name, "#x"):
		digits, base = name[2:], 16
	case strings.HasPrefix(name, "#"):
		digits = name[1:]
	default:
		return 0, 0, false
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, 0, false
	}
	return rune(n), semi + 1, true
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// utf16Len returns the length of s in UTF-16 code units, the unit of the Bot
// API's entity offsets and of the message length limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
