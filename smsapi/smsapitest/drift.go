package smsapitest

import (
	"encoding/json"
	"fmt"
)

// Drift makes the server answer in shapes other than the documented ones,
// as SMSOnline might one day: for testing what notices the change. Each
// field is one drift; the zero Drift answers as documented.
type Drift struct {
	// Rename renames object fields wherever they occur, e.g.
	// {"status": "state"}.
	Rename map[string]string
	// MoneyAsText sends amounts (purchasePrice, balance, amount) as text
	// such as "$0.16" instead of integer cents.
	MoneyAsText bool
	// StatusWord replaces every status word with this one.
	StatusWord string
	// ErrorShape sends refusals as {"success": false, "error": {"code": n}}
	// instead of {"ok": false, "errorMessage": "..."}.
	ErrorShape bool
}

// SetDrift makes every later answer drift as d says; SetDrift(Drift{})
// stops it.
func (s *Server) SetDrift(d Drift) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drift = d
}

// moneyFields are the amounts MoneyAsText rewrites.
var moneyFields = map[string]bool{"purchasePrice": true, "balance": true, "amount": true}

// apply rewrites a's JSON body as d says.
func (d Drift) apply(a answer) answer {
	if a.html || d.Rename == nil && !d.MoneyAsText && d.StatusWord == "" && !d.ErrorShape {
		return a
	}
	var v any
	if json.Unmarshal(a.body, &v) != nil {
		return a
	}
	if obj, ok := v.(map[string]any); ok && d.ErrorShape && obj["ok"] == false {
		v = map[string]any{"success": false, "error": map[string]any{"code": a.status}}
	} else {
		v = d.rewrite(v)
	}
	if b, err := json.Marshal(v); err == nil {
		a.body = b
	}
	return a
}

// rewrite walks v and applies the renames, money and status drifts.
func (d Drift) rewrite(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = d.rewrite(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			switch cents, isNum := val.(float64); {
			case d.MoneyAsText && moneyFields[k] && isNum:
				val = fmt.Sprintf("$%d.%02d", int64(cents)/100, int64(cents)%100)
			case d.StatusWord != "" && k == "status":
				if _, isText := val.(string); isText {
					val = d.StatusWord
				}
			default:
				val = d.rewrite(val)
			}
			if to, ok := d.Rename[k]; ok {
				k = to
			}
			out[k] = val
		}
		return out
	}
	return v
}
