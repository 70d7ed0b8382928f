// Package templatetest holds the tests that keep template.yaml safe to
// deploy, read with goformation: every function logs as JSON to a log group
// with a retention period and may touch only its own tables; every
// environment variable a function's code reads is declared for it; the
// session secret comes from Secrets Manager as 64 hex digits; CloudFront's
// /api/* behaviour forwards cookies and caches nothing; the site carries
// the same security headers as locally; nothing is public; a metric filter
// counts the warning the code logs for a tampered or foreign session cookie
// (the real line, produced by running the functions) and an alarm watches
// the count. Each rule is a
// function returning what is wrong, tested against the template and against
// copies broken on purpose, so a rule that stops catching its breakage
// fails too. It has no code of its own.
package templatetest
