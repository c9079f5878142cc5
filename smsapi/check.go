package smsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// checkInventoryLimit is how many expired numbers Check asks the inventory
// for: a few are enough to see their shape.
const checkInventoryLimit = 5

// checkWrongKey is the key Check sends to see how a wrong one is refused.
const checkWrongKey = "smsbot-check-api-wrong-key"

// checkMissingOrder is an order id Check asks for to see how an unknown
// order is refused; SMSOnline's ids are short decimal numbers.
const checkMissingOrder = "999999999999"

// CheckLine is one thing Check compared: a field of a documented shape, an
// assumption about a refusal, or a decoder reading a whole answer.
type CheckLine struct {
	Call    string      // the op, e.g. "balance"
	Subject string      // what was compared, e.g. "status" or "wrong key is refused as bad credentials"
	Diff    *Difference // nil when it matched
	Skipped string      // why nothing could be compared, e.g. "no orders"; then Diff is nil
	Guessed bool        // an assumption (assumptions.go), not a documented shape
}

// Matched reports whether l saw what was expected (or had nothing to see).
func (l CheckLine) Matched() bool { return l.Diff == nil }

// CheckReport is what Check saw, line by line.
type CheckReport struct{ Lines []CheckLine }

// Matched reports whether every line matched.
func (r CheckReport) Matched() bool {
	for _, l := range r.Lines {
		if !l.Matched() {
			return false
		}
	}
	return true
}

// Check makes read-only calls for the account cred names (balance, a few
// numbers of the inventory, the newest order, coupons, payments, one call
// with a wrong key and one for an order that does not exist) and compares
// each raw answer with the shapes the decoders expect and the assumptions
// about refusals. It sends only GETs. An error means a call could not be
// made or answered at all (the network, a refused key, a 5xx); differences
// are lines of the report.
func (c *Client) Check(ctx context.Context, cred Credentials) (CheckReport, error) {
	if err := cred.check(); err != nil {
		return CheckReport{}, invalidInput("check", err)
	}
	var rep CheckReport
	if _, err := c.checkCall(ctx, &rep, opBalance, cred, "customers", cred.UserID, "balance"); err != nil {
		return rep, err
	}
	inv, err := c.checkCall(ctx, &rep, opInventory, cred, "numbers", cred.UserID, "inventory", strconv.Itoa(checkInventoryLimit))
	if err != nil {
		return rep, err
	}
	if id := newestOrderID(inv); id == "" {
		rep.Lines = append(rep.Lines, CheckLine{Call: opGetOrder, Subject: "the newest order", Skipped: "no orders in the inventory"})
	} else if _, err := c.checkCall(ctx, &rep, opGetOrder, cred, "numbers", cred.UserID, "order", id); err != nil {
		return rep, err
	}
	for _, op := range []string{opCoupons, opPayments} {
		if _, err := c.checkCall(ctx, &rep, op, cred, "customers", cred.UserID, op); err != nil {
			return rep, err
		}
	}
	wrong := Credentials{UserID: cred.UserID, APIKey: checkWrongKey}
	if err := c.checkRefusal(ctx, &rep, opBalance, wrong, cred, ErrBadCredentials, "a wrong key is refused as bad credentials",
		"customers", cred.UserID, "balance"); err != nil {
		return rep, err
	}
	if err := c.checkRefusal(ctx, &rep, opGetOrder, cred, cred, ErrOrderNotFound, "an unknown order is refused as not found",
		"numbers", cred.UserID, "order", checkMissingOrder); err != nil {
		return rep, err
	}
	return rep, nil
}

// checkCall GETs segments and adds a line per field of op's shape and one
// for its decoder. It returns the decoded orders of an inventory.
func (c *Client) checkCall(ctx context.Context, rep *CheckReport, op string, cred Credentials, segments ...string) ([]Order, error) {
	r, err := c.fetch(ctx, op, cred, segments...)
	if err != nil {
		return nil, err
	}
	body, err := r.parse(op, cred.APIKey, c.now())
	if err != nil {
		return nil, err
	}
	diffs := compareBody(op, body)
	sh := shapes[op]
	fields := sh.fields
	if isNull(body) || len(body) > 0 && body[0] == '[' && string(body) == "[]" {
		rep.Lines = append(rep.Lines, CheckLine{Call: op, Subject: "its elements", Skipped: "the list is empty"})
		fields = nil
	}
	subjects := prefixed("", fields)
	if sh.nested != "" {
		subjects = append(subjects, prefixed(sh.nested+"[].", sh.elem)...)
	}
	for _, f := range subjects {
		name := f.name
		line := CheckLine{Call: op, Subject: name, Guessed: f.guessed}
		for i := range diffs {
			if diffs[i].Field == name {
				line.Diff = redacted(diffs[i], cred)
				diffs[i].What = "" // reported
			}
		}
		rep.Lines = append(rep.Lines, line)
	}
	for _, d := range diffs { // about the body as a whole
		if d.What != "" {
			rep.Lines = append(rep.Lines, CheckLine{Call: op, Subject: "the body", Diff: redacted(d, cred)})
		}
	}
	orders, derr := decodeFor(op, body)
	line := CheckLine{Call: op, Subject: "the decoder reads it"}
	if derr != nil {
		line.Diff = redacted(Difference{Call: op, What: UnexpectedUndecodable, Value: derr.Error()}, cred)
	}
	rep.Lines = append(rep.Lines, line)
	return orders, nil
}

// checkRefusal GETs segments as who and adds a line for the kind of error
// it ended in and one for the shape of its body. secret is the real
// credentials, redacted from what is shown.
func (c *Client) checkRefusal(ctx context.Context, rep *CheckReport, op string, who, secret Credentials, want error, subject string, segments ...string) error {
	r, err := c.fetch(ctx, op, who, segments...)
	if err != nil {
		return err
	}
	_, perr := r.parse(op, who.APIKey, c.now())
	line := CheckLine{Call: op, Subject: subject, Guessed: true}
	if !errors.Is(perr, want) {
		got := "success"
		if perr != nil {
			var e *Error
			errors.As(perr, &e)
			got = fmt.Sprintf("HTTP %d, %v", r.status, e.Kind)
		}
		line.Diff = redacted(Difference{Call: op, What: UnexpectedOtherErrorKind, Value: got}, secret)
	}
	rep.Lines = append(rep.Lines, line)
	shapeLine := CheckLine{Call: op, Subject: fmt.Sprintf(`its body is {"ok": false, %q: "..."}`, errorMessageField), Guessed: true}
	if diffs := compareError(op, r.body); len(diffs) > 0 {
		shapeLine.Diff = redacted(diffs[0], secret)
	}
	rep.Lines = append(rep.Lines, shapeLine)
	return nil
}

// fetch GETs /v3/{segments...} within the request cap and returns the raw
// answer, unparsed.
func (c *Client) fetch(ctx context.Context, op string, cred Credentials, segments ...string) (rawResponse, error) {
	req, err := c.newRequest(ctx, cred, http.MethodGet, nil, segments...)
	if err != nil {
		return rawResponse{}, &Error{Op: op, Kind: ErrInvalidInput, Err: redactErr(err, cred.APIKey)}
	}
	if c.limit != nil {
		if err := c.limit.wait(ctx); err != nil {
			return rawResponse{}, transportError(ctx, op, cred.APIKey, 0, err)
		}
	}
	return c.exchange(ctx, op, cred, req)
}

// decodeFor runs op's own decoder on body; the orders are an inventory's.
func decodeFor(op string, body json.RawMessage) ([]Order, error) {
	switch op {
	case opBalance:
		_, err := decodeBalance(body)
		return nil, err
	case opInventory, opGetOrder:
		if isNull(body) {
			return nil, nil
		}
		return decodeOrders(body)
	case opCoupons:
		_, err := decodeCoupons(body)
		return nil, err
	case opPayments:
		_, err := decodeList(body, paymentJSON.payment)
		return nil, err
	}
	return nil, nil
}

// newestOrderID is the id of the inventory's order with the latest
// orderedAt, or of its last one when none has a time.
func newestOrderID(orders []Order) string {
	var newest Order
	for _, o := range orders {
		if o.ID != "" && (newest.ID == "" || !o.OrderedAt.Before(newest.OrderedAt)) {
			newest = o
		}
	}
	return newest.ID
}

// prefixed returns fields with prefix before their names.
func prefixed(prefix string, fields []field) []field {
	out := make([]field, 0, len(fields))
	for _, f := range fields {
		f.name = prefix + f.name
		out = append(out, f)
	}
	return out
}

func redacted(d Difference, cred Credentials) *Difference {
	d.Value = redactValue(d.Value, cred)
	return &d
}
