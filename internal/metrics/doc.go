// Package metrics is what docbridge says of its own state for monitoring:
// the queue's summary and stall signals (Summarize), read from the
// store's kept counts, and the Prometheus series (Metrics) that the
// pipeline observes and the MES client's transport times. The console
// (internal/admin) serves them on /metrics and shows the summary on its
// dashboard; it does not own them.
package metrics
