package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Favourites: the offers (service · country · carrier) a user buys often,
// one tap away. "⭐ Favourite" on an order's card or on a purchase
// confirmation adds the offer, "☆ Remove from favourites" removes it;
// /favourites lists them, each with Buy (the usual confirmation) and ✖;
// /buy lists them first. A favourite's confirmation offers the ceiling the
// user last confirmed for its offer (moneyDesk.keepCeiling: any purchase
// confirmation pressed). They are kept per Telegram user and SMSOnline
// account, across /logout.

// favouriteStore is what the favourites desk needs of the store.
type favouriteStore interface {
	AddFavourite(ctx context.Context, f store.Favourite, now time.Time) (store.Favourite, bool, error)
	Favourites(ctx context.Context, telegramUserID int64, smsUserID string) ([]store.Favourite, error)
	Favourite(ctx context.Context, telegramUserID int64, smsUserID string, id int64) (store.Favourite, error)
	RemoveFavourite(ctx context.Context, telegramUserID int64, smsUserID string, id int64) (bool, error)
	RemoveFavouriteOf(ctx context.Context, telegramUserID int64, smsUserID string, o store.Offer) (bool, error)
}

// favouriteDesk answers /favourites and the star, Buy and ✖ buttons.
type favouriteDesk struct {
	orders *orderDesk // reads orders and renders cards
	money  *moneyDesk // asks before buying
	store  favouriteStore
	log    *slog.Logger
	now    func() time.Time
}

// cmdFavourites lists the user's favourites of the linked account.
func (d *favouriteDesk) cmdFavourites(ctx context.Context, r request) (reply, error) {
	text, kb, err := d.list(ctx, r.lang, r.acct)
	return reply{text, kb}, err
}

// list is /favourites' message for acct's user.
func (d *favouriteDesk) list(ctx context.Context, l *message.Lang, acct store.Account) (string, *message.Keyboard, error) {
	favs, err := d.store.Favourites(ctx, acct.TelegramUserID, acct.SMSUserID)
	if err != nil {
		return "", nil, fmt.Errorf("list favourites: %w", err)
	}
	text, kb := l.FavouriteList(acct.TelegramUserID, view.Favourites(favs), store.MaxFavourites)
	return text, kb, nil
}

// add keeps f among the favourites. line is what to say under the message
// (the limit, when reached), toast the button's answer.
func (d *favouriteDesk) add(ctx context.Context, l *message.Lang, f store.Favourite) (line, toast string, err error) {
	_, created, err := d.store.AddFavourite(ctx, f, d.now())
	switch {
	case errors.Is(err, store.ErrFavouriteLimit):
		return l.FavouriteLimit(store.MaxFavourites), l.T(message.ToastNotDone), nil
	case err != nil:
		return "", "", fmt.Errorf("add favourite: %w", err)
	}
	if created {
		d.log.Info("favourite added", "user", f.TelegramUserID, "service", f.Service, "country", f.Country, "carrier", f.Carrier)
	}
	return "", l.T(message.ToastFavouriteAdded), nil
}

// pressCardAdd is "⭐ Favourite" on a card: the order's offer is kept, and
// the card shown again says so.
func (d *favouriteDesk) pressCardAdd(ctx context.Context, p press) (answer, error) {
	o, err := d.orders.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return d.orders.failed(p.lang, err, p.c.OrderID), nil
	}
	if !canBuyAgain(o) {
		return d.orders.withCard(ctx, p, o, p.lang.T(message.BuyUnknownOffer), p.lang.T(message.ToastNotDone)), nil
	}
	line, toast, err := d.add(ctx, p.lang, favouriteOfOrder(p.acct, o))
	if err != nil {
		return answer{}, err
	}
	return d.cardWith(ctx, p, o, line, toast), nil
}

// pressCardRemove is "☆ Remove from favourites" on a card.
func (d *favouriteDesk) pressCardRemove(ctx context.Context, p press) (answer, error) {
	o, err := d.orders.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return d.orders.failed(p.lang, err, p.c.OrderID), nil
	}
	if _, err := d.store.RemoveFavouriteOf(ctx, p.owner(), p.acct.SMSUserID, offerOf(o)); err != nil {
		return answer{}, fmt.Errorf("remove favourite of %s: %w", o.ID, err)
	}
	return d.cardWith(ctx, p, o, "", p.lang.T(message.ToastFavouriteRemoved)), nil
}

// cardWith is order o's card shown again, with line under it when not "".
func (d *favouriteDesk) cardWith(ctx context.Context, p press, o smsapi.Order, line, toast string) answer {
	if line != "" {
		return d.orders.withCard(ctx, p, o, line, toast)
	}
	text, kb := d.orders.renderOrder(ctx, p.lang, p.acct, p.private, o, followNone)
	return answer{text, kb, toast}
}

// pressOfferAdd is "⭐ Favourite" on a purchase confirmation: its offer is
// kept, and the same confirmation (its nonce and ceiling) shown again says
// so.
func (d *favouriteDesk) pressOfferAdd(ctx context.Context, p press) (answer, error) {
	a := p.conf
	if !asking(a) {
		return answer{toast: p.lang.T(message.ConfirmationUsed)}, nil
	}
	line, toast, err := d.add(ctx, p.lang, favouriteOfAction(p.acct, a))
	if err != nil {
		return answer{}, err
	}
	return d.question(ctx, p, a, line, toast), nil
}

// pressOfferRemove is "☆ Remove from favourites" on a purchase
// confirmation.
func (d *favouriteDesk) pressOfferRemove(ctx context.Context, p press) (answer, error) {
	a := p.conf
	if !asking(a) {
		return answer{toast: p.lang.T(message.ConfirmationUsed)}, nil
	}
	if _, err := d.store.RemoveFavouriteOf(ctx, p.owner(), p.acct.SMSUserID, money.OfferOf(a)); err != nil {
		return answer{}, fmt.Errorf("remove favourite of action %d: %w", a.ID, err)
	}
	return d.question(ctx, p, a, "", p.lang.T(message.ToastFavouriteRemoved)), nil
}

// asking reports whether a is a purchase confirmation still on the screen
// that names its source order: the confirmations that carry a star button.
func asking(a store.Action) bool {
	return a.Kind == store.ActionBuy && a.State == store.ActionOffered && a.SourceOrderID != "" && a.ReplaceOrder == ""
}

// question is confirmation a shown again, with line under it when not "".
func (d *favouriteDesk) question(ctx context.Context, p press, a store.Action, line, toast string) answer {
	fav, isFav := d.orders.favouriteOf(ctx, p.acct, money.OfferOf(a))
	ans := d.money.buyQuestion(ctx, p.lang, p.acct, a, fav, isFav)
	if line != "" {
		ans.text += "\n\n" + line
	}
	ans.toast = toast
	return ans
}

// pressBuy is Buy on a favourite of /favourites or /buy: the usual
// confirmation, for at most the ceiling last confirmed for its offer (else
// the last price plus the margin). Only the presser's own favourite, on the
// linked account, is found.
func (d *favouriteDesk) pressBuy(ctx context.Context, p press) (answer, error) {
	l := p.lang
	f, found, err := d.favourite(ctx, p)
	if err != nil || !found {
		return answer{toast: l.T(message.ToastFavouriteGone)}, err
	}
	max := smsapi.Cents(f.MaxPrice)
	if f.MaxPrice <= 0 {
		if max = defaultCeiling(smsapi.Cents(f.Price)); !max.Valid {
			return answer{l.BuyNoPrice(f.OrderID), nil, ""}, nil
		}
	}
	a, err := d.money.money.Offer(ctx, money.BuyFavouriteOf(f, max))
	if err != nil {
		return answer{}, fmt.Errorf("offer purchase of favourite %d: %w", f.ID, err)
	}
	return d.money.buyQuestion(ctx, l, p.acct, a, f, true), nil
}

// pressRemove is ✖ on /favourites: the favourite goes, and the list shown
// again says so.
func (d *favouriteDesk) pressRemove(ctx context.Context, p press) (answer, error) {
	id, ok := favouriteID(p.c.OrderID)
	if ok {
		if _, err := d.store.RemoveFavourite(ctx, p.owner(), p.acct.SMSUserID, id); err != nil {
			return answer{}, fmt.Errorf("remove favourite %d: %w", id, err)
		}
	}
	text, kb, err := d.list(ctx, p.lang, p.acct)
	if err != nil {
		return answer{}, err
	}
	return answer{text, kb, p.lang.T(message.ToastFavouriteRemoved)}, nil
}

// favourite is the presser's favourite the button names, on their linked
// account; found is false when there is none (removed, or not theirs).
func (d *favouriteDesk) favourite(ctx context.Context, p press) (f store.Favourite, found bool, err error) {
	id, ok := favouriteID(p.c.OrderID)
	if !ok {
		return store.Favourite{}, false, nil
	}
	f, err = d.store.Favourite(ctx, p.owner(), p.acct.SMSUserID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Favourite{}, false, nil
	case err != nil:
		return store.Favourite{}, false, fmt.Errorf("load favourite %d: %w", id, err)
	}
	return f, true, nil
}

// favouriteID reads the favourite id a button names.
func favouriteID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// favouriteOfOrder is the favourite of the offer order o bought, on acct.
func favouriteOfOrder(acct store.Account, o smsapi.Order) store.Favourite {
	return store.Favourite{
		TelegramUserID: acct.TelegramUserID, SMSUserID: acct.SMSUserID, Offer: offerOf(o),
		ServiceName: message.Clip(cmp.Or(o.Service, o.ServiceCode)), CountryName: message.Clip(cmp.Or(o.Country, o.CountryCode)),
		OrderID: o.ID, Price: max(o.Price.Cents, 0),
	}
}

// favouriteOfAction is the favourite of the offer purchase a buys, on acct.
func favouriteOfAction(acct store.Account, a store.Action) store.Favourite {
	return store.Favourite{
		TelegramUserID: acct.TelegramUserID, SMSUserID: acct.SMSUserID, Offer: money.OfferOf(a),
		ServiceName: a.ServiceName, CountryName: a.CountryName, OrderID: a.SourceOrderID, Price: a.Price,
	}
}

// favouriteOf is the user's favourite of offer o on acct, when it is one.
func (d *orderDesk) favouriteOf(ctx context.Context, acct store.Account, o store.Offer) (store.Favourite, bool) {
	f, err := d.store.FavouriteOf(ctx, acct.TelegramUserID, acct.SMSUserID, o)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			d.log.Warn("can't load favourite", "user", acct.TelegramUserID, "err", err)
		}
		return store.Favourite{}, false
	}
	return f, true
}

// withFavourite is shown, the card of order o, with whether o's offer is
// one of the user's favourites: its star button says which.
func (d *orderDesk) withFavourite(ctx context.Context, acct store.Account, o smsapi.Order, shown message.Order) message.Order {
	if canBuyAgain(o) {
		_, shown.Favourite = d.favouriteOf(ctx, acct, offerOf(o))
	}
	return shown
}
