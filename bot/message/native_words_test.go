package message

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// rowWidth is how wide a row of buttons may be on a phone in portrait, in
// labelWidth's narrow characters. The issue's numbers, "about 20 characters
// in Chinese, 30 in Russian", are one width: a Chinese character is about
// one and a half Latin or Cyrillic ones. They are a whole row, not each of
// two buttons: "💎 Оплатить криптовалютой" (25) is cut off beside the card
// button.
const rowWidth = 30

// buttonLimit is the widest label of a button sharing its row with n-1
// others: its share of the row plus a tenth of the row, which the label
// padding of a narrower row leaves over ("💳 Оплатить картой", 18, fits
// beside another button; 20 does not).
func buttonLimit(n int) float64 { return float64(rowWidth)/float64(n) + rowWidth/10 }

// labelWidth counts a label in narrow characters as a phone shows it: a
// Latin or Cyrillic letter, digit or sign one, a Chinese character (or
// other wide one) one and a half, an emoji two, the variation selector and
// the joiner nothing.
func labelWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == 0xfe0f || r == 0x200d:
		case r >= 0x1f000 || 0x2190 <= r && r <= 0x2bff:
			w += 2
		case unicode.Is(unicode.Han, r) || 0x3000 <= r && r <= 0x303f || 0xff00 <= r && r <= 0xff60:
			w += 1.5
		default:
			w++
		}
	}
	return w
}

// buttonWidth: each button label within its share of its row.
func buttonWidth(_ *Lang, sc scene) []string {
	if sc.kb == nil {
		return nil
	}
	var problems []string
	for _, row := range sc.kb.InlineKeyboard {
		limit := buttonLimit(len(row))
		for _, b := range row {
			if w := labelWidth(b.Text); w > limit {
				label := sceneOrderID.ReplaceAllString(b.Text, "<order>") // one problem for every order's button
				problems = append(problems, fmt.Sprintf("button %q is %g wide, over %g for %d in a row", label, w, limit, len(row)))
			}
		}
	}
	return problems
}

// sceneOrderID finds the scenes' order ids.
var sceneOrderID = regexp.MustCompile(`\b200468[78]\d\b`)

// A glossary entry: in language tag, avoid says a word that is not the
// term the texts use for a thing; use is the term, why explains.
type glossaryEntry struct {
	tag   string
	avoid *regexp.Regexp
	use   string
	why   string
}

// glossary keeps the terms of README's Languages section: one word for one
// thing across a language's messages.
var glossary = []glossaryEntry{
	{"ru", ruWord(`ты|тебя|тебе|тобой|твой|твоя|твоё|твое|твои|твоего|твоей|твоему|твоих|твоим|твоими`), "вы",
		"the bot says «вы» to the user, never «ты»"},
	{"ru", ruWord(`возвращ[её]н`), "средства возвращены",
		"an order is not «возвращён», the money is: «средства возвращены»"},
	{"ru", regexp.MustCompile(`(?i)пополните его`), "пополните баланс",
		"«его» after «этот номер» reads as the number: say «баланс»"},
	{"ru", regexp.MustCompile(`\d+ с(?:$|[^\p{L}])`), "сек",
		"«3 с и попробуйте» reads «с и»: seconds are «сек»"},
	{"ru", ruWord(`ордер\p{L}*`), "заказ", "an order is «заказ»"},
	{"ru", ruWord(`телефон\p{L}*`), "номер", "the rented number is «номер»"},
	{"ru", ruWord(`пин-?код\p{L}*|парол\p{L}*`), "код", "what the SMS brings is «код»"},
	{"ru", ruWord(`сч[её]т\p{L}*`), "баланс", "the money on the account is «баланс» («счёт» is also an invoice)"},
	{"ru", ruWord(`рефанд\p{L}*|возмещ\p{L}*|компенсац\p{L}*`), "возврат", "money back is «возврат»"},
	{"ru", ruWord(`смс|эсэмэс`), "SMS", "the texts write SMS in Latin letters"},
	{"ru", regexp.MustCompile(`\$\d{1,3}(?:,\d{3})+`), "$1 000.00 or «1000 долларов»",
		"a comma in a Russian number is the decimal sign: $1,000.00 reads as about one dollar"},

	{"zh", regexp.MustCompile(`代码`), "验证码",
		"the code in an SMS is 验证码 (a coupon's is 优惠码); 代码 is program code"},
	{"zh", regexp.MustCompile(`卡片`), "消息",
		"卡片 reads as a bank card next to the 银行卡支付 button: the bot's card is a message (消息) or the order (订单)"},
	{"zh", regexp.MustCompile(`定单|单子`), "订单", "an order is 订单"},
	{"zh", regexp.MustCompile(`简讯|短讯|讯息`), "短信", "an SMS is 短信"},
	{"zh", regexp.MustCompile(`SMS(?:$|[^O])`), "短信", "an SMS is 短信 in Chinese prose (SMSOnline stays)"},
	{"zh", regexp.MustCompile(`电话号码|手机号`), "号码", "the rented number is 号码"},
	{"zh", regexp.MustCompile(`退钱|返款|退费`), "退款", "money back is 退款"},
	{"zh", regexp.MustCompile(`结余|余款`), "余额", "the money on the account is 余额"},

	{"en", regexp.MustCompile(`(?i)\bare free\b`), "available", `"are free" reads as free of charge`},
	{"en", regexp.MustCompile(`(?i)\bno this number\b`), "a sentence of its own",
		"OfferUnnamed (“this number”) put in a sentence built around a service name"},
	{"en", regexp.MustCompile(`(?:^|[.!?] |[❌😕💱🛒⏳] )this number`), "a sentence of its own",
		"OfferUnnamed (“this number”) starting a sentence built around a service name, in lower case"},
	{"en", regexp.MustCompile(`\bI show\b`), "I'll show", `"send me the order id, and I show its status" wants a future`},
	{"en", regexp.MustCompile(`(?i)\bactivations?\b`), "order", "an order is an order"},
	{"en", regexp.MustCompile(`(?i)\b(?:pin|passcode|otp)\b`), "code", "what the SMS brings is a code"},
	{"en", regexp.MustCompile(`(?i)\bphone numbers?\b`), "number", "the rented number is a number"},
	{"en", regexp.MustCompile(`(?i)\breimburse\w*`), "refund", "money back is a refund"},
}

// ruWord matches one of the Russian words alt as a whole word (RE2's \b
// knows only ASCII letters).
func ruWord(alt string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^\p{L}])(?:` + alt + `)(?:$|[^\p{L}])`)
}

// glossaryCheck: each entry of l's glossary, on what the user reads of sc
// with the values (service names, SMS texts) left out; and the toast after
// "No"/"Cancel" not the status word of a cancelled order.
func glossaryCheck(l *Lang, sc scene) []string {
	text := readText(sc)
	var problems []string
	for _, g := range glossary {
		if g.tag != l.Tag {
			continue
		}
		for _, m := range g.avoid.FindAllStringIndex(text, -1) {
			problems = append(problems, fmt.Sprintf("%q: use %s (%s)", around(text, m[0], m[1]), g.use, g.why))
		}
	}
	if sc.name == "Toast/"+string(ToastCancelled) && strings.EqualFold(strings.TrimSpace(sc.text), l.t("StatusCancelled", nil)) {
		problems = append(problems, fmt.Sprintf("%q after No/Cancel is the status of a cancelled order (StatusCancelled): say that nothing was done", sc.text))
	}
	return problems
}

// readText is what the user reads of sc, with the values blanked out.
func readText(sc scene) string {
	return valuePattern.ReplaceAllString(formatScene(sc), "□")
}

// around is text[start:end] with up to 12 runes on each side, within its
// line.
func around(text string, start, end int) string {
	before, after := []rune(text[:start]), []rune(text[end:])
	i := len(before)
	for i > 0 && len(before)-i < 12 && before[i-1] != '\n' {
		i--
	}
	j := 0
	for j < len(after) && j < 12 && after[j] != '\n' {
		j++
	}
	return strings.TrimSpace(string(before[i:]) + text[start:end] + string(after[:j]))
}

// zhOneFormOfYou: the Chinese texts say 你 or 您 to the user, one of the
// two throughout; the scenes with the rarer one fail.
func zhOneFormOfYou(t *testing.T) {
	zh := ByTag("zh")
	with := map[rune][]string{}
	for _, sc := range renderScenes(zh) {
		text := readText(sc)
		for _, r := range []rune{'你', '您'} {
			if strings.ContainsRune(text, r) {
				with[r] = append(with[r], sc.name)
			}
		}
	}
	if len(with['你']) == 0 || len(with['您']) == 0 {
		return
	}
	rare, common := '您', '你'
	if len(with['您']) > len(with['你']) {
		rare, common = '你', '您'
	}
	for _, name := range with[rare] {
		t.Errorf("zh %s: says %c, while %d other texts say %c: pick one", name, rare, len(with[common]), common)
	}
}

var (
	// apiWord finds SMSOnline's own words for what it knows (a status, the
	// carrier "any"), which a text must put in the user's language. A status
	// word the bot does not know ("processing") is shown as given.
	apiWord = regexp.MustCompile(`(?i)(?:^|[^\p{L}])(any|pending|completed|expired|cancell?ed|canceled|refunded)(?:$|[^\p{L}])`)
	// anyCarrier is a card line naming the carrier "any", which the offer
	// text leaves out: any carrier is no carrier to name.
	anyCarrier = regexp.MustCompile(`(?i)[^\n]*: any\b`)
	// doubled is one word twice around a separator: "expired · expired".
	doubled = regexp.MustCompile(`(?i)(?:^|[^\p{L}])(\p{L}+) · (\p{L}+)(?:$|[^\p{L}])`)
)

// rawAPIWords: no word of SMSOnline's shown as it came where the user's
// language has one: in Russian and Chinese texts no English status word or
// "any"; in every language no "Carrier: any" and no word said twice in a
// row ("expired · expired").
func rawAPIWords(l *Lang, sc scene) []string {
	// The SMS texts and the long service name are English on purpose.
	text := strings.NewReplacer(sceneSMSCode, "□", sceneSMSNoCode, "□", sceneLongName, "□").Replace(formatScene(sc))
	var problems []string
	for _, m := range anyCarrier.FindAllString(text, -1) {
		problems = append(problems, fmt.Sprintf("%q: the carrier \"any\" is no carrier to name", m))
	}
	if l.Tag != "en" {
		for _, m := range apiWord.FindAllStringSubmatchIndex(text, -1) {
			if word := text[m[2]:m[3]]; !strings.EqualFold(word, "any") || !anyCarrier.MatchString(text) {
				problems = append(problems, fmt.Sprintf("%q: SMSOnline's word %q, untranslated", around(text, m[2], m[3]), word))
			}
		}
	}
	for _, m := range doubled.FindAllStringSubmatchIndex(text, -1) {
		if strings.EqualFold(text[m[2]:m[3]], text[m[4]:m[5]]) {
			problems = append(problems, fmt.Sprintf("%q: the same word twice", text[m[2]:m[5]]))
		}
	}
	return problems
}
