package message

import (
	"strconv"
	"strings"
	"time"
)

// The scenes below are every text of the bot as a user meets it, with the
// values a real account shows: TestRenderAll writes them to
// testdata/rendered/<tag>.txt and the rules of native_test.go read them.

// scene is one text as a user meets it: a message (HTML) with the buttons
// under it, or a plain text (a toast, the command menu).
type scene struct {
	name  string
	text  string
	plain bool      // text is plain text, not HTML
	kb    *Keyboard // the buttons under the message; nil for none
}

// renderNow is the fixed clock of the rendered texts.
var renderNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// The values the scenes put where SMSOnline's or a user's words go. The
// rules of native_test.go skip them: their punctuation and words are not
// the catalogue's.
const (
	sceneOwner     = 1001
	sceneNonce     = "AbCdEfGhIjKl"
	sceneOrder     = "20046875"
	sceneOrder2    = "20046876"
	sceneOrder3    = "20046877"
	sceneAccount   = "u482913"
	scenePhone     = "14155550123"
	scenePhone2    = "447700900123"
	sceneService   = "WhatsApp"
	sceneService2  = "Telegram"
	sceneLongName  = "Google, YouTube, Gmail and other Google services"
	sceneCountry   = "United States"
	sceneCountry2  = "United Kingdom"
	sceneCarrier   = "T-Mobile"
	sceneSMSCode   = "Your WhatsApp code: 123-456. Don't share this code with others."
	sceneSMSNoCode = "Welcome to Telegram! Tap the link to finish signing up."
	scenePayURL    = "https://pay.smsonline.example/invoice/5f2c"
)

// sceneValues lists the values above (and the words SMSOnline sends) as
// they appear in a text.
var sceneValues = []string{
	sceneLongName, sceneSMSCode, sceneSMSNoCode, sceneAccount, scenePhone, scenePhone2,
	sceneService, sceneService2, sceneCountry, sceneCountry2, sceneCarrier,
	sceneOrder, sceneOrder2, sceneOrder3, "123456", "SAVE10", "WELCOME5", "crypto",
	"completed", "processing", "-10%", "-15%", "-20%",
}

// sceneCommands mirrors the bot's command table (bot/handlers.go).
var sceneCommands = []Command{
	{Name: "start"},
	{Name: "order", Menu: CommandOrder},
	{Name: "orders", Menu: CommandOrders, Help: HelpOrders},
	{Name: "stop", Args: "<orderId>", Menu: CommandStop, Help: HelpStop},
	{Name: "buy", Menu: CommandBuy, Help: HelpBuy},
	{Name: "favourites", Menu: CommandFavourites, Help: HelpFavourites},
	{Name: "balance", Menu: CommandBalance, Help: HelpBalance},
	{Name: "history", Menu: CommandHistory, Help: HelpHistory},
	{Name: "topup", Args: "<dollars>", Menu: CommandTopUp, Help: HelpTopUp},
	{Name: "settings", Menu: CommandSettings, Help: HelpSettings},
	{Name: "language", Menu: CommandLanguage, Help: HelpLanguage},
	{Name: "login", Menu: CommandLogin},
	{Name: "logout", Menu: CommandLogout, Help: HelpLogout},
	{Name: "help", Menu: CommandHelp, Help: HelpHelp},
}

type scenes []scene

func (s *scenes) add(name, text string, kb *Keyboard) {
	*s = append(*s, scene{name: name, text: text, kb: kb})
}

func (s *scenes) plain(name, text string) {
	*s = append(*s, scene{name: name, text: text, plain: true})
}

// renderScenes renders every scene in l, in a fixed order.
func renderScenes(l *Lang) []scene {
	var s scenes
	cardScenes(l, &s)
	pushScenes(l, &s)
	orderListScenes(l, &s)
	moneyScenes(l, &s)
	accountScenes(l, &s)
	replyScenes(l, &s)
	ruleScenes(l, &s)
	batchScenes(l, &s)
	settingsScenes(l, &s)
	favouriteScenes(l, &s)
	historyScenes(l, &s)
	adminScenes(l, &s)
	return s
}

// sceneOrders are the cards' orders: one that waits for its SMS, and its
// variations by name.
func sceneOrders() map[string]Order {
	waiting := Order{
		ID: sceneOrder, Service: sceneService, Country: sceneCountry, Carrier: "any", PhoneNumber: scenePhone,
		Price: Cents(16), Status: "pending", State: StateWaiting, ExpiresAt: renderNow.Add(14*time.Minute + 20*time.Second),
	}
	with := func(edit func(*Order)) Order { o := waiting; edit(&o); return o }
	return map[string]Order{
		"Waiting":        waiting,
		"WaitingCarrier": with(func(o *Order) { o.Carrier = sceneCarrier }),
		"WaitingNoPrice": with(func(o *Order) { o.Price = Money{} }),
		"WaitingTimeUp":  with(func(o *Order) { o.ExpiresAt = renderNow.Add(-time.Minute) }),
		"UnknownStatus":  with(func(o *Order) { o.Status = "processing" }),
		"LongService":    with(func(o *Order) { o.Service, o.Price = sceneLongName, Cents(1516) }),
		"SMSCode":        with(func(o *Order) { o.Status, o.State, o.SMS = "completed", StateReceived, "123456" }),
		"SMSText":        with(func(o *Order) { o.Status, o.State, o.SMS = "completed", StateReceived, sceneSMSCode }),
		"SMSNoCode":      with(func(o *Order) { o.Status, o.State, o.SMS = "completed", StateReceived, sceneSMSNoCode }),
		"Expired":        with(func(o *Order) { o.Status, o.State = "expired", StateFinal }),
		"Cancelled":      with(func(o *Order) { o.Status, o.State = "cancelled", StateFinal }),
		"Refunded":       with(func(o *Order) { o.Status, o.State = "refunded", StateFinal }),
		"Canceled":       with(func(o *Order) { o.Status, o.State = "Canceled", StateFinal }),
	}
}

// cardScenes: the order card in each state, with the buttons its owner
// sees, as bot/orders.go and bot/actions.go put it together: a watched
// order's card says where its code goes.
func cardScenes(l *Lang, s *scenes) {
	orders := sceneOrders()
	for _, c := range []struct {
		name          string
		open, watched bool
	}{
		{"Waiting", true, false}, {"WaitingCarrier", true, true}, {"WaitingNoPrice", true, false},
		{"WaitingTimeUp", false, false}, {"UnknownStatus", true, true}, {"LongService", true, true},
		{"SMSCode", true, true}, {"SMSText", true, false}, {"SMSNoCode", true, true},
		{"Expired", false, false}, {"Cancelled", false, false}, {"Refunded", false, false}, {"Canceled", false, false},
	} {
		o := orders[c.name]
		text := l.Card(o, renderNow)
		if c.watched {
			text += "\n\n" + l.WatchingFor(o.HasSMS(), true)
		}
		s.add("Card/"+c.name, text, l.CardKeyboard(o, sceneOwner, o.ID, c.open, c.watched))
	}
	o, got := orders["Waiting"], orders["SMSCode"]
	s.add("Card/InGroup", l.Card(o, renderNow)+"\n\n"+l.WatchingFor(false, false), l.CardKeyboard(o, sceneOwner, o.ID, true, true))
	hidden := got
	hidden.SMS = ""
	s.add("Card/InGroupSMS", l.Card(hidden, renderNow)+"\n\n"+l.T(SentPrivately)+"\n\n"+l.WatchingFor(true, false),
		l.CardKeyboard(got, sceneOwner, o.ID, true, true))
	s.add("Card/InGroupSMSFailed", l.Card(hidden, renderNow)+"\n\n"+l.PushPrivatelyFailed(o.ID), l.CardKeyboard(got, sceneOwner, o.ID, true, false))
	s.add("Card/Bought", l.Bought(orders["WaitingCarrier"], renderNow, true), l.CardKeyboard(orders["WaitingCarrier"], sceneOwner, o.ID, true, true))
	s.add("Card/BoughtInGroup", l.Bought(orders["WaitingCarrier"], renderNow, false), l.CardKeyboard(orders["WaitingCarrier"], sceneOwner, o.ID, true, true))
	s.add("Card/WatchLimit", l.Card(o, renderNow)+"\n\n"+l.WatchLimit(50), l.CardKeyboard(o, sceneOwner, o.ID, true, false))
	s.add("Card/WatchFailed", l.Card(o, renderNow)+"\n\n"+l.T(WatchFailed), l.CardKeyboard(o, sceneOwner, o.ID, true, false))
	s.add("Card/AnotherSMSAsked", l.Card(hidden, renderNow)+"\n\n"+l.AnotherSMSAsked(o.ID, true), l.CardKeyboard(got, sceneOwner, o.ID, true, true))
	s.add("Card/AnotherSMSAskedInGroup", l.Card(hidden, renderNow)+"\n\n"+l.AnotherSMSAsked(o.ID, false), l.CardKeyboard(got, sceneOwner, o.ID, true, true))
	s.add("Card/AnotherSMSAlready", l.Card(hidden, renderNow)+"\n\n"+l.AnotherSMSAlready(o.ID), l.CardKeyboard(got, sceneOwner, o.ID, true, true))
}

// pushScenes: the code pushed into the chat, alone and joined with others
// as the sender joins them (bot/deliver), and the notices about watches.
func pushScenes(l *Lang, s *scenes) {
	w := Watch{OrderID: sceneOrder, Owner: sceneOwner, Service: sceneService, PhoneNumber: scenePhone,
		ExpiresAt: renderNow.Add(time.Hour + 5*time.Minute)}
	o := Order{ID: sceneOrder, Service: sceneService, PhoneNumber: scenePhone, State: StateReceived, Status: "completed",
		SMS: sceneSMSCode, ExpiresAt: w.ExpiresAt}
	text, kb := l.Push(w, o, renderNow)
	s.add("Push/One", text, kb)
	bare := o
	bare.SMS = "123456"
	text, kb = l.Push(w, bare, renderNow)
	s.add("Push/BareCode", text, kb)
	w2 := Watch{OrderID: sceneOrder2, Owner: sceneOwner, Service: sceneService2, PhoneNumber: scenePhone2,
		ExpiresAt: renderNow.Add(3 * time.Minute)}
	o2 := Order{ID: sceneOrder2, Service: sceneService2, PhoneNumber: scenePhone2, State: StateReceived, SMS: sceneSMSNoCode}
	text2, kb2 := l.Push(w2, o2, renderNow)
	s.add("Push/NoCode", text2, kb2)
	text3, kb3 := l.Push(Watch{OrderID: sceneOrder3, Owner: sceneOwner}, Order{ID: sceneOrder3, SMS: "4821"}, renderNow)
	s.add("Push/Joined", text+"\n\n"+text2+"\n\n"+text3, joinedKeyboard(
		[]*Keyboard{kb, kb2, kb3}, []string{sceneOrder, sceneOrder2, sceneOrder3}))

	s.add("Push/OrderExpired", l.OrderExpired(sceneOrder, sceneService), nil)
	s.add("Push/OrderExpiredUnnamed", l.OrderExpired(sceneOrder, ""), nil)
	s.add("Push/OrderCancelled", l.OrderEnded(sceneOrder, sceneService, "cancelled"), nil)
	s.add("Push/OrderRefunded", l.OrderEnded(sceneOrder, sceneService, "refunded"), nil)
	s.add("Push/OrderCanceledUnnamed", l.OrderEnded(sceneOrder, "", "canceled"), nil)
	s.add("Push/OrderExpiredByStatus", l.OrderEnded(sceneOrder, sceneLongName, "expired"), nil)
	s.add("Push/WatchedOrderGone", l.WatchedOrderGone(sceneOrder), nil)
	s.add("Push/WatchGaveUp", l.WatchGaveUp(sceneOrder), nil)
	s.add("Push/WatchesPaused", l.T(WatchesPaused), nil)
	s.add("Push/BalanceArrived", l.BalanceArrived(Cents(1000_00), Cents(1015_16)), nil)
	s.add("Push/BalanceArrivedSmall", l.BalanceArrived(Cents(500), Cents(516)), nil)
}

// joinedKeyboard is what bot/deliver makes of the keyboards of pushes it
// joins: for each push a row naming its order (OrderButton), then its rows.
func joinedKeyboard(kbs []*Keyboard, orderIDs []string) *Keyboard {
	var rows [][]Button
	for i, kb := range kbs {
		if kb == nil {
			continue
		}
		rows = append(rows, []Button{OrderButton(orderIDs[i])})
		rows = append(rows, kb.InlineKeyboard...)
	}
	return Rows(rows...)
}

// orderListScenes: /orders, empty, with one order, with several in every
// state, and the end of a list too long for one message.
func orderListScenes(l *Lang, s *scenes) {
	s.add("Orders/None", l.WatchList(nil, renderNow), nil)
	one := Watch{OrderID: sceneOrder, Owner: sceneOwner, Service: sceneService, Status: "pending",
		ExpiresAt: renderNow.Add(14*time.Minute + 20*time.Second)}
	s.add("Orders/One", l.WatchList([]Watch{one}, renderNow), nil)
	several := []Watch{
		one,
		{OrderID: sceneOrder2, Service: sceneService2, Status: "processing", ExpiresAt: renderNow.Add(90 * time.Second)},
		{OrderID: sceneOrder3, Service: sceneLongName, Paused: true},
		{OrderID: "20046878", Service: sceneService, Status: "completed", State: StateReceived, ExpiresAt: renderNow.Add(-time.Minute)},
		{OrderID: "20046879", Status: "expired", State: StateFinal, ExpiresAt: renderNow.Add(-time.Hour)},
		{OrderID: "20046881", Service: sceneService, Status: "completed", State: StateReceived, ExpiresAt: renderNow.Add(9 * time.Minute)},
		{OrderID: "20046880", ExpiresAt: renderNow.Add(time.Hour + 5*time.Minute)},
	}
	s.add("Orders/Several", l.WatchList(several, renderNow), nil)
	many := make([]Watch, 120)
	for i := range many {
		many[i] = Watch{OrderID: sceneOrder, Service: sceneService, Status: "pending", ExpiresAt: renderNow.Add(3 * time.Second)}
	}
	full := strings.Split(l.WatchList(many, renderNow), "\n")
	s.add("Orders/TooManyEnd", "…\n"+strings.Join(full[len(full)-4:], "\n"), nil)
	for _, n := range scenePlurals {
		s.add("Orders/Title/"+strconv.Itoa(n), l.n("WatchListTitle", n, nil), nil)
	}
}

// scenePlurals are counts that take each plural form of the languages.
var scenePlurals = []int{1, 2, 5, 11, 21}
