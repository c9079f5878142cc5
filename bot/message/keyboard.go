package message

import (
	"encoding/json"
	"slices"
	"strings"
)

// The inline keyboard types are our own: go-telegram/bot's InlineKeyboardButton
// always serialises an empty copy_text, which Telegram rejects on a button that
// already has callback_data.

type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

type Button struct {
	Text         string    `json:"text"`
	CallbackData string    `json:"callback_data,omitempty"`
	URL          string    `json:"url,omitempty"`
	CopyText     *copyText `json:"copy_text,omitempty"`
}

type copyText struct {
	Text string `json:"text"`
}

// Row lays buttons out in one row; nil when there are none.
func Row(buttons ...Button) *Keyboard {
	if len(buttons) == 0 {
		return nil
	}
	return &Keyboard{InlineKeyboard: [][]Button{buttons}}
}

func CopyButton(label, text string) Button {
	return Button{Text: label, CopyText: &copyText{Text: text}}
}

func CallbackButton(label, data string) Button {
	return Button{Text: label, CallbackData: data}
}

// URLButton opens url (a payment page) when pressed.
func URLButton(label, url string) Button {
	return Button{Text: label, URL: url}
}

// withRow is kb (nil for none) with row added below it, a row of its own;
// an empty row adds nothing. kb is left as it is.
func withRow(kb *Keyboard, row []Button) *Keyboard {
	var rows [][]Button
	if kb != nil {
		rows = slices.Clone(kb.InlineKeyboard)
	}
	return Rows(append(rows, row)...)
}

// Rows lays out rows of buttons, leaving out empty rows; nil when none is
// left.
func Rows(rows ...[]Button) *Keyboard {
	var kept [][]Button
	for _, r := range rows {
		if len(r) > 0 {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return &Keyboard{InlineKeyboard: kept}
}

// buttons collects callback buttons, leaving out those whose data does not
// fit in a callback (a very long order id).
type buttons []Button

func (bs *buttons) add(label string, c Callback) {
	if data := c.Data(); data != "" {
		*bs = append(*bs, CallbackButton(label, data))
	}
}

// CardKeyboard offers what can be done with an order, by its state, to its
// owner: while it waits for its SMS, refresh, watch or stop, and a refund;
// once an SMS arrived, another SMS or the same number again; once it ended,
// buying the same again. While the rule for numbers that get no SMS is to
// act on it, "Keep this number" has a row of its own; the star button
// (add its offer to the favourites, or remove it) is the last row.
func (l *Lang) CardKeyboard(o Order, owner int64, orderID string, open, watched bool) *Keyboard {
	c := func(action string) Callback { return Callback{Action: action, Owner: owner, OrderID: orderID} }
	var top, actions, keep buttons
	if open {
		top.add(l.T(ButtonRefresh), c(ActRefresh))
		switch {
		case watched:
			top.add(l.T(ButtonStop), c(ActStop))
		case !o.HasSMS():
			top.add(l.T(ButtonSendCode), c(ActWatch))
		}
	}
	switch {
	case open && !o.HasSMS():
		actions.add(l.ButtonRefund(o.Price), c(ActRefundAsk))
		actions.add(l.T(ButtonNewNumber), c(ActNewAsk))
	case open:
		actions.add(l.T(ButtonAnotherSMS), c(ActAnotherSMS))
		actions.add(l.T(ButtonBuyAgain), c(ActBuyAsk))
	default:
		actions.add(l.T(ButtonBuyAgain), c(ActBuyAsk))
	}
	if open && o.underRule() {
		keep.add(l.T(ButtonKeep), c(ActKeep))
	}
	return Rows(top, actions, keep, l.favouriteButton(o.Favourite, c(ActFavourite), c(ActUnfavourite)))
}

// favouriteButton is the row of the star button: add when the offer is
// not a favourite, remove when it is.
func (l *Lang) favouriteButton(favourite bool, add, remove Callback) []Button {
	var bs buttons
	if favourite {
		bs.add(l.T(ButtonUnfavourite), remove)
	} else {
		bs.add(l.T(ButtonFavourite), add)
	}
	return bs
}

// PushKeyboard is the keyboard of a push: the code to copy, and what comes
// after a code (another SMS, the same number again), answered in a new
// message.
func (l *Lang) PushKeyboard(owner int64, orderID, code string) *Keyboard {
	var copyRow []Button
	if code != "" {
		copyRow = []Button{CopyButton(l.T(ButtonCopyCode), code)}
	}
	var actions buttons
	if owner != 0 {
		c := func(action string) Callback {
			return Callback{Action: action, Owner: owner, OrderID: orderID, FromPush: true}
		}
		actions.add(l.T(ButtonAnotherSMS), c(ActAnotherSMS))
		actions.add(l.T(ButtonBuyAgain), c(ActBuyAsk))
	}
	return Rows(copyRow, actions)
}

// OrderButton heads an order's buttons in a message that holds several
// orders (joined pushes): a row of its own that names the order, so the
// buttons below keep their short labels and two still fit in a row (an id
// added to each label overflowed in Russian). Pressing it copies the id. It
// reads the same in every language: the card's 📦 and the id.
func OrderButton(orderID string) Button { return CopyButton("📦 "+orderID, orderID) }

// RefundKeyboard asks to confirm the stored refund nonce names.
func (l *Lang) RefundKeyboard(owner int64, orderID, nonce string) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonYesRefund), Callback{Action: ActRefund, Nonce: nonce})
	bs.add(l.T(ButtonNo), Callback{Action: ActCancel, Owner: owner, OrderID: orderID})
	return Rows(bs)
}

// BuyKeyboard asks to confirm the stored purchase nonce names (buying the
// same as sourceID again); label is ButtonBuy, or ButtonTryAgain after a
// refusal. Every confirmation has its own nonce: pressing it twice buys
// once.
func (l *Lang) BuyKeyboard(owner int64, sourceID, nonce string, label Text) *Keyboard {
	var bs buttons
	bs.add(l.T(label), Callback{Action: ActBuy, Nonce: nonce})
	bs.add(l.T(ButtonCancel), Callback{Action: ActCancel, Owner: owner, OrderID: sourceID})
	return Rows(bs)
}

// BuyAskKeyboard is a purchase confirmation's buttons for count numbers
// (BuyManyKeyboard: Buy, Cancel and the quantities) and, in a row of its
// own, the star button of the offer it buys: favourite says whether the
// offer is one of the owner's favourites.
func (l *Lang) BuyAskKeyboard(owner int64, sourceID, nonce string, favourite bool, count int) *Keyboard {
	kb := l.BuyManyKeyboard(owner, sourceID, nonce, count)
	star := l.favouriteButton(favourite, Callback{Action: ActFavouriteOffer, Nonce: nonce},
		Callback{Action: ActUnfavouriteOffer, Nonce: nonce})
	return withRow(kb, star)
}

// ReplaceKeyboard asks to confirm the stored "New number" nonce names
// (replacing orderID).
func (l *Lang) ReplaceKeyboard(owner int64, orderID, nonce string) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonYesNewNumber), Callback{Action: ActNew, Nonce: nonce})
	bs.add(l.T(ButtonNo), Callback{Action: ActCancel, Owner: owner, OrderID: orderID})
	return Rows(bs)
}

// BuyAgainKeyboard offers buying the same as orderID again.
func (l *Lang) BuyAgainKeyboard(owner int64, orderID string) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonBuyAgain), Callback{Action: ActBuyAsk, Owner: owner, OrderID: orderID})
	return Rows(bs)
}

// MarkupJSON renders a keyboard for the outbox; "" for none.
func MarkupJSON(k *Keyboard) string {
	if k == nil {
		return ""
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "" // cannot happen for these plain structs
	}
	return string(b)
}

// languagePrefix starts the callback data of a /language button.
const languagePrefix = "lang:"

// LanguageKeyboard offers every language by its own name.
func LanguageKeyboard() *Keyboard {
	var row []Button
	for _, l := range languages {
		row = append(row, CallbackButton(l.Name, languagePrefix+l.Tag))
	}
	return Rows(row)
}

// ParseLanguageButton returns the language a /language button picks, or
// nil for other data.
func ParseLanguageButton(data string) *Lang {
	tag, ok := strings.CutPrefix(data, languagePrefix)
	if !ok {
		return nil
	}
	return ByTag(tag)
}
