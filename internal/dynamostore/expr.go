package dynamostore

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// expr builds the update and condition expressions of one UpdateItem by
// hand, so that each doc comment can show the expression as DynamoDB gets
// it. Every name and value goes through a placeholder (#n0, :v0): names of
// features' maps and entries are never spliced into the text.
type expr struct {
	names   map[string]string
	values  map[string]types.AttributeValue
	byName  map[string]string
	set     []string
	remove  []string
	clauses []string
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}, byName: map[string]string{}}
}

// name is the placeholder of one attribute name or path segment.
func (e *expr) name(n string) string {
	if p, ok := e.byName[n]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(e.names))
	e.names[p], e.byName[n] = n, p
	return p
}

// path is the document path of segments: #n0.#n1.#n2.
func (e *expr) path(segments ...string) string {
	parts := make([]string, len(segments))
	for i, s := range segments {
		parts[i] = e.name(s)
	}
	return strings.Join(parts, ".")
}

// value is the placeholder of v.
func (e *expr) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = v
	return p
}

// num is the placeholder of the number n.
func (e *expr) num(n int64) string { return e.value(num(n)) }

// Set adds "path = operand" to the SET clause.
func (e *expr) Set(path, operand string) { e.set = append(e.set, path+" = "+operand) }

// Remove adds path to the REMOVE clause.
func (e *expr) Remove(path string) { e.remove = append(e.remove, path) }

// If adds a clause to the condition; clauses are joined with AND.
func (e *expr) If(clause string) { e.clauses = append(e.clauses, clause) }

// update is the update expression.
func (e *expr) update() string {
	var b strings.Builder
	if len(e.set) > 0 {
		b.WriteString("SET " + strings.Join(e.set, ", "))
	}
	if len(e.remove) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("REMOVE " + strings.Join(e.remove, ", "))
	}
	return b.String()
}

// condition is the condition expression: every clause, each in
// parentheses, joined with AND.
func (e *expr) condition() string {
	return "(" + strings.Join(e.clauses, ") AND (") + ")"
}

// projection is the ProjectionExpression that reads exactly attrs, each
// through a placeholder (#p0, #p1, ...), and its placeholders' names.
func projection(attrs ...string) (*string, map[string]string) {
	names := make(map[string]string, len(attrs))
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		p := "#p" + strconv.Itoa(i)
		names[p], parts[i] = a, p
	}
	expr := strings.Join(parts, ", ")
	return &expr, names
}

// live adds "the session exists and is live at now (ms)":
//
//	attribute_exists(id) AND idleDeadline > :now AND absoluteDeadline > :now
func (e *expr) live(now int64) {
	n := e.num(now)
	e.If("attribute_exists(" + e.name(attrID) + ")")
	e.If(e.name(attrIdleDeadline) + " > " + n)
	e.If(e.name(attrAbsoluteDeadline) + " > " + n)
}

// refresh adds the idle refresh, computed by DynamoDB from the item's own
// window (no read needed):
//
//	SET lastSeenAt = :now, idleDeadline = idleWindow + :now
func (e *expr) refresh(now int64) {
	n := e.num(now)
	e.Set(e.name(attrLastSeenAt), n)
	e.Set(e.name(attrIdleDeadline), e.name(attrIdleWindow)+" + "+n)
}
