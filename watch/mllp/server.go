package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
)

// Options configure a Server.
type Options struct {
	// Name is the intake's name in the store and logs; "" means "mllp".
	Name string
	// Addr is the TCP address to listen on ("127.0.0.1:2575"). Ignored when
	// Listener is set.
	Addr string
	// Listener, when set, is used instead of listening on Addr (tests);
	// Run closes it.
	Listener net.Listener
	// TLS, when set, makes the listener TLS. Client certificates are
	// checked as TLS.ClientAuth says (RequireAndVerifyClientCert with
	// ClientCAs for mutual TLS).
	TLS *tls.Config
	// Sink takes the messages; required.
	Sink docbridge.Sink
	// MaxMessageBytes is the largest message taken; larger ones are refused
	// with AE and not stored. 0 means 16 MiB.
	MaxMessageBytes int
	// MaxConnections is how many connections the listener holds at once;
	// 0 means 64. A connection beyond it is closed as soon as it is
	// accepted, before anything is read, and the refusal is logged (at
	// most one line every 10 s, with the count); the sender reconnects.
	MaxConnections int
	// SpoolAbove is the size above which a message being received goes to
	// a file in SpoolDir instead of memory; 0 means 1 MiB.
	SpoolAbove int
	// MemoryBudget is how many bytes of messages being received the
	// listener holds in memory across its connections; beyond it messages
	// go to SpoolDir, whatever their size. 0 means 32 MiB.
	MemoryBudget int64
	// SpoolDir is where messages being received are spooled; "" means the
	// system's temporary directory. Spool files are created 0600 and
	// unlinked at once, so they never outlive the process.
	SpoolDir string
	// SpoolBudget is how many bytes of spool files the listener holds
	// across its connections. A message that would go beyond it is read
	// to its end, dropped, and refused with AR (reason internal: send it
	// again later). 0 means 1 GiB.
	SpoolBudget int64
	// IdleTimeout closes a connection on which no message arrives for this
	// long; 0 means 5 minutes.
	IdleTimeout time.Duration
	// AcceptTimeout bounds the storing of one message, shutdown or not; 0
	// means 1 minute.
	AcceptTimeout time.Duration
	// Drain is how long connections stay open after shutdown starts, to
	// answer AR to messages that still arrive; 0 means 2 s.
	Drain time.Duration
	// Application and Facility are MSH-3 and MSH-4 of an ACK to a message
	// whose MSH names no receiver; "" means "DOCBRIDGE".
	Application, Facility string
	// LargeAccepts is how many spooled messages (over SpoolAbove, or
	// received when the memory budget was spent) the listener stores at
	// once, since storing converts a message in memory; 0 means 2. The
	// others wait their turn, at most AcceptTimeout, and are then refused
	// with AR.
	LargeAccepts int
	// GiveBack, when set, is called each time the listener has let go of
	// GiveBackEvery bytes of memory (messages received in memory, and the
	// buffers of closed connections), and when its last connection closes
	// after it let go of any, from the goroutine that let go of the last
	// of them. The daemon passes debug.FreeOSMemory, so that what
	// a burst of connections took is returned to the system at once rather
	// than at the runtime's next forced collection, minutes later.
	GiveBack func()
	Log      zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is an MLLP intake. Create it with New and run it with Run.
type Server struct {
	o       Options
	ln      net.Listener
	closing atomic.Bool
	drainAt atomic.Int64 // unix nanoseconds, set when shutdown starts

	mu    sync.Mutex
	conns map[*conn]struct{}

	// mem and disk are the budgets of messages being received.
	mem, disk *budget
	refusals  refusals
	freed     atomic.Int64  // bytes let go of since GiveBack was last called
	large     chan struct{} // a token per spooled message being stored

	ackSeq atomic.Uint64
	ackPfx string
}

// New checks the options and, unless Options.Listener is set, listens on
// Addr (so that the port is bound, and Addr known, before Run). Errors:
// missing Sink or address, or the address cannot be listened on.
func New(o Options) (*Server, error) {
	if o.Sink == nil {
		return nil, errors.New("mllp: the intake needs a Sink")
	}
	if o.Name == "" {
		o.Name = "mllp"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 16 << 20
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 64
	}
	if o.LargeAccepts <= 0 {
		o.LargeAccepts = 2
	}
	if o.SpoolAbove <= 0 {
		o.SpoolAbove = 1 << 20
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = 32 << 20
	}
	if o.SpoolDir == "" {
		o.SpoolDir = os.TempDir()
	}
	if o.SpoolBudget <= 0 {
		o.SpoolBudget = 1 << 30
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.AcceptTimeout <= 0 {
		o.AcceptTimeout = time.Minute
	}
	if o.Drain <= 0 {
		o.Drain = 2 * time.Second
	}
	if o.Application == "" {
		o.Application = "DOCBRIDGE"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ln := o.Listener
	if ln == nil {
		if o.Addr == "" {
			return nil, errors.New("mllp: the intake needs an address to listen on")
		}
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, fmt.Errorf("mllp: listen on %s: %w", o.Addr, err)
		}
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	return &Server{o: o, ln: ln, conns: map[*conn]struct{}{}, mem: newBudget(o.MemoryBudget), disk: newBudget(o.SpoolBudget),
		large:  make(chan struct{}, o.LargeAccepts),
		ackPfx: "DB" + strconv.FormatInt(o.Now().UnixMilli(), 36) + "-"}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run accepts connections until ctx is done, one goroutine per connection,
// closing at once those beyond Options.MaxConnections.
// On shutdown it stops accepting, lets every message being stored finish
// and be acknowledged, answers AR to messages that arrive during the drain
// period, then closes the connections and waits for their goroutines. It
// returns nil on a clean stop and an error when the listener fails.
func (s *Server) Run(ctx context.Context) error {
	s.o.Log.Info().Str("intake", s.o.Name).Str("addr", s.ln.Addr().String()).Bool("tls", s.o.TLS != nil).Msg("MLLP listener started")
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		s.shutdown()
	}()
	var err error
	for {
		nc, aerr := s.ln.Accept()
		if aerr != nil {
			if !s.closing.Load() {
				err = fmt.Errorf("mllp: accept on %s: %w", s.ln.Addr(), aerr)
			}
			break
		}
		c, full := s.track(nc)
		if c == nil {
			nc.Close()
			if full {
				s.refusals.add(s.o, nc.RemoteAddr().String())
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.untrack(c)
			c.serve(ctx)
		}()
	}
	close(stopped)
	wg.Wait()
	s.o.Log.Info().Str("intake", s.o.Name).Msg("MLLP listener stopped")
	return err
}

// shutdown stops accepting and starts the drain of every connection.
func (s *Server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return
	}
	at := s.o.Now().Add(s.o.Drain)
	s.drainAt.Store(at.UnixNano())
	s.ln.Close()
	for c := range s.conns {
		c.setDeadline(time.Time{})
	}
}

// track registers a new connection. It returns nil when shutdown has
// started, and nil and full when the listener holds MaxConnections.
func (s *Server) track(nc net.Conn) (c *conn, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil, false
	}
	if len(s.conns) >= s.o.MaxConnections {
		return nil, true
	}
	c = &conn{s: s, nc: nc, peer: nc.RemoteAddr().String()}
	s.conns[c] = struct{}{}
	return c, false
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	quiet := len(s.conns) == 0
	s.mu.Unlock()
	c.nc.Close()
	s.letGo(connBytes)
	if quiet && s.o.GiveBack != nil && s.freed.Swap(0) > 0 {
		s.o.GiveBack()
	}
}

// GiveBackEvery is how much memory a listener lets go of between two calls
// of Options.GiveBack.
const GiveBackEvery = 16 << 20

// connBytes is what a connection holds besides its message: the reader's
// buffer, the head of a spooled message, the goroutine's stack.
const connBytes = 48 << 10

// letGo counts n bytes of memory let go of, and calls GiveBack when they
// add up to GiveBackEvery.
func (s *Server) letGo(n int64) {
	if s.o.GiveBack == nil || s.freed.Add(n) < GiveBackEvery {
		return
	}
	if s.freed.Swap(0) >= GiveBackEvery {
		s.o.GiveBack()
	}
}

// nextControlID returns a fresh MSH-10 for an ACK.
func (s *Server) nextControlID() string {
	return s.ackPfx + strconv.FormatUint(s.ackSeq.Add(1), 10)
}

// Close releases the listener of a server that will not Run (Run closes it
// itself on shutdown).
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return nil
	}
	return s.ln.Close()
}
