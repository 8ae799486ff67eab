package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mes/messim"
)

// procField reads a "Name: value kB"-style or "name: value" line of a
// /proc/<pid> file, as a number (kB for status, bytes for io).
func procField(t *testing.T, pid int, file, name string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == name {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/%s %s: %v", pid, file, name, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/%s has no %s", pid, file, name)
	return 0
}

// mib reads a /proc/<pid>/status memory line (kB) in MiB.
func mib(t *testing.T, pid int, name string) int64 {
	return procField(t, pid, "status", name) >> 10
}

// startMLLPDaemon runs the daemon with one MLLP listener configured by
// opts (YAML flow-map entries after the address) and waits for it.
func startMLLPDaemon(t *testing.T, opts string) (*e2e, string, int) {
	t.Helper()
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q%s}\n", addr, opts))
	cmd := e.start()
	t.Cleanup(func() { stopDaemon(t, cmd) })
	e.waitListening(addr)
	return e, addr, cmd.Process.Pid
}

// TestEndToEndMLLPBounds holds 256 connections open against the daemon,
// each with an unterminated frame of 16 MiB (the default message limit):
// the daemon's resident memory stays under the bound the README states
// (256 MiB), a good message on another connection is acknowledged AA and
// delivered, and the memory comes back down once the connections close.
func TestEndToEndMLLPBounds(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the daemon's memory from /proc")
	}
	if testing.Short() {
		t.Skip("streams 4 GiB over loopback")
	}
	const (
		conns    = 256
		frameMiB = 16
		boundMiB = 256 // the README's bound for the daemon under this load
	)
	e, addr, pid := startMLLPDaemon(t, ", max_connections: 300")
	baseline := mib(t, pid, "VmRSS")
	read0 := procField(t, pid, "io", "rchar")

	// One 1 MiB chunk, written 16 times on every connection: the test
	// never holds more than that of the frames.
	chunk := bytes.Repeat([]byte("OBX|1|ED|X||^TEXT^XML^Base64^QUJD||||||F\r"), (1<<20)/41)
	chunk = append(chunk, bytes.Repeat([]byte("A"), 1<<20-len(chunk))...)
	held := make([]net.Conn, conns)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range held {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held[i] = nc
		defer nc.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc.SetWriteDeadline(time.Now().Add(5 * time.Minute))
			if _, err := nc.Write([]byte("\x0bMSH|^~\\&|FLOOD|X|DOCBRIDGE|MES|20250114093500||ORU^R01|F" + strconv.Itoa(i) + "|P|2.5\r")); err != nil {
				errs <- err
				return
			}
			for range frameMiB {
				if _, err := nc.Write(chunk); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writing a frame: %v", err)
	}
	// Everything sent has been read by the daemon once its read count
	// (sockets included) has grown by as much.
	sent := int64(conns) * frameMiB << 20
	deadline := time.Now().Add(2 * time.Minute)
	for procField(t, pid, "io", "rchar")-read0 < sent {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon read %d of %d bytes", procField(t, pid, "io", "rchar")-read0, sent)
		}
		time.Sleep(50 * time.Millisecond)
	}
	holding := mib(t, pid, "VmRSS")

	msg := oruAround(t, "BOUNDS-0001", "1.2.250.1.999.42.1.7001")
	if got, want := msa(mllpSend(t, addr, msg)), "AA BOUNDS-0001"; got != want {
		t.Errorf("the good message while %d frames are held: MSA = %q, want %q", conns, got, want)
	}
	e.waitFor("the good message delivered", 2*time.Minute, func() bool { return e.delivered() == 1 })
	peak := mib(t, pid, "VmHWM")
	t.Logf("daemon RSS: %d MiB before, %d MiB holding %d unterminated frames of %d MiB, peak (VmHWM) %d MiB", baseline, holding, conns, frameMiB, peak)
	if !raceBuild && peak > boundMiB {
		t.Errorf("the daemon's peak RSS is %d MiB, over the bound of %d MiB", peak, boundMiB)
	}

	for _, nc := range held {
		nc.Close()
	}
	// The daemon gives the memory back to the system as the connections
	// close (without that, its RSS stayed over 100 MiB for minutes). The
	// race detector's shadow memory is never given back: no wait there.
	var after int64
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if after = mib(t, pid, "VmRSS"); raceBuild || after <= baseline+32 || time.Now().After(end) {
			break
		}
	}
	t.Logf("daemon RSS after the connections closed: %d MiB", after)
	if !raceBuild && after > baseline+32 {
		t.Errorf("the daemon's RSS is %d MiB 30 s after the connections closed, not back within 32 MiB of the %d MiB it started with", after, baseline)
	}
	if ents, err := os.ReadDir(filepath.Join(e.dir, "data", "spool")); err != nil || len(ents) != 0 {
		t.Errorf("the spool directory: %d entries, %v; want it empty", len(ents), err)
	}
}

// TestEndToEndMLLPResync sends, on one connection, the start of a message
// that never ends, then a whole message: the broken part is dropped with a
// log line (no acknowledgement, and none of its content in the log), and
// the whole message is the one acknowledged AA, stored and delivered.
func TestEndToEndMLLPResync(t *testing.T) {
	e, addr, _ := startMLLPDaemon(t, "")
	broken := oruAround(t, "RESYNC-BROKEN", "1.2.250.1.999.42.1.7101")
	good := oruAround(t, "RESYNC-GOOD", "1.2.250.1.999.42.1.7102")
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	nc.Write(append([]byte{0x0b}, broken[:len(broken)/2]...))
	nc.Write(append(append([]byte{0x0b}, good...), 0x1c, 0x0d))
	r := hl7.NewReader(nc, 0)
	raw, err := r.ReadMessage()
	if err != nil {
		t.Fatalf("read the ACK: %v", err)
	}
	ack, err := hl7.Parse(raw)
	if err != nil {
		t.Fatalf("the ACK does not parse: %v", err)
	}
	if got, want := msa(ack), "AA RESYNC-GOOD"; got != want {
		t.Errorf("the first ACK: MSA = %q, want %q", got, want)
	}
	// No second ACK follows: the broken part is not answered.
	nc.SetReadDeadline(time.Now().Add(time.Second))
	if raw, err := r.ReadMessage(); err == nil {
		t.Errorf("a second ACK came: %q", raw)
	}
	e.waitFor("the good message delivered", 2*time.Minute, func() bool { return e.delivered() == 1 })
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	if !bytes.Contains(log, []byte("unterminated frame dropped")) {
		t.Error("the daemon log does not say the broken frame was dropped")
	}
	assertNoPatientData(t, string(log))
}

// TestEndToEndMLLPConnectionCap checks against the daemon that a connection
// beyond mllp[].max_connections is closed unanswered and logged, and that
// a place freed is taken again.
func TestEndToEndMLLPConnectionCap(t *testing.T) {
	e, addr, _ := startMLLPDaemon(t, ", max_connections: 2")
	// Two connections the daemon holds. waitListening's probe may hold a
	// place until the daemon reads its end: a connection refused for it
	// is closed at once (it reads EOF, not a timeout), and is opened again.
	var held []net.Conn
	for deadline := time.Now().Add(30 * time.Second); len(held) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the daemon does not hold two connections")
		}
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte("\x0bMSH|^~\\&|HOLD")) // a frame in progress
		nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := nc.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
			nc.SetReadDeadline(time.Time{})
			held = append(held, nc)
		}
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	nc.Write(hl7.Frame(oruAround(t, "CAP-0001", "1.2.250.1.999.42.1.7201")))
	if raw, err := hl7.NewReader(nc, 0).ReadMessage(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection beyond the cap: %q, %v; want it closed at once", raw, err)
	}
	// The line may be written just after the connection is closed.
	e.waitFor("the log line of the refused connection", 10*time.Second, func() bool {
		log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
		return bytes.Contains(log, []byte("connection refused: the listener holds its maximum"))
	})
	held[0].Close()
	msg := oruAround(t, "CAP-0002", "1.2.250.1.999.42.1.7202")
	e.waitFor("a place freed", 30*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(hl7.Frame(msg))
		raw, err := hl7.NewReader(c, 0).ReadMessage()
		return err == nil && bytes.Contains(raw, []byte("|AA|CAP-0002"))
	})
}
