// Package loadtest drives the local runner over real HTTP with many
// concurrent clients, each doing a realistic mix (browse, cart changes,
// register and log in, read the session), and checks the outcome: every
// cart at the end holds exactly what the changes the server acknowledged
// say (nothing lost, nothing applied twice), no 5xx but the 503
// store_unavailable of a planned store outage or of a store slower than
// the runner's own timeout, and service resumes after the store comes back.
//
// Clients send changes as the site does: most with a fresh Idempotency-Key,
// sent again with the same key after a network error, a timeout or a 503
// (retry.go) until a definite answer, so each ends applied exactly once or
// provably not at all; some twice at once; a share without a key, never
// retried, which only the server's own operation IDs protect.
//
// The pure parts are here and tested beside the code: quantity sets and the
// log of cart changes folded into an expected cart (ledger.go), the verdict
// on a change from its attempts, replays and the idempotency ring
// (verdict.go), the fault timeline (timeline.go), the retry policy
// (retry.go), the pacer that keeps store latency under a target (pacer.go),
// the machine's load (machine.go) and the latency statistics (stats.go).
// Run drives the clients (run.go, worker.go, client.go); the command
// cmd/loadtest starts the runner and the DynamoDB emulator around it.
package loadtest
