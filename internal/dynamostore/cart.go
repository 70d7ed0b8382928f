package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// cartChange is one atomic cart change: the update and condition beyond
// "the session is live" and the idle refresh, and how to tell, from the
// cart as it was, which outcome made the condition fail.
type cartChange struct {
	op        string // for error messages: "add to cart"
	update    expression.UpdateBuilder
	condition *expression.ConditionBuilder
	// explain returns the outcome error that the cart as it was explains,
	// or nil when that cart would have allowed the change.
	explain func(cart map[string]int) error
}

// cartLine is the document path of one cart line: cart.#sku. The SKU is one
// path segment, never split on dots.
func cartLine(sku string) expression.NameBuilder {
	return expression.NameNoDotSplit("cart").AppendName(expression.NameNoDotSplit(sku))
}

// AddToCart adds quantity to a line in one UpdateItem:
//
//	SET cart.#sku = if_not_exists(cart.#sku, :zero) + :q
//
// DynamoDB's ADD action works only on top-level attributes, so the nested
// line is incremented with SET and if_not_exists. The condition keeps the
// line at most MaxQuantity and lets a new line in only while the cart has
// fewer than MaxCartLines lines.
func (s *Store) AddToCart(ctx context.Context, key, sku string, quantity int, now time.Time) (map[string]int, bool, error) {
	if err := validSKU(sku); err != nil {
		return nil, false, fmt.Errorf("dynamostore: add to cart: %w", err)
	}
	if quantity < 1 || quantity > session.MaxQuantity {
		return nil, false, session.ErrQuantity
	}
	line := cartLine(sku)
	fits := line.AttributeExists().And(line.LessThanEqual(expression.Value(session.MaxQuantity - quantity))).
		Or(line.AttributeNotExists().And(expression.Name("cart").Size().LessThan(expression.Value(session.MaxCartLines))))
	return s.changeCart(ctx, key, now, cartChange{
		op:        "add to cart",
		update:    expression.Set(line, expression.Plus(expression.IfNotExists(line, expression.Value(0)), expression.Value(quantity))),
		condition: &fits,
		explain: func(cart map[string]int) error {
			have, ok := cart[sku]
			switch {
			case ok && have+quantity > session.MaxQuantity:
				return session.ErrQuantity
			case !ok && len(cart) >= session.MaxCartLines:
				return session.ErrCartFull
			}
			return nil
		},
	})
}

// SetCartQuantity sets a line (SET cart.#sku = :q) or removes it (REMOVE
// cart.#sku) in one UpdateItem on condition that the line exists.
func (s *Store) SetCartQuantity(ctx context.Context, key, sku string, quantity int, now time.Time) (map[string]int, bool, error) {
	if err := validSKU(sku); err != nil {
		return nil, false, fmt.Errorf("dynamostore: set cart quantity: %w", err)
	}
	if quantity < 0 || quantity > session.MaxQuantity {
		return nil, false, session.ErrQuantity
	}
	line := cartLine(sku)
	update := expression.Set(line, expression.Value(quantity))
	if quantity == 0 {
		update = expression.Remove(line)
	}
	exists := line.AttributeExists()
	return s.changeCart(ctx, key, now, cartChange{
		op:        "set cart quantity",
		update:    update,
		condition: &exists,
		explain: func(cart map[string]int) error {
			if _, ok := cart[sku]; !ok {
				return session.ErrNotInCart
			}
			return nil
		},
	})
}

// ClearCart sets the cart to an empty map in one UpdateItem (an empty map,
// not no attribute, so that later nested SETs have a parent).
func (s *Store) ClearCart(ctx context.Context, key string, now time.Time) (bool, error) {
	_, found, err := s.changeCart(ctx, key, now, cartChange{
		op:      "clear cart",
		update:  expression.Set(expression.Name("cart"), expression.Value(map[string]int{})),
		explain: func(map[string]int) error { return nil },
	})
	return found, err
}

// changeCart runs one cart change as a single conditional UpdateItem that
// also refreshes the idle deadline, and returns the cart after it
// (ReturnValues ALL_NEW). When the condition fails it tells the outcome from
// the item as it was: DynamoDB returns it
// (ReturnValuesOnConditionCheckFailure ALL_OLD); an emulator that does not
// gets one strongly consistent GetItem instead, which is safe because the
// failed write changed nothing. Should that read show a cart that allows the
// change (another request changed it in between), the change is tried again.
func (s *Store) changeCart(ctx context.Context, key string, now time.Time, c cartChange) (map[string]int, bool, error) {
	if key == "" {
		return nil, false, nil
	}
	n := ms(now)
	cond := liveCondition(n)
	if c.condition != nil {
		cond = cond.And(*c.condition)
	}
	expr, err := expression.NewBuilder().WithUpdate(refresh(c.update, n)).WithCondition(cond).Build()
	if err != nil {
		return nil, false, fmt.Errorf("dynamostore: %s: %w", c.op, err)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.sessions),
		Key:                                 sessionKey(key),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	for range maxConditionRetries {
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			cart, err := decodeCart(out.Attributes)
			if err != nil {
				return nil, false, fmt.Errorf("dynamostore: %s: %w", c.op, err)
			}
			return cart, true, nil
		}
		old, failed := isConditionFailed(err)
		if !failed {
			return nil, false, fmt.Errorf("dynamostore: %s: %w", c.op, err)
		}
		if old == nil {
			if old, err = s.getSessionItem(ctx, key); err != nil {
				return nil, false, fmt.Errorf("dynamostore: %s: read after a failed condition: %w", c.op, err)
			}
		}
		rec, ok, err := decodeSession(old)
		if err != nil {
			return nil, false, fmt.Errorf("dynamostore: %s: %w", c.op, err)
		}
		if !ok || !rec.LiveAt(fromMS(n)) {
			return nil, false, nil
		}
		if outcome := c.explain(rec.Cart); outcome != nil {
			return nil, true, outcome
		}
	}
	return nil, false, fmt.Errorf("dynamostore: %s: condition failed %d times on a live session whose cart allows the change", c.op, maxConditionRetries)
}
