package app

import (
	"context"
	"time"
)

// The journal's chainer (store.ChainJournal) runs beside the server: an action's transaction
// only inserts its entry, and the chainer gives committed entries their place in the chain
// and their hashes, in short transactions of its own. Each commit that journaled kicks it;
// kicks that arrive during a pass or the gap after it are coalesced into the next pass, so
// that under load one pass chains the entries of many requests. The tick catches entries
// written by other processes (`ac` commands) and retries after an error. Every instance runs
// one; their passes take turns on the journal's lock.
const (
	chainGap   = 20 * time.Millisecond // at least this between two passes
	chainEvery = 10 * time.Second      // a pass at least this often
)

type chainer struct{ kick chan struct{} }

func newChainer() *chainer { return &chainer{kick: make(chan struct{}, 1)} }

// Kick asks for a pass; it never blocks.
func (c *chainer) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// runChainer chains until ctx is cancelled, then closes done.
func (a *App) runChainer(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(chainEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.chainer.kick:
		case <-tick.C:
		}
		if _, err := a.Store.ChainJournal(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("journal chainer", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(chainGap):
		}
	}
}
