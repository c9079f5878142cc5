package message

import "testing"

func TestFor(t *testing.T) {
	ru, zh := ByTag("ru"), ByTag("zh")
	tests := []struct {
		chosen, seen string
		fallback     *Lang
		want         *Lang
	}{
		{"zh", "ru-RU", ru, zh},   // the choice outranks what Telegram says
		{"", "ru-RU", zh, ru},     // else the app's language, when spoken
		{"xx", "zh-hans", ru, zh}, // an unknown choice counts as none
		{"", "de", zh, zh},        // else the default
		{"", "", nil, English},    // which is English unless set
	}
	for _, tt := range tests {
		if got := For(tt.chosen, tt.seen, tt.fallback); got != tt.want {
			t.Errorf("For(%q, %q, %v) = %s, want %s", tt.chosen, tt.seen, tt.fallback, got.Tag, tt.want.Tag)
		}
	}
}
