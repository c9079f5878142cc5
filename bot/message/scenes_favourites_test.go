package message

// sceneMaxFavourites is how many favourites a user keeps (store/favourite.go).
const sceneMaxFavourites = 20

// favouriteScenes: the star button on a card and on a purchase
// confirmation, a confirmation with the ceiling last confirmed, /buy with
// favourites first, /favourites empty and full of offers, the limit and
// the toasts (bot/favourites.go, bot/confirm.go, bot/shop.go).
func favouriteScenes(l *Lang, s *scenes) {
	orders := sceneOrders()
	fav := func(o Order) Order { o.Favourite = true; return o }
	for _, c := range []struct {
		name string
		open bool
	}{{"Waiting", true}, {"SMSCode", true}, {"Expired", false}} {
		o := fav(orders[c.name])
		s.add("Favourites/Card/"+c.name, l.Card(o, renderNow), l.CardKeyboard(o, sceneOwner, o.ID, c.open, false))
	}
	expired := orders["Expired"]
	s.add("Favourites/CardLimit", l.Card(expired, renderNow)+"\n\n"+l.FavouriteLimit(sceneMaxFavourites),
		l.CardKeyboard(expired, sceneOwner, expired.ID, false, false))

	offer := l.OfferOf(orders["Waiting"])
	s.add("Favourites/Ask", l.BuyAsk(offer, sceneOrder, Cents(20)), l.BuyAskKeyboard(sceneOwner, sceneOrder, sceneNonce, false, 1))
	s.add("Favourites/AskKept", l.BuyAskKept(offer, sceneOrder, Cents(33)), l.BuyAskKeyboard(sceneOwner, sceneOrder, sceneNonce, true, 1))
	s.add("Favourites/AskKeptLowBalance", l.BuyAskKept(l.OfferOf(orders["LongService"]), sceneOrder, Cents(1900))+"\n\n"+
		l.LowBalance(Cents(5), Cents(1516)), l.BuyAskKeyboard(sceneOwner, sceneOrder, sceneNonce, true, 1))
	s.add("Favourites/AskLimit", l.BuyAsk(offer, sceneOrder, Cents(20))+"\n\n"+l.FavouriteLimit(sceneMaxFavourites),
		l.BuyAskKeyboard(sceneOwner, sceneOrder, sceneNonce, false, 1))

	list, listKB := l.BuyList(sceneOwner, []BuyEntry{
		{OrderID: sceneOrder, Service: sceneService, Country: sceneCountry, Carrier: "any", Price: Cents(16), Favourite: 7},
		{OrderID: sceneOrder3, Service: sceneLongName, Country: sceneCountry2, Carrier: sceneCarrier, Price: Cents(1516), Favourite: 12},
		{OrderID: sceneOrder2, Service: sceneService2, Country: sceneCountry2, Carrier: sceneCarrier, Price: Cents(105)},
	})
	s.add("Favourites/BuyList", list, listKB)

	none, _ := l.FavouriteList(sceneOwner, nil, sceneMaxFavourites)
	s.add("Favourites/None", none, nil)
	favs := []Favourite{
		{ID: 7, Service: sceneService, Country: sceneCountry, Carrier: "any", Price: Cents(16), Max: Cents(33)},
		{ID: 9, Service: sceneService2, Country: sceneCountry2, Carrier: sceneCarrier, Price: Cents(105)},
		{ID: 12, Service: sceneLongName, Country: sceneCountry, Carrier: "any", Price: Cents(1516), Max: Cents(1900)},
		{ID: 13, Carrier: "any"},
	}
	for len(favs) < sceneMaxFavourites {
		favs = append(favs, Favourite{ID: int64(len(favs) + 20), Service: sceneService, Country: sceneCountry2, Carrier: "any", Price: Cents(40)})
	}
	text, kb := l.FavouriteList(sceneOwner, favs[:4], sceneMaxFavourites)
	s.add("Favourites/List", text, kb)
	text, kb = l.FavouriteList(sceneOwner, favs, sceneMaxFavourites)
	s.add("Favourites/Full", text, kb)

	for _, id := range []Text{ToastFavouriteAdded, ToastFavouriteRemoved, ToastFavouriteGone} {
		s.plain("Toast/"+string(id), l.T(id))
	}
}
