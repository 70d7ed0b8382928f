// Command cart is the CartFunction Lambda: see internal/app/cartfn and
// internal/lambdafn.
package main

import (
	"github.com/sessionlab/sessionlab/internal/app/cartfn"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/lambdafn"
)

func main() { lambdafn.Main("CartFunction", dynamostores.With("CartFunction", cartfn.Build)) }
