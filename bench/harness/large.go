package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// largeResult is item 3: one big CDA level 1 delivered by a fresh daemon.
type largeResult struct {
	PDFBytes, FileBytes int64
	IdleHWM, PeakHWM    int64 // VmHWM of the serve process before the drop, and after delivery
	Elapsed             time.Duration
	Err                 error
}

// runLarge starts a fresh daemon (so that VmHWM is this document's), drops
// a CDA carrying a pdfBytes PDF and reads VmHWM once the simulator has it.
func runLarge(ctx context.Context, bin, dir string, sim *simulator, t *templates, pdfBytes int64) largeResult {
	res := largeResult{PDFBytes: pdfBytes}
	d, err := newDaemon(ctx, bin, dir, sim)
	if err != nil {
		res.Err = err
		return res
	}
	root := docRoot + ".7777.1"
	name := "large.xml"
	staged := filepath.Join(d.drop, "."+name+".part")
	if res.FileBytes, err = t.writeLargeDoc(staged, root, pdfBytes); err != nil {
		res.Err = err
		return res
	}
	if err := d.start(); err != nil {
		res.Err = err
		return res
	}
	defer d.stop()
	time.Sleep(300 * time.Millisecond)
	res.IdleHWM, _ = d.status("VmHWM")
	at, err := d.publish(name)
	if err != nil {
		res.Err = err
		return res
	}
	// Wait for the delivery, or for the daemon to refuse the file.
	refused := make(chan struct{})
	go func() {
		for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, ok := sim.receivedAt(uniqueID(root)); ok {
				return
			}
			if ents, _ := os.ReadDir(filepath.Join(d.drop, "failed")); len(ents) > 0 {
				close(refused)
				return
			}
		}
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- sim.waitAll([]string{uniqueID(root)}, 10*time.Minute) }()
	var err2 error
	select {
	case err2 = <-waitErr:
	case <-refused:
		var reason struct{ Code, Message string }
		b, _ := os.ReadFile(filepath.Join(d.drop, "failed", name+".reason.json"))
		json.Unmarshal(b, &reason)
		err2 = fmt.Errorf("refused by docbridge: %s: %s", reason.Code, reason.Message)
	}
	if err := err2; err != nil {
		res.Err = fmt.Errorf("%w (daemon log: %s)", err, filepath.Join(dir, "daemon.log"))
		res.PeakHWM, _ = d.status("VmHWM")
		return res
	}
	got, _ := sim.receivedAt(uniqueID(root))
	res.Elapsed = got.Sub(at)
	time.Sleep(200 * time.Millisecond)
	res.PeakHWM, res.Err = d.status("VmHWM")
	os.Remove(staged)
	return res
}
