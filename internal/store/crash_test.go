package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// crashDirEnv names the data directory of the crash child process; its
// presence makes TestCrashChild run.
const crashDirEnv = "DOCBRIDGE_STORE_CRASH_DIR"

// TestCrashChild is the child of TestCrashDurability: it accepts random
// inputs in a loop, one stored inline (8 KiB) then one in a content file
// (InlineMax+1 bytes), and prints "<id> <sha256>" after each Accept returns,
// until it is killed. Without crashDirEnv it does nothing.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashDurability")
	}
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	sizes := []int{8 << 10, InlineMax + 1}
	for i := 0; ; i++ {
		body := make([]byte, sizes[i%len(sizes)])
		rand.Read(body)
		a, err := acceptInput(context.Background(), s, &docbridge.Envelope{Intake: "crash", Source: strconv.Itoa(i), Body: bytes.NewReader(body)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(3)
		}
		// Stdout is unbuffered: the line is in the pipe when Printf returns.
		fmt.Printf("%d %s\n", a.ID, a.SHA256)
	}
}

// TestCrashDurability kills a process that is accepting inputs with
// SIGKILL, then checks that every input it acknowledged is in the store
// with intact content.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := make(map[int64]string)
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(500 * time.Millisecond)
	for lines.Scan() {
		var id int64
		var sha string
		if _, err := fmt.Sscanf(lines.Text(), "%d %s", &id, &sha); err != nil {
			continue // the test binary's own output
		}
		acked[id] = sha
		if len(acked) >= 20 && time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	// Lines written before the kill are still in the pipe.
	for lines.Scan() {
		var id int64
		var sha string
		if n, _ := fmt.Sscanf(lines.Text(), "%d %s", &id, &sha); n == 2 && len(sha) == 64 {
			acked[id] = sha
		}
	}
	cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}

	s := openSQLiteTest(t, Options{Dir: dir})
	ctx := context.Background()
	for id, sha := range acked {
		in, err := s.Input(ctx, id)
		if err != nil {
			t.Errorf("acknowledged input %d: %v", id, err)
			continue
		}
		if in.SHA256 != sha {
			t.Errorf("input %d: sha256 %s, child said %s", id, in.SHA256, sha)
		}
		b, err := s.ReadContent(sha)
		if err != nil {
			t.Errorf("input %d: %v", id, err)
		} else if got := hexSHA256(b); got != sha || int64(len(b)) != in.Size {
			t.Errorf("input %d: content hashes to %s (%d bytes), want %s (%d bytes)", id, got, len(b), sha, in.Size)
		}
	}
	var check string
	if err := s.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	pending, _ := s.PendingInputs(ctx, 0)
	t.Logf("child acknowledged %d inputs before SIGKILL; the store holds %d", len(acked), len(pending))
	if len(pending) < len(acked) {
		t.Errorf("store holds %d inputs, fewer than the %d acknowledged", len(pending), len(acked))
	}
}
