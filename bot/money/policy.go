package money

// Money policy, in cents: how far a purchase or a top-up may go.
const (
	// MaxBuyCeiling is the highest ceiling a purchase may have: a number
	// costs cents, and a typo must not spend a balance.
	MaxBuyCeiling = 100_00
	// BuyMarginPercent is how much above the last price a purchase may cost
	// by default: prices move a little, and a user who wants a firmer limit
	// names it with /buy <orderId> <maxPrice>.
	BuyMarginPercent = 25
	// MinTopUp and MaxTopUp bound a /topup amount.
	MinTopUp = 1_00
	MaxTopUp = 1_000_00
)
