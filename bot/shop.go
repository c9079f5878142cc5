package bot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// shopStore is what the shop desk needs of the store.
type shopStore interface {
	accountReader
	WatchBalance(ctx context.Context, bw store.BalanceWatch, now time.Time) error
	Favourites(ctx context.Context, telegramUserID int64, smsUserID string) ([]store.Favourite, error)
	SeenFavourite(ctx context.Context, telegramUserID, id int64, orderID string, price int64) error
}

// shopAPI is what the shop desk asks SMSOnline.
type shopAPI interface {
	balanceReader
	Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error)
	Invoice(ctx context.Context, cred smsapi.Credentials, m smsapi.PayMethod, amount smsapi.Money, coupon string) (string, error)
	Coupons(ctx context.Context, cred smsapi.Credentials) ([]smsapi.Coupon, error)
}

// shopDesk answers /buy (the account's own catalogue, or a confirmation
// through the money desk) and /topup.
type shopDesk struct {
	money        *moneyDesk
	store        shopStore
	api          shopAPI
	balanceEvery time.Duration // between reads of a balance watched after /topup
	log          *slog.Logger
	now          func() time.Time
}

// catalogueReadLimit is how many expired numbers /buy reads besides the
// active ones: enough history to list what a user rents.
const catalogueReadLimit = 100

// maxCatalogue bounds /buy's list besides the favourites: one button per
// line.
const maxCatalogue = 10

// cmdBuy buys the same number as before: /buy lists the favourites, then
// what the account rented (its own catalogue, from its inventory),
// /buy <orderId> [<maxPrice>] asks to buy the same as that order again.
func (d *shopDesk) cmdBuy(ctx context.Context, r request) (reply, error) {
	l, args := r.lang, r.cmd.Args
	if len(args) > 3 {
		return textReply(l.T(message.BuyUsage)), nil
	}
	count := 1
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 || n > message.MaxQuantity || strconv.Itoa(n) != args[2] {
			return textReply(l.T(message.BuyUsage)), nil
		}
		count = n
	}
	var max smsapi.Money
	if len(args) > 0 && smsapi.ValidateOrderID(args[0]) != nil {
		return textReply(l.T(message.BadOrderID)), nil
	}
	if len(args) >= 2 {
		m, err := smsapi.ParseDollars(args[1])
		if err != nil || m.Cents <= 0 || m.Cents > money.MaxBuyCeiling {
			return textReply(l.BadMaxPrice(message.Cents(money.MaxBuyCeiling))), nil
		}
		max = m
	}
	acct, refusal := linkedAccount(ctx, d.store, d.log, r)
	if refusal != "" {
		return textReply(refusal), nil
	}
	if len(args) == 0 {
		orders, err := d.api.Inventory(ctx, account.Credentials(acct), catalogueReadLimit)
		if err != nil {
			return textReply(apiErrorText(d.log, l, err, "")), nil
		}
		favs, err := d.store.Favourites(ctx, r.user, acct.SMSUserID)
		if err != nil {
			return reply{}, fmt.Errorf("list favourites for /buy: %w", err)
		}
		entries, seen := catalogue(orders, favs)
		for _, f := range seen {
			if err := d.store.SeenFavourite(ctx, r.user, f.ID, f.OrderID, f.Price); err != nil {
				d.log.Warn("can't record a favourite's newest order", "user", r.user, "err", err)
			}
		}
		text, kb := l.BuyList(r.user, entries)
		return reply{text, kb}, nil
	}
	a, err := d.money.buyAsk(ctx, l, acct, args[0], max, count)
	return reply{a.text, a.kb}, err
}

// catalogue is /buy's list: the favourites first, in the order they were
// added, each with its newest order and price when the inventory shows one;
// then what the account rented before that is no favourite: each service ·
// country · carrier once, from its newest order, newest first. seen are the
// favourites whose newest order or price changed, as they are now.
func catalogue(orders []smsapi.Order, favs []store.Favourite) (entries []message.BuyEntry, seen []store.Favourite) {
	orders = slices.Clone(orders)
	slices.SortStableFunc(orders, func(a, b smsapi.Order) int { return b.OrderedAt.Compare(a.OrderedAt) })
	type offer struct{ service, country, carrier string }
	key := func(o store.Offer) offer { return offer{o.Service, o.Country, strings.ToLower(o.Carrier)} }
	newest := make(map[offer]smsapi.Order)
	var offers []offer // newest first
	for _, o := range orders {
		k := key(offerOf(o))
		if _, dup := newest[k]; dup || !canBuyAgain(o) || smsapi.ValidateOrderID(o.ID) != nil {
			continue
		}
		newest[k] = o
		offers = append(offers, k)
	}
	favourite := make(map[offer]bool)
	for _, f := range favs {
		favourite[key(f.Offer)] = true
		e := message.BuyEntry{Favourite: f.ID, OrderID: f.OrderID, Service: f.ServiceName, Country: f.CountryName,
			Carrier: f.Carrier, Price: view.Cents(f.Price)}
		if o, ok := newest[key(f.Offer)]; ok {
			price := f.Price // an unreadable price keeps the last one known
			if o.Price.Valid {
				price = max(o.Price.Cents, 0)
			}
			e.OrderID, e.Price = o.ID, view.Cents(price)
			if o.ID != f.OrderID || price != f.Price {
				f.OrderID, f.Price = o.ID, price
				seen = append(seen, f)
			}
		}
		entries = append(entries, e)
	}
	n := 0
	for _, k := range offers {
		if favourite[k] {
			continue
		}
		o := newest[k]
		entries = append(entries, message.BuyEntry{
			OrderID: o.ID, Service: cmp.Or(o.Service, o.ServiceCode), Country: cmp.Or(o.Country, o.CountryCode),
			Carrier: o.Carrier, Price: view.Money(o.Price),
		})
		if n++; n == maxCatalogue {
			break
		}
	}
	return entries, seen
}

// cmdTopUp makes payment links: /topup <dollars> [<coupon>]. After a link
// is made, the balance is watched for the invoice's lifetime and the user
// told once the money arrived.
func (d *shopDesk) cmdTopUp(ctx context.Context, r request) (reply, error) {
	l, args := r.lang, r.cmd.Args
	if len(args) == 0 || len(args) > 2 {
		return textReply(l.T(message.TopUpUsage)), nil
	}
	amount, err := smsapi.ParseDollars(args[0])
	if err != nil || amount.Cents < money.MinTopUp || amount.Cents > money.MaxTopUp {
		return textReply(l.T(message.TopUpBadAmount)), nil
	}
	coupon := ""
	if len(args) == 2 {
		if coupon = args[1]; !isCouponCode(coupon) {
			return textReply(l.T(message.BadCoupon)), nil
		}
	}
	acct, refusal := linkedAccount(ctx, d.store, d.log, r)
	if refusal != "" {
		return textReply(refusal), nil
	}
	cred := account.Credentials(acct)
	// The balance before paying is what the arrival is measured from.
	bal, balErr := d.api.Balance(ctx, cred)
	var row []message.Button
	var firstErr error
	for _, m := range []struct {
		method smsapi.PayMethod
		label  string
		coupon string
	}{
		{smsapi.PayCrypto, l.T(message.ButtonPayCrypto), coupon},
		{smsapi.PayCard, l.T(message.ButtonPayCard), ""}, // coupons are for crypto payments
	} {
		url, err := d.api.Invoice(ctx, cred, m.method, amount, m.coupon)
		if err != nil {
			d.log.Warn("can't make payment link", "user", r.user, "method", m.method, "err", err)
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		row = append(row, message.URLButton(m.label, url))
	}
	if len(row) == 0 {
		return textReply(l.TopUpFailed(apiErrorText(d.log, l, firstErr, ""))), nil
	}
	now := d.now()
	watching := false
	if balErr == nil && bal.Amount.Valid {
		err := d.store.WatchBalance(ctx, store.BalanceWatch{
			TelegramUserID: r.user, ChatID: privateChat(r.user), Baseline: bal.Amount.Cents, Amount: amount.Cents,
			Until: now.Add(smsapi.InvoiceLifetime), NextCheckAt: now.Add(d.balanceEvery),
		}, now)
		if watching = err == nil; !watching {
			d.log.Error("can't watch balance", "user", r.user, "err", err)
		}
	}
	var usable []smsapi.Coupon
	if coupon == "" {
		if coupons, err := d.api.Coupons(ctx, cred); err == nil {
			for _, c := range coupons {
				if c.Usable(now) && isCouponCode(c.Code) {
					usable = append(usable, c)
				}
			}
		}
	}
	d.log.Info("payment links made", "user", r.user, "cents", amount.Cents, "links", len(row))
	return reply{l.TopUp(view.Money(amount), smsapi.InvoiceLifetime, coupon, watching, view.Coupons(usable)), message.Rows(row)}, nil
}

// isCouponCode reports whether s can be a coupon code: what an id may be.
func isCouponCode(s string) bool { return smsapi.ValidateOrderID(s) == nil }
