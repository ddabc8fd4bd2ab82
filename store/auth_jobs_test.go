package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// DeliverEmail: a failed send leaves the message queued with its body, for the job's next
// attempt; a delivered message is marked, its body wiped, and never sent again.
func TestDeliverEmailOnceAndRetriesFailures(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	if err := st.QueueEmail(ctx, store.Email{To: "jean@example.fr", Subject: "Votre lien", BodyText: "Bonjour Jean"}); err != nil {
		t.Fatal(err)
	}
	es, err := st.ListEmails(ctx, 1)
	if err != nil || len(es) != 1 {
		t.Fatal(es, err)
	}
	id := es[0].ID
	refused := errors.New("550 no")
	sends := 0
	if err := st.DeliverEmail(ctx, id, func(store.Email) error { sends++; return refused }); !errors.Is(err, refused) {
		t.Fatalf("refused send: %v", err)
	}
	if es, _ := st.ListEmails(ctx, 1); es[0].SentAt != nil || es[0].BodyText != "Bonjour Jean" {
		t.Fatalf("after a refused send: %+v", es[0])
	}
	var got store.Email
	for range 2 {
		if err := st.DeliverEmail(ctx, id, func(e store.Email) error { sends++; got = e; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if sends != 2 || got.BodyText != "Bonjour Jean" || got.To != "jean@example.fr" {
		t.Fatalf("%d sends, delivered %+v; want the refused one and one delivery", sends, got)
	}
	if es, _ := st.ListEmails(ctx, 1); es[0].SentAt == nil || es[0].BodyText != "" {
		t.Fatalf("after delivery: %+v", es[0])
	}
}
