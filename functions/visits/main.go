// Command visits is the VisitsFunction Lambda: see internal/app and internal/lambdafn.
package main

import "github.com/sessionlab/sessionlab/internal/lambdafn"

func main() { lambdafn.Main("VisitsFunction") }
