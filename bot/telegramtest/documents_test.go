package telegramtest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestSendDocumentRecordsTheFile(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	data := []byte("a,b\r\n\"x, y\",z\r\n")
	msg, err := b.SendDocument(context.Background(), &bot.SendDocumentParams{
		ChatID:    42,
		Document:  &models.InputFileUpload{Filename: "history.csv", Data: bytes.NewReader(data)},
		Caption:   "📄 <b>Your</b> numbers",
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		t.Fatalf("SendDocument: %v", err)
	}
	if msg.Document == nil || msg.Document.FileName != "history.csv" || msg.Document.FileSize != int64(len(data)) || msg.Caption != "📄 Your numbers" || msg.Text != "" {
		t.Errorf("answer %+v (document %+v), want the document with its caption", msg, msg.Document)
	}
	docs := s.DocumentsTo(42)
	if len(docs) != 1 {
		t.Fatalf("%d documents recorded, want 1", len(docs))
	}
	d := docs[0]
	if d.FileName != "history.csv" || !bytes.Equal(d.Data, data) || d.Plain != "📄 Your numbers" || d.Caption != "📄 <b>Your</b> numbers" || d.MessageID != msg.ID {
		t.Errorf("recorded %+v", d)
	}
	if len(s.Sent()) != 0 {
		t.Errorf("a document counted as a text message: %+v", s.Sent())
	}
	docs[0].Data[0] = 'X'
	if s.Documents()[0].Data[0] != 'a' {
		t.Error("changing a returned document changed the record")
	}

	// A document's message has no text to edit.
	_, err = b.EditMessageText(context.Background(), &bot.EditMessageTextParams{ChatID: 42, MessageID: msg.ID, Text: "x"})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "no text") {
		t.Errorf("editing a document's text: %v, want bad request", err)
	}
}

func TestSendDocumentRefusals(t *testing.T) {
	s := New(t, WithLimits(Limits{PerChat: 1, Burst: 1}))
	b := newBot(t, s)
	send := func(chat int64, doc models.InputFile, caption string) error {
		_, err := b.SendDocument(context.Background(), &bot.SendDocumentParams{ChatID: chat, Document: doc, Caption: caption, ParseMode: models.ParseModeHTML})
		return err
	}
	file := func(data string) models.InputFile {
		return &models.InputFileUpload{Filename: "f.csv", Data: strings.NewReader(data)}
	}
	for _, tc := range []struct {
		name    string
		chat    int64
		doc     models.InputFile
		caption string
	}{
		{"file id", 7, &models.InputFileString{Data: "BQACAgQAAxkBAAIB"}, ""},
		{"empty file", 7, file(""), ""},
		{"bad caption", 7, file("a"), "<b>open"},
		{"long caption", 7, file("a"), strings.Repeat("x", maxCaptionLength+1)},
		{"no such chat", 0, file("a"), ""},
	} {
		if err := send(tc.chat, tc.doc, tc.caption); !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("%s: %v, want bad request", tc.name, err)
		}
	}
	if len(s.Documents()) != 0 {
		t.Fatalf("refused documents were recorded: %+v", s.Documents())
	}

	// Documents count against the chat's flood limit as messages do.
	if err := send(7, file("a"), ""); err != nil {
		t.Fatalf("first document: %v", err)
	}
	err := send(7, file("b"), "")
	var tooMany *bot.TooManyRequestsError
	if !errors.As(err, &tooMany) {
		t.Errorf("second document at once: %v, want 429", err)
	}

	s.BlockChat(8)
	if err := send(8, file("a"), ""); !errors.Is(err, bot.ErrorForbidden) {
		t.Errorf("blocked chat: %v, want forbidden", err)
	}
}
