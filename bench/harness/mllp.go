package main

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/docbridge/docbridge/hl7"
)

// mllpResult is one run of item 4.
type mllpResult struct {
	Acked, Other int
	Elapsed      time.Duration
	Conns        int
	MsgBytes     int
}

func (r mllpResult) perSec() float64 { return float64(r.Acked) / r.Elapsed.Seconds() }

// runMLLP sends perConn synthetic ORU^R01 on each of conns connections at
// once, each connection waiting for the ACK of a message before sending
// the next (as an LIS does), and counts the AA answers. An AA means the
// message is durably stored.
func runMLLP(addr string, t *templates, run, conns, perConn int) (mllpResult, error) {
	msgs := make([][][]byte, conns)
	for c := range msgs {
		for i := 0; i < perConn; i++ {
			ctl := fmt.Sprintf("B%d-%d-%d", run, c, i)
			msgs[c] = append(msgs[c], t.oruMessage(ctl, fmt.Sprintf("%s.%d.%d.%d", docRoot, 3000+run, c, i)))
		}
	}
	res := mllpResult{Conns: conns, MsgBytes: len(msgs[0][0])}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acked, other, err := sendAll(addr, msgs[c])
			mu.Lock()
			defer mu.Unlock()
			res.Acked += acked
			res.Other += other
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, firstErr
}

func sendAll(addr string, msgs [][]byte) (acked, other int, err error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	r := hl7.NewReader(nc, 0)
	for _, m := range msgs {
		nc.SetDeadline(time.Now().Add(60 * time.Second))
		if err := hl7.WriteFrame(nc, m); err != nil {
			return acked, other, fmt.Errorf("send: %w", err)
		}
		raw, err := r.ReadMessage()
		if err != nil {
			return acked, other, fmt.Errorf("read ACK: %w", err)
		}
		ack, err := hl7.Parse(raw)
		if err != nil {
			return acked, other, fmt.Errorf("parse ACK: %w", err)
		}
		s, _ := ack.Segment("MSA")
		if s.Field(1).String() == "AA" {
			acked++
		} else {
			other++
		}
	}
	return acked, other, nil
}
