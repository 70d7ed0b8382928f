// Package loadtest drives the local runner over real HTTP with many
// concurrent clients, each doing a realistic mix (browse, cart changes,
// register and log in, read the session), and checks the outcome: every
// cart at the end holds exactly what the changes the server acknowledged say
// (no lost update, nothing extra), no 5xx but the 503 store_unavailable of a
// planned store outage, and service resumes after the store comes back.
//
// The pure parts are here and tested beside the code: quantity sets and the
// log of cart changes folded into an expected cart (ledger.go), the fault
// timeline that classifies a response (timeline.go), and the latency
// statistics (stats.go). Run drives the clients (run.go, worker.go); the
// command cmd/loadtest starts the runner and the DynamoDB emulator around it.
package loadtest
