package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/pipeline"
)

// Metrics are docbridge's Prometheus metrics, in a registry of their own.
// Labels are low-cardinality codes (state, reason, intake, kind, method, code),
// never ids or patient data. It is safe for concurrent use.
//
// Series:
//
//	docbridge_documents{state,reason,intake,kind}    gauge: the store's kept counts, read at each scrape
//	docbridge_queue_depth                            gauge: documents received, converted, matched or held
//	docbridge_review_depth                           gauge: documents waiting for a person
//	docbridge_oldest_pending_age_seconds             gauge: age of the oldest document that should be moving (0: none)
//	docbridge_documents_waiting_for_pairing          gauge: documents held until the patient pairs
//	docbridge_journal_backlog                        gauge: MLLP messages acknowledged, waiting in the intake journal to be recorded
//	docbridge_oldest_waiting_for_pairing_age_seconds gauge: age of the oldest of them (0: none)
//	docbridge_seconds_since_last_intake              gauge: time since the last input (0: none yet)
//	docbridge_stall{signal="no_intake"|"oldest_pending"}  gauge, 1 when the stall signal fires
//	docbridge_store_up                               gauge, 1 when the store answered this scrape
//	docbridge_delivery_latency_seconds               histogram: received → delivered
//	docbridge_deliveries_total{state,reason,kind}    counter: deliveries recorded (delivered, deleted; reason duplicate), by kind (document, measurement, …)
//	docbridge_mes_request_duration_seconds{method,code}  histogram of MES requests; code "error" without an answer
//
// plus the Go runtime and process collectors.
type Metrics struct {
	reg        *prometheus.Registry
	latency    prometheus.Histogram
	deliveries *prometheus.CounterVec
	mes        *prometheus.HistogramVec
}

// Options configures New.
type Options struct {
	Store Store // read at each scrape; required
	Stall Stall
	Log   zerolog.Logger
	Now   func() time.Time // nil: time.Now
}

// New registers every series. The store series are read at scrape
// time, bounded to 5 s: the kept counts (store.CountsByGroup) and one index
// probe per group for the ages, never a scan of the documents, so a scrape
// costs the same whatever the store holds.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "docbridge_delivery_latency_seconds",
			Help:    "Time from a document's creation (reception and conversion) to its delivery to MES.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600},
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docbridge_deliveries_total",
			Help: "Deliveries recorded, by resulting state and reason (duplicate: MES already had it) and kind of data (document, measurement, appointment).",
		}, []string{"state", "reason", "kind"}),
		mes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "docbridge_mes_request_duration_seconds",
			Help:    "Duration of requests to MES, by method and HTTP status code (\"error\" when MES gave no answer).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "code"}),
	}
	m.reg.MustRegister(m.latency, m.deliveries, m.mes,
		&storeCollector{o: o},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Observe records a pipeline event; it is the pipeline.Options.Observe
// hook.
func (m *Metrics) Observe(ev pipeline.Event) {
	m.latency.Observe(ev.Latency.Seconds())
	m.deliveries.WithLabelValues(string(ev.State), string(ev.Reason), ev.Kind.String()).Inc()
}

// Transport wraps next (nil: http.DefaultTransport) so that every request
// to MES is timed by method and status code.
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		m.mes.WithLabelValues(r.Method, code).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var (
	descDocuments     = prometheus.NewDesc("docbridge_documents", "Documents in the store by state, reason, intake and kind (document, measurement, appointment).", []string{"state", "reason", "intake", "kind"}, nil)
	descQueue         = prometheus.NewDesc("docbridge_queue_depth", "Documents waiting for a stage (received, converted, matched, held).", nil, nil)
	descReview        = prometheus.NewDesc("docbridge_review_depth", "Documents waiting for a person's decision (review).", nil, nil)
	descOldest        = prometheus.NewDesc("docbridge_oldest_pending_age_seconds", "Age of the oldest document that should be moving (not waiting for a pairing nor in review); 0 when none.", nil, nil)
	descWaiting       = prometheus.NewDesc("docbridge_documents_waiting_for_pairing", "Documents held until the patient pairs (not-paired, pairing-revoked): normal waiting, not a stall.", nil, nil)
	descJournal       = prometheus.NewDesc("docbridge_journal_backlog", "MLLP messages acknowledged and waiting in the intake journal to be recorded as inputs (recorded once senders pause, or past 10,000).", nil, nil)
	descOldestWaiting = prometheus.NewDesc("docbridge_oldest_waiting_for_pairing_age_seconds", "Age of the oldest document waiting for the patient's pairing; 0 when none.", nil, nil)
	descIntake        = prometheus.NewDesc("docbridge_seconds_since_last_intake", "Time since the last input arrived; 0 when none has yet.", nil, nil)
	descStall         = prometheus.NewDesc("docbridge_stall", "1 when a stall signal fires: no_intake (no input for admin.stall.no_intake), oldest_pending (a document pending over admin.stall.oldest_pending).", []string{"signal"}, nil)
	descStoreUp       = prometheus.NewDesc("docbridge_store_up", "1 when the store answered this scrape's queries.", nil, nil)
)

// storeCollector reads the store's aggregates at scrape time.
type storeCollector struct{ o Options }

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDocuments, descQueue, descReview, descOldest, descWaiting, descJournal, descOldestWaiting, descIntake, descStall, descStoreUp} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := Summarize(ctx, c.o.Store, c.o.Stall, c.o.Now())
	if err != nil {
		c.o.Log.Error().Err(err).Msg("metrics: the store did not answer")
		ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 1)
	for _, n := range s.Counts {
		ch <- prometheus.MustNewConstMetric(descDocuments, prometheus.GaugeValue, float64(n.N), string(n.State), string(n.Reason), n.Intake, n.Kind.String())
	}
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(s.Queue))
	ch <- prometheus.MustNewConstMetric(descReview, prometheus.GaugeValue, float64(s.Review))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, s.OldestPending.Seconds())
	ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(descJournal, prometheus.GaugeValue, float64(s.Journal))
	ch <- prometheus.MustNewConstMetric(descOldestWaiting, prometheus.GaugeValue, s.OldestWaiting.Seconds())
	ch <- prometheus.MustNewConstMetric(descIntake, prometheus.GaugeValue, s.SinceIntake.Seconds())
	ch <- prometheus.MustNewConstMetric(descStall, prometheus.GaugeValue, b2f(s.NoIntake), "no_intake")
	ch <- prometheus.MustNewConstMetric(descStall, prometheus.GaugeValue, b2f(s.Stuck), "oldest_pending")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
