// Package session is the server-side session layer: a Manager that loads,
// starts, renews and destroys sessions for HTTP requests, the signed cookie
// that carries an opaque session ID, and the Store contract that every
// backend (memstore, dynamostore) fulfils.
//
// The raw session ID lives only in the signed cookie. Stores are keyed by its
// SHA-256, and the public handle shown in listings is derived from that hash.
package session
