package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// discordFavourite is alice's favourite of the discord offer as /favourites
// shows it, with its id and ceiling (0: none).
func discordFavourite(id, maxCents int64) message.Favourite {
	f := message.Favourite{ID: id, Service: "Discord", Country: "United States", Carrier: "any", Price: message.Cents(16)}
	if maxCents > 0 {
		f.Max = message.Cents(maxCents)
	}
	return f
}

// favourites are alice's favourites on her SMSOnline account, as stored.
func (h *harness) favourites() []store.Favourite {
	h.t.Helper()
	favs, err := h.store.Favourites(context.Background(), alice.ID, smsUser)
	if err != nil {
		h.t.Fatal(err)
	}
	return favs
}

func TestFavouriteAddRemoveList(t *testing.T) {
	h := newBuyHarness(t)
	ctx := context.Background()
	card := h.say(alice, aliceChat, "/order 555")
	if got := labels(card.ReplyMarkup); got[len(got)-1] != en.T(message.ButtonFavourite) {
		t.Fatalf("card buttons %v: the last is not %q", got, en.T(message.ButtonFavourite))
	}
	add := buttonWith(t, card.ReplyMarkup, "v:")
	if add != ownedButton("v", alice, "555") {
		t.Errorf("star button %q", add)
	}

	// Added; a double tap adds nothing more.
	for range 2 {
		if toast := h.tap(alice, aliceChat, card.MessageID, add); toast != en.T(message.ToastFavouriteAdded) {
			t.Errorf("toast %q", toast)
		}
	}
	edited := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, edited.Text, h.fakeCard("555", message.StateWaiting)...)
	if got := labels(edited.ReplyMarkup); got[len(got)-1] != en.T(message.ButtonUnfavourite) {
		t.Errorf("card after adding: buttons %v, want the last to remove", got)
	}
	remove := buttonWith(t, edited.ReplyMarkup, "V:")
	favs := h.favourites()
	if len(favs) != 1 {
		t.Fatalf("%d favourites stored, want 1", len(favs))
	}
	f := favs[0]
	if f.Offer != (store.Offer{Service: "ds", Country: "12", Carrier: "any"}) || f.ServiceName != "Discord" ||
		f.CountryName != "United States" || f.OrderID != "555" || f.Price != 16 || f.MaxPrice != 0 {
		t.Errorf("favourite stored as %+v", f)
	}

	// /favourites lists it with Buy and ✖.
	list := h.say(alice, aliceChat, "/favourites")
	wantText, wantKB := en.FavouriteList(alice.ID, []message.Favourite{discordFavourite(f.ID, 0)}, store.MaxFavourites)
	if list.Text != wantText {
		t.Errorf("/favourites = %q, want %q", list.Text, wantText)
	}
	id := strconv.FormatInt(f.ID, 10)
	if got := strings.Join(buttonData(list.ReplyMarkup), " "); got != "e:1001:"+id+" d:1001:"+id {
		t.Errorf("/favourites buttons %q", got)
	}
	if got, want := join(labels(list.ReplyMarkup)...), join(wantKB.InlineKeyboard[0][0].Text, wantKB.InlineKeyboard[0][1].Text); got != want {
		t.Errorf("/favourites labels %q, want %q", got, want)
	}

	// Removed from the card, which says so.
	if toast := h.tap(alice, aliceChat, card.MessageID, remove); toast != en.T(message.ToastFavouriteRemoved) {
		t.Errorf("toast %q", toast)
	}
	if got := labels(h.lastEdit(aliceChat, card.MessageID).ReplyMarkup); got[len(got)-1] != en.T(message.ButtonFavourite) {
		t.Errorf("card after removing: buttons %v", got)
	}
	if n := len(h.favourites()); n != 0 {
		t.Errorf("%d favourites after removing, want 0", n)
	}

	// Added again, and removed with ✖ from /favourites: the list says so.
	h.tap(alice, aliceChat, card.MessageID, add)
	list = h.say(alice, aliceChat, "/favourites")
	del := buttonWith(t, list.ReplyMarkup, "d:")
	if toast := h.tap(alice, aliceChat, list.MessageID, del); toast != en.T(message.ToastFavouriteRemoved) {
		t.Errorf("✖ toast %q", toast)
	}
	none, _ := en.FavouriteList(alice.ID, nil, store.MaxFavourites)
	if got := h.lastEdit(aliceChat, list.MessageID); got.Text != none || got.ReplyMarkup != nil {
		t.Errorf("list after ✖ = %q %v, want %q", got.Text, buttonData(got.ReplyMarkup), none)
	}
	if n := len(h.favourites()); n != 0 {
		t.Errorf("%d favourites after ✖, want 0", n)
	}
	if got := h.say(alice, aliceChat, "/favourites").Text; got != none {
		t.Errorf("/favourites with none = %q", got)
	}

	// Button data is client input: bob's presses never reach alice's
	// favourites, whatever id they name.
	h.tap(alice, aliceChat, card.MessageID, add)
	f = h.favourites()[0]
	h.loginBob()
	bobChat := telegramtest.PrivateChat(bob)
	bobs := h.say(bob, bobChat, "/favourites")
	for _, forged := range []string{"d:1002:" + strconv.FormatInt(f.ID, 10), "e:1002:" + strconv.FormatInt(f.ID, 10)} {
		h.tap(bob, bobChat, bobs.MessageID, forged)
	}
	if n := len(h.favourites()); n != 1 {
		t.Errorf("bob's forged presses left alice %d favourites, want 1", n)
	}
	if _, err := h.store.Favourite(ctx, bob.ID, bobSMSUser, f.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alice's favourite found for bob: %v", err)
	}
	if n := len(h.sms.Buys(smsUser)) + len(h.sms.Buys(bobSMSUser)); n != 0 {
		t.Errorf("%d purchases, want none", n)
	}
}

// TestFavouritesFirstInBuy: /buy lists the favourites first, marked ⭐,
// each with its newest order and price, then the rest; a favourite's entry
// leads to its confirmation.
func TestFavouritesFirstInBuy(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	now := time.Now().UTC().Truncate(time.Second)
	add := func(id, service, serviceName string, ago time.Duration, price int64) {
		o := smsapitest.NewOrder(id)
		o.ServiceCode, o.Service, o.Price, o.Status = service, serviceName, price, smsapitest.StatusExpired
		o.OrderedAt, o.ExpiresAt = now.Add(-ago), now.Add(-ago+20*time.Minute)
		h.sms.AddOrder(smsUser, o)
	}
	add("501", "ds", "Discord", 3*time.Hour, 16)
	add("502", "tg", "Telegram", 2*time.Hour, 40)
	add("503", "wa", "WhatsApp", time.Hour, 30)

	card := h.say(alice, aliceChat, "/order 501")
	h.tap(alice, aliceChat, card.MessageID, ownedButton("v", alice, "501"))
	f := h.favourites()[0]
	list := h.say(alice, aliceChat, "/buy")
	want, _ := en.BuyList(alice.ID, []message.BuyEntry{
		{Favourite: f.ID, OrderID: "501", Service: "Discord", Country: "United States", Carrier: "any", Price: message.Cents(16)},
		{OrderID: "503", Service: "WhatsApp", Country: "United States", Carrier: "any", Price: message.Cents(30)},
		{OrderID: "502", Service: "Telegram", Country: "United States", Carrier: "any", Price: message.Cents(40)},
	})
	if list.Text != want {
		t.Errorf("/buy = %q, want %q", list.Text, want)
	}
	fid := strconv.FormatInt(f.ID, 10)
	if got := strings.Join(buttonData(list.ReplyMarkup), " "); got != "e:1001:"+fid+" b:1001:503 b:1001:502" {
		t.Errorf("/buy buttons %q, want the favourite first", got)
	}
	if got := labels(list.ReplyMarkup)[0]; !strings.HasPrefix(got, "⭐ Discord") {
		t.Errorf("the favourite's entry reads %q, want it marked ⭐", got)
	}

	// A newer order of the offer: /buy shows its price, and the favourite
	// names it from then on.
	add("504", "ds", "Discord", 30*time.Minute, 18)
	list = h.say(alice, aliceChat, "/buy")
	assertContains(t, labels(list.ReplyMarkup)[0], "$0.18")
	if f = h.favourites()[0]; f.OrderID != "504" || f.Price != 18 {
		t.Errorf("favourite after a newer order = %+v, want order 504 at 18", f)
	}

	// The favourite's entry asks as any purchase does, naming that order.
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, list.ReplyMarkup, "e:"))
	ask := h.lastEdit(aliceChat, list.MessageID)
	if want := en.BuyAsk(discordOffer(), "504", message.Cents(23)); ask.Text != want {
		t.Errorf("favourite's confirmation = %q, want %q", ask.Text, want)
	}
	if got := join(labels(ask.ReplyMarkup)...); got != join(en.T(message.ButtonBuy), en.T(message.ButtonCancel), "• ×1", "×3", "×5", "×10", en.T(message.ButtonUnfavourite)) {
		t.Errorf("favourite's confirmation buttons %q", got)
	}
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	assertContains(t, h.lastEdit(aliceChat, list.MessageID).Text, boughtTitle())
	if buys := h.sms.Buys(smsUser); len(buys) != 1 || buys[0].Service != "ds" || buys[0].Country != "12" || buys[0].MaximumPrice != "23" {
		t.Errorf("purchases %+v, want one of ds/12 for at most 23", buys)
	}
}

// TestFavouriteKeepsTheConfirmedCeiling: the ceiling of a confirmation
// pressed (here /buy <orderId> 0.33) is what the offer's favourite offers,
// though it was added later, until another is confirmed; the star button
// on a confirmation keeps its ceiling and nonce.
func TestFavouriteKeepsTheConfirmedCeiling(t *testing.T) {
	h := newBuyHarness(t)
	ask := h.say(alice, aliceChat, "/buy 555 0.33")
	if got := join(labels(ask.ReplyMarkup)...); got != join(en.T(message.ButtonBuy), en.T(message.ButtonCancel), "• ×1", "×3", "×5", "×10", en.T(message.ButtonFavourite)) {
		t.Errorf("confirmation buttons %q", got)
	}
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	bought := h.lastEdit(aliceChat, ask.MessageID)
	assertContains(t, bought.Text, boughtTitle())

	// Added from the card of the number bought: its confirmation offers 0.33.
	h.tap(alice, aliceChat, ask.MessageID, ownedButton("v", alice, "30000001"))
	f := h.favourites()[0]
	if f.MaxPrice != 33 || f.OrderID != "30000001" {
		t.Fatalf("favourite %+v, want ceiling 33 from order 30000001", f)
	}
	list := h.say(alice, aliceChat, "/favourites")
	if want, _ := en.FavouriteList(alice.ID, []message.Favourite{discordFavourite(f.ID, 33)}, store.MaxFavourites); list.Text != want {
		t.Errorf("/favourites = %q, want %q", list.Text, want)
	}
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, list.ReplyMarkup, "e:"))
	if got, want := h.lastEdit(aliceChat, list.MessageID).Text, en.BuyAskKept(discordOffer(), "30000001", message.Cents(33)); got != want {
		t.Errorf("favourite's confirmation = %q, want %q", got, want)
	}
	// Buy again on any order of the offer offers it too, not the margin.
	if got, want := h.say(alice, aliceChat, "/buy 555").Text, en.BuyAskKept(discordOffer(), "555", message.Cents(33)); got != want {
		t.Errorf("/buy 555 = %q, want %q", got, want)
	}

	// Another ceiling confirmed, refused or not, is the one kept.
	h.sms.SetStock("ds", "12", "any", 0)
	other := h.say(alice, aliceChat, "/buy 555 0.40")
	h.tap(alice, aliceChat, other.MessageID, buttonWith(t, other.ReplyMarkup, "B:"))
	assertContains(t, h.lastEdit(aliceChat, other.MessageID).Text, en.BuyOutOfStock(discordOffer()))
	h.sms.SetStock("ds", "12", "any", -1)
	ask = h.say(alice, aliceChat, "/buy 555")
	if want := en.BuyAskKept(discordOffer(), "555", message.Cents(40)); ask.Text != want {
		t.Errorf("/buy 555 after confirming 0.40 = %q, want %q", ask.Text, want)
	}

	// The star button on a confirmation: removed and added again, the same
	// confirmation (nonce and ceiling) is shown again; the ceiling stays.
	buy := buttonWith(t, ask.ReplyMarkup, "B:")
	if toast := h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "G:")); toast != en.T(message.ToastFavouriteRemoved) {
		t.Errorf("toast %q", toast)
	}
	off := h.lastEdit(aliceChat, ask.MessageID)
	if want := en.BuyAsk(discordOffer(), "555", message.Cents(40)); off.Text != want || buttonWith(t, off.ReplyMarkup, "B:") != buy {
		t.Errorf("confirmation after removing = %q %v, want %q with %s", off.Text, buttonData(off.ReplyMarkup), want, buy)
	}
	if n := len(h.favourites()); n != 0 {
		t.Errorf("%d favourites, want 0", n)
	}
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, off.ReplyMarkup, "g:"))
	on := h.lastEdit(aliceChat, ask.MessageID)
	if want := en.BuyAskKept(discordOffer(), "555", message.Cents(40)); on.Text != want || buttonWith(t, on.ReplyMarkup, "B:") != buy {
		t.Errorf("confirmation after adding = %q %v, want %q with %s", on.Text, buttonData(on.ReplyMarkup), want, buy)
	}
	h.tap(alice, aliceChat, ask.MessageID, buy)
	assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, boughtTitle())
	buys := h.sms.Buys(smsUser)
	if len(buys) != 3 || buys[0].MaximumPrice != "33" || buys[1].MaximumPrice != "40" || buys[2].MaximumPrice != "40" {
		t.Errorf("purchases %+v, want three, at 33, 40, 40", buys)
	}
}

// TestFavouriteLimit: past MaxFavourites a star press adds nothing and
// says why, on a card and on a confirmation.
func TestFavouriteLimit(t *testing.T) {
	h := newBuyHarness(t)
	ctx := context.Background()
	for i := range store.MaxFavourites {
		f := store.Favourite{TelegramUserID: alice.ID, SMSUserID: smsUser, OrderID: "555",
			Offer: store.Offer{Service: "s" + strconv.Itoa(i), Country: "12", Carrier: "any"}}
		if _, _, err := h.store.AddFavourite(ctx, f, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	card := h.say(alice, aliceChat, "/order 555")
	if toast := h.tap(alice, aliceChat, card.MessageID, ownedButton("v", alice, "555")); toast != en.T(message.ToastNotDone) {
		t.Errorf("toast %q", toast)
	}
	edited := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, edited.Text, h.fakeCard("555", message.StateWaiting)...)
	assertContains(t, edited.Text, en.FavouriteLimit(store.MaxFavourites))
	if got := labels(edited.ReplyMarkup); got[len(got)-1] != en.T(message.ButtonFavourite) {
		t.Errorf("card buttons %v", got)
	}

	ask := h.say(alice, aliceChat, "/buy 555")
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "g:"))
	assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, en.BuyAsk(discordOffer(), "555", message.Cents(20)), en.FavouriteLimit(store.MaxFavourites))
	if n := len(h.favourites()); n != store.MaxFavourites {
		t.Errorf("%d favourites, want %d", n, store.MaxFavourites)
	}

	// One removed, the offer goes in.
	list := h.say(alice, aliceChat, "/favourites")
	assertContains(t, list.Text, en.T(message.FavouritesFooter))
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, list.ReplyMarkup, "d:"))
	if toast := h.tap(alice, aliceChat, card.MessageID, ownedButton("v", alice, "555")); toast != en.T(message.ToastFavouriteAdded) {
		t.Errorf("toast after removing one: %q", toast)
	}
	if _, err := h.store.FavouriteOf(ctx, alice.ID, smsUser, store.Offer{Service: "ds", Country: "12", Carrier: "any"}); err != nil {
		t.Errorf("the offer is no favourite: %v", err)
	}
}

// TestFavouriteNoLongerSold: a favourite whose service SMSOnline no longer
// sells is asked for as usual, and the refusal is told; nothing is bought.
func TestFavouriteNoLongerSold(t *testing.T) {
	h := newBuyHarness(t)
	gone := store.Favourite{TelegramUserID: alice.ID, SMSUserID: smsUser, OrderID: "555",
		Offer: store.Offer{Service: "ic", Country: "12", Carrier: "any"}, ServiceName: "ICQ", CountryName: "United States", Price: 10}
	if _, _, err := h.store.AddFavourite(context.Background(), gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	list := h.say(alice, aliceChat, "/favourites")
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, list.ReplyMarkup, "e:"))
	ask := h.lastEdit(aliceChat, list.MessageID)
	offer := en.Offer("ICQ", "United States", "any")
	if want := en.BuyAsk(offer, "555", message.Cents(13)); ask.Text != want {
		t.Errorf("confirmation = %q, want %q", ask.Text, want)
	}
	h.tap(alice, aliceChat, list.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	refused := h.lastEdit(aliceChat, list.MessageID)
	assertContains(t, refused.Text, en.BuyOutOfStock(offer))
	buttonWith(t, refused.ReplyMarkup, "B:") // Try again
	buttonWith(t, refused.ReplyMarkup, "T:") // Keep trying
	buys := h.sms.Buys(smsUser)
	if len(buys) != 1 || buys[0].Service != "ic" {
		t.Errorf("purchase requests %+v, want the one refused", buys)
	}
	if got := h.sms.Balance(smsUser); got != 1500 {
		t.Errorf("balance %d, want 1500: nothing bought", got)
	}
}

// TestFavouritesKeptAcrossLogout: /logout keeps the favourites of the
// account; /login to it shows them again, another account does not.
func TestFavouritesKeptAcrossLogout(t *testing.T) {
	h := newBuyHarness(t)
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, ownedButton("v", alice, "555"))
	f := h.favourites()[0]
	h.say(alice, aliceChat, "/logout")
	if got := h.say(alice, aliceChat, "/favourites").Text; got != en.T(message.NeedLogin) {
		t.Errorf("/favourites logged out = %q", got)
	}
	h.sms.AddAccount("999", "sk-other-account-1", 100)
	h.linkAccount(alice, "999", "sk-other-account-1", en)
	none, _ := en.FavouriteList(alice.ID, nil, store.MaxFavourites)
	if got := h.say(alice, aliceChat, "/favourites").Text; got != none {
		t.Errorf("/favourites on another account = %q, want none", got)
	}
	h.login()
	want, _ := en.FavouriteList(alice.ID, []message.Favourite{discordFavourite(f.ID, 0)}, store.MaxFavourites)
	if got := h.say(alice, aliceChat, "/favourites").Text; got != want {
		t.Errorf("/favourites back on the account = %q, want %q", got, want)
	}
}
