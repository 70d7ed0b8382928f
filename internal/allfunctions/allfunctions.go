// Package allfunctions maps every function of template.yaml to the wiring
// that builds it, for the local runner (cmd/local), the template tests and
// the scenario tests. No function's main imports it (functions_test.go
// checks): each Lambda links its own wiring package only.
//
// Adding a function: its wiring package under internal/app (like cartfn),
// its main under functions/ (one line, like functions/cart/main.go), and one
// line in Functions below.
package allfunctions

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/authfn"
	"github.com/sessionlab/sessionlab/internal/app/cartfn"
	"github.com/sessionlab/sessionlab/internal/app/cookiesfn"
	"github.com/sessionlab/sessionlab/internal/app/edge"
	"github.com/sessionlab/sessionlab/internal/app/visitsfn"
	"github.com/sessionlab/sessionlab/internal/config"
)

// Builder builds one function's handler, without the edge.
type Builder func(ctx context.Context, getenv config.Getenv, o app.Options) (http.Handler, error)

// Functions maps each function's logical ID in template.yaml to its builder.
var Functions = map[string]Builder{
	"CookiesFunction": storeless(cookiesfn.Build),
	"AuthFunction":    authfn.Build,
	"CartFunction":    cartfn.Build,
	"VisitsFunction":  visitsfn.Build,
}

// Build builds the function called name behind the edge (edge.Wrap), with
// stores that allow only the uses it declares (app.Options.ForFunction), as
// its main does in Lambda.
func Build(ctx context.Context, name string, getenv config.Getenv, o app.Options) (http.Handler, error) {
	b, ok := Functions[name]
	if !ok {
		return nil, fmt.Errorf("no function called %q", name)
	}
	o, err := o.ForFunction(name)
	if err != nil {
		return nil, err
	}
	h, err := b(ctx, getenv, o)
	if err != nil {
		return nil, err
	}
	return edge.Wrap(h, getenv)
}

// storeless is a Builder for a function that uses no store.
func storeless(build func(context.Context, config.Getenv) (http.Handler, error)) Builder {
	return func(ctx context.Context, getenv config.Getenv, _ app.Options) (http.Handler, error) {
		return build(ctx, getenv)
	}
}
