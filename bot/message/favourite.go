package message

import (
	"strconv"
	"strings"
)

// Texts of the favourites: /favourites, the star buttons' answers and the
// confirmation that offers the ceiling the user last confirmed.

// BuyAskKept is the confirmation of buying offer again for at most max,
// the ceiling the user last confirmed for it (a favourite's).
func (l *Lang) BuyAskKept(offer, sourceID string, max Money) string {
	return l.t("BuyAskKept", args{"Offer": offer, "Max": l.amount(max), "Order": Escape(sourceID)})
}

// FavouriteLimit says the favourites are full: max of them already.
func (l *Lang) FavouriteLimit(max int) string { return l.t("FavouriteLimit", args{"Max": max}) }

// favouriteButtonRoom is how much of a /favourites Buy button the service
// name may take, in UTF-16 units with its ellipsis: the button shares its
// row with ✖, so the label stays within half a row (see TestNativeRules).
const favouriteButtonRoom = 9

// FavouriteList is /favourites' answer: each favourite numbered with its
// last price and the ceiling the user keeps for it, and under it a row per
// favourite: buy it (its confirmation first) and ✖ remove it. max is how
// many a user may keep.
func (l *Lang) FavouriteList(owner int64, favs []Favourite, max int) (string, *Keyboard) {
	if len(favs) == 0 {
		return l.t("FavouritesNone", args{"Button": l.T(ButtonFavourite), "Max": max}), nil
	}
	lines := []string{l.t("FavouritesTitle", args{"Count": len(favs), "Max": max})}
	var rows [][]Button
	for i, f := range favs {
		n := i + 1
		var details []string
		if f.Price.Valid {
			details = append(details, l.t("FavouritePrice", args{"Price": l.amount(f.Price)}))
		}
		if f.Max.Valid {
			details = append(details, l.t("FavouriteMax", args{"Max": l.amount(f.Max)}))
		}
		a := args{"N": n, "Offer": l.Offer(f.Service, f.Country, f.Carrier)}
		if len(details) == 0 {
			lines = append(lines, l.t("FavouriteLineBare", a))
		} else {
			a["Details"] = strings.Join(details, l.t("FavouriteComma", nil))
			lines = append(lines, l.t("FavouriteLine", a))
		}
		name := Clip(f.Service)
		if name == "" {
			name = l.offerText(f.Service, f.Country, f.Carrier)
		}
		if clipped := clipUnits(name, favouriteButtonRoom-1); clipped != name {
			// "Google, …" reads better as "Google…".
			name = strings.TrimRight(strings.TrimSuffix(clipped, "…"), " ,·") + "…"
		}
		id := strconv.FormatInt(f.ID, 10)
		var bs buttons
		bs.add(l.t("ButtonFavouriteBuy", args{"N": n, "Service": name}),
			Callback{Action: ActFavouriteBuy, Owner: owner, OrderID: id})
		bs.add(l.T(ButtonFavouriteRemove), Callback{Action: ActFavouriteRemove, Owner: owner, OrderID: id})
		rows = append(rows, bs)
	}
	return strings.Join(lines, "\n") + "\n\n" + l.T(FavouritesFooter), Rows(rows...)
}
