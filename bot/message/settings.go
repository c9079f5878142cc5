package message

import (
	"strconv"
	"strings"
	"time"
)

// The rule for numbers that get no SMS, as /settings shows it and its
// buttons carry it. Its limits are the store's: the caller hands them over
// (bot/internal/view), so they are written in one place.

// SettingsKind is what the rule does with a number that got no SMS in time.
type SettingsKind string

// The kinds of rule, as /settings and its buttons name them.
const (
	SettingsOff    SettingsKind = "off"
	SettingsRefund SettingsKind = "refund"
	SettingsRetry  SettingsKind = "retry"
)

// Settings is a user's rule for numbers that get no SMS.
type Settings struct {
	Kind    SettingsKind
	Minutes int   // refund, retry: minutes from the order to the step
	Numbers int   // retry: at most this many numbers in all, the first included
	Spend   Money // retry: at most this much for the replacements together
}

// SettingsLimits are the bounds of a rule, as /settings explains them.
type SettingsLimits struct {
	MinMinutes, MaxMinutes int
	MinNumbers, MaxNumbers int
	MaxSpend               Money
}

// SettingsShow is /settings' answer above its buttons: the user's rule in
// words, what it acts on, and the commands that change it.
func (l *Lang) SettingsShow(s Settings, lim SettingsLimits) string {
	return l.t("SettingsShow", args{"Rule": l.settingsRule(s), "Forms": l.settingsForms(lim)})
}

// SettingsUsage answers a /settings the bot cannot use: exactly what it
// takes.
func (l *Lang) SettingsUsage(lim SettingsLimits) string {
	return l.t("SettingsUsage", args{"Forms": l.settingsForms(lim)})
}

// SettingsSaved confirms a rule saved, restating it.
func (l *Lang) SettingsSaved(s Settings) string {
	return l.t("SettingsSaved", args{"Rule": l.settingsRule(s)})
}

// settingsRule says in words what the rule does.
func (l *Lang) settingsRule(s Settings) string {
	switch s.Kind {
	case SettingsRefund:
		return l.t("SettingsNowRefund", args{"Time": l.Duration(minutes(s.Minutes))})
	case SettingsRetry:
		return l.t("SettingsNowRetry", args{"Time": l.Duration(minutes(s.Minutes)), "Numbers": s.Numbers, "Spend": l.Money(s.Spend)})
	}
	return l.t("SettingsNowOff", nil)
}

// settingsForms lists the forms of /settings with their limits.
func (l *Lang) settingsForms(lim SettingsLimits) string {
	return l.t("SettingsForms", args{
		"MinMinutes": lim.MinMinutes, "MaxMinutes": lim.MaxMinutes,
		"MinNumbers": lim.MinNumbers, "MaxNumbers": lim.MaxNumbers, "MaxSpend": l.Money(lim.MaxSpend),
	})
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

// settingsPrefix starts the callback data of a /settings button:
// "rule:off", "rule:refund:5", "rule:retry:5:3:100" (the spend in cents).
const settingsPrefix = "rule:"

// data is the callback data of a button that sets s; "" for a rule no
// button sets.
func (s Settings) data() string {
	n := strconv.Itoa
	switch s.Kind {
	case SettingsOff:
		return settingsPrefix + string(SettingsOff)
	case SettingsRefund:
		return settingsPrefix + string(SettingsRefund) + ":" + n(s.Minutes)
	case SettingsRetry:
		if !s.Spend.Valid {
			return ""
		}
		return settingsPrefix + string(SettingsRetry) + ":" + n(s.Minutes) + ":" + n(s.Numbers) + ":" + strconv.FormatInt(s.Spend.Cents, 10)
	}
	return ""
}

// SettingsKeyboard offers rules to choose, each in a row of its own.
func (l *Lang) SettingsKeyboard(choices []Settings) *Keyboard {
	var rows [][]Button
	for _, s := range choices {
		if d := s.data(); d != "" && len(d) <= MaxCallbackData {
			rows = append(rows, []Button{CallbackButton(l.settingsLabel(s), d)})
		}
	}
	return Rows(rows...)
}

// settingsLabel names a choice on its button.
func (l *Lang) settingsLabel(s Settings) string {
	switch s.Kind {
	case SettingsRefund:
		return l.t("ButtonSettingsRefund", args{"Time": l.Duration(minutes(s.Minutes))})
	case SettingsRetry:
		return l.t("ButtonSettingsRetry", args{"Time": l.Duration(minutes(s.Minutes)), "Numbers": s.Numbers, "Spend": l.amount(s.Spend)})
	}
	return l.t("ButtonSettingsOff", nil)
}

// ParseSettingsButton reads the rule a /settings button sets; ok is false
// for other data and for data the bot never makes. Numbers must be
// written as the bot writes them. Whether the rule is within its limits is
// the caller's to check: the data is client input.
func ParseSettingsButton(data string) (s Settings, ok bool) {
	rest, found := strings.CutPrefix(data, settingsPrefix)
	if !found {
		return Settings{}, false
	}
	parts := strings.Split(rest, ":")
	switch SettingsKind(parts[0]) {
	case SettingsOff:
		return Settings{Kind: SettingsOff}, len(parts) == 1
	case SettingsRefund:
		if len(parts) != 2 {
			return Settings{}, false
		}
		m, ok := parseSmall(parts[1])
		return Settings{Kind: SettingsRefund, Minutes: m}, ok
	case SettingsRetry:
		if len(parts) != 4 {
			return Settings{}, false
		}
		m, okM := parseSmall(parts[1])
		k, okK := parseSmall(parts[2])
		cents, okC := parseID(parts[3])
		if !okM || !okK || !okC {
			return Settings{}, false
		}
		return Settings{Kind: SettingsRetry, Minutes: m, Numbers: k, Spend: Cents(cents)}, true
	}
	return Settings{}, false
}

// parseSmall is parseID for a count or minutes: at most 9999.
func parseSmall(s string) (int, bool) {
	n, ok := parseID(s)
	if !ok || n > 9999 {
		return 0, false
	}
	return int(n), true
}

// StoppedReplacing confirms "⏹ Stop" on a chain of replacements: nothing
// more is bought or refunded for it, and orderID stays watched.
func (l *Lang) StoppedReplacing(orderID string) string {
	return l.t("StoppedReplacing", args{"Order": Escape(orderID)})
}
