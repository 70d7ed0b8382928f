// Command visits is the VisitsFunction Lambda: see internal/app/visitsfn and
// internal/lambdafn.
package main

import (
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/app/visitsfn"
	"github.com/sessionlab/sessionlab/internal/lambdafn"
)

func main() { lambdafn.Main("VisitsFunction", dynamostores.With("VisitsFunction", visitsfn.Build)) }
