package bot

import (
	"reflect"
	"strings"
	"testing"

	"github.com/smsbot/smsbot/bot/message"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		text string
		want command
		ok   bool
	}{
		{"plain", "/order 123", command{Name: "order", Args: []string{"123"}}, true},
		{"addressed to us", "/order@SMSBot 123", command{Name: "order", Args: []string{"123"}}, true},
		{"addressed case-insensitively", "/order@smsbot 123", command{Name: "order", Args: []string{"123"}}, true},
		{"addressed to another bot", "/order@OtherBot 123", command{}, false},
		{"upper-case name", "/ORDER 1", command{Name: "order", Args: []string{"1"}}, true},
		{"no args", "/help", command{Name: "help", Args: []string{}}, true},
		{"extra spaces and newlines", "  /login   42 \n\t key  ", command{Name: "login", Args: []string{"42", "key"}}, true},
		{"non-breaking space", "/order\u00a0123", command{Name: "order", Args: []string{"123"}}, true},
		{"zero-width space inside id", "/order 12\u200b34", command{Name: "order", Args: []string{"1234"}}, true},
		{"rtl marks", "\u200f/order \u200e555\u200f", command{Name: "order", Args: []string{"555"}}, true},
		{"not a command", "order 123", command{}, false},
		{"slash alone", "/", command{}, false},
		{"empty", "", command{}, false},
		{"non-latin name", "/заказ 1", command{}, false},
		{"path-like", "/../../etc", command{}, false},
		{"args capped", "/order 1 2 3 4 5 6 7 8 9 10", command{Name: "order", Args: []string{"1", "2", "3", "4", "5", "6", "7", "8"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseCommand(tt.text, "SMSBot")
			if ok != tt.ok {
				t.Fatalf("parseCommand(%q) ok = %v, want %v", tt.text, ok, tt.ok)
			}
			if ok && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseCommand(%q) = %#v, want %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseCommandLongText(t *testing.T) {
	text := "/order " + strings.Repeat("x ", 100000)
	got, ok := parseCommand(text, "")
	if !ok || len(got.Args) != maxCommandArgs {
		t.Fatalf("got %d args, ok=%v; want %d args", len(got.Args), ok, maxCommandArgs)
	}
}

func TestExtractCode(t *testing.T) {
	tests := []struct{ sms, want string }{
		{"123456", "123456"},
		{" 4821 ", "4821"},
		{"Your Discord code is 583920. Don't share it.", "583920"},
		{"G-482913 is your Google verification code.", "482913"},
		{"WhatsApp code 123-456", "123456"},
		{"Telegram code: 71 234", ""}, // not a code shape
		{"Code 12345678 valid 10 min", "12345678"},
		{"Call +14155550123 for help", ""},
		{"no digits here", ""},
		{"", ""},
		{"abc123", ""},
		{"Order 20046875: your code is 5839", "5839"},
		{"Shipping 4567, your code: 1234", "1234"},
		{"Ваш код: 7391", "7391"},
		{"Call +1 415 555 0123", ""},
		{"Ref 12-345-678", ""},
		{"583920 is your code", "583920"},
	}
	for _, tt := range tests {
		if got := message.ExtractCode(tt.sms); got != tt.want {
			t.Errorf("extractCode(%q) = %q, want %q", tt.sms, got, tt.want)
		}
	}
}
