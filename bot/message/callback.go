package message

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// What a button asks for: the first field of its callback data.
const (
	ActRefresh    = "r" // show the card again
	ActWatch      = "w" // watch the order (send me the code)
	ActStop       = "s" // stop watching
	ActRefundAsk  = "f" // ask before a refund
	ActRefund     = "F" // the refund, confirmed
	ActAnotherSMS = "a" // ask SMSOnline for another SMS
	ActBuyAsk     = "b" // ask before buying the same again
	ActBuy        = "B" // the purchase, confirmed
	ActCancel     = "n" // no: back to the card
	ActNewAsk     = "x" // ask before "New number": buy another, refund this one
	ActNew        = "X" // "New number", confirmed
	ActKeep       = "k" // keep this number: the no-SMS rule leaves it alone
	ActChainStop  = "z" // stop the chain of replacements this number is in
	ActKeepTrying = "T" // keep trying a purchase refused for stock (its nonce)
	ActStopTrying = "y" // stop keep trying (the "order" is the try's id)
	ActQuantity   = "Q" // buy several: "Q:<nonce>:<count>" asks again for count numbers

	// Favourites: the offer of a card's order added or removed (by the
	// card's order), of a purchase confirmation (its nonce), and a
	// favourite of /favourites bought or removed (the "order" is the
	// favourite's id). Adding and removing are two actions, so a double
	// tap does not undo itself.
	ActFavourite        = "v" // add the card's offer to the favourites
	ActUnfavourite      = "V" // remove the card's offer from the favourites
	ActFavouriteOffer   = "g" // add the confirmation's offer (its nonce)
	ActUnfavouriteOffer = "G" // remove the confirmation's offer (its nonce)
	ActFavouriteBuy     = "e" // ask before buying a favourite
	ActFavouriteRemove  = "d" // remove a favourite from /favourites
)

// The buttons of /history (history.go).
const (
	ActHistoryPage   = "h" // show a page (the "order" is the page, from 0)
	ActHistoryExport = "E" // send every number as a CSV file (the "order" is the page pressed on)
)

// MaxCallbackData is Telegram's limit on a button's callback data, in bytes.
const MaxCallbackData = 64

// Callback is what one button asks for. Button data is client input: a
// modified client can send any data on any of the bot's messages, so it is
// parsed strictly and trusted only to find what it names.
//
// A money confirmation's button ("Yes, refund", "Buy") is "<action>:<nonce>":
// the nonce names the confirmation the bot stored, which holds the owner, the
// order and the price ceiling; nothing else in the data counts. Every other
// button is "<action>:<ownerId>:<orderId>", with ":p" when it is on a push
// (its answer is a new message: a push may hold the codes of other orders
// and is never edited). Cards made before the owner was named carry
// "<action>:<orderId>" (Owner 0).
type Callback struct {
	Action   string
	Owner    int64 // the Telegram user the card was made for; only they may press
	OrderID  string
	FromPush bool
	Nonce    string // a money confirmation's button (Confirms): the confirmation's nonce
	Count    int    // ActQuantity: how many numbers to ask for (1 to MaxQuantity)
}

// MaxQuantity is the most numbers one confirmation buys.
const MaxQuantity = 10

// Confirms reports whether c presses a button of a stored confirmation
// (money, or the star of a purchase confirmation): its owner and order are
// in the confirmation Nonce names, not in c.
func (c Callback) Confirms() bool {
	return isConfirmation(c.Action)
}

// isConfirmation reports whether buttons of action name a stored
// confirmation by its nonce: the money buttons, and the star buttons of a
// purchase confirmation.
func isConfirmation(action string) bool {
	switch action {
	case ActRefund, ActBuy, ActNew, ActKeepTrying, ActFavouriteOffer, ActUnfavouriteOffer, ActQuantity:
		return true
	}
	return false
}

// Data renders c as callback data; "" when it would not fit in Telegram's 64
// bytes (an order id that long gets no such button) or names nothing the
// bot would take back.
func (c Callback) Data() string {
	if c.Confirms() {
		if !validNonce(c.Nonce) {
			return ""
		}
		if c.Action == ActQuantity {
			if c.Count < 1 || c.Count > MaxQuantity {
				return ""
			}
			return c.Action + ":" + c.Nonce + ":" + strconv.Itoa(c.Count)
		}
		return c.Action + ":" + c.Nonce
	}
	if !validOrderID(c.OrderID) {
		return "" // no button for an id the bot would not take back
	}
	data := c.Action + ":" + strconv.FormatInt(c.Owner, 10) + ":" + c.OrderID
	if c.FromPush {
		data += ":p"
	}
	if len(data) > MaxCallbackData {
		return ""
	}
	return data
}

// ParseCallback reads a button's callback data; ok is false for data the
// bot never made. Numbers must be written as the bot writes them: "+1001"
// or "01001" is not user 1001.
func ParseCallback(data string) (c Callback, ok bool) {
	parts := strings.Split(data, ":")
	switch {
	case len(parts) == 3 && parts[0] == ActQuantity:
		n, ok := parseID(parts[2])
		if !ok || n > MaxQuantity || !validNonce(parts[1]) {
			return Callback{}, false
		}
		return Callback{Action: ActQuantity, Nonce: parts[1], Count: int(n)}, true
	case len(parts) == 2 && isConfirmation(parts[0]) && parts[0] != ActQuantity:
		if !validNonce(parts[1]) {
			return Callback{}, false
		}
		return Callback{Action: parts[0], Nonce: parts[1]}, true
	case len(parts) == 2:
		c = Callback{Action: parts[0], OrderID: parts[1]}
		if c.Action != ActRefresh && c.Action != ActWatch && c.Action != ActStop {
			return Callback{}, false // old cards had only these
		}
	case len(parts) == 3 || len(parts) == 4 && parts[3] == "p":
		owner, ok := parseID(parts[1])
		if !ok {
			return Callback{}, false
		}
		c = Callback{Action: parts[0], Owner: owner, OrderID: parts[2], FromPush: len(parts) == 4}
	default:
		return Callback{}, false
	}
	if !knownAction(c.Action) || c.Confirms() || !validOrderID(c.OrderID) {
		return Callback{}, false
	}
	return c, true
}

// parseID reads a positive decimal id written without sign, leading zeros
// or spaces.
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

func knownAction(a string) bool {
	switch a {
	case ActRefresh, ActWatch, ActStop, ActRefundAsk, ActRefund, ActAnotherSMS, ActBuyAsk, ActBuy, ActCancel,
		ActNewAsk, ActNew, ActKeep, ActChainStop, ActKeepTrying, ActStopTrying, ActQuantity,
		ActFavourite, ActUnfavourite, ActFavouriteOffer, ActUnfavouriteOffer, ActFavouriteBuy, ActFavouriteRemove:
		return true
	case ActHistoryPage, ActHistoryExport:
		return true
	}
	return false
}

// nonceLen is the length of a confirmation's nonce: 9 random bytes,
// base64url (see money.NewNonce).
const nonceLen = 12

func validNonce(s string) bool {
	if len(s) != nonceLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
