package smsapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The kinds of difference between an answer and the shape the decoders
// expect. They are the values of the what label of
// smsbot_smsonline_unexpected_total, so the set stays small.
const (
	UnexpectedMissingField   = "missing_field"       // a field the decoders read is absent
	UnexpectedOtherType      = "other_type"          // a field or body of another JSON type
	UnexpectedMoney          = "unreadable_money"    // an amount moneyFromText cannot read
	UnexpectedStatusWord     = "unknown_status"      // a status word the bot does not know
	UnexpectedErrorShape     = "unknown_error_shape" // a refusal not shaped {"ok": false, "errorMessage": ...}
	UnexpectedUndecodable    = "undecodable"         // the decoder itself refused the body (Check only)
	UnexpectedOtherErrorKind = "other_error_kind"    // a refusal classified otherwise than assumed (Check only)
)

// maxUnexpectedValueLen bounds the offending value shown in a log or a
// report line.
const maxUnexpectedValueLen = 60

// fieldKind is what a field of a documented shape holds.
type fieldKind int

const (
	kindText      fieldKind = iota // a JSON string
	kindInt                        // a JSON integer
	kindCents                      // a JSON integer of cents (purchasePrice: 16)
	kindCentsText                  // a string of cents (totalCharges: "500")
	kindTime                       // a time parseTime can read
	kindList                       // a JSON array
	kindStatus                     // a JSON string, one of field.words
)

// field is one field of a documented object.
type field struct {
	name    string
	kind    fieldKind
	words   []string // kindStatus only
	guessed bool     // not documented: an entry of assumptions.go
}

// shape is the body of a successful answer of one call: an object with
// fields, or (list) an array of such objects. nested is a list field whose
// elements have the shape elem.
type shape struct {
	list   bool
	fields []field
	nested string // name of a list field holding elem objects
	elem   []field
}

// orderFields is the documented order object (Get order data); receivedSMS,
// orderedAt and expiredAt are guesses the watcher relies on.
var orderFields = []field{
	{name: "orderId"}, {name: "sShort"}, {name: "cShort"}, {name: "country"}, {name: "service"},
	{name: "carrier"}, {name: "phoneNumber"},
	{name: "purchasePrice", kind: kindCents},
	{name: "status", kind: kindStatus, words: orderStatusWords},
	{name: "receivedSMS", guessed: true},
	{name: orderedAtField, kind: kindTime, guessed: true},
	{name: "expiredAt", kind: kindTime, guessed: true},
}

// shapes are the bodies of the read-only calls, by op.
var shapes = map[string]shape{
	opBalance: {fields: []field{
		{name: "userId"}, {name: "balance", kind: kindCents}, {name: "totalCharges", kind: kindCentsText},
		{name: "couponCount", kind: kindInt}, {name: "currentDiscountRate"}, {name: "discountRates", kind: kindList},
	}},
	opGetOrder:  {list: true, fields: orderFields},
	opInventory: {list: true, fields: orderFields},
	opCoupons: {fields: []field{{name: "totalReceived", kind: kindInt}, {name: "codes", kind: kindList}},
		nested: "codes", elem: []field{
			{name: "code"}, {name: "issuedAt", kind: kindTime}, {name: "expiredAt", kind: kindTime},
			{name: "status", kind: kindStatus, words: couponStatusWords},
			{name: "percentage", kind: kindInt}, {name: "targetPay"},
		}},
	opPayments: {list: true, fields: []field{
		{name: "method"}, {name: "payId"}, {name: "amount", kind: kindCents},
		{name: "created", kind: kindTime}, {name: "expires_at", kind: kindTime},
		{name: "status", kind: kindStatus, words: paymentStatusWords},
	}},
}

// Difference is one way an answer differs from the shape the decoders
// expect. Value is the offending value, redacted of the API key and the user
// id and cut short; it may be "".
type Difference struct {
	Call  string // the op, e.g. "balance"
	Field string // e.g. "status", "codes[].status", or "" for the body
	What  string // one of the Unexpected* kinds
	Value string
}

// String is d's field and value, such as `status="on_hold"`, for a log.
func (d Difference) String() string {
	switch {
	case d.Field == "":
		return d.Value
	case d.Value == "":
		return d.Field
	}
	return d.Field + "=" + strconv.Quote(d.Value)
}

// compareBody compares the body of a successful answer of op with its shape.
// Each (field, what) is reported once, however many list elements share it.
func compareBody(op string, body json.RawMessage) []Difference {
	sh, ok := shapes[op]
	if !ok {
		return nil
	}
	var d differ
	d.op = op
	body = bytes.TrimSpace(body)
	if sh.list {
		var elems []json.RawMessage
		if isNull(body) || body[0] != '[' || json.Unmarshal(body, &elems) != nil {
			d.add("", UnexpectedOtherType, jsonKindOf(body))
			return d.list
		}
		for _, e := range elems {
			d.object("", sh.fields, e)
		}
		return d.list
	}
	obj := d.object("", sh.fields, body)
	if sh.nested != "" && obj != nil {
		var elems []json.RawMessage
		if json.Unmarshal(obj[sh.nested], &elems) == nil {
			for _, e := range elems {
				d.object(sh.nested+"[].", sh.elem, e)
			}
		}
	}
	return d.list
}

// differ collects differences without repeating one.
type differ struct {
	op   string
	list []Difference
}

func (d *differ) add(name, what, value string) {
	for _, x := range d.list {
		if x.Field == name && x.What == what {
			return
		}
	}
	d.list = append(d.list, Difference{Call: d.op, Field: name, What: what, Value: value})
}

// object compares one object with fields and returns its members (nil when
// raw is no object).
func (d *differ) object(prefix string, fields []field, raw json.RawMessage) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	raw = bytes.TrimSpace(raw)
	if isNull(raw) || raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		d.add(strings.TrimSuffix(prefix, "."), UnexpectedOtherType, jsonKindOf(raw))
		return nil
	}
	for _, f := range fields {
		v, ok := obj[f.name]
		if !ok {
			d.add(prefix+f.name, UnexpectedMissingField, "")
			continue
		}
		if what, bad := f.check(bytes.TrimSpace(v)); bad {
			d.add(prefix+f.name, what, valueText(v))
		}
	}
	return obj
}

// check tells how v differs from f, if it does. null stands for "nothing"
// everywhere but in a status, where the decoders read it as "".
func (f field) check(v json.RawMessage) (string, bool) {
	if isNull(v) && f.kind != kindStatus {
		return "", false
	}
	c := v[0]
	isString, isNumber := c == '"', c == '-' || '0' <= c && c <= '9'
	var s flexString
	_ = s.UnmarshalJSON(v)
	switch f.kind {
	case kindText:
		if !isString {
			return UnexpectedOtherType, true
		}
	case kindInt:
		var n flexInt
		if !isNumber || n.UnmarshalJSON(v) != nil {
			return UnexpectedOtherType, true
		}
	case kindCents, kindCentsText:
		if !isString && !isNumber {
			return UnexpectedOtherType, true
		}
		if s != "" && !moneyFromText(string(s)).Valid {
			return UnexpectedMoney, true
		}
		if isString != (f.kind == kindCentsText) {
			return UnexpectedOtherType, true
		}
	case kindTime:
		if !isString && !isNumber {
			return UnexpectedOtherType, true
		}
		if s != "" && parseTime(v).IsZero() {
			return UnexpectedOtherType, true
		}
	case kindList:
		if c != '[' {
			return UnexpectedOtherType, true
		}
	case kindStatus:
		if isNull(v) || !isString {
			return UnexpectedOtherType, true
		}
		if !slices.ContainsFunc(f.words, func(w string) bool { return strings.EqualFold(w, string(s)) }) {
			return UnexpectedStatusWord, true
		}
	}
	return "", false
}

// compareError compares the body of a refusal with the error envelope we
// assume: {"ok": false, "errorMessage": "..."}.
func compareError(op string, body []byte) []Difference {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return []Difference{{Call: op, What: UnexpectedErrorShape, Value: string(body)}}
	}
	var okFlag flexBool
	msg, hasMsg := obj[errorMessageField]
	if okRaw, has := obj["ok"]; !has || okFlag.UnmarshalJSON(okRaw) != nil || bool(okFlag) ||
		!hasMsg || messageIn(msg, false) == "" {
		return []Difference{{Call: op, What: UnexpectedErrorShape, Value: string(body)}}
	}
	return nil
}

// valueText is v as shown in a Difference: a string's text, else its JSON.
func valueText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// jsonKindOf names the JSON type of raw for a Difference's Value.
func jsonKindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case isNull(raw):
		return "null"
	case raw[0] == '{':
		return "object"
	case raw[0] == '[':
		return "array"
	case raw[0] == '"':
		return "string"
	case raw[0] == 't' || raw[0] == 'f':
		return "boolean"
	}
	return "number"
}

// redactValue makes an offending value safe to log and print: the API key
// and the user id replaced, control characters gone, cut short.
func redactValue(v string, cred Credentials) string {
	v = cleanMessage(v, cred.APIKey)
	if cred.UserID != "" {
		v = strings.ReplaceAll(v, cred.UserID, redactedPlaceholder)
	}
	if r := []rune(v); len(r) > maxUnexpectedValueLen {
		v = string(r[:maxUnexpectedValueLen-1]) + "…"
	}
	return v
}

// differences compares r with what op's decoders expect: the body of a
// success with its shape, the body of a refusal (a 4xx, or ok:false) with
// the error envelope. Other answers (5xx, 429, a body too large) are
// failures the client already reports, not shapes.
func (r rawResponse) differences(op string) []Difference {
	if r.tooLarge || r.status == http.StatusTooManyRequests || r.status >= 500 {
		return nil
	}
	var env envelope
	if r.status >= 400 || json.Unmarshal(r.body, &env) != nil || env.OK == nil || !bool(*env.OK) {
		if r.status == statusPriceChanged {
			return nil // its body is undocumented; ErrPriceChanged is what the bot needs
		}
		return compareError(op, r.body)
	}
	return compareBody(op, env.Body)
}
