// Package templatetest holds the tests that keep template.yaml safe to
// deploy, read with goformation: every function logs as JSON to a log group
// with a retention period and may touch only its own tables; every
// environment variable a function's code reads is declared for it; the
// session secret comes from Secrets Manager as 64 hex digits; CloudFront's
// /api/* behaviour forwards cookies and caches nothing; the site carries
// the same security headers as locally; nothing is public; a metric filter
// counts the warning the code logs for a tampered or foreign session cookie
// (the real line, produced by running the functions) and an alarm watches
// the count. For production (issue 15): every route is throttled and the
// password routes more, the function that checks passwords has reserved
// concurrency for them; the API answers only through CloudFront's secret
// header; an optional CloudFront web ACL limits each IP; the API writes JSON
// access logs and every function is traced; every EMF line the functions
// write is valid and watched, every metric an alarm or the dashboard reads
// exists, every function, the API and every table have their alarms and
// dashboard graphs; every function deploys gradually and rolls back on its
// alarms; account-global names carry the region; each function's role
// allows exactly the DynamoDB actions, attributes (dynamodb:Attributes) and
// Select/ReturnValues values of the store uses it declares (app.StoreUses),
// read from the requests the store really sends to the emulator. Each rule is a
// function returning what is wrong, tested against the template and against
// copies broken on purpose, so a rule that stops catching its breakage
// fails too. It has no code of its own; its tests start the DynamoDB
// emulator (moto) for the requests.
package templatetest
