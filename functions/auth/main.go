// Command auth is the AuthFunction Lambda: see internal/app/authfn and
// internal/lambdafn.
package main

import (
	"github.com/sessionlab/sessionlab/internal/app/authfn"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/lambdafn"
)

func main() { lambdafn.Main("AuthFunction", dynamostores.With("AuthFunction", authfn.Build)) }
