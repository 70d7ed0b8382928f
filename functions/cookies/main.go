// Command cookies is the CookiesFunction Lambda: see internal/app/cookiesfn
// and internal/lambdafn.
package main

import (
	"github.com/sessionlab/sessionlab/internal/app/cookiesfn"
	"github.com/sessionlab/sessionlab/internal/lambdafn"
)

func main() { lambdafn.Main("CookiesFunction", cookiesfn.Build) }
